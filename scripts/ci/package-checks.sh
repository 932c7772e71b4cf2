#!/usr/bin/env bash
# Package checks of @lynx-nest/redis-lock: publint (package.json, exports, files) and
# @arethetypeswrong/cli (types for import and require under node10, node16 and bundler
# resolution) on the packed tarball. Builds the library first when its dist is missing.
# Exit code 0 when both report no problem.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f libs/redis-lock/dist/esm/index.js ] || [ ! -f libs/redis-lock/dist/cjs/index.js ]; then
  npm run build || exit 1
fi
status=0
echo "package-checks: publint"
npx --no-install publint --strict libs/redis-lock || status=1
echo "package-checks: attw --pack"
npx --no-install attw --pack libs/redis-lock --format table-flipped || status=1
exit "$status"
