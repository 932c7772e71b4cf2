#!/usr/bin/env bash
# The quality gate: lint (ESLint + typescript-eslint), format check (Prettier), typecheck (library,
# demo and every test file) and the import-cycle check (dependency-cruiser, type-only imports count).
# Runs every step even when one fails, prints one line per step, exits non-zero if any failed.
# Used by .ci/run; locally: `npm run quality`.
set -uo pipefail
cd "$(dirname "$0")/../.."

failed=()
for step in lint format:check typecheck check:cycles; do
  echo "quality: npm run $step"
  if npm run --silent "$step"; then
    echo "quality: $step ok"
  else
    echo "quality: $step FAILED"
    failed+=("$step")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "quality: failed: ${failed[*]}"
  exit 1
fi
echo "quality: all checks passed"
