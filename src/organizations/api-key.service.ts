import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { EntityManager, In, Repository } from 'typeorm';
import { notFound } from '../common/domain-error';
import { BatchedReads } from '../jobs/batched-reads';
import { generateToken, hashToken } from '../security/tokens';
import { ApiKey } from './api-key.entity';
import { Organization } from './organization.entity';

/** How often `lastUsedAt` is refreshed for a key in use: a write per minute, not per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The most keys one lookup statement carries. */
const KEYS_PER_LOOKUP = 100;

/** A key's row, as the lookup reads it. */
interface KeyRow {
  id: string;
  organization_id: string;
  last_used_at: Date | null;
  key_hash: string;
}

export interface IssuedApiKey {
  id: string;
  apiKey: string;
  createdAt: Date;
}

export interface ApiKeyView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** The key a bearer token is, when it is one that still exists. */
export interface AuthenticatedApiKey {
  keyId: string;
  organizationId: string;
}

@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger('ApiKeys');
  /**
   * The keys of requests that arrive while a lookup is in flight are looked up together in the
   * next statement (`BatchedReads`): every request still reads after it arrived, so a key revoked
   * before it is never found.
   */
  private readonly lookups = new BatchedReads<string, KeyRow>({
    maxItems: KEYS_PER_LOOKUP,
    read: async (hashes) => {
      const rows: KeyRow[] = await this.keys.manager.query(
        'SELECT id, organization_id, last_used_at, key_hash FROM api_keys WHERE key_hash = ANY($1::text[])',
        [[...new Set(hashes)]],
      );
      const byHash = new Map(rows.map((row) => [row.key_hash, row]));
      return hashes.map((hash) => byHash.get(hash));
    },
  });

  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  /** Issues a key; the plaintext is returned here once and never stored. */
  async issue(organizationId: string, manager: EntityManager = this.keys.manager): Promise<string> {
    return (await this.insert(organizationId, manager)).apiKey;
  }

  /** Another key for an existing organization (admin). */
  async issueFor(organizationId: string): Promise<IssuedApiKey> {
    return this.keys.manager.transaction(async (manager) => {
      await this.requireOrganization(organizationId, manager);
      return this.insert(organizationId, manager);
    });
  }

  /** An organization's keys, oldest first, never the keys themselves (admin). */
  async list(organizationId: string): Promise<{ data: ApiKeyView[] }> {
    await this.requireOrganization(organizationId, this.keys.manager);
    const rows = await this.keys.find({ where: { organizationId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return { data: rows.map(({ id, createdAt, lastUsedAt }) => ({ id, createdAt, lastUsedAt })) };
  }

  /** Deletes a key: every request with it is refused from now on (admin). */
  async revoke(organizationId: string, keyId: string): Promise<void> {
    await this.requireOrganization(organizationId, this.keys.manager);
    const result = isUUID(keyId) ? await this.keys.delete({ id: keyId, organizationId }) : { affected: 0 };
    if (!result.affected) throw notFound('API key');
  }

  async organizationFor(key: string): Promise<string | undefined> {
    return (await this.authenticate(key))?.organizationId;
  }

  /** Looks the key up by its hash and notes its use. */
  async authenticate(key: string): Promise<AuthenticatedApiKey | undefined> {
    const found = await this.lookups.read(hashToken(key));
    if (!found) return undefined;
    if (!found.last_used_at || Date.now() - found.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.keys.update({ id: found.id }, { lastUsedAt: new Date() }).catch((error: Error) => this.logger.warn(`last use of key ${found.id} not noted: ${error.message}`));
    }
    return { keyId: found.id, organizationId: found.organization_id };
  }

  /** Which of these keys still exist (a revoked key is gone). */
  async existing(keyIds: string[]): Promise<Set<string>> {
    if (keyIds.length === 0) return new Set();
    const rows = await this.keys.find({ where: { id: In(keyIds) }, select: { id: true } });
    return new Set(rows.map((row) => row.id));
  }

  private async insert(organizationId: string, manager: EntityManager): Promise<IssuedApiKey> {
    const apiKey = generateToken('mi_live');
    const saved = await manager.save(manager.create(ApiKey, { organizationId, keyHash: hashToken(apiKey), prefix: apiKey.slice(0, 12) }));
    return { id: saved.id, apiKey, createdAt: saved.createdAt };
  }

  private async requireOrganization(organizationId: string, manager: EntityManager): Promise<void> {
    const exists = isUUID(organizationId) && (await manager.exists(Organization, { where: { id: organizationId } }));
    if (!exists) throw notFound('Organization');
  }
}
