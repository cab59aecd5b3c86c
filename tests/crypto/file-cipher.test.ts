import { describe, expect, it } from "bun:test";
import {
  attachmentText,
  decryptFile,
  encryptFile,
  parseAttachment,
  sha256Hex,
} from "../../src/crypto/index.ts";

const plain = new TextEncoder().encode("the quarterly numbers, privately ".repeat(100));

describe("file cipher", () => {
  it("should round-trip a file and describe it by the plaintext's sha256 and size", async () => {
    const sealed = await encryptFile(plain);
    expect(sealed.size).toBe(plain.length);
    expect(sealed.ciphertext.length).toBe(plain.length + 16);
    expect(sealed.sha256).toBe(await sha256Hex(plain));
    expect(Buffer.from(sealed.ciphertext).includes(Buffer.from("quarterly"))).toBe(false);
    expect(await decryptFile(sealed.ciphertext, sealed)).toEqual({ ok: true, bytes: plain });
  });

  it("should use a fresh key and iv for every file, even for the same bytes", async () => {
    const a = await encryptFile(plain);
    const b = await encryptFile(plain);
    expect(a.key).not.toBe(b.key);
    expect(a.iv).not.toBe(b.iv);
    expect(Buffer.from(a.ciphertext).equals(Buffer.from(b.ciphertext))).toBe(false);
  });

  it("should report a flipped ciphertext bit, a wrong key or a bad iv as tampered", async () => {
    const sealed = await encryptFile(plain);
    const flipped = sealed.ciphertext.slice();
    flipped[10] = (flipped[10] as number) ^ 1;
    expect(await decryptFile(flipped, sealed)).toEqual({ ok: false, reason: "tampered" });
    const other = await encryptFile(plain);
    expect(await decryptFile(sealed.ciphertext, { ...sealed, key: other.key })).toEqual({
      ok: false,
      reason: "tampered",
    });
    expect(await decryptFile(sealed.ciphertext, { ...sealed, iv: "short" })).toEqual({
      ok: false,
      reason: "tampered",
    });
  });

  it("should refuse a file that decrypts but is not the one described", async () => {
    const sealed = await encryptFile(plain);
    const wrong = { ...sealed, sha256: await sha256Hex(new Uint8Array([1, 2, 3])) };
    expect(await decryptFile(sealed.ciphertext, wrong)).toEqual({
      ok: false,
      reason: "digest-mismatch",
    });
  });

  it("should encrypt an empty file", async () => {
    const sealed = await encryptFile(new Uint8Array(0));
    expect(await decryptFile(sealed.ciphertext, sealed)).toEqual({
      ok: true,
      bytes: new Uint8Array(0),
    });
  });
});

describe("attachment descriptor", () => {
  it("should parse what attachmentText writes, and nothing that is ordinary text", async () => {
    const sealed = await encryptFile(plain);
    const described = {
      id: "q7Vh0x3mZQeHk1sG0cJb9A",
      name: "numbers.txt",
      type: "text/plain",
      size: sealed.size,
      sha256: sealed.sha256,
      key: sealed.key,
      iv: sealed.iv,
    };
    expect(parseAttachment(attachmentText(described))).toEqual({
      t: "parley.file",
      v: 1,
      ...described,
    });
    expect(parseAttachment("hello")).toBeUndefined();
    expect(parseAttachment('{"t":"parley.file"}')).toBeUndefined();
    expect(parseAttachment('{"t":"parley.file", oops')).toBeUndefined();
    // Extra fields or a bad key: not an attachment, shown as the text it is.
    const extra = JSON.stringify({ t: "parley.file", v: 1, ...described, x: 1 });
    expect(parseAttachment(extra)).toBeUndefined();
    const badKey = attachmentText({ ...described, key: "AAAA" });
    expect(parseAttachment(badKey)).toBeUndefined();
  });
});
