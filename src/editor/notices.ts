// The words of the notifications that carry account names and issuer text. No vscode import, so the
// protocol tests read the very text a user is shown; callers pass it through plainText.
import * as l10n from '@vscode/l10n';

/** A session that ended for good: the account, its identity provider, and why. */
export function sessionEndedNotice(providerLabel: string, accountLabel: string, reason: string): string {
  return l10n.t({
    message: 'Your session for {0} at {1} has ended: {2}',
    args: [accountLabel, providerLabel, reason],
    comment: ['{0} is the account, {1} the identity provider, {2} the reason'],
  });
}

/** A sign-in that failed; `another` when a different way to sign in is offered next. */
export function signInFailedNotice(providerLabel: string, reason: string, another = false): string {
  return another
    ? l10n.t('Sign-in to {0} failed: {1} Try another way?', providerLabel, reason)
    : l10n.t('Sign-in to {0} failed: {1}', providerLabel, reason);
}

/** The device code and the page to enter it at. */
export function userCodeNotice(providerLabel: string, userCode: string, verificationUri: string): string {
  return l10n.t({
    message: 'To sign in to {0}, enter the code {1} at {2}',
    args: [providerLabel, userCode, verificationUri],
    comment: ['{0} is the identity provider, {1} the user code, {2} the verification page'],
  });
}
