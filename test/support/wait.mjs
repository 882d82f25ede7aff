// Waiting for a state, not for a time: one poll loop for every layer (the protocol tests, the
// in-editor harness and suite). See wait.d.mts for the API.

/** Polls `probe` until it returns a truthy value; a slow machine gets the whole deadline. */
export async function waitFor(probe, what, timeoutMs = 30_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
