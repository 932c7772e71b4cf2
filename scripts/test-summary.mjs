// Prints "N passed, N failed" from Vitest's JSON report plus extra check results.
// Usage: node scripts/test-summary.mjs <vitest.json> [name=exitCode ...]
// A test file that failed to load (no test results) counts as one failure; each extra check
// (fault suite, benchmark smoke run) counts as one test.
import { readFileSync } from 'node:fs';

const [report, ...checks] = process.argv.slice(2);
let passed = 0;
let failed = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
} catch {
  failed += 1;
}
for (const check of checks) {
  const [, code] = check.split('=');
  if (code === '0') passed += 1;
  else failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
