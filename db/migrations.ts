/** The ordered schema migrations, imported as text so that a compiled binary carries them. */
import sqliteInit from "./migrations/sqlite/001-init.sql" with { type: "text" };
import sqliteSocial from "./migrations/sqlite/002-social.sql" with { type: "text" };
import sqliteFiles from "./migrations/sqlite/003-files.sql" with { type: "text" };
import sqliteHardening from "./migrations/sqlite/004-hardening.sql" with { type: "text" };
import sqliteBots from "./migrations/sqlite/005-bots.sql" with { type: "text" };
import sqliteE2eeAccounts from "./migrations/sqlite/006-e2ee-accounts.sql" with { type: "text" };
import sqliteMessageEvents from "./migrations/sqlite/007-message-events.sql" with { type: "text" };
import sqliteAppearance from "./migrations/sqlite/008-appearance.sql" with { type: "text" };
import sqliteCommunities from "./migrations/sqlite/009-communities.sql" with { type: "text" };
import sqliteRoomArchive from "./migrations/sqlite/010-room-archive.sql" with { type: "text" };
import sqliteSearchBatched from "./migrations/sqlite/011-search-batched.sql" with { type: "text" };
import sqliteGroups from "./migrations/sqlite/012-groups.sql" with { type: "text" };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append only: a released migration is never edited, a change is a new entry. */
export const sqliteMigrations: readonly Migration[] = [
  { version: 1, name: "init", sql: sqliteInit },
  { version: 2, name: "social", sql: sqliteSocial },
  { version: 3, name: "files", sql: sqliteFiles },
  { version: 4, name: "hardening", sql: sqliteHardening },
  { version: 5, name: "bots", sql: sqliteBots },
  { version: 6, name: "e2ee-accounts", sql: sqliteE2eeAccounts },
  { version: 7, name: "message-events", sql: sqliteMessageEvents },
  { version: 8, name: "appearance", sql: sqliteAppearance },
  { version: 9, name: "communities", sql: sqliteCommunities },
  { version: 10, name: "room-archive", sql: sqliteRoomArchive },
  { version: 11, name: "search-batched", sql: sqliteSearchBatched },
  { version: 12, name: "groups", sql: sqliteGroups },
];
