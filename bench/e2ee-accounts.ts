/** Timings of the account-key pieces of E2EE (docs/e2ee.md, Figures): bun bench/e2ee-accounts.ts */

import {
  createAccountKey,
  deviceListWire,
  signDeviceList,
  verifyDeviceList,
} from "../src/crypto/device-list.ts";
import { createIdentity } from "../src/crypto/identity.ts";
import {
  createRecoveryKey,
  openBackupItem,
  recoveryKeys,
  sealBackupItem,
} from "../src/crypto/key-backup.ts";
import { accountSafetyNumber } from "../src/crypto/safety-number.ts";

const time = async (name: string, n: number, f: () => Promise<unknown>) => {
  for (let i = 0; i < 5; i++) await f();
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  console.log(`${name}: ${((performance.now() - t) / n).toFixed(2)} ms`);
};
const key = await createAccountKey();
const ds = await Promise.all(Array.from({ length: 10 }, () => createIdentity({ user: "7" })));
const list = await signDeviceList({
  user: "7",
  version: 1,
  account: key,
  devices: ds.map((d) => d.bundle),
});
const wire = deviceListWire(list);
await time("signDeviceList (10 devices)", 200, () =>
  signDeviceList({ user: "7", version: 2, account: key, devices: ds.map((d) => d.bundle) }),
);
await time("verifyDeviceList (10 devices)", 200, () => verifyDeviceList(wire, { user: "7" }));
await time("accountSafetyNumber", 50, () => accountSafetyNumber("7", list.key, "8", list.key));
const keys = await recoveryKeys(createRecoveryKey());
const entries = Array.from({ length: 50 }, () => ({
  c: "dm:12",
  u: "7",
  d: "CGJo35AQ5HVVi9FhMxsWFw",
  i: crypto.randomUUID(),
  k: "A".repeat(43),
}));
const item = await sealBackupItem(keys.publicKey, entries);
await time("sealBackupItem (50 entries)", 200, () => sealBackupItem(keys.publicKey, entries));
await time("openBackupItem (50 entries)", 200, () => openBackupItem(item, keys));
console.log("item chars:", item.length, "list JSON bytes:", JSON.stringify(wire).length);
