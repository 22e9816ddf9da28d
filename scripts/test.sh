#!/usr/bin/env bash
# What `npm test` runs: typecheck, unit + marble tests, then the integration
# tests against the local stack (started with scripts/stack/up.sh if needed).
# Runs every step that can run and exits non-zero if any of them failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

failed=()

section() {
  printf '\n==================== %s ====================\n' "$*"
}

# has_specs <dir>...: true if any *.spec.ts file exists below the dirs.
has_specs() {
  local dir
  for dir in "$@"; do
    [[ -d $dir ]] && [[ -n $(find "$dir" -name '*.spec.ts' -print -quit) ]] && return 0
  done
  return 1
}

section "typecheck (npm run typecheck)"
npm run --silent typecheck || failed+=("typecheck")

section "unit and marble tests (npm run test:unit)"
# test:unit names the spec globs explicitly: .mocharc.json has no "spec", since
# mocha would add a configured spec to every command line's own globs.
if has_specs test/unit test/marble; then
  npm run --silent test:unit || failed+=("unit/marble tests")
else
  echo "no spec files under test/unit or test/marble yet; skipped"
fi

section "local stack (scripts/stack/status.sh, up.sh if needed)"
stack_ok=true
if ! bash scripts/stack/status.sh; then
  echo "not all servers are up; starting them"
  if ! bash scripts/stack/up.sh; then
    failed+=("stack:up")
    stack_ok=false
  fi
fi

section "integration tests (npx mocha --timeout 60000 'test/integration/**/*.spec.ts')"
if ! $stack_ok; then
  echo "skipped: the local stack did not start"
elif has_specs test/integration; then
  npx mocha --timeout 60000 'test/integration/**/*.spec.ts' || failed+=("integration tests")
else
  echo "no spec files under test/integration; skipped"
fi

section "summary"
if ((${#failed[@]} > 0)); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all steps passed"
