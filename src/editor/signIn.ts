// The interactive sign-in: the flows that work in this window for this issuer, in the order the
// flows table gives, each under a cancellable progress notification. When one fails or is given
// up, the next is offered ("Having trouble signing in? Try another way"). One message when the
// sign-in fails for good; a cancel stays quiet.
import * as vscode from 'vscode';
import { isCancellation, userMessage } from '../session/base/errors';
import { describeError } from '../session/base/errors';
import { cancelled } from '../session/base/errors';
import { type Logger } from '../session/base/log';
import { plainText } from '../session/base/plainText';
import { signInFailedNotice } from './notices';
import type { ProviderConfig } from '../session/config';
import { chooseFlows, issuerFeatures, runFlows, type FlowHost, type HostKind, type SignInFlow } from '../session/kinds/oauth/flows/index';
import type { OAuthClient } from '../session/kinds/oauth/client';
import type { OAuthSource } from '../session/kinds/oauth/source';
import { EndpointSource } from '../session/kinds/endpoint/source';
import { endpointSignIn } from '../session/kinds/endpoint/paste';
import type { SignInRequest, SignInResult } from '../session/provider';

export interface SignInDeps {
  readonly logger: Logger;
  readonly showLog: () => void;
  readonly hostKind: () => HostKind;
  /** The editor parts of a flow, reporting into that flow's progress notification. */
  readonly host: (report: (message: string) => void) => FlowHost;
}

export async function signInInteractively(
  config: ProviderConfig,
  source: OAuthSource | EndpointSource,
  request: SignInRequest,
  deps: SignInDeps,
): Promise<SignInResult> {
  const { logger } = deps;
  try {
    if (source instanceof EndpointSource) return await pasteEndpointValues(config, source, deps);
    const { client } = source;
    const metadata = await client.metadata();
    const order = chooseFlows({ host: deps.hostKind(), issuer: issuerFeatures(metadata), setting: config.flows });
    logger.info(`Sign-in to ${config.label} can use: ${order.map((f) => f.id).join(', ') || 'no flow'} (${deps.hostKind()} host)`);
    return await runFlows(
      order,
      (flow) => Promise.resolve(attempt(flow, config, client, request, deps)),
      async (failed, err, next) => {
        logger.info(`Sign-in to ${config.label} with ${failed.id} did not finish: ${describeError(err)}`);
        const choice = await vscode.window[isCancellation(err) ? 'showInformationMessage' : 'showWarningMessage'](
          plainText(
            isCancellation(err)
              ? vscode.l10n.t('Having trouble signing in to {0}? Try another way.', config.label)
              : signInFailedNotice(config.label, userMessage(err), true),
            'notification',
          ),
          next.label,
        );
        return choice === next.label;
      },
    );
  } catch (err) {
    if (isCancellation(err)) logger.info(`Sign-in to ${config.label} was cancelled: ${describeError(err)}`);
    else logger.error(`Sign-in to ${config.label} failed: ${describeError(err)}`);
    if (!isCancellation(err)) {
      const show = vscode.l10n.t('Show Log');
      void vscode.window
        .showErrorMessage(plainText(signInFailedNotice(config.label, userMessage(err)), 'notification'), show)
        .then((choice) => {
          if (choice === show) deps.showLog();
        });
    }
    throw err;
  }
}

/** An endpoint session starts from values the user pastes, checked with the service under a progress notification. */
function pasteEndpointValues(config: ProviderConfig, source: EndpointSource, deps: SignInDeps): Promise<SignInResult> {
  deps.logger.info(`Signing in to ${config.label} with pasted session values`);
  return Promise.resolve(
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: plainText(vscode.l10n.t('Signing in to {0}…', config.label), 'progress'),
        cancellable: true,
      },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort(cancelled()));
        return endpointSignIn(
          source,
          config.endpoint?.inputs ?? [],
          deps.host((message) => progress.report({ message: plainText(message, 'progress') })),
          deps.logger,
          {
            providerLabel: config.label,
            signal: controller.signal,
          },
        );
      },
    ),
  );
}

function attempt(flow: SignInFlow, config: ProviderConfig, client: OAuthClient, request: SignInRequest, deps: SignInDeps) {
  deps.logger.info(`Signing in to ${config.label} with the ${flow.id} flow`);
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: plainText(
        flow.id === 'paste'
          ? vscode.l10n.t('Signing in to {0} with a token…', config.label)
          : flow.id === 'device'
            ? vscode.l10n.t('Signing in to {0}…', config.label)
            : vscode.l10n.t('Signing in to {0}… Finish in your browser.', config.label),
        'progress',
      ),
      cancellable: true,
    },
    (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort(cancelled()));
      return flow.trigger({
        client,
        host: deps.host((message) => progress.report({ message: plainText(message, 'progress') })),
        logger: deps.logger,
        request: { ...request, signal: controller.signal, providerLabel: config.label },
      });
    },
  );
}
