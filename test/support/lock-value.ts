// Reads what the Redis store writes (docs/guide.md#data-model), independently of the library's Lua:
// a held lock is the string "<fence> <holds> <waited> <owner>"; a wait record "<waited name>\n<owner>".

/** The owner token in a stored lock value, or null when there is none. */
export function ownerOf(value: string | null | undefined): string | null {
  const match = value ? /^\d+ \d+ [01] (.*)$/s.exec(value) : null;
  return match ? match[1] : null;
}

/** A stored lock value, for tests that plant a lock by hand. */
export function lockValue(owner: string, fence = 1, holds = 1, waited = 0): string {
  return `${fence} ${holds} ${waited} ${owner}`;
}

/** The waited name in a wait record, or null. */
export function waitedIn(record: string | null | undefined): string | null {
  return record ? record.slice(0, record.indexOf('\n')) : null;
}
