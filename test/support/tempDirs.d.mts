// Types for tempDirs.mjs: the temp folders of test runs, removed on every way out.

/** SK_TEST_KEEP=1: keep every temp folder and name it on stdout. */
export declare const keepTempDirs: boolean;
/** A fresh `<tmp>/<prefix>XXXXXX` (prefix "sk-…"), removed at the latest when the process exits. */
export declare function makeTempDir(prefix: string): string;
/** Removes `dir` now (or keeps and names it with SK_TEST_KEEP=1). Returns whether it was removed. */
export declare function removeTempDir(dir: string): boolean;
/** Runs `fn` before the process exits on SIGINT, SIGTERM or SIGHUP; returns an unregister function. */
export declare function onInterrupt(fn: () => unknown): () => void;
/** Runs `fn` synchronously at process exit, before the temp folders go; returns an unregister function. */
export declare function onExit(fn: () => void): () => void;
