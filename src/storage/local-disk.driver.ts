import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageDriver, StoredObject } from './storage-driver';

/** Files under `DATA_DIR/files`, each with a small JSON sidecar holding its content type. */
export class LocalDiskDriver implements StorageDriver {
  constructor(private readonly root: string) {}

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    const path = this.path(key);
    await mkdir(this.root, { recursive: true });
    await writeFile(`${path}.json`, JSON.stringify({ contentType }));
    await writeFile(path, body);
  }

  async open(key: string): Promise<StoredObject | undefined> {
    const path = this.path(key);
    try {
      const [info, meta] = await Promise.all([stat(path), readFile(`${path}.json`, 'utf8')]);
      return { stream: createReadStream(path), size: info.size, contentType: JSON.parse(meta).contentType };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await Promise.all([rm(this.path(key), { force: true }), rm(`${this.path(key)}.json`, { force: true })]);
  }

  private path(key: string): string {
    if (!/^[\w-]+(\.[\w]+)?$/.test(key)) throw new Error('Invalid storage key');
    return join(this.root, key);
  }
}
