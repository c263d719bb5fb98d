import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { ContactIdentity, ContactIdentitySource } from '../../../contacts/contact-identity-source';
import { ContactIdentityRegistry } from '../../../contacts/contact-identity.registry';
import { MessageChannel } from '../../../messaging/message-channel';
import { ContactFacebook } from '../entities/contact-facebook.entity';
import { ContactInstagram } from '../entities/contact-instagram.entity';

/** Contacts' PSIDs and IGSIDs, offered to the contacts module through its registry. */
@Injectable()
export class MetaContactIdentitiesService implements ContactIdentitySource, OnModuleInit {
  constructor(
    @InjectRepository(ContactFacebook) private readonly facebook: Repository<ContactFacebook>,
    @InjectRepository(ContactInstagram) private readonly instagram: Repository<ContactInstagram>,
    private readonly registry: ContactIdentityRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async identitiesOf(organizationId: string, contactIds: string[]): Promise<ContactIdentity[]> {
    const [facebook, instagram] = await Promise.all([
      this.facebook.findBy({ organizationId, contactId: In(contactIds) }),
      this.instagram.findBy({ organizationId, contactId: In(contactIds) }),
    ]);
    return [
      ...facebook.map((row) => ({
        contactId: row.contactId,
        channel: MessageChannel.FacebookMessenger,
        externalId: row.psid,
        pageId: row.pageId,
        createdAt: row.createdAt,
      })),
      ...instagram.map((row) => ({
        contactId: row.contactId,
        channel: MessageChannel.InstagramDm,
        externalId: row.igsid,
        igAccountId: row.igAccountId,
        createdAt: row.createdAt,
      })),
    ];
  }
}
