import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a TypeScript worker script of this repo in its own Node process (through ts-register.mjs,
 * no build needed) and resolves the JSON it prints last. Rejects on a non-zero exit or a timeout;
 * the process is killed by its own pid on timeout.
 *
 * @example
 * const result = await runTsWorker('test/support/with-lock.worker.ts', { mode: 'cron', port });
 */
export function runTsWorker<T = unknown>(script: string, task: unknown, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', './test/support/ts-register.mjs', script, JSON.stringify(task)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker ${script} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let parsed: { error?: string } | undefined;
      try {
        parsed = JSON.parse(last);
      } catch {
        reject(
          new Error(`worker ${script} exited with ${code} without a JSON result\nstdout: ${stdout}\nstderr: ${stderr}`),
        );
        return;
      }
      if (code !== 0 || parsed?.error)
        reject(new Error(`worker ${script} failed (exit ${code}): ${parsed?.error ?? ''}\n${stderr}`));
      else resolve(parsed as T);
    });
  });
}
