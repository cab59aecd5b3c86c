/** Turns scenario results into the printed table or the one JSON object `--json` asks for. */
import type { Figure, ScenarioResult } from "./scenario.ts";

export interface Report {
  date: string;
  command: string;
  server: string;
  machine: { cpus: number; pinned?: string; bun: string; openFiles: string };
  seconds: number;
  scenarios: Record<string, ScenarioResult>;
  failures: string[];
}

function number(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "n/a";
  if (unit === "×") return `${value.toFixed(2)}×`;
  if (unit === "/s") return `${Math.round(value).toLocaleString("en-US")}/s`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`;
}

function targetText(f: Figure): string {
  if (!f.target) return "";
  const sign = f.target.kind === "min" ? "≥" : "≤";
  if (f.target.ofRelay) return `${sign} ${f.target.value.toFixed(2)}× relay`;
  return `${sign} ${number(f.target.value, f.unit)}`;
}

export function isMet(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  if (f.target.ofRelay) {
    const ratio = f.ratio ?? Number.NaN;
    return f.target.kind === "min" ? ratio >= f.target.value : ratio <= f.target.value;
  }
  return f.target.kind === "min" ? f.value >= f.target.value : f.value <= f.target.value;
}

export function table(report: Report): string {
  const rows: string[][] = [["scenario", "figure", "Parley", "÷ relay", "target", "met"]];
  for (const s of Object.values(report.scenarios)) {
    for (const f of Object.values(s.figures)) {
      const met = isMet(f);
      rows.push([
        s.name,
        f.label,
        number(f.value, f.unit),
        f.ratio === undefined ? "" : `${f.ratio.toFixed(2)}×`,
        targetText(f),
        met === undefined ? "" : met ? "yes" : "NO",
      ]);
    }
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]) =>
    `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`;
  const [head, ...body] = rows;
  return [
    `Parley bench, ${report.date}: \`${report.command}\``,
    `server: ${report.server}; ${report.machine.cpus} CPUs${report.machine.pinned ? ` (pinned to ${report.machine.pinned})` : ""}, Bun ${report.machine.bun}; ${report.seconds.toFixed(0)} s`,
    "",
    line(head ?? []),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
    "",
    report.failures.length === 0
      ? "All exact counts held."
      : `FAILED:\n${report.failures.map((f) => `  - ${f}`).join("\n")}`,
  ].join("\n");
}
