/**
 * "Devices": a native <dialog> for this account's end-to-end encryption devices, the browser's
 * face of the terminal's /devices, /link and /backup. It lists the devices the account's signed
 * list accepts (this one marked), the devices waiting to be linked (approved only when the code
 * typed equals the code the device shows), removes a device, resets the account key, shows this
 * browser's own code while it is unlinked, and creates or restores the encrypted key backup.
 * Every operation is the shared one in src/client-core/ (AccountDevices, KeyBackupSync); this module
 * only shows them. docs/e2ee.md sections 8b and 11 explain the trust they build.
 */
import type { AccountDevices } from "../client-core/account-devices.ts";
import type { KeyBackupSync } from "../client-core/key-backup-sync.ts";
import { h } from "./dom.ts";

export interface DevicesSource {
  /** undefined until encryption started, or when it is off here. */
  readonly devices: AccountDevices | undefined;
  readonly keyBackup: KeyBackupSync | undefined;
  /** Adds the keys of DMs opened before the backup existed; resolves with how many. */
  backUpHistory(): Promise<number>;
}

export class DevicesDialog {
  readonly button: HTMLButtonElement;
  readonly root: HTMLDialogElement;
  private readonly body: HTMLDivElement;
  private readonly error: HTMLParagraphElement;
  private readonly notice: HTMLParagraphElement;
  private readonly recovery: HTMLDivElement;

  constructor(
    private readonly source: DevicesSource,
    /** Called after a restore, so DMs already on screen are opened again with the keys. */
    private readonly restored: () => void,
  ) {
    this.button = h("button", { type: "button", class: "text-button" }, "Devices");
    this.button.addEventListener("click", () => void this.open());
    this.error = h("p", { class: "form-error", role: "alert" });
    this.notice = h("p", { class: "hint", role: "status" });
    this.body = h("div", { class: "devices-body" });
    this.recovery = h("div", { class: "recovery" });
    const close = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, "✕");
    close.addEventListener("click", () => this.root.close());
    this.root = h(
      "dialog",
      { class: "room-dialog devices-dialog", "aria-labelledby": "devices-dialog-title" },
      h("div", { class: "dialog-head" }, h("h2", { id: "devices-dialog-title" }, "Devices"), close),
      this.error,
      this.notice,
      this.recovery,
      this.body,
    );
  }

  async open(): Promise<void> {
    if (!this.root.isConnected) document.body.append(this.root);
    this.error.textContent = this.notice.textContent = "";
    this.recovery.replaceChildren();
    this.root.showModal();
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const devices = this.source.devices;
    if (!devices) {
      this.body.replaceChildren(
        h("p", { class: "hint" }, "Private messages are not set up in this browser."),
      );
      return;
    }
    this.body.replaceChildren(h("p", { class: "hint" }, "Loading…"));
    try {
      const { me, devices: listed } = await devices.listed();
      const pending = await devices.pending();
      const holder = devices.holdsAccountKey && devices.state === "linked";
      const parts: Node[] = [this.self(devices, me)];
      parts.push(h("h3", { id: "signed-devices-heading" }, "Devices your account signed"));
      parts.push(
        h(
          "ul",
          { class: "joinable devices", "aria-labelledby": "signed-devices-heading" },
          ...(listed.length === 0 ? [h("li", { class: "hint" }, "None.")] : []),
          ...listed.map((d) => this.signedRow(devices, d, d === me, holder)),
        ),
      );
      if (pending.length > 0) {
        parts.push(h("h3", { id: "waiting-devices-heading" }, "Waiting to be linked"));
        parts.push(
          h(
            "ul",
            { class: "joinable devices", "aria-labelledby": "waiting-devices-heading" },
            ...pending.map((p) => this.waitingRow(devices, p.device, holder)),
          ),
        );
      }
      parts.push(this.resetSection(devices));
      parts.push(this.backupSection());
      this.body.replaceChildren(...parts);
    } catch (err) {
      this.body.replaceChildren();
      this.error.textContent = messageOf(err);
    }
  }

  private self(devices: AccountDevices, me: string): HTMLElement {
    const state =
      devices.state === "linked"
        ? devices.holdsAccountKey
          ? "linked, and holds the account key"
          : "linked"
        : "not linked";
    const p = h("div", { class: "this-device" }, h("p", {}, `This browser: ${me} (${state}).`));
    if (devices.state === "unlinked") {
      const code = h("p", { class: "link-code", "aria-label": "This browser's link code" }, "…");
      void devices.myLinkCode().then((c) => {
        code.textContent = c;
      });
      p.append(
        code,
        h(
          "p",
          { class: "hint" },
          "On a linked device, open Devices (or type /link in the terminal): approve this browser there only if it shows this same code. Or restore your key backup below.",
        ),
      );
    }
    return p;
  }

  private signedRow(
    devices: AccountDevices,
    device: string,
    mine: boolean,
    holder: boolean,
  ): HTMLLIElement {
    const item = h(
      "li",
      { "data-device": device },
      h("span", { class: "name" }, mine ? `${device} (this device)` : device),
      h("span", { class: "count" }, "linked"),
    );
    if (!mine && holder) {
      const remove = h(
        "button",
        { type: "button", class: "text-button", "aria-label": `Remove device ${device}` },
        "Remove",
      );
      remove.addEventListener(
        "click",
        () =>
          void this.act(async () => {
            const r = await devices.remove(device);
            if (r === "removed") return `Removed ${device}: it reads nothing sent from now on.`;
            throw new Error(
              r === "no-account-key"
                ? "Only a device holding the account key can remove devices."
                : `No other linked device ${device}.`,
            );
          }),
      );
      item.append(remove);
    }
    return item;
  }

  private waitingRow(devices: AccountDevices, device: string, holder: boolean): HTMLLIElement {
    const item = h(
      "li",
      { "data-device": device },
      h("span", { class: "name" }, device),
      h("span", { class: "count" }, "not linked"),
    );
    if (!holder) return item;
    // The code is typed from the new device's screen, never shown here: a person who only
    // clicks "approve" would approve a device the server slipped in just as readily.
    const id = `link-code-${device}`;
    const input = h("input", {
      id,
      inputmode: "numeric",
      autocomplete: "off",
      maxlength: 32,
      "aria-label": `Code shown on ${device}`,
      placeholder: "12-digit code",
    });
    const form = h(
      "form",
      { class: "row" },
      input,
      h("button", { type: "submit", class: "primary" }, "Link"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.act(async () => {
        const r = await devices.approve(device, input.value);
        if (r === "approved") {
          return `Linked ${device}: your account signed it, and people you write to seal for it now.`;
        }
        throw new Error(
          r === "code-mismatch"
            ? `That is not ${device}'s code. Do not link a device whose code you did not read on it.`
            : r === "no-account-key"
              ? "Only a device holding the account key can link devices."
              : `No device ${device} is waiting to be linked.`,
        );
      });
    });
    item.append(form);
    return item;
  }

  private resetSection(devices: AccountDevices): HTMLElement {
    const reset = h("button", { type: "button", class: "text-button" }, "Reset account key");
    reset.addEventListener(
      "click",
      () =>
        void this.act(async () => {
          await devices.resetAccount();
          return "New account key made in this browser. Your other devices are no longer linked, and everyone you write to is told your key changed: compare safety numbers with them.";
        }),
    );
    return h(
      "section",
      { "aria-labelledby": "reset-heading" },
      h("h3", { id: "reset-heading" }, "Lost every linked device?"),
      h(
        "p",
        { class: "hint" },
        "Resetting makes a new account key here: your other devices stop being linked and everyone you write to is warned.",
      ),
      reset,
    );
  }

  private backupSection(): HTMLElement {
    const backup = this.source.keyBackup;
    const section = h(
      "section",
      { "aria-labelledby": "backup-heading" },
      h("h3", { id: "backup-heading" }, "Key backup"),
      h(
        "p",
        { class: "hint" },
        backup?.enabled
          ? "Your message keys are backed up, encrypted to your recovery key."
          : "No key backup yet.",
      ),
    );
    if (!backup) return section;
    const create = h("button", { type: "button", class: "text-button" }, "Create key backup");
    create.addEventListener(
      "click",
      () =>
        void this.act(async () => {
          const key = await backup.create();
          if (key === "no-account-key") {
            throw new Error("Only a device holding the account key can create the backup.");
          }
          this.showRecoveryKey(key);
          const earlier = await this.source.backUpHistory();
          return `Key backup created, with the keys of ${earlier} earlier messages.`;
        }),
    );
    const input = h("input", {
      id: "recovery-key-input",
      autocomplete: "off",
      spellcheck: "false",
      maxlength: 200,
      "aria-label": "Recovery key",
    });
    const restore = h(
      "form",
      { class: "create-room", "aria-labelledby": "restore-heading" },
      h("h3", { id: "restore-heading" }, "Restore from a recovery key"),
      h("label", { for: "recovery-key-input" }, "Recovery key"),
      h("div", { class: "row" }, input, h("button", { type: "submit" }, "Restore")),
    );
    restore.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.act(async () => {
        const r = await backup.restore(input.value);
        if (!r.ok) {
          throw new Error(
            r.reason === "no-backup"
              ? "Your account has no key backup."
              : "That is not this account's recovery key.",
          );
        }
        input.value = "";
        this.restored();
        return `Restored ${r.keys} message keys: earlier private messages can be read in this browser until it is closed.${r.linked ? " This browser is now linked to your account." : ""}`;
      });
    });
    section.append(create, restore, this.passphraseForms(backup));
    return section;
  }

  /** A backup made from a passphrase (argon2id), and a restore from one. */
  private passphraseForms(backup: KeyBackupSync): HTMLElement {
    const field = (id: string, label: string) =>
      h("input", {
        id,
        type: "password",
        autocomplete: "off",
        minlength: 12,
        maxlength: 1024,
        "aria-label": label,
      });
    const made = field("backup-passphrase-new", "New backup passphrase");
    const make = h(
      "form",
      { class: "create-room", "aria-labelledby": "passphrase-heading" },
      h("h3", { id: "passphrase-heading" }, "Or use a passphrase"),
      h(
        "p",
        { class: "hint" },
        "At least 12 characters; several words are best. Anyone who guesses it reads your backed-up messages: a recovery key is stronger.",
      ),
      h("div", { class: "row" }, made, h("button", { type: "submit" }, "Create from passphrase")),
    );
    make.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.act(async () => {
        const r = await backup.create({ passphrase: made.value });
        if (r === "no-account-key") {
          throw new Error("Only a device holding the account key can create the backup.");
        }
        if (r === "passphrase-refused")
          throw new Error("A passphrase needs 12 to 1024 characters.");
        made.value = "";
        const earlier = await this.source.backUpHistory();
        return `Key backup created from your passphrase, with the keys of ${earlier} earlier messages.`;
      });
    });
    const typed = field("backup-passphrase", "Backup passphrase");
    const unlock = h(
      "form",
      { class: "row" },
      typed,
      h("button", { type: "submit" }, "Restore with passphrase"),
    );
    unlock.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.act(async () => {
        const r = await backup.restore({ passphrase: typed.value });
        if (!r.ok) {
          throw new Error(
            r.reason === "no-backup"
              ? "Your account has no key backup."
              : "That is not this account's backup passphrase.",
          );
        }
        typed.value = "";
        this.restored();
        return `Restored ${r.keys} message keys from your passphrase.${r.linked ? " This browser is now linked to your account." : ""}`;
      });
    });
    return h("div", {}, make, unlock);
  }

  /** Shows the recovery key once, with a copy button; it is kept nowhere. */
  private showRecoveryKey(key: string): void {
    const copy = h("button", { type: "button", class: "text-button" }, "Copy");
    copy.addEventListener("click", () => {
      void navigator.clipboard?.writeText(key).then(
        () => {
          copy.textContent = "Copied";
        },
        () => {
          copy.textContent = "Select and copy it by hand";
        },
      );
    });
    this.recovery.replaceChildren(
      h(
        "p",
        { class: "form-error", role: "alert" },
        "Store this recovery key now, somewhere safe: it is shown only this once. Anyone with it can read your earlier private messages.",
      ),
      h("p", { class: "row" }, h("code", { class: "recovery-key" }, key), copy),
    );
  }

  /** Runs an action; shows its message or failure, then lists the devices again. */
  private async act(action: () => Promise<string>): Promise<void> {
    this.error.textContent = this.notice.textContent = "";
    try {
      this.notice.textContent = await action();
    } catch (err) {
      this.error.textContent = messageOf(err);
    }
    await this.refresh();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
