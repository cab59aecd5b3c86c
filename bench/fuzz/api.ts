/** The few HTTP calls the harnesses make to set a server up: accounts, rooms, membership. */
import type { RoomSummary } from "../../src/protocol/index.ts";

export interface Account {
  user: { id: number; name: string };
  token: string;
}

async function call<T>(base: string, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : null) as T;
}

export function register(
  base: string,
  username: string,
  password = "fuzz and soak",
): Promise<Account> {
  return call<Account>(base, "POST", "/api/register", { username, password });
}

export function login(
  base: string,
  username: string,
  password = "fuzz and soak",
): Promise<Account> {
  return call<Account>(base, "POST", "/api/login", { username, password });
}

export async function createRoom(base: string, token: string, name: string): Promise<RoomSummary> {
  return (await call<{ room: RoomSummary }>(base, "POST", "/api/rooms", { name }, token)).room;
}

export async function joinRoom(base: string, token: string, room: number): Promise<RoomSummary> {
  return (
    await call<{ room: RoomSummary }>(base, "POST", `/api/rooms/${room}/join`, undefined, token)
  ).room;
}

export async function listRooms(base: string, token: string): Promise<RoomSummary[]> {
  return (await call<{ rooms: RoomSummary[] }>(base, "GET", "/api/rooms", undefined, token)).rooms;
}
