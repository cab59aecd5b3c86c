#!/usr/bin/env bun
/**
 * The bare relay: the baseline Parley is measured against. Bun.serve pub/sub with no auth, no
 * validation and no storage, answering with frames byte-for-byte the size of Parley's.
 *
 * Usage: bun bench/relay.ts [--port 0]. Clients connect to /ws?room=R&user=U&name=N.
 * It speaks just enough of the protocol for the bench: a join is answered at once, and every
 * frame is taken to be a `send` shaped exactly as bench/client-socket.ts builds it
 * ({"type":"send","id":…,"room":…,"cid":…,"body":…}), so the ack and the msg can be cut from
 * it with string slicing instead of JSON.parse — the cheapest honest way to echo the same bytes.
 */

interface RelayData {
  topic: string;
  room: number;
  /** `"from":{…},` exactly as Parley encodes the sender, prebuilt per connection. */
  from: string;
}

const seqs = new Map<number, number>();

function port(argv: readonly string[]): number {
  const i = argv.indexOf("--port");
  return i >= 0 ? Number(argv[i + 1]) : 0;
}

const server = Bun.serve<RelayData>({
  hostname: "127.0.0.1",
  port: port(process.argv.slice(2)),
  fetch(req, server) {
    const url = new URL(req.url);
    const room = Number(url.searchParams.get("room"));
    const user = Number(url.searchParams.get("user"));
    const name = url.searchParams.get("name") ?? "";
    const from = `"from":${JSON.stringify({ id: user, name })},`;
    if (server.upgrade(req, { data: { topic: `room:${room}`, room, from } })) return undefined;
    return new Response("expected a WebSocket upgrade", { status: 400 });
  },
  websocket: {
    // The same socket settings Parley uses, so the transports are alike.
    maxPayloadLength: 1024 * 1024,
    backpressureLimit: 4 * 1024 * 1024,
    closeOnBackpressureLimit: true,
    perMessageDeflate: false,
    open(ws) {
      ws.subscribe(ws.data.topic);
      ws.send('{"type":"joined"}');
    },
    message(ws, data) {
      const text = String(data);
      if (text.startsWith('{"type":"ping"')) {
        ws.send(`{"type":"pong","ref":${text.slice(text.indexOf('"id":') + 5, -1)}}`);
        return;
      }
      const cidAt = text.indexOf(',"cid":');
      const idJson = text.slice(text.indexOf('"id":') + 5, text.indexOf(',"room":'));
      const tail = text.slice(cidAt + 1);
      const cidJson = tail.slice(6, tail.indexOf(',"body":'));
      const room = ws.data.room;
      const seq = (seqs.get(room) ?? 0) + 1;
      seqs.set(room, seq);
      const ts = Date.now();
      ws.send(
        `{"type":"ack","ref":${idJson},"room":${room},"cid":${cidJson},"seq":${seq},"ts":${ts},"duplicate":false}`,
      );
      server.publish(
        ws.data.topic,
        `{"type":"msg","room":${room},"seq":${seq},"ts":${ts},${ws.data.from}${tail}`,
      );
    },
  },
});

console.log(`relay listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.stop(true);
    process.exit(0);
  });
}
