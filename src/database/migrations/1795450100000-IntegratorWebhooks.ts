import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Integrator endpoints (secrets encrypted; the previous one kept signing until it expires) and
 * one delivery row per (event, endpoint), with its attempts and the last answer.
 */
export class IntegratorWebhooks1795450100000 implements MigrationInterface {
  name = 'IntegratorWebhooks1795450100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "webhook_endpoints" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "organization_id" uuid NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
      "url" text NOT NULL,
      "events" text[] NOT NULL,
      "description" text,
      "enabled" boolean NOT NULL DEFAULT true,
      "secret" text NOT NULL,
      "previous_secret" text,
      "previous_secret_expires_at" timestamptz,
      "failing_since" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_endpoints_org" ON "webhook_endpoints" ("organization_id", "created_at")`);
    await queryRunner.query(`CREATE TYPE "webhook_delivery_status" AS ENUM ('pending', 'succeeded', 'failed')`);
    await queryRunner.query(`CREATE TABLE "webhook_deliveries" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "organization_id" uuid NOT NULL,
      "endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE,
      "event_id" uuid NOT NULL REFERENCES "domain_events"("id") ON DELETE CASCADE,
      "event_type" text NOT NULL,
      "status" "webhook_delivery_status" NOT NULL DEFAULT 'pending',
      "attempts" integer NOT NULL DEFAULT 0,
      "response_status" integer,
      "error" text,
      "last_attempt_at" timestamptz,
      "next_attempt_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "uq_webhook_deliveries_event_endpoint" UNIQUE ("event_id", "endpoint_id")
    )`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_endpoint" ON "webhook_deliveries" ("endpoint_id", "created_at" DESC, "id" DESC)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TYPE "webhook_delivery_status"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
  }
}
