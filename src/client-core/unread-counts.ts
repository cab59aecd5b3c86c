/**
 * A conversation's unread and mention counts as a client keeps them: started from the
 * server's (a room's summary), one more for each message of someone else's that came while not
 * read, cleared when read, and one less when a counted message is deleted (the server's counts
 * leave it out too). Only the messages counted here are known by seq; those in the server's
 * count at start are fixed by the next count the server gives.
 */
export class UnreadCounts {
  /** Messages counted here as they came, each with whether it was counted a mention. */
  private readonly counted = new Map<number, boolean>();

  constructor(
    public unread = 0,
    /** Unread messages that @mention the reader, counted apart (shown next to unread). */
    public mentions = 0,
  ) {}

  /** A message from someone else came while not read: one more unread (and mention). */
  countUnread(seq: number, mention: boolean): void {
    this.unread++;
    if (mention) this.mentions++;
    this.counted.set(seq, mention);
  }

  /** Everything is read. */
  clearUnread(): void {
    this.unread = 0;
    this.mentions = 0;
    this.counted.clear();
  }

  /** A deleted message is unread no more; true when the counts changed. */
  uncount(seq: number): boolean {
    const mention = this.counted.get(seq);
    if (mention === undefined) return false;
    this.counted.delete(seq);
    this.unread = Math.max(0, this.unread - 1);
    if (mention) this.mentions = Math.max(0, this.mentions - 1);
    return true;
  }
}
