#!/usr/bin/env bun
/**
 * The abuse scenario's attacker, in a process of its own so that its work never delays the
 * bystander's clock: one ordinary user running the costliest requests it can while staying
 * inside its limits. Four sockets ask for the largest room page, history and members as fast
 * as their buckets allow (waiting out each RATE_LIMITED), while HTTP lists rooms and creates
 * rooms up to the per-user cap. Prints one JSON line of counts when done.
 *
 * Usage: bun bench/abuser.ts '{"base","wsUrl","token","room","seconds"}'
 */
interface Plan {
  base: string;
  wsUrl: string;
  token: string;
  room: number;
  seconds: number;
}

const plan = JSON.parse(process.argv[2] ?? "{}") as Plan;
const until = performance.now() + plan.seconds * 1000;
const counts = { frames: 0, limited: 0, http: 0, httpLimited: 0, created: 0 };

const MIX = [
  { type: "rooms", limit: 500 },
  { type: "history", room: plan.room, limit: 200 },
  { type: "members", room: plan.room },
  { type: "rooms", limit: 500 },
];

async function socketLoop(n: number): Promise<void> {
  const ws = new WebSocket(plan.wsUrl, {
    headers: { authorization: `Bearer ${plan.token}` },
  } as unknown as string[]);
  let wake: ((frame: string) => void) | undefined;
  ws.addEventListener("message", (e) => {
    const text = String(e.data);
    // Only the reply to the one request in flight matters; pushes are dropped unparsed.
    if (text.includes(`"ref":"a${n}.`)) wake?.(text);
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  for (let i = 0; performance.now() < until; i++) {
    const frame = { ...MIX[i % MIX.length], id: `a${n}.${i}` };
    const reply = new Promise<string>((resolve) => {
      wake = resolve;
    });
    ws.send(JSON.stringify(frame));
    const text = await reply;
    counts.frames++;
    if (text.includes('"RATE_LIMITED"')) {
      counts.limited++;
      const retry = Number(/"retryAfter":(\d+)/.exec(text)?.[1] ?? 1);
      await Bun.sleep(retry * 1000);
    }
  }
  ws.close();
}

async function httpLoop(): Promise<void> {
  const headers = { authorization: `Bearer ${plan.token}`, "content-type": "application/json" };
  for (let i = 0; performance.now() < until; i++) {
    const create = i % 3 === 0;
    const res = create
      ? await fetch(`${plan.base}/api/rooms`, {
          method: "POST",
          headers,
          body: JSON.stringify({ name: `abuse-${process.pid}-${i}` }),
        })
      : await fetch(`${plan.base}/api/rooms?limit=500`, { headers });
    await res.arrayBuffer();
    counts.http++;
    if (res.status === 201) counts.created++;
    if (res.status === 429) {
      counts.httpLimited++;
      await Bun.sleep(Number(res.headers.get("retry-after") ?? 1) * 1000);
    }
  }
}

await Promise.all([socketLoop(0), socketLoop(1), socketLoop(2), socketLoop(3), httpLoop()]);
console.log(JSON.stringify(counts));
process.exit(0);
