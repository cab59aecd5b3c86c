/** What SecureDm lends, once started, to modules that seal with the same keys (secure-group.ts). */
import type { Identity, KeyBook } from "../crypto/index.ts";
import type { UserRef } from "../protocol/index.ts";
import type { KeyDirectory } from "./key-directory.ts";

export interface SecureDmKeys {
  identity: Identity;
  me: UserRef;
  book: KeyBook;
  directory: KeyDirectory;
}
