/** The sidebar's account controls: appearance, sessions and password, devices and backup, log out. */
import { Api } from "../client-core/api.ts";
import { AccountDialog } from "./account-dialog.ts";
import { DevicesDialog } from "./devices-dialog.ts";
import { h } from "./dom.ts";
import type { PrivateMessages } from "./private-messages.ts";
import { SettingsPanel } from "./settings-panel.ts";
import type { Theme } from "./theme.ts";

export interface AccountButtonsOptions {
  server: string;
  token: string;
  theme: Theme;
  dms: PrivateMessages;
  /** Earlier DMs became readable (a restored backup, a linked device): open them again. */
  reopenDms: () => void;
  logout: () => void;
}

export function accountButtons(o: AccountButtonsOptions): HTMLElement[] {
  const logout = h("button", { type: "button", class: "text-button" }, "Log out");
  logout.addEventListener("click", () => o.logout());
  return [
    new SettingsPanel(o.theme).button,
    new AccountDialog(new Api(o.server), o.token, () => o.logout()).button,
    new DevicesDialog(o.dms, o.reopenDms).button,
    logout,
  ];
}
