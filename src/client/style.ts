/** Terminal colours, switched off as a whole for NO_COLOR. One place for every escape code. */

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  italic(s: string): string;
  strike(s: string): string;
  underline(s: string): string;
  /** A stable colour per user name, so a speaker is recognisable at a glance. */
  name(s: string): string;
}

const NAME_COLOURS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}

export function createStyle(color: boolean): Style {
  const wrap = (code: number, reset: number) => (s: string) =>
    color ? `\x1b[${code}m${s}\x1b[${reset}m` : s;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    red: wrap(31, 39),
    cyan: wrap(36, 39),
    italic: wrap(3, 23),
    strike: wrap(9, 29),
    underline: wrap(4, 24),
    name: (s) => wrap(NAME_COLOURS[hash(s.toLowerCase()) % NAME_COLOURS.length] as number, 39)(s),
  };
}
