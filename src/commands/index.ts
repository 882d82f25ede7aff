// Commands stay thin: they call the engine and show its results.
import * as vscode from 'vscode';

export interface CommandContext {
  readonly showLog: () => void;
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return [vscode.commands.registerCommand('sessionKeeper.showLog', () => ctx.showLog())];
}
