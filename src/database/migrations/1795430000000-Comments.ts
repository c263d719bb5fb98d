import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Comments on Page posts and Instagram media, our public replies to them, private replies as
 * messages that may wait for a conversation, and story mentions kept at Meta.
 */
export class Comments1795430000000 implements MigrationInterface {
  name = 'Comments1795430000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "comments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        "organization_id" uuid NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
        "channel" "public"."message_channel" NOT NULL,
        "account_id" text NOT NULL,
        "external_id" text NOT NULL,
        "post_id" text,
        "parent_external_id" text,
        "text" text,
        "author_external_id" text,
        "author_name" text,
        "author_username" text,
        "from_page" boolean NOT NULL DEFAULT false,
        "commented_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "hidden" boolean NOT NULL DEFAULT false,
        "hidden_changed_at" TIMESTAMP WITH TIME ZONE,
        "edited_at" TIMESTAMP WITH TIME ZONE,
        "deleted_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "uq_comments_channel_external_id" UNIQUE ("channel", "external_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_comments_org_time" ON "comments" ("organization_id", "commented_at", "id")`);
    await queryRunner.query(
      `CREATE TABLE "comment_replies" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "comment_id" uuid NOT NULL REFERENCES "comments"("id") ON DELETE CASCADE,
        "channel" "public"."message_channel" NOT NULL,
        "external_id" text NOT NULL,
        "text" text,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "uq_comment_replies_channel_external_id" UNIQUE ("channel", "external_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_comment_replies_comment" ON "comment_replies" ("comment_id", "created_at")`);
    // A private reply is sent before Meta names the commenter's Page-scoped id, so its record
    // waits without a conversation until Meta answers.
    await queryRunner.query(`ALTER TABLE "messages" ALTER COLUMN "conversation_id" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "messages" ADD COLUMN "private_reply_to_comment" text`);
    // Meta takes one private reply per comment; a failed attempt does not count.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_messages_private_reply" ON "messages" ("channel", "private_reply_to_comment") WHERE "private_reply_to_comment" IS NOT NULL AND "status" <> 'failed'`,
    );
    await queryRunner.query(`ALTER TYPE "public"."attachment_status" ADD VALUE IF NOT EXISTS 'remote'`);
    await queryRunner.query(`ALTER TABLE "attachments" ADD COLUMN "expires_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "attachments" DROP COLUMN "expires_at"`);
    await queryRunner.query(`DROP INDEX "uq_messages_private_reply"`);
    await queryRunner.query(`DELETE FROM "messages" WHERE "conversation_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "private_reply_to_comment"`);
    await queryRunner.query(`ALTER TABLE "messages" ALTER COLUMN "conversation_id" SET NOT NULL`);
    await queryRunner.query(`DROP TABLE "comment_replies"`);
    await queryRunner.query(`DROP TABLE "comments"`);
    // Postgres cannot drop an enum value; 'remote' stays unused.
  }
}
