/** End-to-end encryption for private messages: the public API. docs/e2ee.md is its prose. */

export {
  PASSPHRASE_COST,
  PASSPHRASE_MAX,
  PASSPHRASE_MIN,
  passphraseRecoveryKey,
} from "./backup-passphrase.ts";
export {
  type BundleCheck,
  type DeviceBundle,
  deviceBundleSchema,
  type VerifiedBundle,
  verifyBundle,
} from "./bundle.ts";
export { CRYPTO_ERRORS, CryptoError, type CryptoErrorCode } from "./crypto-error.ts";
export {
  accountKeyId,
  createAccountKey,
  type DeviceList,
  type DeviceListCheck,
  deviceListSchema,
  deviceListWire,
  LIST_DEVICES_MAX,
  listHolds,
  signDeviceList,
  type VerifiedDeviceList,
  verifyDeviceList,
} from "./device-list.ts";
export { fromBase64Url, toBase64Url } from "./encoding.ts";
export {
  type DeviceRef,
  type OpenOptions,
  type OpenResult,
  open,
  type SealOptions,
  seal,
  type TamperReason,
} from "./envelope.ts";
export { type Envelope, envelopeSchema } from "./envelope-format.ts";
export {
  attachmentText,
  FILE_ATTACHMENT_TAG,
  type FileAttachment,
  fileAttachmentSchema,
  parseAttachment,
} from "./file-attachment.ts";
export {
  decryptFile,
  type EncryptedFile,
  encryptFile,
  type FileDecryption,
  type FileSecret,
  sha256Hex,
} from "./file-cipher.ts";
export {
  acceptMembership,
  GROUP_MEMBERS_MAX,
  type Membership,
  type MembershipCheck,
  membershipSchema,
  signMembership,
  type VerifiedMembership,
} from "./group-membership.ts";
export {
  checkIdentity,
  createIdentity,
  exportIdentity,
  type Identity,
  type IdentityFile,
  type IdentityImport,
  identityFileSchema,
  importIdentity,
  withAccountKey,
} from "./identity.ts";
export {
  type BackupEntry,
  type BackupInfo,
  backupInfoSchema,
  createRecoveryKey,
  formatRecoveryKey,
  ITEM_ENTRIES_MAX,
  openBackupAccount,
  openBackupItem,
  parseRecoveryKey,
  type RecoveryKeys,
  recoveryKeys,
  sealBackupItem,
  signBackupInfo,
  verifyBackupInfo,
} from "./key-backup.ts";
export { type KeyBook, type KeyBookOpen, openKeyBook } from "./key-book.ts";
export { envelopeKey, type Sighting } from "./key-book-replays.ts";
export {
  type DeviceChange,
  type KeyBookState,
  keyBookStateSchema,
  type Observation,
  type Trust,
} from "./key-book-state.ts";
export { type KeyBookStore, memoryKeyBookStore } from "./key-book-store.ts";
export { accountSafetyNumber, linkCode, safetyNumber } from "./safety-number.ts";
export {
  CONVERSATION_MAX,
  DEVICES_MAX,
  E2EE_VERSION,
  GROUP_DEVICES_MAX,
  ID_MAX,
  PAD_BLOCK,
  TEXT_BYTES_MAX,
} from "./wire.ts";
