/** The in-process bus for a single node: publish is delivery, synchronously and in order. */
import type { Bus, BusEnvelope, Deliver } from "./bus.ts";

export class LocalBus implements Bus {
  private deliver: Deliver | undefined;

  async start(deliver: Deliver): Promise<void> {
    this.deliver = deliver;
  }

  publish(envelope: BusEnvelope): void {
    this.deliver?.(envelope);
  }

  async close(): Promise<void> {
    this.deliver = undefined;
  }
}
