/** The SQLite store's rooms, membership and DM rooms (room-store.ts). */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
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
import { type Appender, createAppender } from "./store-sqlite-append.ts";

/** Thrown inside a membership transaction to roll it back with the answer it gives. */
class Undone {
  constructor(readonly result: MembershipResult) {}
}

/**
 * A new room's id: past every room's and every audited room's, so the id of a deleted room is
 * never handed out again (SQLite would reuse the highest rowid) and its audit rows stay its own.
 * PostgreSQL's sequence never reuses one.
 */
const NEXT_ROOM_ID = `(SELECT coalesce(max(x), 0) + 1 FROM (SELECT max(id) AS x FROM rooms
  UNION ALL SELECT max(room_id) FROM audit_log))`;
const ROOM_COLUMNS = `r.id,
  CASE WHEN EXISTS (SELECT 1 FROM group_rooms g WHERE g.room_id = r.id) THEN 'group' ELSE r.kind END AS kind, r.name, r.topic, r.created_at AS createdAt, r.last_seq AS head,
  r.member_count AS members, CASE WHEN r.kind = 'dm' THEN 'private' ELSE r.visibility END AS visibility,
  r.archived_at AS archivedAt`;

function prepare(db: Database) {
  const s = <R, P extends SQLQueryBindings[]>(sql: string): Statement<R, P> =>
    db.query<R, P>(sql) as Statement<R, P>;
  return {
    insertRoom: s<{ id: number }, [string, string, string, number, number, string]>(
      `INSERT INTO rooms (id, name, name_key, topic, created_by, created_at, visibility)
       VALUES (${NEXT_ROOM_ID}, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name_key) DO NOTHING RETURNING id`,
    ),
    makeOwner: s<never, [number, number]>(
      "UPDATE members SET role = 'owner' WHERE room_id = ? AND user_id = ?",
    ),
    findRoom: s<RoomRecord, [number]>(`SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.id = ?`),
    findRoomByName: s<RoomRecord, [string]>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.name_key = ? AND r.kind = 'room'`,
    ),
    listRooms: s<RoomRecord, []>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.kind = 'room' AND r.visibility = 'public'
       ORDER BY r.name_key`,
    ),
    listRoomsPage: s<RoomRecord, [string, number]>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.kind = 'room' AND r.visibility = 'public' AND r.name_key > ?
       ORDER BY r.name_key LIMIT ?`,
    ),
    joinedRooms: s<RoomRecord, [number]>(
      `SELECT ${ROOM_COLUMNS} FROM members m JOIN rooms r ON r.id = m.room_id
       WHERE m.user_id = ? AND r.kind = 'room' ORDER BY r.name_key`,
    ),
    countRoomsCreatedBy: s<{ n: number }, [number]>(
      "SELECT count(*) AS n FROM rooms WHERE created_by = ? AND kind = 'room'",
    ),
    // Lists travel as one JSON array: one prepared statement serves any length.
    roomHeads: s<{ id: number; head: number }, [string]>(
      "SELECT id, last_seq AS head FROM rooms WHERE id IN (SELECT value FROM json_each(?))",
    ),
    insertMember: s<never, [number, number, number]>(
      "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    deleteMember: s<never, [number, number]>(
      "DELETE FROM members WHERE room_id = ? AND user_id = ?",
    ),
    roomExists: s<{ one: number }, [number]>("SELECT 1 AS one FROM rooms WHERE id = ?"),
    lastOfPrivate: s<{ one: number }, [number, number]>(
      `SELECT 1 AS one FROM rooms r WHERE r.id = ? AND r.archived_at IS NULL
       AND r.kind = 'room' AND r.visibility = 'private'
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.room_id = r.id AND m.user_id <> ?)`,
    ),
    archive: s<never, [number, number]>("UPDATE rooms SET archived_at = ? WHERE id = ?"),
    auditArchive: s<never, [number, number, string, string, number]>(
      `INSERT INTO audit_log (room_id, actor_id, actor_name, action, reason, created_at)
       VALUES (?, ?, ?, 'archive', ?, ?)`,
    ),
    isMember: s<{ one: number }, [number, number]>(
      "SELECT 1 AS one FROM members WHERE room_id = ? AND user_id = ?",
    ),
    roomsOf: s<{ room: number }, [number]>("SELECT room_id AS room FROM members WHERE user_id = ?"),
    memberships: s<MembershipRecord, [number, number]>(
      `SELECT m.room_id AS room, m.last_read AS lastRead,
         (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
            AND x.seq > m.last_read AND x.sender_id != m.user_id AND x.kind IS NULL
            AND x.deleted_at IS NULL LIMIT ?1)) AS unread,
         (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
            AND x.seq > m.last_read AND x.sender_id != m.user_id AND x.kind IS NULL
            AND x.sealed = 0 AND x.deleted_at IS NULL
            AND instr(lower(x.body), '@' || u.name_key) > 0
            AND (' ' || lower(x.body) || ' ') GLOB
              ('*[^${MENTION_SQL_WORD}]@' || u.name_key || '[^${MENTION_SQL_WORD}-]*')
            LIMIT ?1)) AS mentions
       FROM members m JOIN users u ON u.id = m.user_id WHERE m.user_id = ?2`,
    ),
    markRead: s<never, [number, number, number]>(
      `UPDATE members SET last_read = max(last_read, min(?, (SELECT last_seq FROM rooms WHERE id = room_id)))
       WHERE room_id = ? AND user_id = ?`,
    ),
    membersOf: s<{ id: number; name: string }, [number]>(
      `SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = ? ORDER BY u.name_key`,
    ),
    usersWithRooms: s<{ id: number; name: string; rooms: string }, [string]>(
      `SELECT u.id, u.name, (SELECT json_group_array(room_id) FROM members WHERE user_id = u.id)
         AS rooms FROM users u WHERE u.id IN (SELECT value FROM json_each(?))`,
    ),
    findDm: s<{ room: number }, [number, number]>(
      "SELECT room_id AS room FROM dms WHERE user_a = ? AND user_b = ?",
    ),
    insertDmRoom: s<{ id: number }, [string, string, number, number]>(
      `INSERT INTO rooms (id, kind, name, name_key, topic, created_by, created_at)
       VALUES (${NEXT_ROOM_ID}, 'dm', ?, ?, '', ?, ?) RETURNING id`,
    ),
    insertDm: s<never, [number, number, number]>(
      "INSERT INTO dms (user_a, user_b, room_id) VALUES (?, ?, ?)",
    ),
    dmUsers: s<{ a: number; b: number }, [number]>(
      "SELECT user_a AS a, user_b AS b FROM dms WHERE room_id = ?",
    ),
    listDms: s<RoomRecord & { peerId: number; peerName: string }, [number, number, number]>(
      `SELECT ${ROOM_COLUMNS}, p.id AS peerId, p.name AS peerName FROM dms d
       JOIN rooms r ON r.id = d.room_id
       JOIN users p ON p.id = CASE WHEN d.user_a = ? THEN d.user_b ELSE d.user_a END
       WHERE d.user_a = ? OR d.user_b = ? ORDER BY r.last_seq DESC`,
    ),
    findPeer: s<{ id: number; name: string }, [number]>("SELECT id, name FROM users WHERE id = ?"),
  };
}

export class SqliteRooms implements RoomStore {
  private readonly q: ReturnType<typeof prepare>;
  /** The log's append, run inside a membership's transaction (a savepoint of it). */
  private readonly append: Appender;

  constructor(private readonly db: Database) {
    this.q = prepare(db);
    this.append = createAppender(db);
  }

  async createRoom(
    name: string,
    topic: string,
    creatorId: number,
    now: number,
    visibility: RoomVisibility = "public",
  ) {
    const room = this.db
      .transaction(() => {
        const row = this.q.insertRoom.get(name, nameKey(name), topic, creatorId, now, visibility);
        if (!row) return undefined;
        this.q.insertMember.run(row.id, creatorId, now);
        this.q.makeOwner.run(row.id, creatorId);
        return row.id;
      })
      .immediate();
    if (room === undefined) return "taken";
    return (await this.findRoom(room)) as RoomRecord;
  }

  async findRoom(id: number) {
    return this.q.findRoom.get(id) ?? undefined;
  }

  async findRoomByName(name: string) {
    return this.q.findRoomByName.get(nameKey(name)) ?? undefined;
  }

  async listRooms() {
    return this.q.listRooms.all();
  }

  async listRoomsPage(after: string | undefined, limit: number) {
    return this.q.listRoomsPage.all(after ?? "", limit);
  }

  async joinedRooms(userId: number) {
    return this.q.joinedRooms.all(userId);
  }

  async countRoomsCreatedBy(userId: number) {
    return this.q.countRoomsCreatedBy.get(userId)?.n ?? 0;
  }

  async roomHeads(roomIds: readonly number[]) {
    const rows = this.q.roomHeads.all(JSON.stringify(roomIds));
    return new Map(rows.map((r) => [r.id, r.head]));
  }

  async addMember(roomId: number, userId: number, now: number) {
    return this.q.insertMember.run(roomId, userId, now).changes > 0;
  }

  async removeMember(roomId: number, userId: number) {
    return this.q.deleteMember.run(roomId, userId).changes > 0;
  }

  async changeMembership(change: MembershipChange, event: AppendRequest) {
    const { room, sender } = event;
    try {
      return this.db
        .transaction((): MembershipResult => {
          if (this.q.roomExists.get(room) === null) return { ok: false, code: "ROOM_NOT_FOUND" };
          if (
            change === "join" &&
            this.q.insertMember.run(room, sender.id, event.ts).changes === 0
          ) {
            return "unchanged";
          }
          const archives = change === "leave" && this.q.lastOfPrivate.get(room, sender.id) !== null;
          // A leave is appended while its sender is still a member, as every event's must be.
          const [result] = this.append([archives ? { ...event, body: ARCHIVING_LEAVE } : event]);
          if (!result?.ok) {
            const gone = change === "leave" && result?.code === "NOT_MEMBER";
            throw new Undone(gone || !result ? "unchanged" : result);
          }
          if (change === "leave" && this.q.deleteMember.run(room, sender.id).changes === 0) {
            throw new Undone("unchanged");
          }
          if (archives) {
            this.q.archive.run(event.ts, room);
            this.q.auditArchive.run(room, sender.id, sender.name, LAST_MEMBER_LEFT, event.ts);
          }
          return result;
        })
        .immediate();
    } catch (err) {
      if (err instanceof Undone) return err.result;
      throw err;
    }
  }

  async isMember(roomId: number, userId: number) {
    return this.q.isMember.get(roomId, userId) !== null;
  }

  async roomsOf(userId: number) {
    return this.q.roomsOf.all(userId).map((r) => r.room);
  }

  async memberships(userId: number): Promise<MembershipRecord[]> {
    return this.q.memberships.all(UNREAD_COUNT_MAX, userId);
  }

  async markRead(roomId: number, userId: number, seq: number) {
    this.q.markRead.run(seq, roomId, userId);
  }

  async membersOf(roomId: number) {
    return this.q.membersOf.all(roomId);
  }

  async usersWithRooms(userIds: readonly number[]) {
    return this.q.usersWithRooms.all(JSON.stringify(userIds)).map((r) => ({
      user: { id: r.id, name: r.name },
      rooms: (JSON.parse(r.rooms) as number[]).sort((a, b) => a - b),
    }));
  }

  async openDm(userId: number, peerId: number, now: number) {
    const [a, b] = userId < peerId ? [userId, peerId] : [peerId, userId];
    let created = false;
    const room = this.db
      .transaction(() => {
        const found = this.q.findDm.get(a, b);
        if (found) return found.room;
        created = true;
        const name = `dm:${a}:${b}`;
        const row = this.q.insertDmRoom.get(name, name, userId, now) as { id: number };
        this.q.insertDm.run(a, b, row.id);
        this.q.insertMember.run(row.id, a, now);
        this.q.insertMember.run(row.id, b, now);
        return row.id;
      })
      .immediate();
    const record = (await this.findRoom(room)) as RoomRecord;
    const peer = this.q.findPeer.get(peerId) as { id: number; name: string };
    return { ...record, peer, created };
  }

  async dmUsers(roomId: number): Promise<[number, number] | undefined> {
    const row = this.q.dmUsers.get(roomId);
    return row ? [row.a, row.b] : undefined;
  }

  async listDms(userId: number): Promise<DmRecord[]> {
    return this.q.listDms.all(userId, userId, userId).map(({ peerId, peerName, ...room }) => ({
      ...room,
      peer: { id: peerId, name: peerName },
    }));
  }
}
