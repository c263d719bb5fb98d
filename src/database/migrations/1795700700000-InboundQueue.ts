import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbound work (a conversation's events, a post's comment changes, from one delivery) is a row of
 * `inbound_queue` instead of a graphile-worker job: rows of one `lane` (a conversation, a post)
 * apply in `id` order, a lane whose first live row failed waits for that row's retry, and a row
 * out of attempts is set aside (`dead`) for an operator and its lane goes on. Two partial indexes
 * serve the claim: a lane's live rows in order (is this row its lane's first?), and the lanes
 * waiting for a retry.
 *
 * Inbound jobs an earlier version left behind become rows, in their queues' order, with their
 * attempts, errors and retry times (a job parked behind a failed one, never tried itself, is due
 * at once: its lane keeps it behind), in the lane the webhook now gives their conversation or
 * post; the jobs and their queues' holds go. graphile-worker makes its schema when the service first
 * starts, so on a new database there is nothing to move.
 */
export class InboundQueue1795700700000 implements MigrationInterface {
  name = 'InboundQueue1795700700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "inbound_queue" (
        "id" bigserial PRIMARY KEY,
        "kind" text NOT NULL,
        "lane" text NOT NULL,
        "payload" json NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "max_attempts" integer NOT NULL,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "last_error" text,
        "dead" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now()
      ) WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01)`);
    await queryRunner.query(`CREATE INDEX "ix_inbound_queue_lane" ON "inbound_queue" ("lane", "id") WHERE NOT dead`);
    await queryRunner.query(`CREATE INDEX "ix_inbound_queue_retrying" ON "inbound_queue" ("lane") WHERE attempts > 0 AND NOT dead`);
    await queryRunner.query(`
      DO $$
      BEGIN
        IF to_regclass('graphile_worker._private_jobs') IS NULL THEN RETURN; END IF;
        INSERT INTO inbound_queue (kind, lane, payload, attempts, max_attempts, next_attempt_at, last_error, dead, created_at)
        SELECT t.identifier,
          CASE t.identifier
            WHEN 'meta.inbound.events' THEN 'meta:inbound:' || (j.payload->>'accountId') || ':' || coalesce(
              CASE WHEN j.payload->'events'->0->'event'->'sender'->>'id' = j.payload->>'accountId'
                THEN j.payload->'events'->0->'event'->'recipient'->>'id'
                ELSE j.payload->'events'->0->'event'->'sender'->>'id' END, 'unknown')
            ELSE 'meta:comments:' || (j.payload->>'accountId') || ':' || coalesce(
              c.value->>'post_id', c.value->'media'->>'id', c.value->>'media_id', c.value->>'comment_id', c.value->>'id', 'unknown')
          END,
          (j.payload::jsonb - 'orderSeq')::json, j.attempts, j.max_attempts,
          -- A job not yet tried waits only for its place in the lane: a parked one's run_at was a backstop.
          CASE WHEN j.attempts = 0 THEN least(j.run_at, now()) ELSE j.run_at END,
          j.last_error, j.attempts >= j.max_attempts, j.created_at
        FROM graphile_worker._private_jobs j
        JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        CROSS JOIN LATERAL (SELECT j.payload->'changes'->0->'change'->'value' AS value) c
        WHERE t.identifier IN ('meta.inbound.events', 'meta.inbound.comments')
        ORDER BY j.job_queue_id, coalesce((j.payload->>'orderSeq')::bigint, j.id);
        DELETE FROM job_queue_holds h USING graphile_worker._private_jobs j, graphile_worker._private_tasks t
        WHERE j.id = h.job_id AND t.id = j.task_id AND t.identifier IN ('meta.inbound.events', 'meta.inbound.comments');
        DELETE FROM graphile_worker._private_jobs j USING graphile_worker._private_tasks t
        WHERE t.id = j.task_id AND t.identifier IN ('meta.inbound.events', 'meta.inbound.comments');
      END $$`);
  }

  /** Rows go back to being jobs, a lane a named queue of its own, in order, with their attempts and errors. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      DECLARE r record; job graphile_worker.jobs;
      BEGIN
        IF to_regclass('graphile_worker._private_jobs') IS NULL THEN RETURN; END IF;
        FOR r IN SELECT * FROM inbound_queue ORDER BY id LOOP
          job := graphile_worker.add_job(r.kind, r.payload, queue_name => r.lane, run_at => r.next_attempt_at, max_attempts => r.max_attempts);
          UPDATE graphile_worker._private_jobs SET attempts = r.attempts, last_error = r.last_error WHERE id = job.id;
        END LOOP;
      END $$`);
    await queryRunner.query(`DROP TABLE "inbound_queue"`);
  }
}
