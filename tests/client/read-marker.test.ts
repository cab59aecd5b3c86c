import { describe, expect, it } from "bun:test";
import type { Clock } from "../../src/client-core/clock.ts";
import { ReadMarker } from "../../src/client-core/read-marker.ts";

/** A clock whose timers run only when the test says so. */
function manualClock() {
  const timers: (() => void)[] = [];
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn) => {
      timers.push(fn);
      return fn;
    },
    clearTimeout: (h) => {
      const i = timers.indexOf(h as () => void);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const fire = () => {
    for (const fn of timers.splice(0)) fn();
  };
  return { clock, fire };
}

describe("ReadMarker", () => {
  it("should send the first read at once and the highest seq shown at the end of each interval", () => {
    const sent: [number, number][] = [];
    const { clock, fire } = manualClock();
    const marks = new ReadMarker((room, seq) => sent.push([room, seq]) > 0, clock);
    marks.shown(1, 5);
    marks.shown(1, 6);
    marks.shown(1, 7);
    expect(sent).toEqual([[1, 5]]);
    fire();
    expect(sent).toEqual([
      [1, 5],
      [1, 7],
    ]);
    fire();
    marks.shown(1, 3); // lower than what was read: nothing
    expect(sent.length).toBe(2);
  });

  it("should try again with the next message when a read could not be sent (offline)", () => {
    let online = false;
    const sent: number[] = [];
    const { clock } = manualClock();
    const marks = new ReadMarker((_room, seq) => online && sent.push(seq) > 0, clock);
    marks.shown(1, 4);
    expect(sent).toEqual([]);
    online = true;
    marks.shown(1, 5);
    expect(sent).toEqual([5]);
  });
});
