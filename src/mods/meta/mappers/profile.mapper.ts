/** Graph API profile answers → contact columns. Missing fields leave the column as it is. */

export const FACEBOOK_PROFILE_FIELDS = 'first_name,last_name,profile_pic';
export const INSTAGRAM_PROFILE_FIELDS =
  'name,username,profile_pic,follower_count,is_verified_user,is_user_follow_business,is_business_follow_user';

export interface ProfileColumns {
  displayName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  username?: string | null;
  avatarUrl?: string | null;
  followerCount?: number | null;
  isVerifiedUser?: boolean | null;
  isUserFollowBusiness?: boolean | null;
  isBusinessFollowUser?: boolean | null;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);
const int = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);

function defined(columns: Record<string, unknown>): ProfileColumns {
  return Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined)) as ProfileColumns;
}

/** `GET /{psid}?fields=first_name,last_name,profile_pic`. */
export function mapFacebookProfile(raw: Record<string, unknown>): ProfileColumns {
  const firstName = str(raw.first_name);
  const lastName = str(raw.last_name);
  const displayName = [firstName, lastName].filter(Boolean).join(' ') || undefined;
  return defined({ firstName, lastName, displayName, avatarUrl: str(raw.profile_pic) });
}

/** `GET /{igsid}?fields=name,username,…`: the follow/verified flags are kept as routing signals. */
export function mapInstagramProfile(raw: Record<string, unknown>): ProfileColumns {
  const name = str(raw.name);
  const username = str(raw.username);
  return defined({
    displayName: name ?? username,
    username,
    avatarUrl: str(raw.profile_pic),
    followerCount: int(raw.follower_count),
    isVerifiedUser: bool(raw.is_verified_user),
    isUserFollowBusiness: bool(raw.is_user_follow_business),
    isBusinessFollowUser: bool(raw.is_business_follow_user),
  });
}
