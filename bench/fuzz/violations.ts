/**
 * What the fuzzer and the soak report: every broken invariant, with enough detail to find it
 * again. Known issues (bugs already reported, awaiting a fix) can be tolerated by name, and are
 * then listed apart instead of failing the run.
 */

export interface Violation {
  /** Which invariant broke: "reply-shape", "server-alive", "bystander-order", … */
  invariant: string;
  detail: string;
  /** The input that caused it, when one did (escaped and cut to a readable length). */
  input?: string;
  /** For stored-vs-sent comparisons: what was sent and what the store holds. */
  sent?: string;
  stored?: string;
}

export interface KnownIssue {
  id: string;
  summary: string;
  matches(v: Violation): boolean;
}

/**
 * Bugs found and reported but not fixed yet, so that a run can tolerate them by name. Empty
 * now: lone surrogates in bodies and cids (stored as U+FFFD, so cids collided) are refused since
 * 8d44850. Add an entry here when a new bug awaits its fix, and remove it with the fix.
 */
export const KNOWN_ISSUES: readonly KnownIssue[] = [];

/** A frame or text, escaped and shortened so a report line stays readable. */
export function excerpt(data: string | Uint8Array, max = 160): string {
  if (typeof data !== "string") {
    return `<binary ${data.length} bytes: ${Buffer.from(data.subarray(0, 24)).toString("hex")}>`;
  }
  const text = JSON.stringify(data.length > max ? data.slice(0, max) : data);
  return data.length > max ? `${text}…(${data.length} units)` : text;
}

export class Violations {
  readonly found: Violation[] = [];
  readonly known = new Map<string, { issue: KnownIssue; count: number; first: Violation }>();
  private readonly tolerated: readonly KnownIssue[];

  constructor(tolerate: readonly string[] = [], catalogue: readonly KnownIssue[] = KNOWN_ISSUES) {
    for (const id of tolerate) {
      if (!catalogue.some((k) => k.id === id)) throw new Error(`unknown issue "${id}"`);
    }
    this.tolerated = catalogue.filter((k) => tolerate.includes(k.id));
  }

  add(v: Violation): void {
    const issue = this.tolerated.find((k) => k.matches(v));
    if (!issue) {
      this.found.push(v);
      return;
    }
    const entry = this.known.get(issue.id);
    if (entry) entry.count++;
    else this.known.set(issue.id, { issue, count: 1, first: v });
  }

  get ok(): boolean {
    return this.found.length === 0;
  }
}

export function formatViolation(v: Violation): string {
  const parts = [`[${v.invariant}] ${v.detail}`];
  if (v.input !== undefined) parts.push(`input: ${v.input}`);
  if (v.sent !== undefined) parts.push(`sent: ${excerpt(v.sent)}`);
  if (v.stored !== undefined) parts.push(`stored: ${excerpt(v.stored)}`);
  return parts.join("\n    ");
}
