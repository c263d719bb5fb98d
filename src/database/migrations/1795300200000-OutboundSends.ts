import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound sends: remembered Idempotency-Keys (the first answer per organization and key) and
 * the per-Page send pacing shared by every worker and instance (Meta's per-Page rate limits).
 */
export class OutboundSends1795300200000 implements MigrationInterface {
  name = 'OutboundSends1795300200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "idempotency_keys" (
      "organization_id" uuid NOT NULL,
      "key" text NOT NULL,
      "request_hash" text NOT NULL,
      "status_code" integer,
      "response" jsonb,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "pk_idempotency_keys" PRIMARY KEY ("organization_id", "key"),
      CONSTRAINT "fk_idempotency_keys_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE)`);
    await queryRunner.query(`CREATE INDEX "ix_idempotency_keys_org_created" ON "idempotency_keys" ("organization_id", "created_at")`);
    // One row per Page and lane (standard: text, images, files, reactions, actions; media: audio
    // and video). next_at is the earliest time the next call may go; slow_until widens the spacing
    // after Meta answered with a rate-limit error.
    await queryRunner.query(`CREATE TABLE "meta_send_pacing" (
      "page_id" text NOT NULL,
      "lane" text NOT NULL,
      "next_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "slot_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "slow_until" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "pk_meta_send_pacing" PRIMARY KEY ("page_id", "lane"))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "meta_send_pacing"`);
    await queryRunner.query(`DROP INDEX "ix_idempotency_keys_org_created"`);
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
