import { Injectable } from '@nestjs/common';
import { ContactIdentity, ContactIdentitySource } from './contact-identity-source';

/** Where channel modules register their `ContactIdentitySource` (in their `onModuleInit`). */
@Injectable()
export class ContactIdentityRegistry {
  private readonly sources: ContactIdentitySource[] = [];

  register(source: ContactIdentitySource): void {
    if (!this.sources.includes(source)) this.sources.push(source);
  }

  /** Every registered channel's identities of these contacts, oldest first. */
  async identitiesOf(organizationId: string, contactIds: string[]): Promise<ContactIdentity[]> {
    if (contactIds.length === 0) return [];
    const lists = await Promise.all(this.sources.map((source) => source.identitiesOf(organizationId, contactIds)));
    return lists.flat().sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }
}
