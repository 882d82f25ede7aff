// Terminal access: the question a program in a terminal raises, and Allow and Revoke on the
// Accounts view's terminal rows (or from the Command Palette). Nothing here grants without a
// click: a caller with ids (another extension, say) still gets the modal question.
import * as vscode from 'vscode';
import type { SessionKeeperModel } from '../session/model';
import type { Grant, Program, Scope } from '../terminal/consent';
import type { TerminalFolder } from '../terminal/folders';
import type { ConsentQuestion } from '../terminal/server';
import { plainText } from '../session/base/plainText';
import { oneLine } from '../terminal/text';
import { grantPlace, grantStatus } from '../views/treeModel';
import { pickAccount, pickOne, targetOf } from './picks';

export interface TerminalAccessActions {
  /** The account's grants, most recent first. */
  grants(providerId: string, accountId: string): readonly Grant[];
  /** This window's workspace folders, one of which the palette's Allow grants. */
  folders(): readonly TerminalFolder[];
  allow(providerId: string, accountId: string, scope: Scope, program: Program | undefined): Promise<Grant>;
  revoke(providerId: string, accountId: string, grantId: string): Promise<Grant | undefined>;
  /** Until when an Allow given now holds. */
  until(): number;
  formatTime(ms: number): string;
}

/** Someone else's words (account names, folder names, command lines) cut to one short line; the whole message then goes through plainText. */
const part = oneLine;

interface GrantTarget {
  readonly providerId: string;
  readonly accountId?: string;
  readonly grantId?: string;
}

function grantTargetOf(arg: unknown): GrantTarget | undefined {
  const target = targetOf(arg);
  if (!target) return undefined;
  const grantId = (arg as { grantId?: unknown } | undefined)?.grantId;
  return { ...target, ...(typeof grantId === 'string' && { grantId }) };
}

/**
 * What a program in a terminal raises: a notification (never a modal, so nothing waits on it) with
 * Allow and Deny. `answer` gets true, false, or undefined when it was dismissed.
 */
export function askTerminalAccess(
  question: ConsentQuestion,
  formatTime: (ms: number) => string,
  answer: (allow: boolean | undefined) => void,
): void {
  const allow = vscode.l10n.t('Allow');
  const deny = vscode.l10n.t('Deny');
  const account = part(question.accountLabel, 100);
  const provider = part(question.providerLabel, 100);
  const until = formatTime(question.until);
  const { scope, program } = question;
  const ask =
    scope.dir === undefined
      ? vscode.l10n.t({
          message:
            'A program in a terminal asks for the token of {0} at {1}. Allow programs in the workspace folder "{2}" to use it until {3}?',
          args: [account, provider, part(scope.folderName ?? '', 100), until],
          comment: ['{0} is the account, {1} the identity provider, {2} a folder name, {3} a time'],
        })
      : vscode.l10n.t({
          message: 'A program in a terminal asks for the token of {0} at {1}. Allow programs running in {2} to use it until {3}?',
          args: [account, provider, part(scope.dir, 300), until],
          comment: ['{0} is the account, {1} the identity provider, {2} a directory, {3} a time'],
        });
  const who = program.command
    ? vscode.l10n.t({
        message: 'It started as "{0}" in {1} and says it is {2}.',
        args: [part(program.command), part(program.cwd ?? scope.dir ?? scope.folderPath ?? ''), part(program.tool, 64)],
        comment: ['{0} is a command line, {1} a directory, {2} the name the program gives itself'],
      })
    : vscode.l10n.t({
        message: 'It runs in {0} and says it is {1}.',
        args: [part(program.cwd ?? scope.dir ?? scope.folderPath ?? ''), part(program.tool, 64)],
        comment: ['{0} is a directory, {1} the name the program gives itself'],
      });
  void vscode.window.showInformationMessage(plainText(`${ask} ${who}`, 'notification'), allow, deny).then(
    (choice) => answer(choice === allow ? true : choice === deny ? false : undefined),
    () => answer(undefined),
  );
}

/** Allow: again for a denied or expired row's scope, or for a workspace folder picked here; always after a modal question. */
export async function allowTerminalAccess(model: SessionKeeperModel, actions: TerminalAccessActions, arg?: unknown): Promise<void> {
  const target = grantTargetOf(arg);
  const known =
    target?.grantId && target.accountId
      ? actions.grants(target.providerId, target.accountId).find((g) => g.id === target.grantId)
      : undefined;
  let providerId: string;
  let accountId: string;
  let scope: Scope;
  if (known && target?.accountId) {
    providerId = target.providerId;
    accountId = target.accountId;
    scope = known;
  } else {
    const choice = await pickAccount(model.providers(), target, model.now(), vscode.l10n.t('Select the account terminal programs may use'));
    if (!choice) return;
    const folder = await pickOne(
      actions.folders(),
      (f) => ({ label: plainText(f.name, 'label'), description: plainText(f.path, 'label') }),
      vscode.l10n.t('Select the workspace folder whose terminals may use it'),
    );
    if (!folder) {
      if (!actions.folders().length)
        void vscode.window.showInformationMessage(
          plainText(
            vscode.l10n.t(
              'This window has no workspace folder. Run the command in a terminal instead: VS Code asks then, for the directory it runs in.',
            ),
            'notification',
          ),
        );
      return;
    }
    providerId = choice.provider.id;
    accountId = choice.account.id;
    scope = { folder: folder.uri, folderName: folder.name, folderPath: folder.path };
  }
  const provider = model.providers().find((p) => p.id === providerId);
  const account = provider?.accounts.find((a) => a.id === accountId);
  if (!provider || !account) return;
  const until = actions.formatTime(actions.until());
  const message =
    scope.dir === undefined
      ? vscode.l10n.t(
          'Allow programs in the workspace folder "{0}" to use the token of {1} at {2} until {3}?',
          oneLine(scope.folderName ?? ''),
          oneLine(account.label),
          oneLine(provider.label),
          until,
        )
      : vscode.l10n.t(
          'Allow programs running in {0} to use the token of {1} at {2} until {3}?',
          oneLine(scope.dir),
          oneLine(account.label),
          oneLine(provider.label),
          until,
        );
  const allow = vscode.l10n.t('Allow');
  let choice: string | undefined;
  try {
    choice = await vscode.window.showWarningMessage(
      plainText(message, 'notification'),
      {
        modal: true,
        detail: vscode.l10n.t(
          'Until then they get the token without asking. Programs elsewhere, and all of them after that time, are asked again.',
        ),
      },
      allow,
    );
  } catch {
    return; // no dialog could be shown: nothing is granted without the user's answer
  }
  if (choice !== allow) return;
  await actions.allow(providerId, accountId, scope, known?.program);
}

/** Revoke: the row's grant, or one picked from all of them; then says so. */
export async function revokeTerminalAccess(model: SessionKeeperModel, actions: TerminalAccessActions, arg?: unknown): Promise<void> {
  const target = grantTargetOf(arg);
  const now = model.now();
  const candidates = model
    .providers()
    .filter((p) => !target || p.id === target.providerId)
    .flatMap((p) =>
      p.accounts
        .filter((a) => !target?.accountId || a.id === target.accountId)
        .flatMap((a) =>
          actions
            .grants(p.id, a.id)
            .filter((g) => !target?.grantId || g.id === target.grantId)
            .map((grant) => ({ provider: p, account: a, grant })),
        ),
    );
  if (!candidates.length) {
    void vscode.window.showInformationMessage(plainText(vscode.l10n.t('No terminal program has access to this account.'), 'notification'));
    return;
  }
  const picked = await pickOne(
    candidates,
    (c) => ({
      label: plainText(grantPlace(c.grant), 'label'),
      description: vscode.l10n.t('{0} at {1}', plainText(oneLine(c.account.label), 'label'), plainText(oneLine(c.provider.label), 'label')),
      detail: grantStatus(c.grant, now, (ms) => actions.formatTime(ms)),
    }),
    vscode.l10n.t('Select the terminal access to revoke'),
  );
  if (!picked) return;
  const revoked = await actions.revoke(picked.provider.id, picked.account.id, picked.grant.id);
  if (!revoked) return;
  const account = part(picked.account.label, 100);
  const provider = part(picked.provider.label, 100);
  void vscode.window.showInformationMessage(
    plainText(
      revoked.dir === undefined
        ? vscode.l10n.t(
            'Terminal access for {0} at {1} in the workspace folder "{2}" was revoked. Programs there are asked again.',
            account,
            provider,
            part(revoked.folderName ?? ''),
          )
        : vscode.l10n.t(
            'Terminal access for {0} at {1} in {2} was revoked. Programs there are asked again.',
            account,
            provider,
            part(revoked.dir),
          ),
      'notification',
    ),
  );
}
