import { MigrationInterface, QueryRunner } from 'typeorm';

/** A heartbeat per instance, written through its job pool, so losing one connection is not death. */
export class InstanceHeartbeat1795410000200 implements MigrationInterface {
  name = 'InstanceHeartbeat1795410000200';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_instances" ADD "heartbeat_at" timestamptz NOT NULL DEFAULT now()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_instances" DROP COLUMN "heartbeat_at"`);
  }
}
