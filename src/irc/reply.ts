/**
 * The answer to one command, for labeled-response: with a label, everything the command answers
 * is held and then sent as one line carrying the label, a labeled-response batch, or an ACK when
 * there was nothing to say. Without a label, lines go straight out. Live traffic that arrives
 * meanwhile (other people's messages) never goes through a Reply.
 */

export interface OutMessage {
  tags?: Map<string, string>;
  source?: string;
  command: string;
  params: string[];
}

export interface ReplySink {
  write(m: OutMessage): void;
  newBatchId(): string;
  readonly serverName: string;
}

export class Reply {
  private held: OutMessage[] | undefined;
  private finished = false;

  constructor(
    private readonly sink: ReplySink,
    private readonly label: string | undefined,
  ) {
    if (label !== undefined) this.held = [];
  }

  send(m: OutMessage): void {
    if (this.held && !this.finished) this.held.push(m);
    else this.sink.write(m);
  }

  /** Lines wrapped in a batch of their own (chathistory), inside the labeled batch if any. */
  batch(type: string, params: string[], lines: OutMessage[]): void {
    const id = this.sink.newBatchId();
    const source = this.sink.serverName;
    this.send({ source, command: "BATCH", params: [`+${id}`, type, ...params] });
    for (const m of lines) {
      const tags = new Map(m.tags ?? []);
      tags.set("batch", id);
      this.send({ ...m, tags });
    }
    this.send({ source, command: "BATCH", params: [`-${id}`] });
  }

  /** Sends what was held, once; lines sent after this go straight out. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const held = this.held;
    if (!held || this.label === undefined) return;
    const label = this.label;
    const source = this.sink.serverName;
    if (held.length === 0) {
      this.sink.write({ tags: new Map([["label", label]]), source, command: "ACK", params: [] });
      return;
    }
    if (held.length === 1) {
      const only = held[0] as OutMessage;
      this.sink.write({ ...only, tags: new Map([...(only.tags ?? []), ["label", label]]) });
      return;
    }
    const id = this.sink.newBatchId();
    this.sink.write({
      tags: new Map([["label", label]]),
      source,
      command: "BATCH",
      params: [`+${id}`, "labeled-response"],
    });
    for (const m of held) {
      // A nested batch's own lines already carry their batch tag; only its ends join ours.
      const tags = new Map(m.tags ?? []);
      if (!tags.has("batch")) tags.set("batch", id);
      this.sink.write({ ...m, tags });
    }
    this.sink.write({ source, command: "BATCH", params: [`-${id}`] });
  }
}
