import { MessageChannel } from '../messaging/message-channel';
import { Contact } from './contact.entity';
import { ContactIdentity } from './contact-identity.entity';
import { ContactIdentityView, ContactView } from './contact.view';

/** What the contract calls an identity's account on each channel. */
const ACCOUNT_FIELD: Record<MessageChannel, 'pageId' | 'igAccountId'> = {
  [MessageChannel.FacebookMessenger]: 'pageId',
  [MessageChannel.InstagramDm]: 'igAccountId',
};

export function toContactIdentityView(identity: Pick<ContactIdentity, 'channel' | 'accountId' | 'externalId'>): ContactIdentityView {
  return { channel: identity.channel, externalId: identity.externalId, [ACCOUNT_FIELD[identity.channel]]: identity.accountId };
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
