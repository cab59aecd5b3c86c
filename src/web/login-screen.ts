/**
 * Logging in and registering: one form with a switch between the two; the server's refusals
 * (wrong password, name taken, throttled) are shown under it.
 */
import { type Api, failureText, type Issued } from "../client-core/api.ts";
import { h } from "./dom.ts";

type Mode = "login" | "register";

export function loginScreen(
  api: Api,
  done: (issued: Issued) => void,
  notice?: string,
): HTMLElement {
  let mode: Mode = "login";
  const username = h("input", {
    id: "username",
    name: "username",
    autocomplete: "username",
    required: true,
    minlength: 3,
    maxlength: 32,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    minlength: 8,
    maxlength: 256,
  });
  const error = h("p", { class: "form-error", role: "alert" }, notice ?? "");
  const submit = h("button", { type: "submit", class: "primary wide" }, "Log in");
  const tabs = (["login", "register"] as const).map((m) =>
    h(
      "button",
      { type: "button", class: "tab", "aria-pressed": String(m === mode), "data-mode": m },
      m === "login" ? "Log in" : "Register",
    ),
  );
  const hint = h(
    "p",
    { class: "hint", hidden: true },
    "Usernames are 3 to 32 letters, digits, '_' or '-'; passwords at least 8 characters.",
  );
  const setMode = (m: Mode) => {
    mode = m;
    for (const t of tabs) t.setAttribute("aria-pressed", String(t.dataset.mode === m));
    submit.textContent = m === "login" ? "Log in" : "Create account";
    password.autocomplete = m === "login" ? "current-password" : "new-password";
    hint.hidden = m === "login";
    error.textContent = "";
  };
  for (const t of tabs) t.addEventListener("click", () => setMode(t.dataset.mode as Mode));
  // A refusal is about what was sent: it goes once the user edits the form, and gives way to
  // the browser's own message when the form does not validate.
  for (const field of [username, password]) {
    field.addEventListener("input", () => {
      error.textContent = "";
    });
    field.addEventListener("invalid", () => {
      error.textContent = "";
    });
  }
  const form = h(
    "form",
    { class: "login-form", "aria-label": "Log in or register" },
    h("div", { class: "tabs", role: "group", "aria-label": "Log in or register" }, ...tabs),
    h("label", { for: "username" }, "Username"),
    username,
    h("label", { for: "password" }, "Password"),
    password,
    hint,
    error,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    const name = username.value.trim();
    const result =
      mode === "login"
        ? await api.login(name, password.value)
        : await api.register(name, password.value);
    submit.disabled = false;
    if (result.ok) done(result.value);
    else error.textContent = failureText(result.failure, api.server);
  });
  queueMicrotask(() => username.focus());
  return h(
    "main",
    { class: "login", "aria-label": "Welcome to Parley" },
    h(
      "div",
      { class: "login-card" },
      h(
        "div",
        { class: "brand" },
        h("span", { class: "logo", "aria-hidden": "true" }, "P"),
        h("h1", {}, "Parley"),
      ),
      h("p", { class: "tagline" }, "Chat that never loses a message."),
      form,
    ),
  );
}
