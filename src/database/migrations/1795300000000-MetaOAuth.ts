import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Facebook Login bookkeeping: single-use OAuth states (kept only as hashes) and the Pages
 * held for a choice when a login grants several (Page tokens encrypted, short-lived).
 */
export class MetaOAuth1795300000000 implements MigrationInterface {
  name = 'MetaOAuth1795300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "meta_oauth_states" ("state_hash" text NOT NULL, "organization_id" uuid NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_meta_oauth_states" PRIMARY KEY ("state_hash"), CONSTRAINT "fk_meta_oauth_states_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(`CREATE INDEX "ix_meta_oauth_states_expires_at" ON "meta_oauth_states" ("expires_at")`);
    await queryRunner.query(
      `CREATE TABLE "meta_pending_pages" ("organization_id" uuid NOT NULL, "page_id" text NOT NULL, "page_name" text, "page_access_token" text NOT NULL, "instagram_account_id" text, "instagram_username" text, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_meta_pending_pages" PRIMARY KEY ("organization_id", "page_id"), CONSTRAINT "fk_meta_pending_pages_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "meta_pending_pages"`);
    await queryRunner.query(`DROP TABLE "meta_oauth_states"`);
  }
}
