import { Injectable, OnModuleInit } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

export interface InboxAsset {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The reference inbox's static files (`public/inbox`), read once at start. Only the files that
 * are there are served, by exact name, so no request path ever reaches the file system.
 */
@Injectable()
export class InboxAssets implements OnModuleInit {
  private readonly files = new Map<string, InboxAsset>();

  onModuleInit(): void {
    const folder = findInboxFolder(__dirname);
    for (const name of readdirSync(folder)) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType) this.files.set(name, { body: readFileSync(join(folder, name)), contentType });
    }
  }

  get(name: string): InboxAsset | undefined {
    return this.files.get(name);
  }
}

/** `public/inbox` of the package: two levels above the sources, three above `dist/src`. */
function findInboxFolder(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'public', 'inbox');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`public/inbox/index.html not found above ${from}`);
  }
}
