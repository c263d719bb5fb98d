import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One identity model for every channel: a contact's id on one channel account (a PSID on a
 * Page, an IGSID on an Instagram account, whatever a later channel names it), unique per
 * (organization, channel, account, external id). The two Meta tables are folded into it, and
 * stay readable under their old names as views.
 */
export class ContactIdentities1795600000000 implements MigrationInterface {
  name = 'ContactIdentities1795600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "contact_identities" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "organization_id" uuid NOT NULL,
        "contact_id" uuid NOT NULL,
        "channel" "public"."message_channel" NOT NULL,
        "account_id" text NOT NULL,
        "external_id" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_contact_identities" PRIMARY KEY ("id"),
        CONSTRAINT "uq_contact_identities_org_channel_account_external" UNIQUE ("organization_id", "channel", "account_id", "external_id"),
        CONSTRAINT "fk_contact_identities_contact_org" FOREIGN KEY ("contact_id", "organization_id") REFERENCES "contacts"("id", "organization_id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "ix_contact_identities_contact" ON "contact_identities" ("contact_id")`);
    await queryRunner.query(`
      INSERT INTO contact_identities (id, organization_id, contact_id, channel, account_id, external_id, created_at)
      SELECT id, organization_id, contact_id, 'facebook_messenger'::message_channel, page_id, psid, created_at FROM contact_facebook
      UNION ALL
      SELECT id, organization_id, contact_id, 'instagram_dm'::message_channel, ig_account_id, igsid, created_at FROM contact_instagram`);
    await queryRunner.query(`DROP TABLE "contact_facebook"`);
    await queryRunner.query(`DROP TABLE "contact_instagram"`);
    await queryRunner.query(`
      CREATE VIEW "contact_facebook" AS
      SELECT id, organization_id, contact_id, account_id AS page_id, external_id AS psid, created_at
      FROM contact_identities WHERE channel = 'facebook_messenger'`);
    await queryRunner.query(`
      CREATE VIEW "contact_instagram" AS
      SELECT id, organization_id, contact_id, account_id AS ig_account_id, external_id AS igsid, created_at
      FROM contact_identities WHERE channel = 'instagram_dm'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW "contact_facebook"`);
    await queryRunner.query(`DROP VIEW "contact_instagram"`);
    for (const [table, account, external, unique, fk, channel] of [
      ['contact_facebook', 'page_id', 'psid', 'uq_contact_facebook_org_page_psid', 'fk_contact_facebook_contact_org', 'facebook_messenger'],
      ['contact_instagram', 'ig_account_id', 'igsid', 'uq_contact_instagram_org_account_igsid', 'fk_contact_instagram_contact_org', 'instagram_dm'],
    ]) {
      await queryRunner.query(`
        CREATE TABLE "${table}" (
          "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
          "organization_id" uuid NOT NULL,
          "contact_id" uuid NOT NULL,
          "${account}" text NOT NULL,
          "${external}" text NOT NULL,
          "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
          CONSTRAINT "${unique}" UNIQUE ("organization_id", "${account}", "${external}"),
          CONSTRAINT "${fk}" FOREIGN KEY ("contact_id", "organization_id") REFERENCES "contacts"("id", "organization_id") ON DELETE CASCADE
        )`);
      await queryRunner.query(`CREATE INDEX "ix_${table}_contact" ON "${table}" ("contact_id")`);
      await queryRunner.query(
        `INSERT INTO "${table}" (id, organization_id, contact_id, "${account}", "${external}", created_at)
         SELECT id, organization_id, contact_id, account_id, external_id, created_at FROM contact_identities WHERE channel = '${channel}'`,
      );
    }
    await queryRunner.query(`DROP TABLE "contact_identities"`);
  }
}
