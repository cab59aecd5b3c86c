/**
 * The IRC gateway of a node, when a port is configured: the same chat, send pipeline, hub,
 * presence and auth as /ws, with the node's limits.
 */
import type { IrcContext } from "../irc/context.ts";
import { type IrcGateway, startIrcGateway } from "../irc/gateway.ts";
import { HISTORY_PAGE_MAX } from "../protocol/index.ts";
import { type Config, PORT_OFF } from "./config.ts";

/** What the gateway shares with the node; its limits and names come from the config. */
export type IrcParts = Omit<IrcContext, "limits" | "serverName" | "version" | "startedAt">;

export interface IrcListener {
  gateway: IrcGateway;
  /** Its URLs (irc://, ircs://). */
  urls: string[];
}

export function startIrc(
  config: Config,
  parts: IrcParts,
  version: string,
): IrcListener | undefined {
  if (config.ircPort === PORT_OFF && config.ircTlsPort === PORT_OFF) return undefined;
  const tls = config.tlsCert !== "";
  const gateway = startIrcGateway(
    {
      ...parts,
      limits: {
        rate: config.rate,
        burst: config.burst,
        heartbeat: config.heartbeat,
        sendBufferBytes: config.sendBufferBytes,
        replayMessages: Math.min(config.replayMax, HISTORY_PAGE_MAX),
        perAddress: config.maxConnectionsPerAddress,
      },
      serverName: "parley",
      version,
      startedAt: parts.now(),
    },
    {
      host: config.host,
      port: config.ircPort === PORT_OFF ? undefined : config.ircPort,
      tlsPort: config.ircTlsPort === PORT_OFF ? undefined : config.ircTlsPort,
      tls: tls ? { cert: config.tlsCert, key: config.tlsKey } : undefined,
    },
  );
  const h = config.host.includes(":") ? `[${config.host}]` : config.host;
  const urls: string[] = [];
  if (gateway.port !== undefined) urls.push(`irc://${h}:${gateway.port}`);
  if (gateway.tlsPort !== undefined) urls.push(`ircs://${h}:${gateway.tlsPort}`);
  return { gateway, urls };
}
