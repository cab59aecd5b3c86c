/**
 * Room topics for sockets that are not Bun WebSockets (the IRC gateway's connections). Bun's
 * server.publish reaches only its own WebSockets; the hub publishes here too, in the same
 * synchronous step, so both kinds of socket see the same envelopes in the same order.
 */

export interface TopicSubscriber {
  send(frame: string): unknown;
}

export class LocalTopics {
  private readonly topics = new Map<string, Set<TopicSubscriber>>();

  subscribe(topic: string, s: TopicSubscriber): void {
    let set = this.topics.get(topic);
    if (!set) {
      set = new Set();
      this.topics.set(topic, set);
    }
    set.add(s);
  }

  unsubscribe(topic: string, s: TopicSubscriber): void {
    const set = this.topics.get(topic);
    if (!set?.delete(s)) return;
    if (set.size === 0) this.topics.delete(topic);
  }

  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  publish(topic: string, frame: string): void {
    const set = this.topics.get(topic);
    if (set) for (const s of set) s.send(frame);
  }
}
