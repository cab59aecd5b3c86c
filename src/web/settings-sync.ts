/**
 * Keeps the user's appearance settings on the server (GET/PUT /api/settings), so a second
 * browser or device gets them. After login the server's copy wins, unless a change made here
 * has not reached it yet (made offline): that one is sent. A failed save is kept as pending in
 * local storage, for this session only, and retried when the browser is online again, every
 * half minute, and at the next start.
 */
import type { Settings } from "../protocol/settings.ts";
import type { ChangeOrigin, Theme } from "./theme.ts";

const PENDING_KEY = "parley.settings.pending";
const RETRY_MS = 30_000;
/** Changes closer together than this (dragging the colour picker) are saved once, the last. */
const SAVE_AFTER_MS = 300;

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
  private debounce: ReturnType<typeof setTimeout> | undefined;
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
    if (this.debounce) clearTimeout(this.debounce);
  }

  /** A change not yet saved, by this session: another login (maybe another user) ignores it. */
  private get pending(): boolean {
    return this.storage.getItem(PENDING_KEY) === this.mark;
  }

  /** Names this session in the pending marker without keeping the token a second time. */
  private get mark(): string {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.o.token.length; i++)
      h = Math.imul(h ^ this.o.token.charCodeAt(i), 0x01000193) >>> 0;
    return h.toString(36);
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
    if (origin !== "user") return;
    // Pending at once: a reload before the save goes out still sends it.
    this.storage.setItem(PENDING_KEY, this.mark);
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.save(s), SAVE_AFTER_MS);
  }

  private async flush(): Promise<void> {
    if (this.pending) await this.save(this.o.theme.settings);
  }

  private async save(s: Settings): Promise<void> {
    this.storage.setItem(PENDING_KEY, this.mark);
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
