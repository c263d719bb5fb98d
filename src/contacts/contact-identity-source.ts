import { MessageChannel } from '../messaging/message-channel';

/** A contact's id on one channel account: a PSID on a Page, or an IGSID on an Instagram account. */
export interface ContactIdentity {
  contactId: string;
  channel: MessageChannel;
  externalId: string;
  /** Messenger: the Page the PSID belongs to. */
  pageId?: string;
  /** Instagram: the professional account the IGSID belongs to. */
  igAccountId?: string;
  createdAt: Date;
}

/**
 * Implemented by each channel module that keeps identities of its own (Meta: contact_facebook,
 * contact_instagram), so contacts never import channel code.
 */
export interface ContactIdentitySource {
  identitiesOf(organizationId: string, contactIds: string[]): Promise<ContactIdentity[]>;
}
