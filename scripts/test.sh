#!/usr/bin/env bash
# What `npm test` runs: typecheck, unit + marble tests, then the integration
# tests against the local stack (started with scripts/stack/up.sh if needed), then
# the fault scenarios (scripts/test-faults.sh) in their smaller form:
# FAULT_MESSAGES valid messages per scenario, 500 unless set (the scenarios'
# own default, 2000, is what `npm run test:faults` runs alone).
# Runs every step that can run and exits non-zero if any of them failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

failed=()
passed_total=0
failed_total=0

# run_counted <label> <command...>: runs a mocha command, echoing its output, and adds its
# "N passing" / "N failing" lines to the totals printed at the end.
run_counted() {
  local label=$1 out status
  shift
  out=$(mktemp)
  set +e
  "$@" 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
  set -e
  local p f
  p=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | sed -n 's/^ *\([0-9][0-9]*\) passing.*/\1/p' | tail -n 1)
  f=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | sed -n 's/^ *\([0-9][0-9]*\) failing.*/\1/p' | tail -n 1)
  passed_total=$((passed_total + ${p:-0}))
  failed_total=$((failed_total + ${f:-0}))
  rm -f "$out"
  ((status == 0)) || failed+=("$label")
}

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

section "build (npm run build: the CLI and process-level tests run dist/)"
npm run --silent build || failed+=("build")

section "unit and marble tests (npm run test:unit)"
# test:unit names the spec globs explicitly: .mocharc.json has no "spec", since
# mocha would add a configured spec to every command line's own globs.
if has_specs test/unit test/marble; then
  run_counted "unit/marble tests" npm run --silent test:unit
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

section "integration tests (npm run test:integration)"
if ! $stack_ok; then
  echo "skipped: the local stack did not start"
elif has_specs test/integration; then
  run_counted "integration tests" npm run --silent test:integration
else
  echo "no spec files under test/integration; skipped"
fi

section "fault scenarios (npm run test:faults, FAULT_MESSAGES=${FAULT_MESSAGES:-500})"
if ! $stack_ok; then
  echo "skipped: the local stack did not start"
else
  export FAULT_MESSAGES=${FAULT_MESSAGES:-500}
  run_counted "fault scenarios" npm run --silent test:faults
fi

section "summary"
echo "tests: ${passed_total} passed, ${failed_total} failed"
if ((${#failed[@]} > 0)); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all steps passed"
