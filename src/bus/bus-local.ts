/** The in-process bus for a single node: publish is delivery, synchronously and in order. */
import type { Bus, BusEnvelope, BusHooks, Deliver } from "./bus.ts";

export class LocalBus implements Bus {
  private deliver: Deliver | undefined;
  private hooks: BusHooks = {};

  async start(deliver: Deliver, hooks: BusHooks = {}): Promise<void> {
    this.deliver = deliver;
    this.hooks = hooks;
  }

  /** One process: every envelope is delivered here anyway. */
  async watch(_room: number): Promise<void> {}

  unwatch(_room: number): void {}

  signal(message: string): void {
    this.hooks.signal?.(message);
  }

  publish(envelope: BusEnvelope): void {
    this.deliver?.(envelope);
  }

  async close(): Promise<void> {
    this.deliver = undefined;
    this.hooks = {};
  }
}
