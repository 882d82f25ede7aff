// The text of BENCHMARKS.md around the table of one run.
export function report(run: { table: string; machine: string; seconds: number; date: Date }): string {
  return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${run.date.toISOString().slice(0, 10)}; the whole run took ${run.seconds.toFixed(1)} s.
Run it again to replace this file.

Machine: ${run.machine}.

## How to read the ratios

Every ratio is **measured ÷ baseline**, both measured in the same run on the same machine. Nothing
fails because a machine is slow: compare ratios between runs and machines, not absolute times,
which are shown only to give the ratios a scale.

- For times and memory, 1.00× means the same as the baseline and 2.00× twice as long (or as much).
  Cells with \`a / b\` give the median / the 90th percentile.
- The speed-up row is the other way round (baseline ÷ measured): higher is better.
- CPU rows are CPU time ÷ wall time: 1.00× is one core busy for the whole time.
- Rows with \`—\` as ratio are counts that must hold (one timer, no \`invalid_grant\`, the concurrency
  limit). They are checks, not speed thresholds: the benchmark stops with an error when one fails.
- Rows 1 and 2 interleave the measured code with its baseline, so they are the steadiest. Storm and
  coordination times depend more on what else the machine is doing; expect ±20 % between runs.

${run.table}

## Common setup

- **IdP**: test/idp/idp.mjs (oidc-provider; refresh tokens rotate and a reused one revokes the
  grant) in its own Node process (bench/idpProcess.mjs), so its work never runs on the event loop
  being measured. On 2 cores the IdP and the code under test get about one core each.
- **Sign-in** uses the IdP's real endpoints: the extension's OAuthClient builds the authorization
  request (PKCE, nonce), the IdP's login and consent pages are completed over HTTP, and OAuthClient
  exchanges the code and checks the ID token. Only the loopback listener is skipped: the IdP's
  redirect is read instead of followed.
- **Engine**: built as \`activate()\` builds it (the extension's fetch with 30 s limits, on its undici
  route: in the editor, requests no proxy setting routes go through the host's fetch instead, which
  row 1 measures on its own; default refresh policy,
  the redacting logger with its output dropped), over MemorySecrets and MemoryMemento from
  test/support instead of the editor's storage, and without the cross-window FileCoordinator unless
  a row names it.
- Each benchmark file runs in a fresh Node process (\`--expose-gc\`), one after another.

## The rows

**1. Refresh** (bench/refresh.ts). Five variants and a floor, each variant refreshing its own grant with the newest
refresh token (rotation), interleaved in a rotating order: 30 warm-up rounds, then 200 measured.
The baseline is bare oauth4webapi, \`refreshTokenGrantRequest\` + \`processRefreshTokenResponse\`
with Node's global fetch.
- *OAuthClient.refreshTokenGrant*: the same library calls plus what the extension adds: an undici
  Agent with connect/header/body time limits, an \`AbortSignal.timeout\` per request, the 5xx/429
  guard, error translation, registering the tokens with the log redactor, and the ID token signature
  check (the IdP returns an ID token with every refresh; oauth4webapi caches the JWKS).
- *through the host's fetch*: the same client on the route \`activate()\` takes when no setting or
  variable names a proxy: the host's fetch (Node's global fetch here; in the extension host, the one
  VS Code extends with the system's proxy settings), with the same guard and time limit.
- *Refresher.refresh*: the whole engine path: single-flight map, concurrency slot, the check for
  another window's tokens, the refresh, the subject check, the store write (MemorySecrets yields to
  the event loop once per write, like a keychain call), re-planning and change events.
- *with FileCoordinator*: as above with the cross-window locks and generation records, in a temporary
  directory, as \`activate()\` wires it: the account's lock around the refresh (the refresher has the
  coordinator too), the store's lock around the write inside it, and the account's generation record
  and the change marker written with it. On disk that is per refresh two lock directories with their
  owner notes made and removed, and two small files written and renamed over the old ones: about 20
  file-system calls, most one after another, each a trip to libuv's thread pool so that the extension host, which
  every extension shares, never waits on the disk (the coordination folder may be on a network home
  directory). At 0.2–0.3 ms per call on this machine they are the whole gap to *Refresher.refresh*.
- *The least cross-window coordination costs*: no refresh, only what any scheme that keeps two
  windows from spending the same rotating refresh token needs at the least, on the same disk: one
  lock directory made and removed, and one record that tells the other windows, written and renamed
  into place. Interleaved with the others; its ratio is to the bare refresh. With *Refresher.refresh*
  (the engine path without a disk) it shows what a coordinated refresh costs at the very least, and
  whether a goal for the coordinated row can be met on this disk.

**2. Cached getSessions** (bench/getSession.ts). One session valid for another hour; the engine's
fetch rejects every request, so any network use would fail the run. 20,000 warm-up calls each, then
10 alternating blocks of 10,000. The baseline is a five-line provider that filters a fixed array by
scope. The ratio compares time per call; the extension's call looks the session up in the store,
checks expiry through the refresher and puts the active account first, all in memory.

**3. Scheduler, 1,000 sessions** (bench/scheduler.ts). 1,000 accounts with one session each (token
sizes as the local IdP issues them), none due during the run; the refresher has no OAuth client, so
nothing can reach the network. The baseline is the same store without a refresher.
- *Timers*: a counting wrapper around the system clock's setTimeout/clearTimeout counts live timers
  after start, after 300 store writes that each make the refresher re-plan, and the peak. It must be 1
  (and 0 after dispose).
- *Heap*: \`heapUsed\` after forced collections, before and after filling the store, then after starting
  a refresher over it; median of 5 rounds after one discarded round. The store's share includes the
  JSON copy MemorySecrets keeps as the keychain stand-in. The refresher keeps one plan entry per
  session (its due time and account, and its place in a min-heap of due times).
- *Write*: one \`updateSession\` on a store watched by a refresher vs an identical store without one,
  alternated, 300 each: what re-planning adds to every store change. The store's change event names
  the account it changed, and the refresher re-plans that account's sessions only.
- *Idle CPU*: the main thread's CPU time (\`process.threadCpuUsage\`, so the collector's helper threads
  do not count) over 5 s in which nothing is due, with a refresher over the same 1,000 sessions whose
  heartbeat is shortened from 60 s to 100 ms so that it wakes about 50 times. The baseline is the
  simplest thing that wakes as often: a bare \`setInterval\` with an empty callback, in a window
  before and one after (their mean). A wake-up looks at the earliest due time only, whatever the
  number of sessions; the benchmark stops with an error unless it saw about 50 wake-ups, one timer
  and nothing in flight.

**4. Storm, 1,000 due** (bench/storm.ts). 1,000 users (user0001…) each signed in once through the
IdP with \`SessionKeeperProvider.createSession\`, two at a time; access tokens live 10 minutes, so a
session is due 5 minutes after sign-in. *Storm*: a new store loads the keychain and a new engine
starts with its clock one token lifetime further ahead each time (the editor opening 10 minutes
later), so all 1,000 sessions are due the moment it starts; the time runs from engine start until
every session is renewed exactly once. Four storms in the order default \`maxConcurrent\`, 1, 1,
default; each limit reports the mean of its two. *Median single refresh*: sequential
\`Refresher.refresh\` calls in an engine over the same 1,000 sessions with nothing else due, 30 before
and 30 after the storms (each batch after 20 warm-up calls).
- *Completion*: completion ÷ (1,000 × median single refresh ÷ limit). 1.00× means the limit turned
  fully into parallel speed. Above 1 at the default limit, the CPU row tells whether the two cores,
  not the limit, set the pace. Below 1 at limit 1 means a refresh during a storm costs less than a
  lone one: re-planning skips the sessions already in flight.
- *CPU*: CPU time of the IdP process and of the engine's process during the default storms.
- *maxInFlight*: \`refresher.state().maxInFlight\`; must not exceed the limit.
- *invalid_grant*: the IdP's count of \`invalid_grant\` answers in all four storms, and sessions left
  needing sign-in. Must be 0.

**5. Coordination, store side of a refresh** (bench/coordination.ts). What the store does for each
refresh in the extension as \`activate()\` wires it: \`syncWithOtherWindows\` then \`updateSession\`,
with the FileCoordinator, at 1,000 accounts, against the same store without a coordinator and
against the coordinated store at 10 accounts. The generation records are written directly, one per
account, to keep the setup short. The cross-window check reads the change marker (written with every
generation record) on both calls, and the write reads the generation record of the account it writes;
every record is read only when the marker changed or the last full check is a minute old.

**6. Bundle** (bench/bundle.ts). What every start pays before \`activate()\` runs: reading and compiling
dist/extension.js (from \`npm run build\`), against the built-in github-authentication bundle of the
code-server the in-editor suite downloads, alternating, 30 each, each from a new source string so V8's
compile cache never answers. undici is not in the bundle: dist/undici.js is required on the first
request. The time VS Code itself reports (code loading + the activate call) is row 8.

**7. Endpoint batch, 100 due** (bench/endpointBatch.ts). The JSON session service's protocol with
100 sids in its own process; the entry: \`inputs: ["cookies"]\`, POST renewal with the cookies,
token at \`/token\`, expiry the date at \`/expiresAt\`. Time from engine start until all 100 due
sessions are renewed once (each sid rotated once, no failure); median of 3 batches vs 100 × the
median sequential \`Refresher.refresh\` (20 before each batch and after the last). Goal: the slowest
(the cold first) under 10 s.

**8. Startup in the editor** and **9. getSession in the editor** (bench/editor.ts). Five runs of the
in-editor launcher (test/vscode/run.mjs: code-server's extension host, its web workbench in headless
chromium, the test IdP), each selecting only the sign-in and suite/latency.test.ts; needs
\`npm run build\`, code-server (\`npm run pretest:vscode\`) and chromium, as \`npm test\` does.
- *Startup*: the activation time "Developer: Show Running Extensions" shows for Session Keeper and
  for the built-in GitHub Authentication in the same window. VS Code counts loading the code plus the
  \`activate\` call up to its first \`await\`; what an extension then waits for (Session Keeper reads the
  keychain and opens the terminal command's socket) runs while other extensions start, and is not
  in the figure. Both activate at \`onStartupFinished\`: GitHub Authentication on its own activates
  only on a request, so a test extension that depends on it (test/vscode/startupPeer) has VS Code
  activate it at that moment too, beside Session Keeper and the other extensions starting then. The
  figures move by tens of milliseconds between windows, and not only with the machine: the extension
  host starts the clock, awaits the extension's localized messages (at least a turn of the
  microtask queue) and only then loads the code, so whatever other extensions' activations queued
  meanwhile runs inside the figure of whichever extension is loading (code-server 4.139.1,
  \`_doLoadModule\`). Which one that is changes from window to window; the next row takes it out.
- *Code loading like for like*: in the same extension host, after the window has started, the test
  \`require\`s a fresh copy of each bundle (Session Keeper's dist/extension.js and GitHub
  Authentication's), 20 times each, alternating: reading, compiling and running each bundle's
  top-level code against the real \`vscode\` module, which is the code-loading part of activation,
  without the start-up crowd. The host is still busy (the workbench, chromium, the IdP share two
  cores), so single loads range widely; the medians are what to compare.
- *getSession*: the test consumer's \`vscode.authentication.getSession\` for Session Keeper's signed-in
  provider and for a provider the consumer registers that returns one fixed session, 6 alternating
  blocks of 40 calls each. Both go through the workbench (the extension host asks the browser, which
  asks the provider's extension host), which is most of the time of either.
`;
}
