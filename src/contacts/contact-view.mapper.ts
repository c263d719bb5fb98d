import { Contact } from './contact.entity';
import { ContactIdentity } from './contact-identity-source';
import { ContactIdentityView, ContactView } from './contact.view';

export function toContactIdentityView(identity: ContactIdentity): ContactIdentityView {
  const view: ContactIdentityView = { channel: identity.channel, externalId: identity.externalId };
  if (identity.pageId !== undefined) view.pageId = identity.pageId;
  if (identity.igAccountId !== undefined) view.igAccountId = identity.igAccountId;
  return view;
}

export function toContactView(contact: Contact, identities: ContactIdentity[]): ContactView {
  return {
    id: contact.id,
    displayName: contact.displayName,
    firstName: contact.firstName,
    lastName: contact.lastName,
    username: contact.username,
    avatarUrl: contact.avatarUrl,
    identities: identities.filter((identity) => identity.contactId === contact.id).map(toContactIdentityView),
    signals: {
      followerCount: contact.followerCount,
      isVerifiedUser: contact.isVerifiedUser,
      isUserFollowBusiness: contact.isUserFollowBusiness,
      isBusinessFollowUser: contact.isBusinessFollowUser,
    },
    createdAt: new Date(contact.createdAt).toISOString(),
  };
}
