// Which workspace folder a terminal belongs to. The window gives each folder's terminals a secret
// of their own (an environment variable scoped to that folder); a request carrying it comes from a
// terminal of that folder. The caller cannot pick another folder by changing directory or by
// claiming one: it would need that folder's secret.
import { randomBytes } from 'node:crypto';
import { posix, win32 } from 'node:path';
import { secretMatches } from './protocol';

/** A workspace folder of this window, as terminals see it. */
export interface TerminalFolder {
  /** The folder's URI: what grants are keyed by. */
  readonly uri: string;
  readonly name: string;
  /** Its path on this machine, symbolic links resolved (a command's working directory has them resolved). */
  readonly path: string;
}

/** The per-folder secrets of one window; new ones for new folders, gone with removed ones. */
export class FolderSecrets {
  private folders = new Map<string, { folder: TerminalFolder; secret: string }>();

  /** Takes the window's folders now; a folder kept keeps its secret (its open terminals carry it). */
  update(folders: readonly TerminalFolder[]): void {
    const next = new Map<string, { folder: TerminalFolder; secret: string }>();
    for (const folder of folders) {
      next.set(folder.uri, { folder, secret: this.folders.get(folder.uri)?.secret ?? randomBytes(32).toString('base64url') });
    }
    this.folders = next;
  }

  secretOf(uri: string): string | undefined {
    return this.folders.get(uri)?.secret;
  }

  /** The folder whose secret this is; each comparison takes constant time. */
  folderOf(secret: string): TerminalFolder | undefined {
    let found: TerminalFolder | undefined;
    for (const { folder, secret: s } of this.folders.values()) if (secretMatches(s, secret)) found = folder;
    return found;
  }
}

/** Whether `path` is `folder` or inside it (both absolute). */
export function isInside(path: string, folder: string, platform: NodeJS.Platform = process.platform): boolean {
  const windows = platform === 'win32';
  const rel = windows ? win32.relative(folder.toLowerCase(), path.toLowerCase()) : posix.relative(folder, path);
  const sep = windows ? '\\' : '/';
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !(windows ? win32 : posix).isAbsolute(rel));
}
