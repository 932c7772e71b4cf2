#!/usr/bin/env bash
# The library's Redis tests on ioredis 6 (the peer range is ^5.0.0 || ^6.0.0; the repository itself
# develops on ioredis 5). Installs ioredis@^6 without saving it, builds, runs a representative
# subset of the Redis end-to-end specs, then puts the repository's own ioredis back whatever happened.
# Exit code 0 when every spec passed on ioredis 6.
set -uo pipefail
cd "$(dirname "$0")/../.."

wanted=$(node -p "require('./package.json').dependencies.ioredis")
restore() {
  echo "ioredis6: restoring ioredis@$wanted"
  npm install --no-save --no-audit --no-fund "ioredis@$wanted" >/dev/null 2>&1 || npm ci --no-audit --no-fund >/dev/null 2>&1
  node -e "const v=require('ioredis/package.json').version; if (!v.startsWith('5.')) { console.error('ioredis6: restore failed, ioredis ' + v); process.exit(1); }" || exit 1
}
trap restore EXIT

echo "ioredis6: npm install --no-save ioredis@^6"
npm install --no-save --no-audit --no-fund 'ioredis@^6' >/dev/null || exit 1
version=$(node -p "require('ioredis/package.json').version")
case "$version" in 6.*) echo "ioredis6: testing on ioredis $version" ;; *) echo "ioredis6: got ioredis $version, not 6"; exit 1 ;; esac

npm run build || exit 1
# --reporter=default: no JSON report, so test-results/vitest.json (npm test's, counted by .ci/run) stays as it is
npx vitest run --reporter=default \
  test/lock-service.e2e-spec.ts test/fair-lock.e2e-spec.ts test/with-lock.e2e-spec.ts test/health.e2e-spec.ts \
  test/circuit-breaker.e2e-spec.ts test/redis-data-model.e2e-spec.ts test/topology-sentinel.e2e-spec.ts \
  test/topology-cluster.e2e-spec.ts test/security.e2e-spec.ts test/nestjs-redis-namespace.e2e-spec.ts \
  test/lock-exception-filter.e2e-spec.ts test/package-exports.spec.ts
