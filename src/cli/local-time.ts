/**
 * Times for people: a session's RFC 3339 start (zot writes UTC) in the
 * local time zone, as `ls -l` and `git log` show times (TZ decides). --json
 * keeps the text as zot wrote it.
 */

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-25 00:33` (to the minute) or `2026-11-25` (the day), local; text Date cannot read is shown as written. */
export function localTime(rfc3339: string, to: 'minute' | 'day'): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return (to === 'day' ? rfc3339.slice(0, 10) : rfc3339.replace('T', ' ').slice(0, 16));
  const d = new Date(ms);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return to === 'day' ? day : `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
