/**
 * The PostgreSQL store's connection pool, with a deadline on every call.
 *
 * No call waits forever: Bun.SQL has no per-query timeout, and a query sent on a TCP link that
 * died silently gets no answer and no error. Each call therefore has a deadline (`timeout`);
 * past it the call rejects and the whole pool is replaced, since a dead link rarely kills one
 * connection alone. The server gets a shorter statement_timeout, so a slow but live statement
 * fails with PostgreSQL's own error first and only a silent link reaches the deadline, and an
 * idle_in_transaction_session_timeout, so a node that vanished mid-transaction stops holding
 * room locks that every other node waits on.
 */
import { SQL } from "bun";
import { ParleyError } from "../src/protocol/index.ts";
import { OUTAGE_RETRY_AFTER_S } from "./store.ts";
import { MESSAGE_COLUMNS, ROOM_COLUMNS } from "./store-postgres-rows.ts";

export interface PostgresPoolOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections in this node's pool. @default 10 */
  max?: number;
  /** Seconds a call waits for a connection before it rejects. @default 5 */
  connectionTimeout?: number;
  /**
   * Seconds a call waits for its answer (its whole transaction, retries included) before it
   * rejects and the pool is replaced. PostgreSQL's statement_timeout is set to half of it.
   * @default 10
   */
  timeout?: number;
  /** Seconds an unused pooled connection stays open, so a link that died idle is not reused. @default 30 */
  idleTimeout?: number;
  /** Runtime parameters sent on connect, e.g. `{ search_path: "parley" }`. @default {} */
  connection?: Record<string, string>;
}

/** Thrown when PostgreSQL gave no answer within the store's `timeout`. */
export class PostgresTimeoutError extends Error {
  readonly code = "ERR_PARLEY_POSTGRES_TIMEOUT";
  constructor(seconds: number) {
    super(`PostgreSQL gave no answer within ${seconds} s`);
    this.name = "PostgresTimeoutError";
  }
}

/**
 * SQLSTATE classes that mean "PostgreSQL cannot serve this now", not "this request is wrong":
 * connection exceptions, a lost race after its retries, insufficient resources, a lock not
 * available, an operator intervention (statement timeout, shutdown, terminated backend), system.
 */
const UNAVAILABLE_CLASSES = new Set(["08", "40", "53", "55", "57", "58"]);

/**
 * An outage as the one error clients understand, UNAVAILABLE with retryAfter, keeping the cause
 * for the log; anything else (a bug, a constraint) is returned as it is.
 */
export function asUnavailable(err: unknown): unknown {
  if (err instanceof ParleyError) return err;
  let outage = err instanceof PostgresTimeoutError;
  if (err instanceof SQL.PostgresError) {
    outage =
      err.code === "ERR_POSTGRES_SERVER_ERROR"
        ? UNAVAILABLE_CLASSES.has(String(err.errno ?? "").slice(0, 2))
        : true; // Bun's own codes: a refused, closed or timed-out connection.
  } else if (
    err instanceof Error &&
    /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/.test(`${(err as { code?: string }).code}`)
  ) {
    outage = true;
  }
  if (!outage) return err;
  return new ParleyError("UNAVAILABLE", undefined, {
    retryAfter: OUTAGE_RETRY_AFTER_S,
    cause: err,
  });
}

/** Seconds a replaced pool's other queries get to finish before its connections are closed. */
const RETIRE_GRACE_S = 1;

type Fragment = ReturnType<SQL["unsafe"]>;

/** One connection pool with the column lists bound to it; replaced whole after a deadline. */
export interface Pool {
  sql: SQL;
  rooms: Fragment;
  messages: Fragment;
}

/** Runs work on the store's current pool under its deadline: what every part is given. */
export type Run = <T>(work: (pool: Pool) => Promise<T>) => Promise<T>;

/** The pool in use, replaced whole when a call passes its deadline. */
export class PostgresPool {
  private pool: Pool;
  private readonly connect: () => Pool;
  private readonly timeout: number;
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;

  constructor({
    url,
    max = 10,
    connectionTimeout = 5,
    timeout = 10,
    idleTimeout = 30,
    connection = {},
  }: PostgresPoolOptions) {
    // PGDATABASE in the environment would otherwise win over the database named in the URL.
    const database = decodeURIComponent(new URL(url).pathname.slice(1));
    const params = {
      statement_timeout: String(Math.ceil((timeout * 1000) / 2)),
      idle_in_transaction_session_timeout: String(timeout * 1000),
      ...connection,
    };
    this.timeout = timeout;
    this.connect = () => {
      const sql = new SQL({
        url,
        max,
        connectionTimeout,
        idleTimeout,
        connection: params,
        ...(database ? { database } : {}),
      });
      return { sql, rooms: sql.unsafe(ROOM_COLUMNS), messages: sql.unsafe(MESSAGE_COLUMNS) };
    };
    this.pool = this.connect();
  }

  /** The current pool's client; it changes after a deadline. */
  get sql(): SQL {
    return this.pool.sql;
  }

  /** Runs `work` on the current pool, rejecting with PostgresTimeoutError past the deadline. */
  run<T>(work: (pool: Pool) => Promise<T>, seconds = this.timeout): Promise<T> {
    const pool = this.pool;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.retire(pool);
        reject(new PostgresTimeoutError(seconds));
      }, seconds * 1000);
    });
    return Promise.race([work(pool), deadline])
      .catch((err) => {
        throw asUnavailable(err);
      })
      .finally(() => clearTimeout(timer));
  }

  /** Swaps in a fresh pool; the stale one's connections close after a short grace. */
  private retire(stale: Pool) {
    if (this.closed || this.pool !== stale) return;
    this.pool = this.connect();
    const closing = stale.sql
      .close({ timeout: RETIRE_GRACE_S })
      .catch(() => {})
      .finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
  }

  async close() {
    this.closed = true;
    await Promise.all([this.pool.sql.close({ timeout: 5 }), ...this.retiring]);
  }
}
