import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, DomainErrorCode } from '../../common/domain-error';

/** How long a key is remembered: a client retrying later than this sends again. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/** How often an organization's expired keys are cleared (by the instance claiming one of its keys). */
const SWEEP_INTERVAL_MS = 10 * 60_000;
const MAX_SWEEPS_REMEMBERED = 10_000;

export const IDEMPOTENCY_KEY_REUSED =
  'This Idempotency-Key was already used for a different request. Use a new key for a new message.';

export interface StoredAnswer {
  statusCode: number;
  body: unknown;
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * `Idempotency-Key` per organization: the first request's answer is stored in the same
 * transaction as what it created, so a retry gets that answer and nothing is sent twice.
 * A second request with the key waits on the first one's row lock (unique key), never races.
 */
@Injectable()
export class IdempotencyService {
  /** When this instance last cleared each organization's expired keys. */
  private readonly sweptAt = new Map<string, number>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The answer already given for the key (committed), without claiming it. */
  async peek(organizationId: string, key: string, hash: string): Promise<StoredAnswer | null> {
    const [row] = await this.dataSource.query(
      `SELECT request_hash, status_code, response FROM idempotency_keys
       WHERE organization_id = $1 AND key = $2 AND created_at >= now() - make_interval(hours => $3)`,
      [organizationId, key, IDEMPOTENCY_TTL_HOURS],
    );
    return row ? this.answerOf(row, hash) : null;
  }

  /**
   * Claims the key inside `manager`'s transaction; returns the earlier answer if it was used.
   * An expired use of the key is taken over in the same statement; the organization's other
   * expired keys are cleared now and then, not on every claim.
   */
  async claim(manager: EntityManager, organizationId: string, key: string, hash: string): Promise<StoredAnswer | null> {
    if (this.sweepDue(organizationId)) {
      await manager.query(
        `DELETE FROM idempotency_keys WHERE organization_id = $1 AND created_at < now() - make_interval(hours => $2)`,
        [organizationId, IDEMPOTENCY_TTL_HOURS],
      );
    }
    const claimed = await manager.query(
      `INSERT INTO idempotency_keys (organization_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (organization_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status_code = NULL, response = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - make_interval(hours => $4)
       RETURNING key`,
      [organizationId, key, hash, IDEMPOTENCY_TTL_HOURS],
    );
    if (claimed.length > 0) return null;
    const [row] = await manager.query(
      `SELECT request_hash, status_code, response FROM idempotency_keys WHERE organization_id = $1 AND key = $2`,
      [organizationId, key],
    );
    return this.answerOf(row, hash);
  }

  /** True at most once per SWEEP_INTERVAL_MS for an organization on this instance. */
  private sweepDue(organizationId: string): boolean {
    const now = Date.now();
    if ((this.sweptAt.get(organizationId) ?? 0) > now - SWEEP_INTERVAL_MS) return false;
    if (this.sweptAt.size >= MAX_SWEEPS_REMEMBERED) this.sweptAt.clear();
    this.sweptAt.set(organizationId, now);
    return true;
  }

  private answerOf(row: { request_hash: string; status_code: number; response: unknown }, hash: string): StoredAnswer {
    if (row.request_hash !== hash) throw new DomainError(DomainErrorCode.UnprocessableRequest, IDEMPOTENCY_KEY_REUSED);
    return { statusCode: row.status_code, body: row.response };
  }

  /** Stores (or replaces, after `?wait=true`) the answer given for the key. */
  async record(manager: EntityManager, organizationId: string, key: string, answer: StoredAnswer): Promise<void> {
    await manager.query(`UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE organization_id = $1 AND key = $2`, [
      organizationId,
      key,
      answer.statusCode,
      JSON.stringify(answer.body),
    ]);
  }
}
