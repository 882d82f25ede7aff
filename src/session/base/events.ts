// A minimal event emitter, shaped like vscode.Event so the engine runs without the vscode module.
export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

let reportListenerError: (err: unknown) => void = (err) => console.error('Session Keeper: an event listener failed', err);

/** Where listener errors go (the extension sends them to its log); returns where they went before. */
export function onListenerError(report: (err: unknown) => void): (err: unknown) => void {
  const previous = reportListenerError;
  reportListenerError = report;
  return previous;
}

export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => unknown>();

  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound = thisArgs ? listener.bind(thisArgs) : listener;
    this.listeners.add(bound);
    const d = { dispose: () => void this.listeners.delete(bound) };
    disposables?.push(d);
    return d;
  };

  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        // A failing listener must not stop the others, nor go unnoticed.
        reportListenerError(err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
