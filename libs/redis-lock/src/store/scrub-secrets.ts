/** A URL scheme with its `//` (`redis://`, `valkey://`, `redis+sentinel://`). */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** A URL's user information, up to the last `@` of a word (a password may hold `@`): `redis://u:p@`. */
const URL_CREDENTIALS = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s"'`]*@/g;

/**
 * An address as it may be quoted in errors, logs and health output: everything before the last `@`
 * (user name and password, in any scheme or none) becomes `***`, and a query string (which some
 * clients read options such as `password` from) becomes `?***`. Host, port, scheme and database stay,
 * so the message still says which address is meant. Every text of this library that quotes an
 * address goes through this function.
 *
 * @example
 * maskAddress('valkey://:s3cret@cache:6379'); // 'valkey://***@cache:6379'
 * maskAddress('admin:s3cret@cache:6379'); // '***@cache:6379'
 * maskAddress('redis://cache:6379/2'); // 'redis://cache:6379/2' (nothing to mask)
 */
export function maskAddress(addr: string): string {
  const scheme = SCHEME.exec(addr)?.[0] ?? '';
  let rest = addr.slice(scheme.length);
  const query = rest.indexOf('?');
  if (query >= 0) rest = `${rest.slice(0, query)}?***`;
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = `***${rest.slice(at)}`;
  return scheme + rest;
}

/**
 * Returns a message safe for logs, errors and health output: known secrets are replaced by `***`
 * and credentials in URLs of any scheme (`redis://user:pass@`, `valkey://:pass@`) are removed.
 * ioredis attaches AUTH arguments to error objects (`err.command.args`), so raw Redis errors are
 * never passed on, only this message.
 *
 * @example
 * scrubMessage('WRONGPASS for s3cret', ['s3cret']); // 'WRONGPASS for ***'
 */
export function scrubMessage(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message.replace(URL_CREDENTIALS, '$1***@');
  for (const secret of secrets) {
    if (secret && secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}

/** A plain, credential-free copy of an error: `{ name, message, code }` only. */
export function scrubError(
  error: unknown,
  secrets: readonly (string | undefined)[],
): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: scrubMessage(error.message, secrets),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: scrubMessage(String(error), secrets) };
}
