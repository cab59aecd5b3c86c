/** The shape of a command handler, and of the entries in the command table. */
import type { IrcConnection } from "./connection.ts";
import type { IrcContext } from "./context.ts";
import type { IrcMessage } from "./message.ts";
import type { Reply } from "./reply.ts";

export type Handler = (
  ctx: IrcContext,
  conn: IrcConnection,
  msg: IrcMessage,
  reply: Reply,
) => Promise<void> | void;

export interface CommandSpec {
  /** Parameters the command needs; fewer get ERR_NEEDMOREPARAMS before the handler runs. */
  params: number;
  /** Only after registration (login); before, ERR_NOTREGISTERED. */
  registered: boolean;
  run: Handler;
}
