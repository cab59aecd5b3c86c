import { describe, expect, it } from "bun:test";
import { backoffDelay } from "../../src/client-core/backoff.ts";

describe("backoffDelay", () => {
  it("should double the delay with each attempt, between half and all of it", () => {
    expect(backoffDelay(1, () => 0)).toBe(250);
    expect(backoffDelay(1, () => 1)).toBe(500);
    expect(backoffDelay(2, () => 0)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(2000);
  });

  it("should never pass the cap, however many attempts", () => {
    for (const attempt of [10, 50, 1000]) {
      expect(backoffDelay(attempt, () => 1, { capMs: 15_000 })).toBe(15_000);
      expect(backoffDelay(attempt, () => 0, { capMs: 15_000 })).toBe(7_500);
    }
  });

  it("should spread two clients retrying the same attempt", () => {
    expect(backoffDelay(4, () => 0.1)).not.toBe(backoffDelay(4, () => 0.9));
  });
});
