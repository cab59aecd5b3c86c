/**
 * The frames of end-to-end encryption's public side: devices' signed keys, accounts' signed
 * device lists and the encrypted key backup. The server stores and relays them, never opens them.
 */
import { z } from "zod";
import { deviceBundleSchema } from "../crypto/bundle.ts";
import { deviceListSchema } from "../crypto/device-list.ts";
import { backupInfoSchema } from "../crypto/key-backup.ts";
import { ref, requestId, roomId, userRef } from "./frame-fields.ts";
import { BACKUP_ITEM_CHARS_MAX } from "./rules.ts";

export const deviceClientFrames = {
  /** Publishes (or replaces) this device's signed public keys. */
  device: z.object({ type: z.literal("device"), id: requestId, bundle: deviceBundleSchema }),
  /**
   * Publishes this account's device list, signed by its account identity key. `reset` replaces
   * a list signed by another key (a lost account key); peers' clients announce that loudly.
   */
  device_list: z.object({
    type: z.literal("device_list"),
    id: requestId,
    list: deviceListSchema,
    reset: z.boolean().optional(),
  }),
  /** Starts (or replaces) this account's encrypted key backup. */
  backup_create: z.object({
    type: z.literal("backup_create"),
    id: requestId,
    info: backupInfoSchema,
  }),
  /** Adds an opaque item, sealed to the backup key, to this account's key backup. */
  backup_add: z.object({
    type: z.literal("backup_add"),
    id: requestId,
    item: z.string().min(1).max(BACKUP_ITEM_CHARS_MAX),
  }),
  /** This account's key backup: its info and the items with id > after. */
  backup_get: z.object({
    type: z.literal("backup_get"),
    id: requestId,
    after: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  }),
  /** The published devices of some users. */
  devices: z.object({
    type: z.literal("devices"),
    id: requestId,
    users: z.array(z.int().min(1)).min(1).max(50),
  }),
} as const;

export const deviceServerFrames = {
  devices: z.object({
    type: z.literal("devices"),
    ref,
    users: z.array(
      z.object({
        user: userRef,
        devices: z.array(deviceBundleSchema),
        /** The account's signed device list; absent when it has none yet. */
        list: deviceListSchema.optional(),
      }),
    ),
  }),
  backup: z.object({
    type: z.literal("backup"),
    ref,
    info: backupInfoSchema.optional(),
    items: z.array(z.object({ id: z.int(), item: z.string() })),
    more: z.boolean(),
  }),
  /** Ephemeral: a user in this DM published or replaced a device: fetch its keys again. */
  devices_changed: z.object({ type: z.literal("devices_changed"), room: roomId, user: userRef }),
} as const;
