/** PostgreSQL's ordered schema migrations, imported as text so that a compiled binary carries them. */

import postgresInit from "./migrations/postgres/001-init.sql" with { type: "text" };
import postgresSocial from "./migrations/postgres/002-social.sql" with { type: "text" };
import postgresFiles from "./migrations/postgres/003-files.sql" with { type: "text" };
import postgresHardening from "./migrations/postgres/004-hardening.sql" with { type: "text" };
import postgresBots from "./migrations/postgres/005-bots.sql" with { type: "text" };
import postgresE2eeAccounts from "./migrations/postgres/006-e2ee-accounts.sql" with {
  type: "text",
};
import postgresMessageEvents from "./migrations/postgres/007-message-events.sql" with {
  type: "text",
};
import postgresAppearance from "./migrations/postgres/008-appearance.sql" with { type: "text" };
import postgresCommunities from "./migrations/postgres/009-communities.sql" with { type: "text" };
import postgresRoomArchive from "./migrations/postgres/010-room-archive.sql" with { type: "text" };
import postgresSearchBatched from "./migrations/postgres/011-search-batched.sql" with {
  type: "text",
};
import postgresGroups from "./migrations/postgres/012-groups.sql" with { type: "text" };
import type { Migration } from "./migrations.ts";

/** Append only: a released migration is never edited, a change is a new entry. */
export const postgresMigrations: readonly Migration[] = [
  { version: 1, name: "init", sql: postgresInit },
  { version: 2, name: "social", sql: postgresSocial },
  { version: 3, name: "files", sql: postgresFiles },
  { version: 4, name: "hardening", sql: postgresHardening },
  { version: 5, name: "bots", sql: postgresBots },
  { version: 6, name: "e2ee-accounts", sql: postgresE2eeAccounts },
  { version: 7, name: "message-events", sql: postgresMessageEvents },
  { version: 8, name: "appearance", sql: postgresAppearance },
  { version: 9, name: "communities", sql: postgresCommunities },
  { version: 10, name: "room-archive", sql: postgresRoomArchive },
  { version: 11, name: "search-batched", sql: postgresSearchBatched },
  { version: 12, name: "groups", sql: postgresGroups },
];
