/**
 * The store contract's harness: `storeContract(concept, cases)` runs one concept's cases against
 * SqliteStore (a temp file) and PostgresStore (a fresh database, dropped afterwards), each on a
 * store of its own. PostgreSQL runs when PARLEY_REQUIRE_SERVICES=1 or when it is reachable.
 * The parts are tests/store-contract-*.test.ts, one per concept of db/store.ts.
 */
import { afterAll, beforeAll, describe } from "bun:test";
import { join } from "node:path";
import type { AppendRequest, AppendResult, RoomRecord, Store } from "../../db/store.ts";
import { PostgresStore } from "../../db/store-postgres.ts";
import { SqliteStore } from "../../db/store-sqlite.ts";
import type { Message, UserRef } from "../../src/protocol/index.ts";
import { tempDir } from "./server.ts";
import {
  assertReachable,
  createTestDatabase,
  postgresGate,
  type TestDatabase,
} from "./services.ts";

export const T0 = 1_800_000_000_000;
let counter = 0;
/** A name unique in this run, valid as a user or room name. */
export function fresh(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}x${Math.random().toString(36).slice(2, 7)}`;
}

/** An envelope-shaped object; the store treats it as opaque JSON. */
export function envelope(id: string) {
  return {
    v: 1 as const,
    conv: "dm-conv",
    id,
    at: T0,
    from: { u: "1", d: "dev-a" },
    to: [{ u: "2", d: "dev-b", k: "d3JhcHBlZA" }],
    epk: "ZXBr",
    kc: "a2M",
    iv: "aXY",
    ct: "Y2lwaGVyIOKAnHF1b3RlZOKAnQ",
    sig: "c2ln",
  };
}

export function sent(result: AppendResult | undefined): Message {
  if (!result?.ok || !result.message) {
    throw new Error(`expected a stored message, got ${JSON.stringify(result)}`);
  }
  return result.message;
}

interface Backend {
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

/** What every case is given: the backend's store (open from the first case on) and helpers. */
export interface Contract {
  readonly store: Store;
  user(prefix?: string): Promise<UserRef>;
  room(creator: UserRef, prefix?: string): Promise<RoomRecord>;
  req(roomId: number, sender: UserRef, cid: string, body?: string): AppendRequest;
  /** A sealed request: the store keeps the envelope as JSON and never looks inside. */
  sealedReq(roomId: number, sender: UserRef, cid: string): AppendRequest;
}

export const pg = await postgresGate();

function sqliteBackend(): Backend {
  const dir = tempDir("parley-contract-");
  return {
    async open() {
      return new SqliteStore(join(dir.path, `${fresh("db")}.db`));
    },
    async dispose() {
      dir.remove();
    },
  };
}

/** A PostgresStore on a database of its own, dropped with it. */
function postgresBackend(): Backend {
  let db: TestDatabase | undefined;
  return {
    async open() {
      assertReachable("PostgreSQL", pg);
      db = await createTestDatabase();
      return PostgresStore.open({ url: db.url });
    },
    async dispose() {
      await db?.drop();
    },
  };
}

function contract(
  name: string,
  backend: () => Backend,
  concept: string,
  cases: Cases,
  skip = false,
) {
  describe.skipIf(skip)(`${name} store contract: ${concept}`, () => {
    let b: Backend | undefined;
    let opened: Store | undefined;
    const c: Contract = {
      get store() {
        if (!opened) throw new Error("the store opens before the first case");
        return opened;
      },
      async user(prefix = "u") {
        const r = await c.store.createUser(fresh(prefix), "hash", T0);
        if (r === "taken") throw new Error("name taken");
        return { id: r.id, name: r.name };
      },
      async room(creator, prefix = "r") {
        const r = await c.store.createRoom(fresh(prefix), "topic", creator.id, T0);
        if (r === "taken") throw new Error("room taken");
        return r;
      },
      req(roomId, sender, cid, body = `body ${cid}`) {
        return { room: roomId, sender, cid, body, ts: T0 + 5 };
      },
      sealedReq(roomId, sender, cid) {
        return { ...c.req(roomId, sender, cid, JSON.stringify(envelope(cid))), sealed: true };
      },
    };
    beforeAll(async () => {
      b = backend();
      opened = await b.open();
    });
    afterAll(async () => {
      await opened?.close();
      await b?.dispose();
    });
    cases(c);
  });
}

type Cases = (c: Contract) => void;

/** Runs one concept's part of the contract against every backend. */
export function storeContract(concept: string, cases: Cases): void {
  contract("SQLite", sqliteBackend, concept, cases);
  contract("PostgreSQL", postgresBackend, concept, cases, pg.skip);
}
