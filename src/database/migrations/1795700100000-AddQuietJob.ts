import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `add_quiet_job`: graphile-worker's `add_job` for a plain job (no key, flags or priority)
 * without its `NOTIFY "jobs:insert"`. Every listening worker pool wakes a worker to fetch on
 * that notification, whatever the job's kind or run_at: the inbound workers fetched in vain for
 * each send and each job put back for later. Jobs of the worker groups that are woken by whoever
 * adds their jobs (`JobNudges`), and jobs put back to run later (woken when due), are added
 * with this instead. Answers the job's id.
 */
export class AddQuietJob1795700100000 implements MigrationInterface {
  name = 'AddQuietJob1795700100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION add_quiet_job(identifier text, payload json, queue_name text, run_at timestamptz DEFAULT NULL, max_attempts int DEFAULT NULL)
      RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        job_id bigint;
      BEGIN
        INSERT INTO graphile_worker._private_tasks (identifier) VALUES (add_quiet_job.identifier) ON CONFLICT DO NOTHING;
        IF add_quiet_job.queue_name IS NOT NULL THEN
          INSERT INTO graphile_worker._private_job_queues (queue_name) VALUES (add_quiet_job.queue_name) ON CONFLICT DO NOTHING;
        END IF;
        INSERT INTO graphile_worker._private_jobs (job_queue_id, task_id, payload, run_at, max_attempts)
        SELECT q.id, t.id, coalesce(add_quiet_job.payload, '{}'::json), coalesce(add_quiet_job.run_at, now()), coalesce(add_quiet_job.max_attempts, 25)::smallint
        FROM graphile_worker._private_tasks t
        LEFT JOIN graphile_worker._private_job_queues q ON q.queue_name = add_quiet_job.queue_name
        WHERE t.identifier = add_quiet_job.identifier
        RETURNING id INTO job_id;
        RETURN job_id;
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION add_quiet_job(text, json, text, timestamptz, int)`);
  }
}
