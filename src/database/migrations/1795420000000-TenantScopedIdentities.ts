import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Page (or Instagram account) can move from one organization to another, and Meta keeps the
 * same PSIDs / IGSIDs for it. Identities become unique per organization, and every row that
 * points at a contact, conversation or message must belong to the same organization as its
 * target (composite foreign keys), so neither a lookup nor a cascade can cross tenants.
 *
 * Rows written before this (a conversation of one organization on another's contact, left by
 * a Page that moved) are repaired first: each such organization gets a contact of its own,
 * with its own copy of the identities, and its conversations move to it.
 */
export class TenantScopedIdentities1795420000000 implements MigrationInterface {
  name = 'TenantScopedIdentities1795420000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "contact_facebook" DROP CONSTRAINT "uq_contact_facebook_page_psid"`);
    await queryRunner.query(`ALTER TABLE "contact_instagram" DROP CONSTRAINT "uq_contact_instagram_account_igsid"`);
    await queryRunner.query(`
      DO $$
      DECLARE
        strayed record;
        own_contact uuid;
      BEGIN
        FOR strayed IN
          SELECT DISTINCT c.organization_id, c.contact_id
          FROM conversations c JOIN contacts k ON k.id = c.contact_id
          WHERE k.organization_id <> c.organization_id
        LOOP
          INSERT INTO contacts (organization_id) VALUES (strayed.organization_id) RETURNING id INTO own_contact;
          UPDATE conversations SET contact_id = own_contact
            WHERE organization_id = strayed.organization_id AND contact_id = strayed.contact_id;
          INSERT INTO contact_facebook (organization_id, contact_id, page_id, psid, created_at)
            SELECT strayed.organization_id, own_contact, page_id, psid, created_at FROM contact_facebook WHERE contact_id = strayed.contact_id;
          INSERT INTO contact_instagram (organization_id, contact_id, ig_account_id, igsid, created_at)
            SELECT strayed.organization_id, own_contact, ig_account_id, igsid, created_at FROM contact_instagram WHERE contact_id = strayed.contact_id;
        END LOOP;
      END $$`);
    // Identity rows whose organization disagrees with their contact's cannot be trusted either way.
    await queryRunner.query(`DELETE FROM contact_facebook i USING contacts k WHERE k.id = i.contact_id AND k.organization_id <> i.organization_id`);
    await queryRunner.query(`DELETE FROM contact_instagram i USING contacts k WHERE k.id = i.contact_id AND k.organization_id <> i.organization_id`);
    await queryRunner.query(`UPDATE messages m SET organization_id = c.organization_id FROM conversations c WHERE c.id = m.conversation_id AND c.organization_id <> m.organization_id`);
    await queryRunner.query(`UPDATE attachments a SET organization_id = m.organization_id FROM messages m WHERE m.id = a.message_id AND m.organization_id <> a.organization_id`);

    await queryRunner.query(`ALTER TABLE "contact_facebook" ADD CONSTRAINT "uq_contact_facebook_org_page_psid" UNIQUE ("organization_id", "page_id", "psid")`);
    await queryRunner.query(`ALTER TABLE "contact_instagram" ADD CONSTRAINT "uq_contact_instagram_org_account_igsid" UNIQUE ("organization_id", "ig_account_id", "igsid")`);

    await queryRunner.query(`ALTER TABLE "contacts" ADD CONSTRAINT "uq_contacts_id_org" UNIQUE ("id", "organization_id")`);
    await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "uq_conversations_id_org" UNIQUE ("id", "organization_id")`);
    await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "uq_messages_id_org" UNIQUE ("id", "organization_id")`);
    const scoped: [table: string, oldFk: string, column: string, target: string, newFk: string][] = [
      ['contact_facebook', 'FK_b46ed258a89ef025897752d08c4', 'contact_id', 'contacts', 'fk_contact_facebook_contact_org'],
      ['contact_instagram', 'FK_44b9b3fe2ebbc1257727056754f', 'contact_id', 'contacts', 'fk_contact_instagram_contact_org'],
      ['conversations', 'FK_3e605129623b629ddd0583740db', 'contact_id', 'contacts', 'fk_conversations_contact_org'],
      ['messages', 'FK_3bc55a7c3f9ed54b520bb5cfe23', 'conversation_id', 'conversations', 'fk_messages_conversation_org'],
      ['attachments', 'FK_623e10eec51ada466c5038979e3', 'message_id', 'messages', 'fk_attachments_message_org'],
    ];
    for (const [table, oldFk, column, target, newFk] of scoped) {
      await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${oldFk}"`);
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${newFk}" FOREIGN KEY ("${column}", "organization_id") REFERENCES "${target}"("id", "organization_id") ON DELETE CASCADE`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const scoped: [table: string, oldFk: string, column: string, target: string, newFk: string][] = [
      ['attachments', 'FK_623e10eec51ada466c5038979e3', 'message_id', 'messages', 'fk_attachments_message_org'],
      ['messages', 'FK_3bc55a7c3f9ed54b520bb5cfe23', 'conversation_id', 'conversations', 'fk_messages_conversation_org'],
      ['conversations', 'FK_3e605129623b629ddd0583740db', 'contact_id', 'contacts', 'fk_conversations_contact_org'],
      ['contact_instagram', 'FK_44b9b3fe2ebbc1257727056754f', 'contact_id', 'contacts', 'fk_contact_instagram_contact_org'],
      ['contact_facebook', 'FK_b46ed258a89ef025897752d08c4', 'contact_id', 'contacts', 'fk_contact_facebook_contact_org'],
    ];
    for (const [table, oldFk, column, target, newFk] of scoped) {
      await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${newFk}"`);
      await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${oldFk}" FOREIGN KEY ("${column}") REFERENCES "${target}"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "uq_messages_id_org"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "uq_conversations_id_org"`);
    await queryRunner.query(`ALTER TABLE "contacts" DROP CONSTRAINT "uq_contacts_id_org"`);
    await queryRunner.query(`ALTER TABLE "contact_instagram" DROP CONSTRAINT "uq_contact_instagram_org_account_igsid"`);
    await queryRunner.query(`ALTER TABLE "contact_facebook" DROP CONSTRAINT "uq_contact_facebook_org_page_psid"`);
    // Per-organization duplicates cannot satisfy the global keys again: keep the oldest of each.
    await queryRunner.query(
      `DELETE FROM contact_facebook a USING contact_facebook b WHERE a.page_id = b.page_id AND a.psid = b.psid AND (a.created_at, a.id) > (b.created_at, b.id)`,
    );
    await queryRunner.query(
      `DELETE FROM contact_instagram a USING contact_instagram b WHERE a.ig_account_id = b.ig_account_id AND a.igsid = b.igsid AND (a.created_at, a.id) > (b.created_at, b.id)`,
    );
    await queryRunner.query(`ALTER TABLE "contact_instagram" ADD CONSTRAINT "uq_contact_instagram_account_igsid" UNIQUE ("ig_account_id", "igsid")`);
    await queryRunner.query(`ALTER TABLE "contact_facebook" ADD CONSTRAINT "uq_contact_facebook_page_psid" UNIQUE ("page_id", "psid")`);
  }
}
