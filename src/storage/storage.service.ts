import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { safeEqual } from '../security/tokens';
import { EncryptionService } from '../security/encryption.service';
import { STORAGE_DRIVER, StorageDriver, StoredObject } from './storage-driver';

/**
 * Attachment files and the signed `PUBLIC_URL/files/:key?expires&signature` links through
 * which Meta and the inbox fetch them.
 */
@Injectable()
export class StorageService {
  private readonly signingKey: Buffer;

  constructor(
    @Inject(STORAGE_DRIVER) private readonly driver: StorageDriver,
    private readonly config: AppConfig,
    encryption: EncryptionService,
  ) {
    this.signingKey = encryption.deriveKey('file-urls');
  }

  /** Stores bytes under a new random key and returns it. */
  async store(body: Buffer, contentType: string): Promise<string> {
    const key = randomUUID();
    await this.driver.put(key, body, contentType);
    return key;
  }

  open(key: string): Promise<StoredObject | undefined> {
    return this.driver.open(key);
  }

  delete(key: string): Promise<void> {
    return this.driver.delete(key);
  }

  signedUrl(key: string, ttlSeconds = this.config.fileUrlTtlSeconds, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + ttlSeconds;
    return `${this.config.publicUrl}/files/${encodeURIComponent(key)}?expires=${expires}&signature=${this.sign(key, expires)}`;
  }

  verify(key: string, expires: string | undefined, signature: string | undefined, now = Date.now()): boolean {
    const expiresAt = Number(expires);
    if (!signature || !Number.isInteger(expiresAt) || expiresAt * 1000 < now) return false;
    return safeEqual(this.sign(key, expiresAt), signature);
  }

  private sign(key: string, expires: number): string {
    return createHmac('sha256', this.signingKey).update(`${key}:${expires}`).digest('base64url');
  }
}
