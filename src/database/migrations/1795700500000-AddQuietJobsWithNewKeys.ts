import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `add_quiet_jobs_with_new_keys`: `add_quiet_jobs` for jobs that carry a job key no job has yet
 * (a key made from a row the same statement made, say), in the array's order, without a
 * `NOTIFY "jobs:insert"`. A key some job already has adds nothing (graphile-worker's `add_jobs`
 * would replace that job): it is for keys that are new by construction, so that a later
 * `add_job` with the key (a manual retry) replaces the job as graphile-worker does. The relay adds
 * the integrator delivery jobs of a batch with it: `add_jobs` did more (it clears the key of
 * locked jobs with the same keys, returns every row) and told every listening worker pool of
 * every instance, which then fetched; the relaying instance wakes its own delivery workers, and
 * the others find the jobs when they poll. Answers how many jobs it added.
 */
export class AddQuietJobsWithNewKeys1795700500000 implements MigrationInterface {
  name = 'AddQuietJobsWithNewKeys1795700500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION add_quiet_jobs_with_new_keys(specs json, default_run_at timestamptz DEFAULT now())
      RETURNS int LANGUAGE plpgsql AS $$
      DECLARE
        added int;
      BEGIN
        IF EXISTS (SELECT 1 FROM json_populate_recordset(NULL::graphile_worker.job_spec, specs) s WHERE s.job_key IS NULL OR s.flags IS NOT NULL) THEN
          RAISE EXCEPTION 'add_quiet_jobs_with_new_keys adds jobs with a key and no flags only';
        END IF;
        INSERT INTO graphile_worker._private_tasks (identifier)
        SELECT DISTINCT s.identifier FROM json_populate_recordset(NULL::graphile_worker.job_spec, specs) s
        ON CONFLICT DO NOTHING;
        INSERT INTO graphile_worker._private_job_queues (queue_name)
        SELECT DISTINCT s.queue_name FROM json_populate_recordset(NULL::graphile_worker.job_spec, specs) s WHERE s.queue_name IS NOT NULL
        ON CONFLICT DO NOTHING;
        INSERT INTO graphile_worker._private_jobs (job_queue_id, task_id, payload, run_at, max_attempts, priority, key)
        SELECT q.id, t.id, coalesce(s.payload, '{}'::json), coalesce(s.run_at, default_run_at), coalesce(s.max_attempts, 25), coalesce(s.priority, 0), s.job_key
        FROM ROWS FROM (json_populate_recordset(NULL::graphile_worker.job_spec, specs)) WITH ORDINALITY
          AS s(identifier, payload, queue_name, run_at, max_attempts, job_key, priority, flags, n)
        JOIN graphile_worker._private_tasks t ON t.identifier = s.identifier
        LEFT JOIN graphile_worker._private_job_queues q ON q.queue_name = s.queue_name
        ORDER BY s.n
        ON CONFLICT (key) DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        RETURN added;
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION add_quiet_jobs_with_new_keys(json, timestamptz)`);
  }
}
