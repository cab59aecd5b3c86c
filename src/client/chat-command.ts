/** The shape of a chat command, and what commands may use of the view they run in. */
import type { Connection } from "../client-core/connection.ts";
import type { FileTransfer, SharedFile } from "../client-core/file-transfer.ts";
import type { SecureDm } from "../client-core/secure-dm.ts";
import type { SecureGroups } from "../client-core/secure-group.ts";
import type { RoomKind } from "../protocol/index.ts";

export interface Command {
  usage: string;
  help: string;
  /** Needs an open connection: refused at once while offline rather than left waiting. */
  online: boolean;
  run(arg: string): Promise<void> | void;
}

export type NoteTone = "info" | "ok" | "warn" | "error";

export interface ChatContext {
  conn: Connection;
  /** Encrypted DMs; undefined where encryption could not be set up (DM commands say so). */
  secure: SecureDm | undefined;
  /** Encrypted groups, with the same keys; undefined where encryption could not be set up. */
  groups?: SecureGroups | undefined;
  note(text: string, tone?: NoteTone): void;
  /** Switches the view to a room by name, or to a DM as "@name". */
  enter(name: string): Promise<void>;
  /** Users whose room messages this client hides; kept from every `contacts` reply. */
  blocked: Map<number, string>;
  /** Presence changed by hand: auto-away stays out of the way until /back. */
  setAway(away: boolean): Promise<void>;
  /** The conversation on screen (id undefined until it is joined). */
  here(): { id: number | undefined; kind: RoomKind };
  /** Uploads and downloads; undefined where the client has none. */
  files: FileTransfer | undefined;
  /** Files shown in this session, by id, with what it takes to read them. */
  shared: Map<string, SharedFile>;
}
