/**
 * Reading the server's configuration from argv and the environment, with a clear message for
 * every bad value, and the `--help` text generated from the option table and the defaults.
 */
import { LOG_LEVELS } from "../log/log.ts";
import { PASSWORD_COSTS } from "./auth.ts";
import { type Config, DEFAULTS, PORT_OFF } from "./config.ts";
import { OPTIONS, type Option } from "./config-options.ts";

export type ParsedConfig =
  | { kind: "config"; config: Config }
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "error"; message: string };

function convert(option: Option, raw: string): { value: unknown } | { error: string } {
  const where = `${option.flag} (${option.env})`;
  switch (option.kind) {
    case "string":
      return raw.length > 0 ? { value: raw } : { error: `${where} must not be empty` };
    case "level":
      return (LOG_LEVELS as readonly string[]).includes(raw)
        ? { value: raw }
        : { error: `${where} must be one of ${LOG_LEVELS.join(", ")}, not "${raw}"` };
    case "password-cost":
      return (PASSWORD_COSTS as readonly string[]).includes(raw)
        ? { value: raw }
        : { error: `${where} must be one of ${PASSWORD_COSTS.join(", ")}, not "${raw}"` };
    case "optional-port":
    case "port":
    case "int": {
      if (!/^\d+$/.test(raw)) return { error: `${where} must be a whole number, not "${raw}"` };
      const n = Number(raw);
      if (option.kind !== "int" && n > 65535) return { error: `${where} must be 0 to 65535` };
      if (option.min !== undefined && n < option.min) {
        return { error: `${where} must be at least ${option.min}` };
      }
      if (!Number.isSafeInteger(n)) return { error: `${where} is too large` };
      return { value: n };
    }
  }
}

export function helpText(): string {
  const rows = OPTIONS.map(
    (o) =>
      `  ${`${o.flag} VALUE`.padEnd(33)} ${o.help} [${o.env}, default ${DEFAULTS[o.key] === "" ? "none" : DEFAULTS[o.key] === PORT_OFF ? "off" : DEFAULTS[o.key]}]`,
  );
  return [
    "Usage: parley-server [options]",
    "       parley-server backup --to FILE | restore --from FILE [options] (see backup --help)",
    "",
    "Options (each also read from its environment variable):",
    ...rows,
    `  ${"--help".padEnd(34)}show this help`,
    `  ${"--version".padEnd(34)}print the version`,
  ].join("\n");
}

/** Flags win over the environment, which wins over the defaults. */
export function parseConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): ParsedConfig {
  const config: Config = { ...DEFAULTS };
  const assign = (option: Option, raw: string): string | undefined => {
    const result = convert(option, raw);
    if ("error" in result) return result.error;
    (config as unknown as Record<string, unknown>)[option.key] = result.value;
    return undefined;
  };
  for (const option of OPTIONS) {
    const raw = env[option.env];
    if (raw === undefined || raw === "") continue;
    const error = assign(option, raw);
    if (error) return { kind: "error", message: error };
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") return { kind: "help", text: helpText() };
    if (arg === "--version" || arg === "-v") return { kind: "version" };
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const option = OPTIONS.find((o) => o.flag === name);
    if (!option) return { kind: "error", message: `unknown option ${name} (see --help)` };
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) return { kind: "error", message: `${name} needs a value` };
    const error = assign(option, raw);
    if (error) return { kind: "error", message: error };
  }
  if (config.databaseUrl !== "" && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    return { kind: "error", message: "--database-url (DATABASE_URL) must start with postgres://" };
  }
  if (config.redisUrl !== "" && !/^rediss?:\/\//.test(config.redisUrl)) {
    return {
      kind: "error",
      message: "--redis-url (REDIS_URL) must start with redis:// or rediss://",
    };
  }
  if ((config.tlsCert === "") !== (config.tlsKey === "")) {
    return { kind: "error", message: "--tls-cert and --tls-key go together: give both or neither" };
  }
  if (config.ircTlsPort !== PORT_OFF && config.tlsCert === "") {
    return { kind: "error", message: "--irc-tls-port needs --tls-cert and --tls-key" };
  }
  if (!["open", "invite", "closed"].includes(config.registration)) {
    return { kind: "error", message: "--registration must be open, invite or closed" };
  }
  return { kind: "config", config };
}
