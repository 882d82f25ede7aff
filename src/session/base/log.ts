// base/: what every part of the engine shares: errors, events, the clock, the log and redaction.
// One logger for the whole extension; every line passes through the redactor.
import { controlsEscaped } from './plainText';
import { redactor, type Redactor } from './redact';

export interface LogSink {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type Logger = LogSink;

/**
 * Every line is redacted, and its control characters are written as escapes: a name or an issuer's
 * text with a newline cannot start a line of its own that reads like one the extension wrote. A
 * message is one line; what needs several lines is logged as several messages.
 */
export function createLogger(sink: LogSink, r: Redactor = redactor): Logger {
  const wrap = (fn: (m: string) => void) => (message: string) => fn(controlsEscaped(r.redact(message)));
  return {
    trace: wrap((m) => sink.trace(m)),
    debug: wrap((m) => sink.debug(m)),
    info: wrap((m) => sink.info(m)),
    warn: wrap((m) => sink.warn(m)),
    error: wrap((m) => sink.error(m)),
  };
}

/** A logger that drops everything (tests, tools). */
export const silentLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
