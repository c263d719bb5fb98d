import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { generateToken, hashToken } from '../security/tokens';
import { ApiKey } from './api-key.entity';

@Injectable()
export class ApiKeyService {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  /** Issues a key; the plaintext is returned here once and never stored. */
  async issue(organizationId: string, manager: EntityManager = this.keys.manager): Promise<string> {
    const key = generateToken('mi_live');
    await manager.insert(ApiKey, { organizationId, keyHash: hashToken(key), prefix: key.slice(0, 12) });
    return key;
  }

  async organizationFor(key: string): Promise<string | undefined> {
    const found = await this.keys.findOne({ where: { keyHash: hashToken(key) }, select: { organizationId: true } });
    return found?.organizationId;
  }
}
