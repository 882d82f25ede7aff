// Every user-visible string in the engine goes through t(). The extension hands in vscode.l10n.t
// at activation; plain Node (unit tests, tools) formats {0}-style placeholders itself.
type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

let translate: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));

export function setTranslator(fn: Translate): void {
  translate = fn;
}

export function t(message: string, ...args: Array<string | number | boolean>): string {
  return translate(message, ...args);
}
