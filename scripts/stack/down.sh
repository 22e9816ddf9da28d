#!/usr/bin/env bash
# Stop the servers that scripts/stack/up.sh started (all, or only the named
# ones), using its pid files. Servers it did not start are never touched.
# Data directories are kept, so a later up.sh resumes with the same data.
#
#   bash scripts/stack/down.sh [kafka] [mongo] [redis] [config-stub] [jaeger]
set -euo pipefail
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

select_services "$@"
services=("${SERVICES[@]}")
take_lock

# Stop in reverse start order: clients of the others first.
rc=0
for ((i = ${#services[@]} - 1; i >= 0; i--)); do
  svc=${services[$i]}
  pid=$(svc_pid "$svc")
  if [[ -z $pid ]]; then
    rm -f "$(svc_pidfile "$svc")"
    if port_open "$(svc_port "$svc")"; then
      printf '%-12s %-22s not started by the stack (left alone)\n' "$svc" "$(svc_addr "$svc")"
    else
      printf '%-12s %-22s not running\n' "$svc" "$(svc_addr "$svc")"
    fi
    continue
  fi
  if stop_pid "$svc" "$pid"; then
    rm -f "$(svc_pidfile "$svc")"
    printf '%-12s %-22s stopped (pid %s)  log: %s\n' "$svc" "$(svc_addr "$svc")" "$pid" "$(svc_log "$svc")"
  else
    printf '%-12s %-22s FAILED to stop pid %s\n' "$svc" "$(svc_addr "$svc")" "$pid"
    rc=1
  fi
done
exit "$rc"
