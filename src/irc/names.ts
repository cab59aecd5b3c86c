/**
 * How Parley names travel over IRC. Rooms are channels: room "dev" is "#dev" (room names always
 * fit). Usernames are nicks, except that IRC forbids a nick starting with a digit or "-": those
 * get a "^" in front ("7seas" is "^7seas"). "^" never occurs in a Parley username, so the mapping
 * is one-to-one and reversible. Names compare without case (CASEMAPPING=ascii), as Parley's do.
 */
import { nameKey, ROOM_NAME_PATTERN, USERNAME_PATTERN } from "../protocol/index.ts";

const NICK_ESCAPE = "^";

export function nickOf(username: string): string {
  return /^[0-9-]/.test(username) ? `${NICK_ESCAPE}${username}` : username;
}

/** The username a nick stands for, or undefined when no Parley user could have it. */
export function usernameOf(nick: string): string | undefined {
  const name = nick.startsWith(NICK_ESCAPE) ? nick.slice(1) : nick;
  if (!USERNAME_PATTERN.test(name)) return undefined;
  if (nick.startsWith(NICK_ESCAPE) !== /^[0-9-]/.test(name)) return undefined;
  return name;
}

export function channelOf(roomName: string): string {
  return `#${roomName}`;
}

/** The room name a channel stands for, or undefined when no public room could have it. */
export function roomNameOf(channel: string): string | undefined {
  if (!channel.startsWith("#")) return undefined;
  const name = channel.slice(1);
  return ROOM_NAME_PATTERN.test(name) ? name : undefined;
}

export function isChannel(target: string): boolean {
  return target.startsWith("#");
}

/** The key a channel or nick is compared by. */
export function foldName(name: string): string {
  return nameKey(name);
}

/** The full source of a user's lines: nick!user@host, the user part being the username. */
export function sourceOf(username: string, host: string): string {
  return `${nickOf(username)}!${username}@${host}`;
}
