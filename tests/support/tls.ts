/** A throwaway CA and a server certificate for 127.0.0.1 and localhost, made by openssl now. */
import { join } from "node:path";
import { tempDir } from "./server.ts";

export interface TestCertificates {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  const proc = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${proc.stderr.toString()}`);
}

export async function makeCertificates(): Promise<TestCertificates> {
  const dir = tempDir("parley-tls-");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=Parley Test CA",
    ],
    dir.path,
  );
  openssl(
    ["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
    dir.path,
  );
  await Bun.write(join(dir.path, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    ],
    dir.path,
  );
  return {
    dir: dir.path,
    ca: join(dir.path, "ca.pem"),
    cert: join(dir.path, "server.pem"),
    key: join(dir.path, "server.key"),
    remove: dir.remove,
  };
}
