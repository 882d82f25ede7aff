// The interactive sign-in: a cancellable progress notification around the browser flow, and one
// message when it fails (a cancel stays quiet).
import * as vscode from 'vscode';
import { ErrorCode, SessionKeeperError, isCancellation, userMessage } from '../session/base/errors';
import { describeError } from '../session/base/errors';
import { type Logger } from '../session/base/log';
import type { ProviderConfig } from '../session/config';
import { authorizationCodeFlow, type BrowserHost } from '../session/flows/authorizationCode';
import type { OAuthClient } from '../session/protocol/oauth';
import type { SignInRequest } from '../session/provider';

export async function signInInteractively(
  config: ProviderConfig,
  client: OAuthClient,
  request: SignInRequest,
  logger: Logger,
  showLog: () => void,
) {
  const host: BrowserHost = {
    // A string keeps a nested redirect_uri intact; Uri.parse would re-encode its query.
    openBrowser: (url) => Promise.resolve(vscode.env.openExternal(url as unknown as vscode.Uri)),
    externalUri: async (url) => (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true),
  };
  try {
    return await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Signing in to {0}… Finish in your browser.', config.label),
        cancellable: true,
      },
      (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() =>
          controller.abort(new SessionKeeperError(ErrorCode.Cancelled, vscode.l10n.t('Sign-in was cancelled.'))),
        );
        return authorizationCodeFlow(client, host, logger, { ...request, signal: controller.signal, providerLabel: config.label });
      },
    );
  } catch (err) {
    if (isCancellation(err)) logger.info(`Sign-in to ${config.label} was cancelled: ${describeError(err)}`);
    else logger.error(`Sign-in to ${config.label} failed: ${describeError(err)}`);
    if (!isCancellation(err)) {
      const message = userMessage(err);
      const show = vscode.l10n.t('Show Log');
      void vscode.window.showErrorMessage(vscode.l10n.t('Sign-in to {0} failed: {1}', config.label, message), show).then((choice) => {
        if (choice === show) showLog();
      });
    }
    throw err;
  }
}
