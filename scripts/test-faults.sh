#!/usr/bin/env bash
# What `npm run test:faults` runs: the fault-injection suite (test/faults/**/*.fault.spec.ts).
# Each scenario runs the BUILT service (`node dist/main.js`) as real child processes against the
# local stack, drives client messages through it, injects a fault (SIGKILL, a stopped server, a
# failing Configuration Service, a lost instance, broken input) and checks the invariants.
#
#   npm run test:faults                          # every scenario, FAULT_MESSAGES valid messages each (default 2000)
#   FAULT_MESSAGES=500 npm run test:faults       # smaller (CI)
#   npm run test:faults -- test/faults/02-kafka-outage.fault.spec.ts   # one scenario
#
# Other knobs: FAULT_SEED (traffic and fault timing), FAULT_KEEP=1 (keep every scenario's database
# and topics; failed scenarios keep theirs unless FAULT_KEEP=0), FAULT_RESULTS_DIR (where the
# per-scenario JSON and the services' logs go; default a fresh directory under $TMPDIR).
#
# The scenarios stop and start stack servers (kafka, mongo, redis) with scripts/stack/*.sh; the
# stack is brought up again at the end whatever happened, and every service process this run
# started is killed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() {
  printf '\n==================== %s ====================\n' "$*"
}

export FAULT_RESULTS_DIR=${FAULT_RESULTS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/casestream-faults.XXXXXX")}
mkdir -p "$FAULT_RESULTS_DIR"

# Kill what a scenario may have left running (pids recorded by test/faults/support/serviceProcess.ts;
# each one checked to really be `node dist/main.js` before it is killed), then leave the stack up.
cleanup() {
  local file pid
  for file in "$FAULT_RESULTS_DIR"/pids/*; do
    [[ -e $file ]] || continue
    pid=$(basename "$file")
    if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'dist/main.js'; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
  done
  if ! bash scripts/stack/status.sh >/dev/null 2>&1; then
    echo "bringing the local stack back up"
    bash scripts/stack/up.sh || true
  fi
}
trap cleanup EXIT

section "local stack (scripts/stack/status.sh, up.sh if needed)"
if ! bash scripts/stack/status.sh; then
  echo "not all servers are up; starting them"
  bash scripts/stack/up.sh
fi

section "build (npm run build): the scenarios run dist/main.js"
npm run --silent build

section "fault scenarios (FAULT_MESSAGES=${FAULT_MESSAGES:-2000}, results in $FAULT_RESULTS_DIR)"
specs=("$@")
if ((${#specs[@]} == 0)); then
  specs=('test/faults/**/*.fault.spec.ts')
fi
started=$SECONDS
set +e
npx mocha --timeout 3600000 --exit "${specs[@]}"
status=$?
set -e

section "summary ($((SECONDS - started)) s)"
node --import tsx test/faults/support/summary.ts "$FAULT_RESULTS_DIR" || true
exit "$status"
