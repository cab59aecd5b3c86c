/** `bun run build`: the two single-file binaries, dist/parley-server and dist/parley. */
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const targets = [
  { entry: "server.ts", out: "dist/parley-server" },
  { entry: "client.ts", out: "dist/parley" },
];

for (const { entry, out } of targets) {
  const started = performance.now();
  const proc = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      "--sourcemap",
      join(root, entry),
      "--outfile",
      join(root, out),
    ],
    { stdout: "inherit", stderr: "inherit", cwd: root },
  );
  if (proc.exitCode !== 0) {
    console.error(`build: ${entry} failed`);
    process.exit(proc.exitCode ?? 1);
  }
  console.log(`built ${out} in ${Math.round(performance.now() - started)} ms`);
}
