/** Structured logs: one JSON line per event. Never give it passwords, tokens or message bodies. */
import { AsyncLocalStorage } from "node:async_hooks";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export type LogSink = (line: string) => void;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * Fields every line logged while handling one request or frame carries: the HTTP request id
 * (`req`) or the WebSocket connection id (`conn`). server.ts and connection.ts set it around
 * their handlers; code deeper down logs as usual and gets the fields for free.
 */
export const logContext = new AsyncLocalStorage<LogFields>();

export function createLogger(
  level: LogLevel = "info",
  sink: LogSink = (line) => process.stderr.write(`${line}\n`),
  now: () => number = Date.now,
): Logger {
  const emit = (at: LogLevel) => (event: string, fields?: LogFields) => {
    if (rank[at] < rank[level]) return;
    const context = logContext.getStore();
    sink(
      JSON.stringify({ t: new Date(now()).toISOString(), level: at, event, ...context, ...fields }),
    );
  };
  return {
    level,
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
}

/** Keeps what is useful from a thrown value without dumping objects that may hold secrets. */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) return { error: err.message, stack: err.stack };
  return { error: String(err) };
}
