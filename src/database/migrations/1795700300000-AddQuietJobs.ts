import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `add_quiet_jobs`: graphile-worker's `add_jobs` for plain jobs (no key or flags), from a JSON
 * array of `job_spec`s, in the array's order, without its `NOTIFY "jobs:insert"`. The webhook's
 * group commit adds its jobs with it and wakes this instance's inbound workers itself once they
 * are committed: every NOTIFY was heard by every listening worker pool of every instance, and the
 * transactions that NOTIFY commit one at a time (PostgreSQL holds a lock on the notification
 * queue through each commit). Other instances find the jobs by polling. Answers how many jobs it
 * added. The graphile-worker names resolve when it runs, so it can be made before that schema.
 */
export class AddQuietJobs1795700300000 implements MigrationInterface {
  name = 'AddQuietJobs1795700300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION add_quiet_jobs(specs json, default_run_at timestamptz DEFAULT now())
      RETURNS int LANGUAGE plpgsql AS $$
      DECLARE
        added int;
      BEGIN
        IF EXISTS (SELECT 1 FROM json_populate_recordset(NULL::graphile_worker.job_spec, specs) s WHERE s.job_key IS NOT NULL OR s.flags IS NOT NULL) THEN
          RAISE EXCEPTION 'add_quiet_jobs adds plain jobs only: no job key or flags';
        END IF;
        INSERT INTO graphile_worker._private_tasks (identifier)
        SELECT DISTINCT s.identifier FROM json_populate_recordset(NULL::graphile_worker.job_spec, specs) s
        ON CONFLICT DO NOTHING;
        INSERT INTO graphile_worker._private_job_queues (queue_name)
        SELECT DISTINCT s.queue_name FROM json_populate_recordset(NULL::graphile_worker.job_spec, specs) s WHERE s.queue_name IS NOT NULL
        ON CONFLICT DO NOTHING;
        INSERT INTO graphile_worker._private_jobs (job_queue_id, task_id, payload, run_at, max_attempts, priority)
        SELECT q.id, t.id, coalesce(s.payload, '{}'::json), coalesce(s.run_at, default_run_at), coalesce(s.max_attempts, 25), coalesce(s.priority, 0)
        FROM ROWS FROM (json_populate_recordset(NULL::graphile_worker.job_spec, specs)) WITH ORDINALITY
          AS s(identifier, payload, queue_name, run_at, max_attempts, job_key, priority, flags, n)
        JOIN graphile_worker._private_tasks t ON t.identifier = s.identifier
        LEFT JOIN graphile_worker._private_job_queues q ON q.queue_name = s.queue_name
        ORDER BY s.n;
        GET DIAGNOSTICS added = ROW_COUNT;
        RETURN added;
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION add_quiet_jobs(json, timestamptz)`);
  }
}
