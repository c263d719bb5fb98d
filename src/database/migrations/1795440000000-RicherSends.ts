import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quick replies and buttons kept on the record as they were sent, and the reusable attachment ids
 * Meta hands out per (Page, platform, stored file) so a file is fetched by Meta once, not per send.
 */
export class RicherSends1795440000000 implements MigrationInterface {
  name = 'RicherSends1795440000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "quick_replies" jsonb, ADD "buttons" jsonb`);
    await queryRunner.query(
      `CREATE TABLE "meta_reusable_attachments" (
         "page_id" text NOT NULL,
         "platform" text NOT NULL,
         "storage_key" text NOT NULL,
         "attachment_id" text NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT "pk_meta_reusable_attachments" PRIMARY KEY ("page_id", "platform", "storage_key")
       )`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "meta_reusable_attachments"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "buttons", DROP COLUMN "quick_replies"`);
  }
}
