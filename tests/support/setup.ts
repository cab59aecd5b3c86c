/**
 * Suite-wide test settings. Tests start real servers, spawn and kill processes and wait out
 * heartbeats; on a loaded 2-core machine Bun's 5 s default per test is too short for them.
 * Bun reads no timeout from bunfig.toml, and setDefaultTimeout applies only to the file that
 * calls it (a preload reaches just the first file), so each such test file calls
 * `setDefaultTimeout(TEST_TIMEOUT_MS)` itself.
 */
export const TEST_TIMEOUT_MS = 60_000;
