#!/usr/bin/env bash
# Print whether each server of the local stack (or each named one) answers.
# Exit status 0 when all of them are up, 1 otherwise.
#
#   bash scripts/stack/status.sh [kafka] [mongo] [redis] [config-stub] [jaeger]
set -euo pipefail
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

select_services "$@"
services=("${SERVICES[@]}")
if [[ ! -d $REPO_ROOT/node_modules/kafkajs ]]; then
  warn "node_modules missing: kafka/mongo/config-stub/jaeger cannot be probed (run 'npm ci')"
fi

rc=0
for svc in "${services[@]}"; do
  pid=$(svc_pid "$svc")
  logfile=$(svc_log "$svc")
  if svc_probe "$svc"; then
    if [[ -n $pid ]]; then
      what="up    pid $pid"
    else
      what="up    external (not managed by the stack)"
      logfile="-"
    fi
  elif [[ -n $pid ]]; then
    what="down  pid $pid alive but not answering"
    rc=1
  else
    what="down"
    rc=1
  fi
  printf '%-12s %-22s %-46s log: %s\n' "$svc" "$(svc_addr "$svc")" "$what" "$logfile"
done
exit "$rc"
