// The editor parts of the sign-in flows: browser, URI handler, notifications, input boxes and
// clipboard, behind the small FlowHost interface the engine's flows are written against.
import * as vscode from 'vscode';
import { plainText } from '../session/base/plainText';
import { userCodeNotice } from './notices';
import type { FlowHost, HostKind } from '../session/host';
import { hostKind } from '../session/host';
import { tokenProblem } from '../session/kinds/oauth/flows/pasteToken';
import { EXTENSION_ID } from '../contributions';

/** The `vscode://session-keeper.session-keeper/callback` redirect (RFC 8252 §7.1) and its URI handler. */
export class AppUriHandler implements vscode.UriHandler {
  private readonly listeners = new Set<(uri: URL) => void>();
  /** Responses that reached the handler with no sign-in waiting; tests read it. */
  refused = 0;

  handleUri(uri: vscode.Uri): void {
    let url: URL;
    try {
      // Unencoded: toString() would percent-encode the query's own "=" and "&".
      url = new URL(uri.toString(true));
    } catch {
      return;
    }
    if (!this.listeners.size) {
      this.refused += 1;
      void vscode.window.showWarningMessage(
        plainText(
          vscode.l10n.t('A sign-in response reached VS Code, but no sign-in is in progress. It was ignored and nothing was saved.'),
          'notification',
        ),
      );
      return;
    }
    for (const listener of [...this.listeners]) listener(url);
  }

  listen(listener: (uri: URL) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

/**
 * Answers the flows' input boxes in test mode, where the workbench refuses input (a string for a
 * secret, a number of ms or null for a lifetime, undefined for a dismissed box).
 */
export class ScriptedInputs {
  private readonly answers: unknown[] = [];
  push(...answers: unknown[]): void {
    this.answers.push(...answers);
  }
  get pending(): boolean {
    return this.answers.length > 0;
  }
  take(): unknown {
    return this.answers.shift();
  }
}

export function currentHostKind(): HostKind {
  return hostKind({ web: vscode.env.uiKind === vscode.UIKind.Web, remoteName: vscode.env.remoteName });
}

export function createFlowHost(deps: {
  uriHandler: AppUriHandler;
  scripted?: ScriptedInputs;
  /** The progress notification of the flow in progress, if any. */
  report?: (message: string) => void;
}): FlowHost {
  const openBrowser = (url: string) => Promise.resolve(vscode.env.openExternal(url as unknown as vscode.Uri));
  return {
    // A string keeps a nested redirect_uri intact; Uri.parse would re-encode its query.
    openBrowser,
    externalUri: async (url) => (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true),
    appRedirectUri: `${vscode.env.uriScheme}://${EXTENSION_ID}/callback`,
    onAppUri: (listener) => deps.uriHandler.listen(listener),
    warn: (message) => void vscode.window.showWarningMessage(plainText(message, 'notification')),

    showUserCode({ userCode, verificationUri, providerLabel }) {
      let open = true;
      const copyAndOpen = vscode.l10n.t('Copy & Open');
      deps.report?.(vscode.l10n.t('Enter the code {0} at {1}', userCode, verificationUri));
      void vscode.window
        .showInformationMessage(plainText(userCodeNotice(providerLabel, userCode, verificationUri), 'notification'), copyAndOpen)
        .then(async (choice) => {
          if (choice !== copyAndOpen || !open) return;
          // The code is on screen too; a browser may refuse the clipboard, which must not keep the page closed.
          vscode.env.clipboard.writeText(userCode).then(undefined, () => undefined);
          await openBrowser(verificationUri);
        });
      return { dispose: () => void (open = false) };
    },

    async askSecret({ title, prompt, optional, validate }) {
      if (deps.scripted?.pending) return deps.scripted.take() as string | undefined;
      const problem = (value: string) => (optional && !value.trim() ? undefined : (validate ?? tokenProblem)(value.trim()));
      return vscode.window.showInputBox({
        title,
        prompt: plainText(prompt, 'prompt'),
        password: true,
        ignoreFocusOut: true,
        validateInput: (value) => promptText(problem(value)),
      });
    },

    async askText({ title, prompt, value, validate }) {
      if (deps.scripted?.pending) return deps.scripted.take() as string | undefined;
      return vscode.window.showInputBox({
        title,
        prompt: plainText(prompt, 'prompt'),
        value,
        ignoreFocusOut: true,
        validateInput: validate && ((input) => promptText(validate(input))),
      });
    },

    async askLifetime() {
      if (deps.scripted?.pending) return deps.scripted.take() as number | null | undefined;
      const hour = 3_600_000;
      const items: (vscode.QuickPickItem & { ms: number | null })[] = [
        { label: vscode.l10n.t('1 hour'), ms: hour },
        { label: vscode.l10n.t('8 hours'), ms: 8 * hour },
        { label: vscode.l10n.t('1 day'), ms: 24 * hour },
        { label: vscode.l10n.t('30 days'), ms: 30 * 24 * hour },
        { label: vscode.l10n.t('Until the identity provider refuses it'), ms: null },
      ];
      const picked = await vscode.window.showQuickPick(items, {
        title: vscode.l10n.t('How long is this token valid?'),
        placeHolder: vscode.l10n.t('The token does not say when it expires.'),
        ignoreFocusOut: true,
      });
      return picked?.ms;
    },
  };
}

/** An input box's validation message is drawn like its prompt: links and icons. */
function promptText(message: string | undefined): string | undefined {
  return message && plainText(message, 'prompt');
}
