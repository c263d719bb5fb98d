import { MigrationInterface, QueryRunner } from 'typeorm';

/** Running instances and their job workers, so live instances can free a dead one's jobs. */
export class JobInstances1795300400000 implements MigrationInterface {
  name = 'JobInstances1795300400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "job_instances" ("instance_id" uuid PRIMARY KEY, "lock_key" integer NOT NULL, "worker_ids" text[] NOT NULL DEFAULT '{}', "started_at" timestamptz NOT NULL DEFAULT now())`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "job_instances"`);
  }
}
