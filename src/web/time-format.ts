/** Times and day labels for the chat, in the browser's locale and time zone. */

/** "8:43 PM" or "20:43", as the locale writes it (or as the user chose): no leading zero. */
let time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const day = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

/** The clock the user chose in the settings: the locale's, 12-hour or 24-hour. */
export function setClock(clock: "locale" | "12h" | "24h"): void {
  const options: Intl.DateTimeFormatOptions = { hour: "numeric", minute: "2-digit" };
  if (clock !== "locale") options.hourCycle = clock === "12h" ? "h12" : "h23";
  time = new Intl.DateTimeFormat(undefined, options);
}

export function timeOfDay(ts: number): string {
  return time.format(ts);
}

/** The full date and time, for a tooltip and the <time> element's machine-readable twin. */
export function fullTime(ts: number): string {
  return full.format(ts);
}

/** A key that is equal for two timestamps on the same local day. */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday", or the date. */
export function dayLabel(ts: number, now: number = Date.now()): string {
  if (dayKey(ts) === dayKey(now)) return "Today";
  if (dayKey(ts) === dayKey(now - 86_400_000)) return "Yesterday";
  return day.format(ts);
}
