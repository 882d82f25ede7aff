// Records the store set aside as damaged (store.ts) do not stay in SecretStorage for good: a refresh
// token one still holds is revoked (RFC 7009) at the issuer the record came from, and only there,
// and after SET_ASIDE_KEEP_MS the record is deleted. Every step is one log line.
import { describeError } from '../base/errors';
import type { Logger } from '../base/log';
import type { SessionStore, SetAsideContent } from './store';

/** How long a set-aside record is kept, for someone to look into what damaged it. */
export const SET_ASIDE_KEEP_MS = 7 * 24 * 60 * 60_000;

/**
 * Revokes one refresh token where a record bound like this one came from: true when revoked, false
 * when that issuer has nowhere to revoke. Undefined when no configured provider names that issuer
 * and client (then nothing is sent anywhere).
 */
export type Revoker = (binding: NonNullable<SetAsideContent['binding']>) => ((refreshToken: string) => Promise<boolean>) | undefined;

export interface SweepDeps {
  readonly store: SessionStore;
  readonly now: () => number;
  readonly logger: Logger;
  readonly revoker: Revoker;
}

export interface SweepResult {
  /** When the next record left is due for removal. */
  readonly nextRemoval?: number;
  /** A revocation failed at the issuer and is worth another try. */
  readonly pending: boolean;
}

/** One pass over the set-aside records. */
export async function sweepSetAside({ store, now, logger, revoker }: SweepDeps): Promise<SweepResult> {
  let nextRemoval: number | undefined;
  let pending = false;
  for (const entry of await store.setAside()) {
    const removeAt = entry.at + SET_ASIDE_KEEP_MS;
    const day = new Date(removeAt).toISOString().slice(0, 10);
    if (now() >= removeAt) {
      await store.removeSetAside(entry.key);
      logger.info(
        `Removed a record set aside on ${new Date(entry.at).toISOString().slice(0, 10)}, ${SET_ASIDE_KEEP_MS / 86_400_000} days later`,
      );
      continue;
    }
    nextRemoval = Math.min(nextRemoval ?? removeAt, removeAt);
    if (entry.settled) continue;
    const content = await store.readSetAside(entry.key);
    if (!content || content.refreshTokens.length === 0) {
      await store.settleSetAside(entry.key, entry.at);
      logger.info(`A record set aside holds no refresh token to revoke; it is removed on ${day}`);
      continue;
    }
    const { binding } = content;
    if (binding?.kind !== undefined && binding.kind !== 'oauth') {
      // Only an OAuth grant has a refresh token to revoke; an endpoint session's service has no revocation.
      await store.settleSetAside(entry.key, entry.at);
      logger.info(`A record set aside is not an OAuth session, so nothing of it is revoked; it is removed on ${day}`);
      continue;
    }
    if (!binding) {
      await store.settleSetAside(entry.key, entry.at);
      logger.warn(
        `A record set aside does not say which issuer its refresh token came from, so it cannot be revoked; it is removed on ${day}`,
      );
      continue;
    }
    const signedInAgain = store
      .accounts()
      .some(
        (a) => a.account.id === content.accountId && a.issuer === binding.issuer && (a.clientId ?? binding.clientId) === binding.clientId,
      );
    if (signedInAgain) {
      // Some issuers (Keycloak) keep one session per client and user: revoking the old token would end the new sign-in.
      await store.settleSetAside(entry.key, entry.at);
      logger.info(`The account of a record set aside is signed in again, so its old refresh token is not revoked; it is removed on ${day}`);
      continue;
    }
    const revoke = revoker(binding);
    if (!revoke) {
      // Tokens go back only where they came from. A provider for that issuer comes with a change of
      // settings, which sweeps again: no retry of its own.
      logger.info(
        `A record set aside comes from ${binding.issuer}, which no provider names now; its refresh token is revoked once one does, and it is removed on ${day}`,
      );
      continue;
    }
    try {
      let revoked = 0;
      for (const token of content.refreshTokens) if (await revoke(token)) revoked++;
      await store.settleSetAside(entry.key, entry.at);
      logger.info(
        revoked
          ? `Revoked ${revoked} refresh token(s) of a record set aside, at ${binding.issuer}; the record is removed on ${day}`
          : `${binding.issuer} has no revocation endpoint for the refresh token of a record set aside; the record is removed on ${day}`,
      );
    } catch (err) {
      logger.warn(
        `Revoking the refresh token of a record set aside at ${binding.issuer} failed (${describeError(err)}); it is tried again later`,
      );
      pending = true;
    }
  }
  return { nextRemoval, pending };
}
