/**
 * Deleting one's account from the browser's Account dialog: the password proves it is the
 * owner at the keyboard, a confirmation asks once more (it cannot be undone), and then the page
 * logs out. The messages stay, under "deleted-ID" (docs/admin.md).
 */
import type { Api } from "../client-core/api.ts";
import { failureText } from "../client-core/api.ts";
import { h } from "./dom.ts";

export function deletionForm(
  api: Api,
  token: string,
  o: { fail(text: string): void; deleted(): void },
): HTMLFormElement {
  const password = h("input", {
    id: "delete-password",
    type: "password",
    required: true,
    maxlength: 256,
    autocomplete: "current-password",
  });
  const form = h(
    "form",
    { class: "create-room", "aria-labelledby": "delete-account-heading" },
    h("h3", { id: "delete-account-heading" }, "Delete account"),
    h("label", { for: "delete-password" }, "Your password"),
    h(
      "div",
      { class: "row" },
      password,
      h("button", { type: "submit", class: "primary danger" }, "Delete my account"),
    ),
    h(
      "p",
      { class: "hint" },
      "For good: your sessions end, your messages stay under a deleted user's name.",
    ),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!globalThis.confirm("Delete your account for good? This cannot be undone.")) return;
    void api.deleteAccount(token, password.value).then((r) => {
      if (r.ok) return o.deleted();
      password.value = "";
      o.fail(failureText(r.failure, api.server));
    });
  });
  return form;
}
