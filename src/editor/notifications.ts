// The few notifications Session Keeper shows on its own: a session that ended for good, a window
// that must reload, a damaged record set aside. Network trouble never gets one. Their text carries
// account names and issuer text, so it goes out as plain text (plainText).
import * as vscode from 'vscode';
import { plainText } from '../session/base/plainText';
import { sessionEndedNotice } from './notices';

/** One per account when its grant is gone: the reason, and a way to sign in again. */
export function notifySignInNeeded(providerLabel: string, accountLabel: string, reason: string, signInAgain: () => Promise<unknown>): void {
  const again = vscode.l10n.t('Sign In Again');
  void vscode.window
    .showWarningMessage(plainText(sessionEndedNotice(providerLabel, accountLabel, reason), 'notification'), again)
    .then((choice) => {
      if (choice === again) signInAgain().catch(() => undefined);
    });
}

/** This window cannot see another window's newer sign-ins; a reload fixes that. */
export function notifyStaleWindow(message: string): void {
  const reload = vscode.l10n.t('Reload Window');
  void vscode.window.showWarningMessage(plainText(message, 'notification'), reload).then((choice) => {
    if (choice === reload) void vscode.commands.executeCommand('workbench.action.reloadWindow');
  });
}

/** A damaged saved sign-in was set aside (never deleted). */
export function notifyQuarantine(message: string): void {
  void vscode.window.showWarningMessage(plainText(message, 'notification'));
}

/**
 * Whether terminal tools may use an account: a notification, never a modal dialog, so nothing
 * waits on it. `answer` gets true, false, or undefined when the notification was dismissed.
 */
export function askTerminalAccess(providerLabel: string, accountLabel: string, answer: (allow: boolean | undefined) => void): void {
  const allow = vscode.l10n.t('Allow');
  const deny = vscode.l10n.t('Deny');
  void vscode.window
    .showInformationMessage(
      plainText(
        vscode.l10n.t({
          message:
            'A command in the terminal asks for the token of {0} at {1}. Allow terminal tools (curl, kubectl, git, …) to use this account?',
          args: [accountLabel, providerLabel],
          comment: ['{0} is the account, {1} the identity provider'],
        }),
        'notification',
      ),
      allow,
      deny,
    )
    .then(
      (choice) => answer(choice === allow ? true : choice === deny ? false : undefined),
      () => answer(undefined),
    );
}
