import type { SessionStore } from "./session-store.ts";

export interface InteractiveOptions {
  server: string;
  sessions: SessionStore;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  color: boolean;
}

export async function runInteractive(_o: InteractiveOptions): Promise<number> {
  return 1;
}
