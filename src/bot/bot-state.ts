/**
 * What a bot has handled: per room, the last seq it finished with. Kept in a small JSON file,
 * replaced atomically (write a temporary file, then rename), so a bot killed at any moment
 * restarts from a whole state: the last one written, or the one before it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface BotStateStore {
  /** The last handled seq of each room known. */
  load(): Map<number, number>;
  save(handled: ReadonlyMap<number, number>): void;
}

/** The state in a file; a missing file is an empty state (a bot's first start). */
export function fileState(path: string): BotStateStore {
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch {
        return new Map();
      }
      const parsed = JSON.parse(text) as { rooms?: Record<string, number> };
      return new Map(Object.entries(parsed.rooms ?? {}).map(([room, seq]) => [Number(room), seq]));
    },
    save(handled) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, JSON.stringify({ rooms: Object.fromEntries(handled) }));
      renameSync(tmp, path);
    },
  };
}

/** State that lives as long as the process: for tests and bots that may start from "now". */
export function memoryState(): BotStateStore {
  let saved = new Map<number, number>();
  return {
    load: () => new Map(saved),
    save: (handled) => {
      saved = new Map(handled);
    },
  };
}
