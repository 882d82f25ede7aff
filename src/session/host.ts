// The editor port the sign-in flows use (browser, notifications, input boxes), implemented by
// editor/flowHost.ts; every kind's flows ask it for what they need and nothing else.

/**
 * Where the extension host runs, from vscode.env (uiKind, remoteName), as plain data:
 * - desktop: VS Code on this computer;
 * - remote: a desktop window whose extension host runs elsewhere (SSH, containers, WSL), which
 *   forwards ports and receives `vscode://` URIs for it;
 * - web: a browser workbench (code-server, Codespaces in a browser); its external URIs change
 *   with every request, so an issuer cannot register them.
 */
export type HostKind = 'desktop' | 'remote' | 'web';

export function hostKind(env: { readonly web: boolean; readonly remoteName?: string }): HostKind {
  if (env.web) return 'web';
  return env.remoteName ? 'remote' : 'desktop';
}

/** What the flow needs from the editor: a browser, and a way to reach the loopback from it. */
export interface BrowserHost {
  /** Opens the URL in the user's browser; false when it could not be opened. */
  openBrowser(url: string): Promise<boolean>;
  /** Maps a loopback URL to one the browser can reach (remote windows forward the port). */
  externalUri(url: string): Promise<string>;
}

/** What the URI-handler redirect needs from the editor (RFC 8252 §7.1). */
export interface AppRedirectHost {
  /** The private-use redirect: `<uriScheme>://session-keeper.session-keeper/callback`. */
  readonly appRedirectUri: string;
  /** Hands every URI the extension's URI handler receives to `listener` until disposed. */
  onAppUri(listener: (uri: URL) => void): { dispose(): void };
  /** A message about something that went wrong without ending the flow. */
  warn(message: string): void;
}

/** What the device flow needs from the editor. */
export interface DeviceHost {
  /**
   * Shows the user code and the verification page (a notification with "Copy & Open"); the
   * returned object hides it again.
   */
  showUserCode(info: { userCode: string; verificationUri: string; providerLabel: string }): { dispose(): void };
}

/** What pasting needs from the editor. */
export interface PasteHost {
  /**
   * A password input box; undefined when the user dismissed it (an empty optional answer is '').
   * `validate` says what is wrong with a value; without it, the value must look like a token.
   */
  askSecret(options: {
    title: string;
    prompt: string;
    optional?: boolean;
    validate?: (value: string) => string | undefined;
  }): Promise<string | undefined>;
  /**
   * How long a token without a stated expiry lives: milliseconds, null for "until the issuer
   * refuses it", undefined when the user dismissed the choice.
   */
  askLifetime(): Promise<number | null | undefined>;
}

/** What starting an endpoint session needs from the editor. */
export interface EndpointHost extends Pick<PasteHost, 'askSecret'> {
  /** A plain text box with a suggested value; undefined when dismissed. */
  askText(options: {
    title: string;
    prompt: string;
    value?: string;
    validate?: (value: string) => string | undefined;
  }): Promise<string | undefined>;
}

/** The editor parts every flow may use (browser, notifications, input boxes), passed in. */
export interface FlowHost extends BrowserHost, AppRedirectHost, DeviceHost, PasteHost, EndpointHost {}
