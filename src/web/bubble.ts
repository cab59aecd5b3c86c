/**
 * One message as a chat bubble: own messages on the right, others on the left with the
 * sender's name at the start of a run, the time in the corner, @mentions of the reader marked.
 * Everything is text nodes: a body holding "<script>" shows those characters.
 */
import { safeName } from "../client-core/display-text.ts";
import { type Message, mentionsName } from "../protocol/index.ts";
import { h } from "./dom.ts";
import type { FileFacts } from "./file-view.ts";
import { markdownNodes } from "./markdown-dom.ts";
import type { SealedKind } from "./sealed-kind.ts";
import { fullTime, timeOfDay } from "./time-format.ts";

/** Placeholders for what this foundation does not open yet (E2EE DMs, file downloads). */
export const SEALED_TEXT = "🔒 Encrypted message: open it in the terminal client for now.";

/** True when `body` mentions `me` (the shared rule, src/protocol/mention.ts). */
export function mentions(body: string, me: string): boolean {
  return mentionsName(body, me);
}

function fileText(m: { file?: { name: string; size: number } }): string | undefined {
  if (!m.file) return undefined;
  const kb = m.file.size / 1024;
  const size = kb < 1024 ? `${Math.max(1, Math.round(kb))} KB` : `${(kb / 1024).toFixed(1)} MB`;
  return `📎 ${safeName(m.file.name)} (${size})`;
}

export interface BubbleOptions {
  me: { id: number; name: string };
  /** Continues a run of the same sender: no name above it. */
  grouped: boolean;
  state?: "uploading" | "pending" | "failed";
  error?: string;
  /** A DM that cannot be shown as text: says why instead, never the body. */
  sealed?: SealedKind | undefined;
  /** A DM waiting until a key change is accepted. */
  held?: boolean | undefined;
  /** Shows a shared file (inline image or card); without it, a line of text names the file. */
  fileView?: (file: FileFacts) => Node;
  /** What a stored message offers (reply, react, edit, delete, the quote's jump, chips). */
  actions?: MessageActions | undefined;
}

/** The actions on a stored message (rooms and DMs alike); each gets the message. */
export interface MessageActions {
  reply(m: Message): void;
  react(m: Message, emoji?: string): void;
  edit(m: Message, row: HTMLElement): void;
  remove(m: Message): void;
  /** One's own message, or anyone's in a room the reader moderates. */
  deletable(m: Message): boolean;
  /** Someone else's message in a room may be reported to its moderators. */
  reportable(m: Message): boolean;
  report(m: Message): void;
  /** Shows the message a reply quotes, loading history to it if need be. */
  jump(seq: number): void;
}

/** A row for a stored message, or (with `state`) one typed here and not yet stored. */
export function bubbleRow(
  m: Pick<Message, "from" | "ts" | "body" | "cid"> &
    Partial<Omit<Message, "file">> & { file?: FileFacts | undefined },
  o: BubbleOptions,
): HTMLLIElement {
  const own = m.from.id === o.me.id;
  const content = h("div", { class: "text" });
  let mentioned = false;
  const file = fileText(m);
  if (o.sealed) {
    content.append(sealedNote(o.sealed));
  } else if (m.envelope) {
    content.append(h("span", { class: "placeholder" }, SEALED_TEXT));
  } else {
    if (m.file && o.fileView) content.append(o.fileView(m.file));
    else if (file) content.append(h("span", { class: "file" }, file));
    if (m.deleted) {
      content.append(h("span", { class: "placeholder deleted" }, "Message deleted"));
    } else if (m.body) {
      const body = markdownNodes(m.body, o.me.name);
      mentioned = body.mentioned && !own;
      if (m.file) content.append(document.createElement("br"));
      content.append(...body.nodes);
    }
    if (m.edited && !m.deleted) content.append(" ", h("span", { class: "edited" }, "(edited)"));
  }
  const fold = isLong(m.body) ? foldButton(content) : undefined;
  const when = new Date(m.ts);
  const meta = h(
    "span",
    { class: "meta" },
    o.state === "uploading"
      ? h("span", { class: "status", "aria-label": "Uploading" }, "Uploading…")
      : o.state === "pending"
        ? h("span", { class: "status", "aria-label": "Sending" }, "Sending…")
        : o.state === "failed"
          ? h("span", { class: "status failed" }, `Not sent: ${o.error ?? "refused"}`)
          : h("time", { datetime: when.toISOString(), title: fullTime(m.ts) }, timeOfDay(m.ts)),
  );
  if (o.held) meta.replaceChildren(h("span", { class: "status held" }, "Waiting: keys changed"));
  const classes = [
    "msg",
    own ? "own" : "other",
    o.grouped ? "grouped" : "first",
    mentioned ? "mentions-me" : "",
    o.state ?? "",
  ].filter(Boolean);
  const label = `${own ? "You" : safeName(m.from.name)}, ${timeOfDay(m.ts)}`;
  const stored = m.seq !== undefined && o.state === undefined && !o.sealed && !m.envelope;
  const full = stored ? (m as Message) : undefined;
  const row = h(
    "li",
    {
      class: classes.join(" "),
      "data-cid": m.cid,
      "data-seq": m.seq,
      "data-from": m.from.name,
      "aria-label": label,
    },
    !own && !o.grouped ? h("div", { class: "sender" }, safeName(m.from.name)) : undefined,
    h(
      "div",
      { class: "bubble" },
      full?.reply ? quoteView(full.reply, o.actions) : undefined,
      content,
      fold,
      meta,
      full && !full.deleted ? chips(full, o) : undefined,
    ),
  );
  if (full && !full.deleted && o.actions) {
    const bar = actionBar(full, own, o.actions, row);
    row.append(bar);
    // Right-click opens the actions, as in other chat apps: the first one takes the focus.
    row.addEventListener("contextmenu", (e) => {
      e.preventDefault();
      bar.querySelector("button")?.focus();
    });
  }
  return row;
}

/** A reply's quote of the message it answers, which jumps to it. */
function quoteView(r: NonNullable<Message["reply"]>, actions?: MessageActions): HTMLElement {
  const text = r.deleted ? "Message deleted" : r.excerpt || "…";
  const quote = h(
    "button",
    {
      type: "button",
      class: "reply-quote",
      "aria-label": `Replying to ${safeName(r.from.name)}: ${text}. Show it.`,
    },
    h("span", { class: "reply-from" }, safeName(r.from.name)),
    " ",
    h("span", { class: "reply-text" }, text),
  );
  quote.addEventListener("click", () => actions?.jump(r.seq));
  return quote;
}

/** The reactions as chips: emoji and count, who in the title; a click toggles one's own. */
function chips(m: Message, o: BubbleOptions): HTMLElement | undefined {
  if (!m.reactions || m.reactions.length === 0) return undefined;
  return h(
    "div",
    { class: "reactions" },
    ...m.reactions.map((r) => {
      const mine = r.users.some((u) => u.id === o.me.id);
      const who = r.users.map((u) => safeName(u.name)).join(", ");
      const chip = h(
        "button",
        {
          type: "button",
          class: mine ? "chip mine" : "chip",
          title: `${who} reacted with ${r.emoji}`,
          "aria-pressed": String(mine),
          "aria-label": `${r.emoji} ${r.count}: ${who}`,
        },
        `${r.emoji} ${r.count}`,
      );
      chip.addEventListener("click", () => o.actions?.react(m, r.emoji));
      return chip;
    }),
  );
}

/** Reply, react, edit one's own, delete (own, or as moderator), report others': on hover and focus. */
function actionBar(m: Message, own: boolean, a: MessageActions, row: HTMLElement): HTMLElement {
  const button = (label: string, text: string, run: () => void) => {
    const b = h(
      "button",
      { type: "button", class: "msg-action", "aria-label": label, title: label },
      text,
    );
    b.addEventListener("click", run);
    return b;
  };
  return h(
    "div",
    { class: "msg-actions", role: "toolbar", "aria-label": "Message actions" },
    button("Reply", "↩", () => a.reply(m)),
    button("React", "☺", () => a.react(m)),
    own ? button("Edit", "✎", () => a.edit(m, row)) : undefined,
    a.deletable(m) ? button("Delete", "🗑", () => a.remove(m)) : undefined,
    !own && a.reportable(m) ? button("Report", "⚑", () => a.report(m)) : undefined,
  );
}

/** Longer than this (characters or lines) is folded to its start, with "Show more". */
const FOLD_CHARS = 1200;
const FOLD_LINES = 14;

function isLong(body: string): boolean {
  if (body.length > FOLD_CHARS) return true;
  let lines = 1;
  for (let i = body.indexOf("\n"); i >= 0; i = body.indexOf("\n", i + 1)) {
    if (++lines > FOLD_LINES) return true;
  }
  return false;
}

/** Folds `content` and returns the button that unfolds (and folds) it. */
function foldButton(content: HTMLElement): HTMLButtonElement {
  content.classList.add("folded");
  const button = h(
    "button",
    { type: "button", class: "fold", "aria-expanded": "false" },
    "Show more",
  );
  button.addEventListener("click", () => {
    const folded = content.classList.toggle("folded");
    button.textContent = folded ? "Show more" : "Show less";
    button.setAttribute("aria-expanded", String(!folded));
  });
  return button;
}

const SEALED_NOTES: Record<SealedKind, string> = {
  tampered: "⚠ tampered message: it was altered or forged, so it is not shown",
  "not-addressed": "🔒 Not encrypted for this device (sent before this browser had its keys)",
  "unknown-sender": "Sent from a device whose keys are unknown: not shown",
  replay: "⚠ A replayed copy of an earlier message: not shown again as new",
  "unverified-device":
    "⚠ From an unverified device of this person (not in their signed device list): not shown as their words",
};

function sealedNote(kind: SealedKind): HTMLElement {
  return h("span", { class: `placeholder sealed ${kind}` }, SEALED_NOTES[kind]);
}
