/** The PostgreSQL store's rooms, membership and DM rooms (room-store.ts). */
import type { UserRef } from "../src/protocol/index.ts";
import { MENTION_SQL_WORD, nameKey } from "../src/protocol/index.ts";
import type { RoomVisibility } from "./community-records.ts";
import type { AppendRequest } from "./message-log.ts";
import {
  ARCHIVING_LEAVE,
  type DmRecord,
  LAST_MEMBER_LEFT,
  type MembershipChange,
  type MembershipRecord,
  type MembershipResult,
  type RoomRecord,
  type RoomStore,
  UNREAD_COUNT_MAX,
} from "./room-store.ts";
import { appendIn, isLostRace } from "./store-postgres-append.ts";
import type { Run } from "./store-postgres-pool.ts";
import { type Int, type RoomRow, toRoom, toUsers } from "./store-postgres-rows.ts";

/** A membership change's transaction is rerun this often after a lost race (a deadlock). */
const MEMBERSHIP_ATTEMPTS = 5;

/** Thrown inside a membership transaction to roll it back with the answer it gives. */
class Undone {
  constructor(readonly result: MembershipResult) {}
}

export class PostgresRooms implements RoomStore {
  constructor(private readonly run: Run) {}

  async createRoom(
    name: string,
    topic: string,
    creatorId: number,
    now: number,
    visibility: RoomVisibility = "public",
  ) {
    const id = await this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const [row] = await tx`
          INSERT INTO rooms (name, name_key, topic, created_by, created_at, visibility)
          VALUES (${name}, ${nameKey(name)}, ${topic}, ${creatorId}, ${now}, ${visibility})
          ON CONFLICT (name_key) DO NOTHING RETURNING id`;
        if (!row) return undefined;
        await tx`INSERT INTO members (room_id, user_id, joined_at, role)
                 VALUES (${row.id}, ${creatorId}, ${now}, 'owner')`;
        return Number(row.id);
      }),
    );
    if (id === undefined) return "taken";
    return (await this.findRoom(id)) as RoomRecord;
  }

  async findRoom(id: number) {
    const [row] = await this.run(
      ({ sql, rooms }) => sql`SELECT ${rooms} FROM rooms r WHERE r.id = ${id}`,
    );
    return row ? toRoom(row) : undefined;
  }

  async findRoomByName(name: string) {
    const [row] = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms} FROM rooms r WHERE r.name_key = ${nameKey(name)} AND r.kind = 'room'`,
    );
    return row ? toRoom(row) : undefined;
  }

  async listRooms() {
    // COLLATE "C" sorts by code point, as SQLite's default BINARY collation does.
    const rows = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms} FROM rooms r WHERE r.kind = 'room' AND r.visibility = 'public'
        ORDER BY r.name_key COLLATE "C"`,
    );
    return (rows as RoomRow[]).map(toRoom);
  }

  async listRoomsPage(after: string | undefined, limit: number): Promise<RoomRecord[]> {
    const rows = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms} FROM rooms r
        WHERE r.kind = 'room' AND r.visibility = 'public' AND r.name_key COLLATE "C" > ${after ?? ""}
        ORDER BY r.name_key COLLATE "C" LIMIT ${limit}`,
    );
    return (rows as RoomRow[]).map(toRoom);
  }

  async joinedRooms(userId: number): Promise<RoomRecord[]> {
    const rows = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms} FROM members m JOIN rooms r ON r.id = m.room_id
        WHERE m.user_id = ${userId} AND r.kind = 'room' ORDER BY r.name_key COLLATE "C"`,
    );
    return (rows as RoomRow[]).map(toRoom);
  }

  async countRoomsCreatedBy(userId: number): Promise<number> {
    const [row] = await this.run(
      ({ sql }) => sql`
        SELECT count(*)::int AS n FROM rooms WHERE created_by = ${userId} AND kind = 'room'`,
    );
    return Number(row?.n ?? 0);
  }

  async roomHeads(roomIds: readonly number[]) {
    if (roomIds.length === 0) return new Map<number, number>();
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT id, last_seq FROM rooms WHERE id = ANY(${[...roomIds]}::bigint[])`,
    );
    return new Map(
      (rows as { id: Int; last_seq: Int }[]).map((r) => [Number(r.id), Number(r.last_seq)]),
    );
  }

  async addMember(roomId: number, userId: number, now: number) {
    const res = await this.run(
      ({ sql }) => sql`
        INSERT INTO members (room_id, user_id, joined_at) VALUES (${roomId}, ${userId}, ${now})
        ON CONFLICT DO NOTHING`,
    );
    return res.count > 0;
  }

  async removeMember(roomId: number, userId: number) {
    const res = await this.run(
      ({ sql }) => sql`DELETE FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`,
    );
    return res.count > 0;
  }

  async changeMembership(change: MembershipChange, event: AppendRequest) {
    const { room, sender } = event;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run((pool) =>
          pool.sql.begin(async (tx): Promise<MembershipResult> => {
            // The room's row first, as the append takes it: two nodes changing the same
            // membership queue here, and the second sees the first's row (READ COMMITTED).
            const found = await tx`SELECT 1 FROM rooms WHERE id = ${room} FOR NO KEY UPDATE`;
            if (found.length === 0) return { ok: false, code: "ROOM_NOT_FOUND" };
            if (change === "join") {
              const added = await tx`
                INSERT INTO members (room_id, user_id, joined_at)
                VALUES (${room}, ${sender.id}, ${event.ts}) ON CONFLICT DO NOTHING`;
              if ((added.count as number) === 0) return "unchanged";
            }
            // Counted under the room's lock, which every join takes too.
            const archives =
              change === "leave" &&
              (
                await tx`
                  SELECT 1 FROM rooms r WHERE r.id = ${room} AND r.archived_at IS NULL
                  AND r.kind = 'room' AND r.visibility = 'private'
                  AND NOT EXISTS (SELECT 1 FROM members m WHERE m.room_id = r.id
                    AND m.user_id <> ${sender.id})`
              ).length > 0;
            // A leave is appended while its sender is still a member, as every event's must be.
            const stored = archives ? { ...event, body: ARCHIVING_LEAVE } : event;
            const [result] = await appendIn(tx, pool, [stored]);
            if (!result?.ok) {
              const gone = change === "leave" && result?.code === "NOT_MEMBER";
              throw new Undone(gone || !result ? "unchanged" : result);
            }
            if (change === "leave") {
              const removed = await tx`
                DELETE FROM members WHERE room_id = ${room} AND user_id = ${sender.id}`;
              if ((removed.count as number) === 0) throw new Undone("unchanged");
            }
            if (archives) {
              await tx`UPDATE rooms SET archived_at = ${event.ts} WHERE id = ${room}`;
              await tx`
                INSERT INTO audit_log (room_id, actor_id, actor_name, action, reason, created_at)
                VALUES (${room}, ${sender.id}, ${sender.name}, 'archive', ${LAST_MEMBER_LEFT},
                  ${event.ts})`;
            }
            return result;
          }),
        );
      } catch (err) {
        if (err instanceof Undone) return err.result;
        if (attempt < MEMBERSHIP_ATTEMPTS && isLostRace(err)) continue;
        throw err;
      }
    }
  }

  async isMember(roomId: number, userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`SELECT 1 FROM members WHERE room_id = ${roomId} AND user_id = ${userId}`,
    );
    return rows.length > 0;
  }

  async roomsOf(userId: number) {
    const rows = await this.run(
      ({ sql }) => sql`SELECT room_id FROM members WHERE user_id = ${userId}`,
    );
    return (rows as { room_id: Int }[]).map((r) => Number(r.room_id));
  }

  async memberships(userId: number): Promise<MembershipRecord[]> {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT m.room_id, m.last_read,
          (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
             AND x.seq > m.last_read AND x.sender_id <> m.user_id AND x.kind IS NULL
             AND x.deleted_at IS NULL LIMIT ${UNREAD_COUNT_MAX}) c) AS unread,
          (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
             AND x.seq > m.last_read AND x.sender_id <> m.user_id AND x.kind IS NULL
             AND NOT x.sealed AND x.deleted_at IS NULL AND (${" "} || lower(x.body) || ${" "}) ~
             (${`[^${MENTION_SQL_WORD}]@`} || lower(u.name) || ${`[^${MENTION_SQL_WORD}-]`})
             LIMIT ${UNREAD_COUNT_MAX}) c) AS mentions
        FROM members m JOIN users u ON u.id = m.user_id
        WHERE m.user_id = ${userId} ORDER BY m.room_id`,
    );
    return (rows as { room_id: Int; last_read: Int; unread: Int; mentions: Int }[]).map((r) => ({
      room: Number(r.room_id),
      lastRead: Number(r.last_read),
      unread: Number(r.unread),
      mentions: Number(r.mentions),
    }));
  }

  async markRead(roomId: number, userId: number, seq: number) {
    // One statement: under READ COMMITTED a concurrent raise is re-read before GREATEST applies,
    // so the marker never goes down, and LEAST keeps it at or below the room's head.
    await this.run(
      ({ sql }) => sql`
        UPDATE members SET last_read = GREATEST(last_read,
          LEAST(${seq}::bigint, (SELECT last_seq FROM rooms WHERE id = members.room_id)))
        WHERE room_id = ${roomId} AND user_id = ${userId}`,
    );
  }

  async membersOf(roomId: number) {
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
        WHERE m.room_id = ${roomId} ORDER BY u.name_key COLLATE "C"`,
    );
    return toUsers(rows);
  }

  async usersWithRooms(userIds: readonly number[]) {
    if (userIds.length === 0) return [];
    const rows = await this.run(
      ({ sql }) => sql`
        SELECT u.id, u.name,
          coalesce((SELECT array_agg(room_id ORDER BY room_id) FROM members WHERE user_id = u.id),
            '{}') AS rooms
        FROM users u WHERE u.id = ANY(${[...userIds]}::bigint[])`,
    );
    return (rows as { id: Int; name: string; rooms: Int[] }[]).map(
      (r): { user: UserRef; rooms: number[] } => ({
        user: { id: Number(r.id), name: r.name },
        rooms: [...r.rooms].map(Number),
      }),
    );
  }

  async openDm(userId: number, peerId: number, now: number) {
    const [a, b] = userId < peerId ? [userId, peerId] : [peerId, userId];
    const name = `dm:${a}:${b}`;
    const opened = await this.run(({ sql }) =>
      sql.begin(async (tx) => {
        const findDm = async () => {
          const [row] = await tx`SELECT room_id FROM dms WHERE user_a = ${a} AND user_b = ${b}`;
          return row ? { room: Number(row.room_id), created: false } : undefined;
        };
        const found = await findDm();
        if (found) return found;
        // The name is unique per pair: a node opening the same pair at once waits here until
        // the other commits, inserts nothing, and then finds the other's DM.
        const [row] = await tx`
          INSERT INTO rooms (kind, name, name_key, topic, created_by, created_at)
          VALUES ('dm', ${name}, ${name}, '', ${userId}, ${now})
          ON CONFLICT (name_key) DO NOTHING RETURNING id`;
        if (!row) {
          const raced = await findDm();
          if (raced) return raced;
          throw new Error(`the DM room name ${name} is held by a room that is not their DM`);
        }
        await tx`INSERT INTO dms (user_a, user_b, room_id) VALUES (${a}, ${b}, ${row.id})`;
        await tx`
          INSERT INTO members (room_id, user_id, joined_at)
          VALUES (${row.id}, ${a}, ${now}), (${row.id}, ${b}, ${now})`;
        return { room: Number(row.id), created: true };
      }),
    );
    const record = (await this.findRoom(opened.room)) as RoomRecord;
    const peers = await this.run(({ sql }) => sql`SELECT id, name FROM users WHERE id = ${peerId}`);
    const peer = toUsers(peers)[0] as UserRef;
    return { ...record, peer, created: opened.created };
  }

  async dmUsers(roomId: number): Promise<[number, number] | undefined> {
    const [row] = await this.run(
      ({ sql }) => sql`SELECT user_a, user_b FROM dms WHERE room_id = ${roomId}`,
    );
    return row ? [Number(row.user_a), Number(row.user_b)] : undefined;
  }

  async listDms(userId: number): Promise<DmRecord[]> {
    // r.id breaks ties in activity, which SQLite leaves in scan order.
    const rows = await this.run(
      ({ sql, rooms }) => sql`
        SELECT ${rooms}, p.id AS peer_id, p.name AS peer_name FROM dms d
        JOIN rooms r ON r.id = d.room_id
        JOIN users p ON p.id = CASE WHEN d.user_a = ${userId} THEN d.user_b ELSE d.user_a END
        WHERE d.user_a = ${userId} OR d.user_b = ${userId}
        ORDER BY r.last_seq DESC, r.id DESC`,
    );
    return (rows as (RoomRow & { peer_id: Int; peer_name: string })[]).map((r) => ({
      ...toRoom(r),
      peer: { id: Number(r.peer_id), name: r.peer_name },
    }));
  }
}
