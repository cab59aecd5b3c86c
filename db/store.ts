/**
 * The store: everything Parley keeps, as the composition of one interface per concept, each in
 * its own file with its records. Each backend implements every concept in a module of its own
 * (store-sqlite-*.ts, store-postgres-*.ts) and builds its store from those parts
 * (store-parts.ts); both are held to the contract test, one part per concept
 * (tests/store-contract-*.test.ts). Only db/open-store.ts, the db/ scripts, the bench and tests
 * name a backend; every other module receives a Store. Methods are async so that a networked
 * backend fits; expected outcomes are values, not throws.
 */
import type { AccountStore } from "./account-store.ts";
import type { AdminStore } from "./admin-store.ts";
import type { BotStore } from "./bot-store.ts";
import type { CommunityStore } from "./community-store.ts";
import type { ContactStore } from "./contact-store.ts";
import type { DeviceStore } from "./device-store.ts";
import type { FileStore } from "./file-store.ts";
import type { GroupStore } from "./group-store.ts";
import type { MessageLog } from "./message-log.ts";
import type { RoomStore } from "./room-store.ts";
import type { SettingsStore } from "./settings-store.ts";
import type { UserInviteStore } from "./user-invite-store.ts";

export * from "./account-store.ts";
export * from "./admin-store.ts";
export * from "./bot-store.ts";
export * from "./community-records.ts";
export * from "./community-store.ts";
export * from "./contact-store.ts";
export * from "./device-store.ts";
export * from "./file-store.ts";
export * from "./group-store.ts";
export type { LogEntry } from "./log-entry.ts";
export { entryFrame, isEvent } from "./log-entry.ts";
export * from "./message-log.ts";
export * from "./room-store.ts";
export * from "./settings-store.ts";
export * from "./user-invite-store.ts";

/** Seconds a client is told to wait (retryAfter) when the store meets an outage. */
export const OUTAGE_RETRY_AFTER_S = 1;

export interface Store
  extends AccountStore,
    RoomStore,
    MessageLog,
    FileStore,
    ContactStore,
    DeviceStore,
    BotStore,
    CommunityStore,
    UserInviteStore,
    AdminStore,
    SettingsStore,
    GroupStore {
  close(): Promise<void>;
}
