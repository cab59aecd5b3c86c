#!/usr/bin/env bun
/** parley-server: reads flags and environment, starts a node, stops it cleanly on a signal. */
import { openStore } from "./db/open-store.ts";
import { runAdminCommand } from "./src/server/admin-command.ts";
import { parseConfig } from "./src/server/config-parser.ts";
import { runMaintenance } from "./src/server/maintenance.ts";
import { startServer, VERSION } from "./src/server/server.ts";

const administration = await runAdminCommand(
  process.argv.slice(2),
  process.env,
  { out: (line) => console.log(line), err: (line) => console.error(line) },
  { openStore },
);
if (administration !== undefined) process.exit(administration);

const maintenance = await runMaintenance(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
if (maintenance !== undefined) process.exit(maintenance);

const parsed = parseConfig(process.argv.slice(2), process.env);
switch (parsed.kind) {
  case "help":
    console.log(parsed.text);
    process.exit(0);
    break;
  case "version":
    console.log(`parley-server ${VERSION}`);
    process.exit(0);
    break;
  case "error":
    console.error(`parley-server: ${parsed.message}`);
    process.exit(2);
}

for (const [flag, path] of [
  ["--tls-cert", parsed.config.tlsCert],
  ["--tls-key", parsed.config.tlsKey],
] as const) {
  if (path !== "" && !(await Bun.file(path).exists())) {
    console.error(`parley-server: ${flag}: cannot read ${path}`);
    process.exit(2);
  }
}

let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer({ config: parsed.config });
} catch (err) {
  console.error(`parley-server: cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
// Printed before the URL line, which tools wait for: by then every address is known.
for (const url of server.ircUrls) console.log(`Parley IRC gateway at ${url}`);
console.log(`Parley listening on ${server.url}`);
if (server.metricsUrl) console.log(`Metrics at ${server.metricsUrl}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.stop().then(() => process.exit(0));
  });
}
