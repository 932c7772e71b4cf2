/**
 * Returns a message safe for logs, errors and health output: known secrets are replaced by `***`
 * and credentials in URLs (`redis://user:pass@`) are removed. ioredis attaches AUTH arguments to
 * error objects (`err.command.args`), so raw Redis errors are never passed on, only this message.
 *
 * @example
 * scrubMessage('WRONGPASS for s3cret', ['s3cret']); // 'WRONGPASS for ***'
 */
export function scrubMessage(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message.replace(/(rediss?:\/\/)[^@/\s]*@/gi, '$1***@');
  for (const secret of secrets) {
    if (secret && secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}

/** A plain, credential-free copy of an error: `{ name, message, code }` only. */
export function scrubError(error: unknown, secrets: readonly (string | undefined)[]): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: scrubMessage(error.message, secrets), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: scrubMessage(String(error), secrets) };
}
