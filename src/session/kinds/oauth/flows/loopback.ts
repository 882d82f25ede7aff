// RFC 8252 §7.3 loopback redirect: a server on 127.0.0.1 and a random port that takes exactly one
// callback, keeps the browser tab waiting until the sign-in has an outcome, then closes.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SessionKeeperError, cancelled } from '../../../base/errors';
import { isLoopbackHost as isLoopback } from '../../../base/urls';
import * as l10n from '@vscode/l10n';

export const CALLBACK_PATH = '/callback';

export interface LoopbackRedirect {
  /** `http://127.0.0.1:<port>/callback` */
  readonly redirectUri: string;
  /** Resolves with the full callback URL the browser was sent to. */
  readonly callback: Promise<URL>;
  /**
   * The `state` of the authorization request in progress. Only a callback carrying it ends the
   * wait; any other request gets an error page and the listener keeps waiting for the real one.
   */
  expectState(state: string): void;
  /** Shows the outcome in the browser tab and closes the server. */
  finish(outcome: { ok: true; message: string } | { ok: false; cancelled?: boolean; message: string }): void;
}

export async function startLoopbackRedirect(signal: AbortSignal): Promise<LoopbackRedirect> {
  let resolveCallback!: (u: URL) => void;
  let rejectCallback!: (e: unknown) => void;
  const callback = new Promise<URL>((res, rej) => {
    resolveCallback = res;
    rejectCallback = rej;
  });
  callback.catch(() => undefined); // observed by the caller; avoid an unhandled rejection on abort
  let pending: ServerResponse | undefined;
  let used = false;
  let expectedState: string | undefined;

  const server = createServer((req, res) => {
    const refuse = (status: number, message: string) =>
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(false, message));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      refuse(400, l10n.t('This is not a sign-in response.'));
      return;
    }
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    // A page on another site may point a browser here (DNS rebinding): only this computer's names count.
    if (!isLoopbackHost(req.headers.host)) {
      refuse(400, l10n.t('This sign-in response was sent to another address than this computer.'));
      return;
    }
    if (used) {
      refuse(410, l10n.t('This sign-in link was already used.'));
      return;
    }
    // RFC 6749 §10.12: a response without the state of this sign-in is someone else's; keep waiting.
    if (expectedState === undefined || url.searchParams.get('state') !== expectedState) {
      refuse(
        400,
        l10n.t('This sign-in response does not belong to the sign-in in progress. Finish the sign-in in the tab that VS Code opened.'),
      );
      return;
    }
    used = true;
    pending = res;
    resolveCallback(new URL(`${redirectUri}${url.search}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;

  const close = () => {
    server.close();
    server.closeAllConnections();
  };
  const onAbort = () => {
    rejectCallback(signal.reason instanceof SessionKeeperError ? signal.reason : cancelled());
    pending?.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(false, l10n.t('Sign-in was cancelled in VS Code.')));
    pending = undefined;
    close();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  return {
    redirectUri,
    callback,
    expectState(state) {
      expectedState = state;
    },
    finish(outcome) {
      signal.removeEventListener('abort', onAbort);
      const title = outcome.ok
        ? l10n.t('Signed in')
        : 'cancelled' in outcome && outcome.cancelled
          ? l10n.t('Sign-in cancelled')
          : undefined;
      pending
        ?.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(page(outcome.ok, outcome.message, title, outcome.ok));
      pending = undefined;
      close();
    },
  };
}

function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  try {
    return isLoopback(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page the browser tab shows. After a successful sign-in it tries to close itself. */
function page(ok: boolean, message: string, title = ok ? l10n.t('Signed in') : l10n.t('Sign-in failed'), closeSoon = false): string {
  // Browsers let a script close only tabs a script opened; where they refuse, the text says what to do.
  const close = closeSoon ? '<script>setTimeout(function(){window.close()},1500)</script>' : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Session Keeper: ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:15vh auto;max-width:34em;padding:0 1em;color:#222}h1{font-size:1.4em}</style></head>
<body><h1 id="outcome" data-ok="${ok}">${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p>${escapeHtml(l10n.t('You can close this tab and return to VS Code.'))}</p>${close}</body></html>`;
}
