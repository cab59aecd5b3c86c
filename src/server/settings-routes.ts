/**
 * GET/PUT /api/settings: each user's appearance settings (src/protocol/settings.ts), stored
 * whole. A PUT is validated and bounded before anything is written; a bad one changes nothing.
 * Mounted by http.ts after its session check.
 */
import { Hono } from "hono";
import type { Store } from "../../db/store.ts";
import { ParleyError } from "../protocol/errors.ts";
import { SETTINGS_MAX_BYTES, settingsFrom, settingsSchema } from "../protocol/settings.ts";
import type { Session } from "./auth.ts";

interface SettingsEnv {
  Variables: { session: Session };
}

export function settingsRoutes(store: Store, now: () => number): Hono<SettingsEnv> {
  const app = new Hono<SettingsEnv>();

  app.get("/api/settings", async (c) => {
    const stored = await store.userSettings(c.get("session").user.id);
    // Stored documents were valid when written; settingsFrom keeps old ones readable.
    return c.json({
      settings: settingsFrom(stored === undefined ? {} : JSON.parse(stored)),
      saved: stored !== undefined,
    });
  });

  app.put("/api/settings", async (c) => {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > SETTINGS_MAX_BYTES)
      throw new ParleyError(
        "INVALID_SETTINGS",
        `Settings are at most ${SETTINGS_MAX_BYTES} bytes of JSON.`,
      );
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ParleyError("INVALID_SETTINGS", "The settings must be a JSON object.");
    }
    const parsed = settingsSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      throw new ParleyError("INVALID_SETTINGS", `${where}${issue?.message ?? "invalid settings"}`);
    }
    await store.putUserSettings(c.get("session").user.id, JSON.stringify(parsed.data), now());
    return c.json({ settings: parsed.data });
  });

  return app;
}
