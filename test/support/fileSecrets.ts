// A SecretStorage stand-in that several processes share, the way desktop VS Code windows share
// one keychain: one file per key, written by rename so a reader never sees half a value.
import { randomUUID, createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MementoLike, SecretStorageLike } from '../../src/session/storage/store';

export class FileSecrets implements SecretStorageLike {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  private path(key: string) {
    return join(this.dir, createHash('sha256').update(key).digest('hex'));
  }
  async get(key: string) {
    try {
      return await readFile(this.path(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  async store(key: string, value: string) {
    const tmp = `${this.path(key)}.${randomUUID()}.tmp`;
    await writeFile(tmp, value);
    await rename(tmp, this.path(key));
  }
  async delete(key: string) {
    await unlink(this.path(key)).catch(() => undefined);
  }
}

export class FileMemento implements MementoLike {
  constructor(private readonly file: string) {}
  private data: Record<string, unknown> = {};
  get<T>(key: string) {
    return this.data[key] as T | undefined;
  }
  async update(key: string, value: unknown) {
    this.data[key] = value;
    await writeFile(this.file, JSON.stringify(this.data));
  }
}
