import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs that failed and wait for their retry, per named queue: later jobs of that queue wait behind
 * them (graphile-worker unlocks a queue when its job fails). `seq` is the holder's place in line.
 */
export class OrderedQueues1795440100000 implements MigrationInterface {
  name = 'OrderedQueues1795440100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "job_queue_holds" ("job_id" bigint PRIMARY KEY, "job_queue_id" integer NOT NULL, "seq" bigint NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(`CREATE INDEX "ix_job_queue_holds_queue_seq" ON "job_queue_holds" ("job_queue_id", "seq")`);
    await queryRunner.query(
      `CREATE TABLE "held_message_changes" (
         "id" bigserial PRIMARY KEY,
         "organization_id" uuid NOT NULL,
         "channel" "message_channel" NOT NULL,
         "external_id" text NOT NULL,
         "change" jsonb NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await queryRunner.query(`CREATE INDEX "ix_held_message_changes_message" ON "held_message_changes" ("organization_id", "channel", "external_id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "held_message_changes"`);
    await queryRunner.query(`DROP TABLE "job_queue_holds"`);
  }
}
