import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A hold of a job parked behind an earlier holder of its queue's line: it runs when that one lets
 * go (the release wakes it), not at every time the earlier one is put back.
 */
export class ParkedQueueHolds1795700000000 implements MigrationInterface {
  name = 'ParkedQueueHolds1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_queue_holds" ADD COLUMN "parked" boolean NOT NULL DEFAULT false`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_queue_holds" DROP COLUMN "parked"`);
  }
}
