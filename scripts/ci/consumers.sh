#!/usr/bin/env bash
# Consumer apps (issue 14): packs libs/redis-lock with `npm pack`, installs the tarball into fresh
# copies of the apps under test/consumers/ (copied outside the repository, so nothing can resolve
# through the workspace link or the root node_modules), then type-checks and tests each app.
# Prints each app's test counts; exits non-zero when any app fails to install, type-check or pass.
#   bash scripts/ci/consumers.sh [app ...]     default: every app; KEEP=1 keeps the copies
# Packs the dist as it is: run `npm run build` first after changing the library.
set -uo pipefail
cd "$(dirname "$0")/../.."
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=(nest12-esm-vitest nest11-cjs-jest)
work=$(mktemp -d "${TMPDIR:-/tmp}/lynx-consumers.XXXXXX")
[ "${KEEP:-0}" = 1 ] && echo "consumers: working in $work" || trap 'rm -rf "$work"' EXIT

# Like package-checks.sh: build only when a dist is missing (in .ci/run, `npm test` has just built it).
if [ ! -f libs/redis-lock/dist/esm/index.js ] || [ ! -f libs/redis-lock/dist/cjs/index.js ]; then
  echo "consumers: npm run build"
  if ! npm run build >"$work/build.log" 2>&1; then
    cat "$work/build.log"; echo "consumers: the library does not build"; exit 1
  fi
fi
echo "consumers: npm pack"
tarball=$(cd libs/redis-lock && npm pack --silent --pack-destination "$work" | tail -n 1)
tarball="$work/$tarball"
[ -f "$tarball" ] || { echo "consumers: npm pack produced no tarball"; exit 1; }

# "<passed> passed, <failed> failed" from a Jest or Vitest JSON report (same fields in both).
counts() {
  node -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`); }
    catch { console.log("no report"); }' "$1"
}

status=0
for app in "${apps[@]}"; do
  started=$SECONDS
  src=test/consumers/$app
  [ -f "$src/package.json" ] || { echo "consumers: no app $src"; status=1; continue; }
  tar -C test/consumers --exclude=node_modules --exclude=dist --exclude=coverage -cf - redis-harness "$app" |
    tar -C "$work" -xf -
  dir=$work/$app
  echo "consumers: $app: npm install $(basename "$tarball")"
  if ! (cd "$dir" && npm install --no-audit --no-fund "$tarball" >install.log 2>&1); then
    tail -n 30 "$dir/install.log"; echo "consumers: $app: install FAILED"; status=1; continue
  fi
  (cd "$dir" && node -e 'const v = (p) => require(`${p}/package.json`).version;
    const names = ["@nestjs/core", "@nestjs/terminus", "ioredis", "@liaoliaots/nestjs-redis", "typescript",
      "jest", "ts-jest", "vitest"];
    const seen = names.flatMap((p) => { try { return [`${p} ${v(p)}`]; } catch { return []; } });
    console.log(`consumers: installed ${seen.join(", ")}`);')
  result=()
  if (cd "$dir" && npm run --silent typecheck); then result+=("tsc ok"); else result+=("tsc FAILED"); status=1; fi
  if [ -f "$dir/test/jest-e2e.json" ]; then
    (cd "$dir" && npx jest --json --outputFile=unit.json) || status=1
    (cd "$dir" && npx jest --config ./test/jest-e2e.json --json --outputFile=e2e.json) || status=1
    result+=("unit $(counts "$dir/unit.json")" "e2e $(counts "$dir/e2e.json")")
  else
    (cd "$dir" && npx vitest run --reporter=default --reporter=json --outputFile.json=vitest.json) || status=1
    result+=("vitest $(counts "$dir/vitest.json")")
  fi
  echo "consumers: $app: $(IFS=';'; echo "${result[*]}" | sed 's/;/; /g') ($((SECONDS - started)) s)"
done
exit "$status"
