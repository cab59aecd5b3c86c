/** Timings of encrypted groups at their bounds (docs/e2ee.md, Figures): bun bench/e2ee-groups.ts */

import { acceptMembership, signMembership } from "../src/crypto/group-membership.ts";
import { createIdentity } from "../src/crypto/identity.ts";
import { GROUP_DEVICES_MAX, open, seal, type VerifiedBundle } from "../src/crypto/index.ts";

const time = async (name: string, n: number, f: () => Promise<unknown>) => {
  for (let i = 0; i < 3; i++) await f();
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  console.log(`${name}: ${((performance.now() - t) / n).toFixed(2)} ms`);
};

// A full group: 32 members with 10 devices each, the sender's device among them.
const sender = await createIdentity({ user: "1" });
const others = [];
for (let i = 1; i < GROUP_DEVICES_MAX; i++) {
  others.push(await createIdentity({ user: String(1 + Math.floor(i / 10)) }));
}
const to = others.map((o) => o.bundle as VerifiedBundle);
const text = "hello group, a short message";
const sealOnce = () =>
  seal({ from: sender, conversation: "group:9", text, to, maxDevices: GROUP_DEVICES_MAX });
const envelope = await sealOnce();
console.log(`envelope for ${envelope.to.length} devices: ${JSON.stringify(envelope).length} bytes`);
await time(`seal for ${envelope.to.length} devices`, 20, sealOnce);
const reader = others[200] as (typeof others)[number];
const senders = [sender.bundle as VerifiedBundle];
await time("open by one member", 20, () =>
  open(envelope, { me: reader, conversation: "group:9", senders }),
);

const members = Array.from({ length: 32 }, (_, i) => String(i + 1));
const sign = () =>
  signMembership({ conv: "group:9", current: undefined, members, admins: ["1"], by: sender });
const version = await sign();
await time("signMembership, 32 members", 200, sign);
await time("acceptMembership, 32 members", 200, () =>
  acceptMembership(version, undefined, sender.bundle as VerifiedBundle),
);
