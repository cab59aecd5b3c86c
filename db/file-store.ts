/** Files: the metadata of uploaded files; their bytes live in the blob store under `sha256`. */

/** An uploaded file's metadata. */
export interface FileRecord {
  /** Random and unguessable: 128 bits, base64url. */
  id: string;
  /** The room (or DM) it was uploaded to: only its members may download it. */
  room: number;
  uploader: number;
  /** Hex SHA-256 of the stored bytes (ciphertext for a DM file): the blob's address. */
  sha256: string;
  size: number;
  /** Absent for a DM file: the server must not learn it. */
  name?: string | undefined;
  /** Absent for a DM file. */
  type?: string | undefined;
  createdAt: number;
}

export interface FileStore {
  /** Records an uploaded file; "taken" if the id is in use (ids are random: retry with another). */
  putFile(file: FileRecord): Promise<"ok" | "taken">;
  findFile(id: string): Promise<FileRecord | undefined>;
  /** Bytes of the files the user uploaded at or after `since` (0: ever). */
  uploadedBytes(userId: number, since: number): Promise<number>;
  /** Up to `limit` public-room files uploaded before `before` that no message shares. */
  unsharedFiles(before: number, limit: number): Promise<FileRecord[]>;
  /** Deletes a file's record; `blobUnused` when no record is left using its bytes. */
  deleteFile(id: string): Promise<{ deleted: boolean; blobUnused: boolean }>;
}
