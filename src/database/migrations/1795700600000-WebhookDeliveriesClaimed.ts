import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Integrator deliveries are claimed from their own rows instead of running as a graphile-worker
 * job each: `claimed_until` holds a delivery for the instance attempting it (a claim whose
 * instance died runs out and the delivery goes again), `manual` marks an attempt a person asked
 * for (it goes even to a disabled endpoint), and two partial indexes serve the claim: an
 * endpoint's due deliveries, and the deliveries held now (an endpoint's open requests).
 *
 * Delivery jobs an earlier version left behind are dropped: every pending delivery already has
 * its next attempt's time in its row, and one a person asked to retry keeps that as `manual`.
 * graphile-worker makes its schema when the service first starts, so on a new database there is
 * nothing to drop.
 */
export class WebhookDeliveriesClaimed1795700600000 implements MigrationInterface {
  name = 'WebhookDeliveriesClaimed1795700600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD "claimed_until" timestamptz, ADD "manual" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries" ("endpoint_id", "next_attempt_at") WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_claimed" ON "webhook_deliveries" ("endpoint_id", "claimed_until") WHERE claimed_until IS NOT NULL`);
    await queryRunner.query(`
      DO $$
      BEGIN
        IF to_regclass('graphile_worker._private_jobs') IS NULL THEN RETURN; END IF;
        UPDATE webhook_deliveries d SET manual = true, status = 'pending', next_attempt_at = least(d.next_attempt_at, j.run_at)
        FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'webhooks.deliver' AND (j.payload->>'manual')::boolean AND d.id = (j.payload->>'deliveryId')::uuid;
        DELETE FROM graphile_worker._private_jobs j USING graphile_worker._private_tasks t
        WHERE t.id = j.task_id AND t.identifier = 'webhooks.deliver';
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_webhook_deliveries_claimed"`);
    await queryRunner.query(`DROP INDEX "ix_webhook_deliveries_due"`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP COLUMN "manual", DROP COLUMN "claimed_until"`);
  }
}
