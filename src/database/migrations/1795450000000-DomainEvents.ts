import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox: every event written in the transaction of the change it describes. A relay numbers
 * each organization's log events (`sequence`, in the order it relays them) and delivers them; rows
 * without a `type` only carry socket events and go once announced.
 */
export class DomainEvents1795450000000 implements MigrationInterface {
  name = 'DomainEvents1795450000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "domain_events" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "position" bigserial NOT NULL,
      "organization_id" uuid NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
      "sequence" bigint,
      "type" text,
      "data" jsonb,
      "realtime" jsonb NOT NULL DEFAULT '[]',
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "relayed_at" timestamptz,
      "announced_at" timestamptz
    )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_domain_events_org_sequence" ON "domain_events" ("organization_id", "sequence") WHERE "sequence" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "ix_domain_events_unrelayed" ON "domain_events" ("position") WHERE "relayed_at" IS NULL`);
    await queryRunner.query(`CREATE INDEX "ix_domain_events_unannounced" ON "domain_events" ("position") WHERE "announced_at" IS NULL`);
    await queryRunner.query(`CREATE INDEX "ix_domain_events_created_at" ON "domain_events" ("created_at")`);
    await queryRunner.query(`CREATE TABLE "domain_event_sequences" (
      "organization_id" uuid PRIMARY KEY REFERENCES "organizations"("id") ON DELETE CASCADE,
      "last_sequence" bigint NOT NULL,
      "last_event_id" uuid NOT NULL,
      "last_event_type" text NOT NULL
    )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "domain_event_sequences"`);
    await queryRunner.query(`DROP TABLE "domain_events"`);
  }
}
