import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay now numbers a batch, tells the other instances of it and marks it announced in one
 * statement, so no row is ever relayed and not announced: the index of unannounced rows goes.
 * Rows an earlier version relayed but never announced (its instance died between the two steps)
 * are settled as the relay now leaves a batch: socket-only rows gone, log events announced
 * without their socket part. Their socket events are not sent any more: the sockets that were
 * open then are long gone, and the log events stay readable at `GET /api/events`.
 */
export class RelayAnnouncesAtOnce1795700400000 implements MigrationInterface {
  name = 'RelayAnnouncesAtOnce1795700400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM domain_events WHERE relayed_at IS NOT NULL AND announced_at IS NULL AND type IS NULL`);
    await queryRunner.query(`UPDATE domain_events SET announced_at = relayed_at, realtime = '[]' WHERE relayed_at IS NOT NULL AND announced_at IS NULL`);
    await queryRunner.query(`DROP INDEX IF EXISTS "ix_domain_events_unannounced"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_domain_events_unannounced" ON "domain_events" ("position") WHERE "announced_at" IS NULL`);
  }
}
