/**
 * Tab completion: the word before the cursor completed from commands ("/he" → "/help "), nicks
 * (those of the buffer on screen first; at the start of a line "al" → "alice: "), conversations
 * ("#de" → "#dev ", "@bo" → "@bob ") and emoji shortcodes (":tada" → "🎉"). Pressing Tab again
 * cycles through the other candidates. Pure state; the view supplies the word lists.
 */

/** A few shortcodes people type most; each completes to its emoji. */
export const EMOJI: Record<string, string> = {
  "+1": "👍",
  "-1": "👎",
  check: "✅",
  clap: "👏",
  eyes: "👀",
  fire: "🔥",
  heart: "❤️",
  joy: "😂",
  ok_hand: "👌",
  pray: "🙏",
  rocket: "🚀",
  smile: "😄",
  sob: "😭",
  tada: "🎉",
  thinking: "🤔",
  wave: "👋",
  wink: "😉",
  x: "❌",
};

export interface CompletionSources {
  /** Command names without the slash. */
  commands: string[];
  /** Nicks, most relevant first (the buffer on screen before others). */
  nicks: string[];
  /** Conversations as labels: "#dev", "@bob". */
  conversations: string[];
}

/** Commands whose argument names a conversation, and those whose argument names a person. */
const TAKES_CONVERSATION = new Set(["switch", "join"]);

function startsWith(candidate: string, prefix: string): boolean {
  return candidate.toLowerCase().startsWith(prefix.toLowerCase());
}

/** Every completion of the last word of `before`: each is what replaces that word. */
export function candidates(
  before: string,
  s: CompletionSources,
): { word: string; options: string[] } {
  const word = /\S*$/.exec(before)?.[0] ?? "";
  const head = before.slice(0, before.length - word.length);
  const unique = (list: string[]) => [...new Set(list)];
  if (head === "" && word.startsWith("/")) {
    const options = s.commands.filter((c) => startsWith(c, word.slice(1))).sort();
    return { word, options: options.map((c) => `/${c} `) };
  }
  if (word.startsWith(":") && word.length > 1) {
    const options = Object.keys(EMOJI).filter((k) => startsWith(k, word.slice(1)));
    return { word, options: options.sort().map((k) => EMOJI[k] as string) };
  }
  const command = /^\/(\S+)\s+$/.exec(head)?.[1]?.toLowerCase();
  if (word.startsWith("#") || (command && TAKES_CONVERSATION.has(command))) {
    const bare = word.replace(/^#/, "");
    const rooms = s.conversations.filter((c) => c.startsWith("#") && startsWith(c.slice(1), bare));
    const dms = command
      ? s.conversations.filter((c) => c.startsWith("@") && startsWith(c, word))
      : [];
    return { word, options: unique([...rooms, ...dms]).map((c) => `${c} `) };
  }
  if (word === "") return { word, options: [] };
  const at = word.startsWith("@") ? "@" : "";
  const nicks = s.nicks.filter((n) => startsWith(n, word.slice(at.length)));
  // A nick that starts the line is addressed to: "alice: ", as in IRC clients.
  const suffix = head === "" && at === "" ? ": " : " ";
  return { word, options: unique(nicks).map((n) => `${at}${n}${suffix}`) };
}

/** Repeated Tab presses cycle through the candidates found at the first one. */
export class Completer {
  private cycle: { options: string[]; index: number; inserted: string } | undefined;

  /** Any key other than Tab ends a cycle. */
  reset(): void {
    this.cycle = undefined;
  }

  /**
   * The next completion: how many graphemes before the cursor to replace, and with what;
   * undefined when nothing completes.
   */
  next(before: string, s: CompletionSources): { replace: string; with: string } | undefined {
    if (this.cycle && before.endsWith(this.cycle.inserted)) {
      const c = this.cycle;
      c.index = (c.index + 1) % c.options.length;
      const replace = c.inserted;
      c.inserted = c.options[c.index] as string;
      return { replace, with: c.inserted };
    }
    const found = candidates(before, s);
    if (found.options.length === 0) return undefined;
    this.cycle = { options: found.options, index: 0, inserted: found.options[0] as string };
    return { replace: found.word, with: this.cycle.inserted };
  }
}
