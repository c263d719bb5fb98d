import { MessageChannel } from '../messaging/message-channel';
import { Contact } from './contact.entity';
import { ContactIdentity } from './contact-identity.entity';
import { toContactView } from './contact-view.mapper';

const contact = Object.assign(new Contact(), {
  id: 'c1',
  organizationId: 'o1',
  displayName: 'Ada L',
  firstName: 'Ada',
  lastName: 'L',
  username: 'ada.l',
  avatarUrl: 'https://cdn.example/ada.jpg',
  followerCount: 1200,
  isVerifiedUser: false,
  isUserFollowBusiness: true,
  isBusinessFollowUser: null,
  profileFetchedAt: null,
  createdAt: new Date('2025-01-02T03:04:05.678Z'),
  updatedAt: new Date('2025-01-02T03:04:05.678Z'),
});

const identity = (fields: Partial<ContactIdentity>): ContactIdentity => Object.assign(new ContactIdentity(), { organizationId: 'o1', createdAt: new Date() }, fields);

describe('toContactView', () => {
  it('shows profile, signals and each identity with the account it belongs to', () => {
    const view = toContactView(contact, [
      identity({ contactId: 'c1', channel: MessageChannel.FacebookMessenger, externalId: 'psid-1', accountId: 'page-1' }),
      identity({ contactId: 'c1', channel: MessageChannel.InstagramDm, externalId: 'igsid-1', accountId: 'ig-1' }),
    ]);
    expect(view).toEqual({
      id: 'c1',
      displayName: 'Ada L',
      firstName: 'Ada',
      lastName: 'L',
      username: 'ada.l',
      avatarUrl: 'https://cdn.example/ada.jpg',
      identities: [
        { channel: 'facebook_messenger', externalId: 'psid-1', pageId: 'page-1' },
        { channel: 'instagram_dm', externalId: 'igsid-1', igAccountId: 'ig-1' },
      ],
      signals: { followerCount: 1200, isVerifiedUser: false, isUserFollowBusiness: true, isBusinessFollowUser: null },
      createdAt: '2025-01-02T03:04:05.678Z',
    });
  });

  it("leaves out other contacts' identities", () => {
    const view = toContactView(contact, [
      identity({ contactId: 'c2', channel: MessageChannel.FacebookMessenger, externalId: 'psid-2', accountId: 'page-1' }),
    ]);
    expect(view.identities).toEqual([]);
  });
});
