// "Add Identity Provider…": issuer URL → discovery check → client id → label → id, then one new
// entry in the user's `sessionKeeper.providers` setting.
import * as vscode from 'vscode';
import { issuerProblem } from '../session/config';
import { describeError, userMessage } from '../session/base/errors';
import { type Logger } from '../session/base/log';
import { plainText } from '../session/base/plainText';
import { Command, Setting } from '../contributions';
import { clientIdProblem, idProblem, labelProblem, suggestId, suggestLabel, takenIds } from './providerEntry';

export type IssuerCheckResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * Reads `<issuer>/.well-known/openid-configuration` within a time limit and checks that its
 * `issuer` equals the URL given. Rejecting or answering after `signal` aborts counts as cancelled.
 */
export type IssuerCheck = (issuer: string, signal: AbortSignal) => Promise<IssuerCheckResult>;

export interface AddProviderDeps {
  readonly checkIssuer: IssuerCheck;
  readonly logger: Logger;
}

const STEPS = 4;

/** Answers the id of the new entry, or undefined when the user stopped. */
export async function addProvider({ checkIssuer, logger }: AddProviderDeps): Promise<string | undefined> {
  const title = (step: number) => vscode.l10n.t('Add Identity Provider ({0}/{1})', step, STEPS);
  const ask = async (options: vscode.InputBoxOptions) => (await vscode.window.showInputBox({ ignoreFocusOut: true, ...options }))?.trim();

  let issuer: string | undefined = '';
  for (;;) {
    issuer = await ask({
      title: title(1),
      prompt: vscode.l10n.t('The OpenID Connect issuer URL. Discovery is read from <issuer>/.well-known/openid-configuration.'),
      placeHolder: 'https://login.example.com/realms/dev',
      value: issuer,
      validateInput: (value) => issuerProblem(value.trim()),
    });
    if (!issuer) return undefined;
    const result = await check(issuer);
    if (!result) return undefined;
    if (result.ok) break;
    const edit = vscode.l10n.t('Edit Issuer URL');
    const answer = await vscode.window.showErrorMessage(
      plainText(vscode.l10n.t('{0} is not a usable OpenID Connect issuer: {1}', issuer, result.message), 'notification'),
      edit,
    );
    if (answer !== edit) return undefined;
  }

  const clientId = await ask({
    title: title(2),
    prompt: vscode.l10n.t(
      'The client id registered for VS Code at the identity provider: a public client with the redirect URI http://127.0.0.1/callback.',
    ),
    validateInput: clientIdProblem,
  });
  if (!clientId) return undefined;

  const label = await ask({
    title: title(3),
    prompt: vscode.l10n.t('The name shown in the Accounts menu and the Session Keeper view.'),
    value: suggestLabel(issuer),
    validateInput: labelProblem,
  });
  if (!label) return undefined;

  const config = vscode.workspace.getConfiguration();
  const inspected = config.inspect<unknown>(Setting.providers);
  const taken = takenIds(config.get(Setting.providers), inspected?.globalValue);
  const id = await ask({
    title: title(4),
    prompt: vscode.l10n.t('The id other extensions pass to vscode.authentication.getSession.'),
    value: suggestId(label, taken),
    validateInput: (value) => idProblem(value.trim(), taken),
  });
  if (!id) return undefined;

  const existing = inspected?.globalValue ?? [];
  // Never replace a user setting that is not a list: it would lose what is there.
  if (!Array.isArray(existing)) {
    void vscode.window.showErrorMessage(
      plainText(
        vscode.l10n.t('"{0}" in your user settings is not a list. Fix it, then add the identity provider again.', Setting.providers),
        'notification',
      ),
    );
    return undefined;
  }
  await config.update(Setting.providers, [...existing, { id, label, issuer, clientId }], vscode.ConfigurationTarget.Global);
  logger.info(`Added identity provider "${id}" for ${issuer} to the user settings`);

  const signIn = vscode.l10n.t('Sign In');
  void vscode.window
    .showInformationMessage(
      plainText(
        vscode.l10n.t('Added identity provider "{0}". Extensions can ask for its sessions with the id "{1}".', label, id),
        'notification',
      ),
      signIn,
    )
    .then((answer) => (answer === signIn ? vscode.commands.executeCommand(Command.signIn, id) : undefined));
  return id;

  function check(url: string): Thenable<IssuerCheckResult | undefined> {
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: plainText(vscode.l10n.t('Checking {0}…', url), 'progress'),
        cancellable: true,
      },
      async (_progress, token) => {
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => controller.abort());
        try {
          const result = await checkIssuer(url, controller.signal);
          return controller.signal.aborted ? undefined : result;
        } catch (err) {
          if (controller.signal.aborted) return undefined;
          logger.warn(`Discovery check for ${url} failed: ${describeError(err)}`);
          return { ok: false as const, message: userMessage(err) };
        } finally {
          subscription.dispose();
        }
      },
    );
  }
}
