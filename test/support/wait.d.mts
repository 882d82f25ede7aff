// Types for wait.mjs: waiting for a state, not for a time.

/**
 * Polls `probe` every `intervalMs` (200) until it returns a truthy value, and returns that value.
 * A probe that throws is asked again; past `timeoutMs` (30 s) the error names `what` and the last
 * error the probe threw.
 */
export declare function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs?: number,
  intervalMs?: number,
): Promise<T>;
