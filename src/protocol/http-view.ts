/**
 * The JSON the HTTP API answers with that both sides type: written by the server, read by the
 * shared client core. Defined once so that a field added on one side cannot be missed on the
 * other (docs/protocol.md describes the routes).
 */

/** One of the user's sessions, as GET /api/sessions lists it. */
export interface SessionView {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  agent: string;
  /** The session making this request. */
  current: boolean;
}

/** A stored file, as an upload answers it: what a client needs to send the file message. */
export interface FileView {
  id: string;
  room: number;
  size: number;
  sha256: string;
  /** Absent for a DM file: the server keeps no name or type of what it cannot read. */
  name?: string;
  type?: string;
}
