/**
 * A picture of the terminal client for the README: the last frame the chat view drew (it
 * redraws the whole screen each time, from ESC[H), turned from SGR escapes into HTML that
 * chromium can photograph. Just enough of SGR for what Parley's themes write.
 */

const BASIC = [
  "#000000",
  "#cd3131",
  "#0dbc79",
  "#e5e510",
  "#2472c8",
  "#bc3fbc",
  "#11a8cd",
  "#e5e5e5",
  "#666666",
  "#f14c4c",
  "#23d18b",
  "#f5f543",
  "#3b8eea",
  "#d670d6",
  "#29b8db",
  "#ffffff",
];

function xterm(n: number): string {
  if (n < 16) return BASIC[n] as string;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const levels = [0, 95, 135, 175, 215, 255];
  const i = n - 16;
  return `rgb(${levels[Math.floor(i / 36)]},${levels[Math.floor(i / 6) % 6]},${levels[i % 6]})`;
}

interface Pen {
  fg?: string | undefined;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  reverse?: boolean;
}

function apply(pen: Pen, params: number[]): Pen {
  const p = { ...pen };
  for (let i = 0; i < params.length; i++) {
    const c = params[i] ?? 0;
    if (c === 0) return apply({}, params.slice(i + 1));
    if (c === 1) p.bold = true;
    else if (c === 2) p.dim = true;
    else if (c === 3) p.italic = true;
    else if (c === 4) p.underline = true;
    else if (c === 7) p.reverse = true;
    else if (c === 22) p.bold = p.dim = false;
    else if (c === 23) p.italic = false;
    else if (c === 24) p.underline = false;
    else if (c === 27) p.reverse = false;
    else if (c === 39) p.fg = undefined;
    else if (c >= 30 && c <= 37) p.fg = xterm(c - 30);
    else if (c >= 90 && c <= 97) p.fg = xterm(c - 90 + 8);
    else if (c === 38 && params[i + 1] === 5) {
      p.fg = xterm(params[i + 2] ?? 0);
      i += 2;
    } else if (c === 38 && params[i + 1] === 2) {
      p.fg = `rgb(${params[i + 2]},${params[i + 3]},${params[i + 4]})`;
      i += 4;
    }
  }
  return p;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function span(text: string, pen: Pen, fg: string, bg: string): string {
  if (!text) return "";
  const colour = pen.fg ?? fg;
  const css = [
    `color:${pen.reverse ? bg : colour}`,
    pen.reverse ? `background:${colour}` : "",
    pen.bold ? "font-weight:700" : "",
    pen.dim ? "opacity:0.6" : "",
    pen.italic ? "font-style:italic" : "",
    pen.underline ? "text-decoration:underline" : "",
  ].filter(Boolean);
  return `<span style="${css.join(";")}">${escapeHtml(text)}</span>`;
}

/** The last full frame in a PTY's output, as HTML lines on the given colours. */
export function lastFrameHtml(raw: string, fg: string, bg: string): string {
  const start = raw.lastIndexOf("\x1b[?25l\x1b[H");
  const end = raw.indexOf("\x1b[?25h", start);
  const frame = raw.slice(start + 9, end < 0 ? undefined : end);
  // The PTY writes each "\n" as "\r\n": a row ends in ESC[K, then one or two CRs and a LF.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what it reads.
  const rows = frame.split(/\x1b\[K\r*\n/).map((r) => r.replace(/\x1b\[K.*$/s, ""));
  return rows
    .map((row) => {
      let pen: Pen = {};
      let html = "";
      let last = 0;
      // biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what it reads.
      for (const m of row.matchAll(/\x1b\[([\d;]*)m/g)) {
        html += span(row.slice(last, m.index), pen, fg, bg);
        pen = apply(pen, m[1] ? m[1].split(";").map(Number) : [0]);
        last = (m.index ?? 0) + m[0].length;
      }
      // biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what it reads.
      html += span(row.slice(last).replace(/\x1b\[[\d;?]*[@-~]/g, ""), pen, fg, bg);
      return `<div class="row">${html || "&nbsp;"}</div>`;
    })
    .join("");
}

/** A page showing terminals side by side, each a title and its frame. */
export function terminalsPage(panes: { title: string; html: string; fg: string; bg: string }[]) {
  const body = panes
    .map(
      (p) => `<figure><figcaption>${escapeHtml(p.title)}</figcaption>
      <pre style="color:${p.fg};background:${p.bg}">${p.html}</pre></figure>`,
    )
    .join("");
  return `<!doctype html><html><head><style>
    body { margin: 0; padding: 20px; background: #d9dce3; font: 14px system-ui, sans-serif;
      display: flex; gap: 20px; }
    figure { margin: 0; }
    figcaption { margin: 0 0 6px; color: #1a1d24; font-weight: 600; }
    pre { margin: 0; padding: 10px 12px; border-radius: 8px; font: 13px/1.35 "DejaVu Sans Mono",
      monospace; box-shadow: 0 4px 14px rgb(0 0 0 / 25%); }
    .row { white-space: pre; min-height: 1.35em; }
  </style></head><body>${body}</body></html>`;
}
