import { describe, expect, it } from "bun:test";
import { argon2id } from "hash-wasm";
import { passphraseRecoveryKey, toBase64Url } from "../../src/crypto/index.ts";

describe("backup passphrase", () => {
  it("matches the reference implementation's argon2id vector through hash-wasm", async () => {
    // phc-winner-argon2 test.c, argon2id version 0x13: t=2, m=64 MiB, p=1.
    const hex = await argon2id({
      password: "password",
      salt: "somesalt",
      iterations: 2,
      memorySize: 65_536,
      parallelism: 1,
      hashLength: 32,
      outputType: "hex",
    });
    expect(hex).toBe("09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7");
  });

  it("derives the same 32-byte recovery key from the same passphrase and account", async () => {
    const a = await passphraseRecoveryKey("correct horse battery staple", "7");
    const b = await passphraseRecoveryKey("correct horse battery staple", "7");
    expect(a?.length).toBe(32);
    expect(toBase64Url(a as Uint8Array<ArrayBuffer>)).toBe(
      toBase64Url(b as Uint8Array<ArrayBuffer>),
    );
  });

  it("derives another key for another account or another passphrase", async () => {
    const base = await passphraseRecoveryKey("correct horse battery staple", "7");
    const other = await passphraseRecoveryKey("correct horse battery staple", "8");
    const typo = await passphraseRecoveryKey("correct horse battery stapel", "7");
    const k = (x: Uint8Array<ArrayBuffer> | undefined) => toBase64Url(x as Uint8Array<ArrayBuffer>);
    expect(k(other)).not.toBe(k(base));
    expect(k(typo)).not.toBe(k(base));
  });

  it("refuses a passphrase shorter than 12 characters", async () => {
    expect(await passphraseRecoveryKey("short", "7")).toBeUndefined();
    expect(await passphraseRecoveryKey("x".repeat(1025), "7")).toBeUndefined();
  });
});
