/**
 * Keeps the user's appearance settings on the server (GET/PUT /api/settings), so a second
 * browser or device gets them. After login the server's copy wins, unless a change made here
 * has not reached it yet (made offline): that one is sent. A failed save is kept as pending in
 * local storage and retried when the browser is online again and every half minute.
 */
import type { Settings } from "../protocol/settings.ts";
import type { ChangeOrigin, Theme } from "./theme.ts";

const PENDING_KEY = "parley.settings.pending";
const RETRY_MS = 30_000;

export interface SettingsSyncOptions {
  server: string;
  token: string;
  theme: Theme;
  storage?: Storage;
  fetchFn?: typeof fetch;
}

export class SettingsSync {
  private readonly storage: Storage;
  private readonly fetchFn: typeof fetch;
  private retry: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private readonly stopListening: () => void;
  private readonly onOnline = () => void this.flush();

  constructor(private readonly o: SettingsSyncOptions) {
    this.storage = o.storage ?? localStorage;
    this.fetchFn = o.fetchFn ?? globalThis.fetch.bind(globalThis);
    this.stopListening = o.theme.onSettings((s, origin) => this.changed(s, origin));
    addEventListener("online", this.onOnline);
    void this.start();
  }

  stop(): void {
    this.stopped = true;
    this.stopListening();
    removeEventListener("online", this.onOnline);
    if (this.retry) clearInterval(this.retry);
  }

  private get pending(): boolean {
    return this.storage.getItem(PENDING_KEY) === "1";
  }

  private async start(): Promise<void> {
    if (this.pending) return void this.flush();
    const res = await this.request("GET").catch(() => undefined);
    if (this.stopped || !res?.ok) return;
    const body = (await res.json()) as { settings: Settings; saved: boolean };
    if (this.pending) return void this.flush();
    if (body.saved) this.o.theme.update(body.settings, "server");
    else void this.save(this.o.theme.settings);
  }

  private changed(s: Settings, origin: ChangeOrigin): void {
    if (origin === "user") void this.save(s);
  }

  private async flush(): Promise<void> {
    if (this.pending) await this.save(this.o.theme.settings);
  }

  private async save(s: Settings): Promise<void> {
    this.storage.setItem(PENDING_KEY, "1");
    const res = await this.request("PUT", s).catch(() => undefined);
    if (this.stopped) return;
    // A refusal (4xx) will not get better by retrying: drop it, the local copy stays.
    if (res && res.status < 500) {
      this.storage.removeItem(PENDING_KEY);
      if (this.retry) clearInterval(this.retry);
      this.retry = undefined;
    } else if (!this.retry) {
      this.retry = setInterval(() => void this.flush(), RETRY_MS);
    }
  }

  private request(method: "GET" | "PUT", body?: Settings): Promise<Response> {
    return this.fetchFn(`${this.o.server}/api/settings`, {
      method,
      headers: {
        authorization: `Bearer ${this.o.token}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  }
}
