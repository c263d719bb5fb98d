import { mapFacebookProfile, mapInstagramProfile } from './profile.mapper';

describe('profile mappers', () => {
  it('names a Messenger contact from first and last name', () => {
    expect(mapFacebookProfile({ first_name: 'Ana', last_name: 'Silva', profile_pic: 'https://cdn/p.jpg', id: '1' })).toEqual({
      firstName: 'Ana',
      lastName: 'Silva',
      displayName: 'Ana Silva',
      avatarUrl: 'https://cdn/p.jpg',
    });
  });

  it('leaves out what Meta did not send', () => {
    expect(mapFacebookProfile({ first_name: 'Ana' })).toEqual({ firstName: 'Ana', displayName: 'Ana' });
    expect(mapFacebookProfile({})).toEqual({});
  });

  it('keeps the Instagram routing signals', () => {
    expect(
      mapInstagramProfile({
        name: 'Ana Silva',
        username: 'ana.silva',
        profile_pic: 'https://cdn/ig.jpg',
        follower_count: 1520,
        is_verified_user: false,
        is_user_follow_business: true,
        is_business_follow_user: false,
      }),
    ).toEqual({
      displayName: 'Ana Silva',
      username: 'ana.silva',
      avatarUrl: 'https://cdn/ig.jpg',
      followerCount: 1520,
      isVerifiedUser: false,
      isUserFollowBusiness: true,
      isBusinessFollowUser: false,
    });
  });

  it('falls back to the username when an Instagram user has no name', () => {
    expect(mapInstagramProfile({ username: 'ana.silva' })).toEqual({ displayName: 'ana.silva', username: 'ana.silva' });
  });
});
