// Fakes the engine accepts in place of the editor's SecretStorage and Memento.
import type { MementoLike, SecretStorageLike } from '../../src/session/storage/store';
import type { LogSink } from '../../src/session/base/log';

export class MemorySecrets implements SecretStorageLike {
  readonly data = new Map<string, string>();
  /** Keys whose reads throw, like a locked keychain. */
  readonly unreadable = new Set<string>();
  writes = 0;
  async get(key: string) {
    if (this.unreadable.has(key)) throw new Error('keychain locked');
    return this.data.get(key);
  }
  async store(key: string, value: string) {
    this.writes++;
    // Yield so that unserialized read-modify-write sequences would interleave.
    await new Promise((r) => setImmediate(r));
    this.data.set(key, value);
  }
  async delete(key: string) {
    await new Promise((r) => setImmediate(r));
    this.data.delete(key);
  }
}

export class MemoryMemento implements MementoLike {
  readonly data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown) {
    this.data.set(key, value);
  }
}

export class CapturingSink implements LogSink {
  readonly lines: string[] = [];
  trace(m: string) {
    this.lines.push(`trace ${m}`);
  }
  debug(m: string) {
    this.lines.push(`debug ${m}`);
  }
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
  text(): string {
    return this.lines.join('\n');
  }
}
