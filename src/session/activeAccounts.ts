// The account each provider shows first and serves first to callers that name none: the user's
// choice, remembered across windows in globalState (account ids only, never tokens).
import { ACTIVE_ACCOUNTS_KEY } from '../contributions';
import type { MementoLike } from './storage/store';

export class ActiveAccounts {
  constructor(private readonly memento: MementoLike) {}

  /** The chosen account among `signedIn` (ids, in sign-in order), else the first one. */
  get(providerId: string, signedIn: readonly string[]): string | undefined {
    const chosen = this.memento.get<Record<string, string>>(ACTIVE_ACCOUNTS_KEY)?.[providerId];
    return signedIn.find((id) => id === chosen) ?? signedIn[0];
  }

  async set(providerId: string, accountId: string): Promise<void> {
    await this.memento.update(ACTIVE_ACCOUNTS_KEY, {
      ...this.memento.get<Record<string, string>>(ACTIVE_ACCOUNTS_KEY),
      [providerId]: accountId,
    });
  }
}
