/**
 * How a backend builds its Store from one part per concept. The part classes (one module per
 * concept and backend) each implement their interface; `exposeParts` puts every part's methods
 * on the store class's prototype, each calling the instance's part, so a store is called as one
 * object (`store.findRoom(...)`) and a subclass may still override a method and call `super`.
 * A part's public methods are exactly its interface: helpers are module functions or #private.
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
import type { Store } from "./store.ts";
import type { UserInviteStore } from "./user-invite-store.ts";

/** The concepts a Store is made of, by the name of the part that holds each. */
export interface StoreParts {
  accounts: AccountStore;
  rooms: RoomStore;
  log: MessageLog;
  files: FileStore;
  contacts: ContactStore;
  devices: DeviceStore;
  bots: BotStore;
  communities: CommunityStore;
  userInvites: UserInviteStore;
  admin: AdminStore;
  settings: SettingsStore;
  groups: GroupStore;
}

type Both<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;
/** Compiles only while the parts together have every Store method but close. */
const complete: Both<StoreParts[keyof StoreParts]> extends Omit<Store, "close"> ? true : never =
  true;
void complete;

type Method = (...args: unknown[]) => unknown;
type Methods = Record<string, Method | undefined>;

/** Each part's class: what a backend passes to exposeParts. */
export type PartClasses<Args extends unknown[] = never[]> = {
  [K in keyof StoreParts]: new (
    ...args: Args
  ) => StoreParts[K];
};

/** The methods of a part's prototype chain (a part may extend a base class), but the constructor. */
function methodNames(prototype: object): Set<string> {
  const names = new Set<string>();
  for (let p = prototype; p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) if (name !== "constructor") names.add(name);
  }
  return names;
}

/**
 * Defines each method of each part class on `store`'s prototype, calling `this.parts[part]`.
 * Throws at load when two parts define the same name, so no method silently shadows another.
 */
export function exposeParts(
  store: { readonly name: string; readonly prototype: { readonly parts: StoreParts } },
  parts: PartClasses<never>,
): void {
  for (const [part, kind] of Object.entries(parts)) {
    for (const name of methodNames(kind.prototype)) {
      if (Object.hasOwn(store.prototype, name)) {
        throw new Error(
          `${store.name}.${name} is defined twice (by two parts, or a part and the store)`,
        );
      }
      Object.defineProperty(store.prototype, name, {
        value(this: { readonly parts: StoreParts }, ...args: unknown[]) {
          const target = this.parts[part as keyof StoreParts] as unknown as Methods;
          return (target[name] as Method).apply(target, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }
}
