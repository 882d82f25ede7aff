// Whether a folder, or a socket in one, belongs to this user alone. The command checks the channel
// before it sends the window's secret; the extension checks the launcher's folder before it goes
// first on every terminal's PATH. lstat throughout: a symbolic link is never followed.
import { lstatSync, type Stats } from 'node:fs';

export type Problem = 'missing' | 'symlink' | 'notDirectory' | 'notSocket' | 'owner' | 'mode';

function stat(path: string): Stats | Problem {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** Undefined when `path` is a real directory (no symlink) owned by `uid` with mode 0700. */
export function privateDirProblem(path: string, uid: number): Problem | undefined {
  const s = stat(path);
  if (typeof s === 'string') return s;
  if (s.isSymbolicLink()) return 'symlink';
  if (!s.isDirectory()) return 'notDirectory';
  if (s.uid !== uid) return 'owner';
  if ((s.mode & 0o777) !== 0o700) return 'mode';
  return undefined;
}

/** Undefined when `path` is a socket owned by `uid` that neither group nor others may open. */
export function privateSocketProblem(path: string, uid: number): Problem | undefined {
  const s = stat(path);
  if (typeof s === 'string') return s;
  if (s.isSymbolicLink()) return 'symlink';
  if (!s.isSocket()) return 'notSocket';
  if (s.uid !== uid) return 'owner';
  if ((s.mode & 0o077) !== 0) return 'mode';
  return undefined;
}

/** What a problem means, for an error message ("… <what>"). */
export function describeProblem(problem: Problem, what: string): string {
  switch (problem) {
    case 'missing':
      return `${what} does not exist`;
    case 'symlink':
      return `${what} is a symbolic link`;
    case 'notDirectory':
      return `${what} is not a directory`;
    case 'notSocket':
      return `${what} is not a socket`;
    case 'owner':
      return `${what} belongs to another user`;
    case 'mode':
      return `${what} is open to other users`;
  }
}
