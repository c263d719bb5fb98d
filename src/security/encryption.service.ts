import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';

const VERSION = 'v1';

/**
 * AES-256-GCM for every secret column (app secret, Page tokens). The key comes from
 * ENCRYPTION_KEY, or is generated once into DATA_DIR/encryption-key. Ciphertext reads
 * `v1:<iv>:<tag>:<data>` (base64url), so a future key rotation can tell versions apart.
 */
@Injectable()
export class EncryptionService {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = resolveKey(config);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join(':');
  }

  /** A key for one purpose (e.g. signing file URLs), derived so instances sharing the key agree. */
  deriveKey(purpose: string): Buffer {
    return createHmac('sha256', this.key).update(`meta-inbox:${purpose}`).digest();
  }

  decrypt(ciphertext: string): string {
    const [version, iv, tag, data] = ciphertext.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('Unreadable ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

function resolveKey(config: AppConfig): Buffer {
  if (config.encryptionKey) {
    const hex = /^[0-9a-f]{64}$/i.test(config.encryptionKey);
    return Buffer.from(config.encryptionKey, hex ? 'hex' : 'base64');
  }
  const file = join(config.dataDir, 'encryption-key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another instance on the same DATA_DIR wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  }
}
