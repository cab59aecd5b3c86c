/**
 * Acks are answered from the commit callback, outside any uWS handler, where each send would be
 * its own system call. Gathering a batch's acks per socket and sending them corked makes it one.
 */
import type { Socket } from "./hub.ts";

export class AckBatcher {
  private pending = new Map<Socket, string[]>();

  add(ws: Socket, frame: string): void {
    const queued = this.pending.get(ws);
    if (queued) {
      queued.push(frame);
      return;
    }
    if (this.pending.size === 0) queueMicrotask(() => this.flush());
    this.pending.set(ws, [frame]);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    for (const [ws, frames] of batch) {
      if (ws.data.delivery.state === "closed") continue;
      if (frames.length === 1) ws.send(frames[0] as string);
      else
        ws.cork(() => {
          for (const frame of frames) ws.send(frame);
        });
    }
  }
}
