// Commands stay thin: they pick a target, call the engine, and let the views show the result.
import * as vscode from 'vscode';
import type { Logger } from '../session/base/log';
import type { SessionKeeperModel } from '../session/model';
import { refreshNow, setAutoRefresh, signIn, signOut, switchAccount } from './actions';
import { addProvider, type IssuerCheck } from './addProvider';
import { Command, type CommandId } from '../contributions';
import { targetOf } from './picks';
import { showStatusBarMenu } from './statusMenu';
import { allowTerminalAccess, revokeTerminalAccess, type TerminalAccessActions } from './terminalAccess';

export type { IssuerCheck, IssuerCheckResult } from './addProvider';

export interface CommandDeps {
  readonly model: SessionKeeperModel;
  readonly logger: Logger;
  readonly showLog: () => void;
  /** Discovery check for "Add Identity Provider…". */
  readonly checkIssuer: IssuerCheck;
  /** Allowing and revoking terminal programs' access to an account. */
  readonly terminalAccess: TerminalAccessActions;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  // Tree rows pass their element, links and other commands a provider id, the palette nothing.
  const commands: Record<CommandId, (arg?: unknown) => unknown> = {
    [Command.signIn]: (arg) => signIn(deps, targetOf(arg)),
    [Command.signOut]: (arg) => signOut(deps, targetOf(arg)),
    [Command.switchAccount]: (arg) => switchAccount(deps, targetOf(arg)),
    [Command.switchToAccount]: (arg) => switchAccount(deps, targetOf(arg)),
    [Command.refreshNow]: (arg) => refreshNow(deps, targetOf(arg)),
    [Command.turnOffAutoRefresh]: (arg) => setAutoRefresh(deps, false, targetOf(arg)),
    [Command.turnOnAutoRefresh]: (arg) => setAutoRefresh(deps, true, targetOf(arg)),
    [Command.showLog]: () => deps.showLog(),
    [Command.addProvider]: () => addProvider(deps),
    [Command.statusBarMenu]: () => showStatusBarMenu(deps),
    // Their rows pass a grant id too, which these read themselves.
    [Command.allowTerminalAccess]: (arg) => allowTerminalAccess(deps.model, deps.terminalAccess, arg),
    [Command.revokeTerminalAccess]: (arg) => revokeTerminalAccess(deps.model, deps.terminalAccess, arg),
  };
  return Object.entries(commands).map(([id, run]) => vscode.commands.registerCommand(id, run));
}
