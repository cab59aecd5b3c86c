import { describe, expect, it } from "bun:test";
import { fromBase64Url, toBase64Url, transcript } from "../../src/crypto/encoding.ts";

describe("base64url", () => {
  it("should round-trip every length from 0 to 70 bytes", () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      const text = toBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(fromBase64Url(text)).toEqual(bytes);
    }
  });

  it("should agree with the RFC 4648 test vectors, without padding", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "Zg"],
      ["fo", "Zm8"],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg"],
      ["fooba", "Zm9vYmE"],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, encoded] of vectors) {
      expect(toBase64Url(new TextEncoder().encode(plain))).toBe(encoded);
    }
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
  });

  it("should refuse padding, foreign characters, impossible lengths and non-canonical text", () => {
    for (const bad of ["Zg==", "Zm9v+", "Zm9v/", "Z", "Zm9vY", "Zh", "Zm9", "é"]) {
      expect(fromBase64Url(bad)).toBeUndefined();
    }
  });
});

describe("transcript", () => {
  it("should never give two different field lists the same bytes", () => {
    expect(transcript(["ab", "c"])).not.toEqual(transcript(["a", "bc"]));
    expect(transcript(["a", ""])).not.toEqual(transcript(["a"]));
  });
});
