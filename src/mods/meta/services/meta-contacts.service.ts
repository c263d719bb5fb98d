import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Contact } from '../../../contacts/contact.entity';

export interface ResolvedContact {
  contactId: string;
  /** True when this call made the contact (a new sender): fetch its profile. */
  created: boolean;
}

type Identity =
  | { table: 'contact_facebook'; scopeColumn: 'page_id'; idColumn: 'psid' }
  | { table: 'contact_instagram'; scopeColumn: 'ig_account_id'; idColumn: 'igsid' };

const FACEBOOK: Identity = { table: 'contact_facebook', scopeColumn: 'page_id', idColumn: 'psid' };
const INSTAGRAM: Identity = { table: 'contact_instagram', scopeColumn: 'ig_account_id', idColumn: 'igsid' };

/**
 * Maps a PSID (per Page) or IGSID (per Instagram account) to a contact of the organization,
 * making one for a new sender. Safe under concurrency: the identity's unique key decides, never a read-then-write,
 * so any number of parallel first messages give one contact.
 */
@Injectable()
export class MetaContactsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  resolveFacebook(organizationId: string, pageId: string, psid: string, manager?: EntityManager): Promise<ResolvedContact> {
    return this.resolve(FACEBOOK, organizationId, pageId, psid, manager);
  }

  resolveInstagram(organizationId: string, igAccountId: string, igsid: string, manager?: EntityManager): Promise<ResolvedContact> {
    return this.resolve(INSTAGRAM, organizationId, igAccountId, igsid, manager);
  }

  private async resolve(
    identity: Identity,
    organizationId: string,
    scope: string,
    externalId: string,
    manager?: EntityManager,
  ): Promise<ResolvedContact> {
    const run = async (tx: EntityManager): Promise<ResolvedContact> => {
      // Scoped by organization: a Page that moved keeps its PSIDs, and the old owner's contact
      // must never answer for the new owner.
      const find = `SELECT contact_id FROM ${identity.table} WHERE organization_id = $1 AND ${identity.scopeColumn} = $2 AND ${identity.idColumn} = $3`;
      const [existing] = await tx.query(find, [organizationId, scope, externalId]);
      if (existing) return { contactId: existing.contact_id, created: false };
      const contact = await tx.save(tx.create(Contact, { organizationId }));
      const inserted = await tx.query(
        `INSERT INTO ${identity.table} (organization_id, contact_id, ${identity.scopeColumn}, ${identity.idColumn})
         VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id, ${identity.scopeColumn}, ${identity.idColumn}) DO NOTHING RETURNING contact_id`,
        [organizationId, contact.id, scope, externalId],
      );
      if (inserted.length > 0) return { contactId: contact.id, created: true };
      // Another transaction mapped this sender first: use its contact, drop ours.
      await tx.delete(Contact, { id: contact.id });
      const [winner] = await tx.query(find, [organizationId, scope, externalId]);
      return { contactId: winner.contact_id, created: false };
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }
}
