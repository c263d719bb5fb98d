import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { decodeCursor, isUuid } from '../common/cursor';
import { notFound } from '../common/domain-error';
import { Contact } from './contact.entity';
import { ContactIdentity } from './contact-identity.entity';
import { toContactView } from './contact-view.mapper';
import { ContactView } from './contact.view';
import { ContactPageView, SearchContactsQueryDto } from './contact-search.dto';
import { DEFAULT_PAGE_SIZE } from '../messaging/api/page-query.dto';
import { MICROS_PARAM_AS_TIMESTAMP, microsOf, pageOf } from '../messaging/services/keyset';

/** `%`, `_` and `\` match literally in a search. */
const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class ContactsService {
  constructor(
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    @InjectRepository(ContactIdentity) private readonly identities: Repository<ContactIdentity>,
  ) {}

  /** One contact of the organization; another organization's, unknown or malformed id → 404. */
  async view(organizationId: string, id: string): Promise<ContactView> {
    const contact = isUuid(id) ? await this.contacts.findOneBy({ id, organizationId }) : null;
    if (!contact) throw notFound('Contact');
    return toContactView(contact, await this.identitiesOf(organizationId, [contact.id]));
  }

  /** Contacts whose name or username contains `query` (any case), newest first, keyset-paged. */
  async search(organizationId: string, query: SearchContactsQueryDto): Promise<ContactPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.contacts
      .createQueryBuilder('c')
      .addSelect(microsOf('c.created_at'), 'cursor_micros')
      .where('c.organization_id = :organizationId', { organizationId })
      .orderBy('c.createdAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit + 1);
    const text = query.query?.trim();
    if (text) {
      qb.andWhere(
        `(c.display_name ILIKE :pattern OR c.username ILIKE :pattern OR c.first_name ILIKE :pattern OR c.last_name ILIKE :pattern
          OR concat_ws(' ', c.first_name, c.last_name) ILIKE :pattern)`,
        { pattern: `%${likeLiteral(text)}%` },
      );
    }
    if (query.cursor) qb.andWhere(`(c.created_at, c.id) < (${MICROS_PARAM_AS_TIMESTAMP}, :id)`, decodeCursor(query.cursor));
    const { entities, raw } = await qb.getRawAndEntities<{ c_id: string; cursor_micros: string }>();
    const page = pageOf(entities, limit, new Map(raw.map((row) => [row.c_id, row.cursor_micros])));
    const identities = await this.identitiesOf(organizationId, page.rows.map((c) => c.id));
    return { data: page.rows.map((contact) => toContactView(contact, identities)), nextCursor: page.nextCursor };
  }

  /** The contacts' channel identities, oldest first. */
  private identitiesOf(organizationId: string, contactIds: string[]): Promise<ContactIdentity[]> {
    if (contactIds.length === 0) return Promise.resolve([]);
    return this.identities.find({ where: { organizationId, contactId: In(contactIds) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
}
