/** Preloaded by `bun test` (bunfig.toml): suite-wide settings. */
import { setDefaultTimeout } from "bun:test";

// Tests start real servers, spawn and kill processes, and wait out heartbeats; on a loaded
// 2-core machine Bun's 5 s default is too short for those.
setDefaultTimeout(60_000);
