/** A user's appearance settings: one JSON document per user, validated by the caller. */

export interface SettingsStore {
  /** The user's appearance settings as last stored (a JSON document), or undefined if never. */
  userSettings(userId: number): Promise<string | undefined>;
  /** Stores the user's appearance settings, replacing any before (validated by the caller). */
  putUserSettings(userId: number, settings: string, now: number): Promise<void>;
}
