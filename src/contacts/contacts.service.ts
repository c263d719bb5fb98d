import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUuid } from '../common/cursor';
import { notFound } from '../common/domain-error';
import { Contact } from './contact.entity';
import { ContactIdentityRegistry } from './contact-identity.registry';
import { toContactView } from './contact-view.mapper';
import { ContactView } from './contact.view';

@Injectable()
export class ContactsService {
  constructor(
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly identities: ContactIdentityRegistry,
  ) {}

  /** One contact of the organization; another organization's, unknown or malformed id → 404. */
  async view(organizationId: string, id: string): Promise<ContactView> {
    const contact = isUuid(id) ? await this.contacts.findOneBy({ id, organizationId }) : null;
    if (!contact) throw notFound('Contact');
    return toContactView(contact, await this.identities.identitiesOf(organizationId, [contact.id]));
  }
}
