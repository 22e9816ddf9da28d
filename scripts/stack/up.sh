#!/usr/bin/env bash
# Start the local development stack (or only the named services) and wait
# until every server answers.
#
#   bash scripts/stack/up.sh [kafka] [mongo] [redis] [config-stub] [jaeger]
#
# Idempotent: a server that already answers is left alone and reported.
# First run downloads/builds into the cache dir (minutes); later runs take
# seconds. See scripts/stack/lib.sh for paths and ports.
set -euo pipefail
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

select_services "$@"
services=("${SERVICES[@]}")
command -v node >/dev/null || die "node not found (Node 20 is required)"
require_node_modules
take_lock
mkdir -p "$LOG_DIR" "$PID_DIR"

# service -> already | external | starting | start | started
#            | busy (port taken by something else) | failed
declare -A state=()
to_start=()

# 1. What is already there?
for svc in "${services[@]}"; do
  if svc_probe "$svc"; then
    if [[ -n $(svc_pid "$svc") ]]; then
      state[$svc]=already
    else
      state[$svc]=external
    fi
  elif [[ -n $(svc_pid "$svc") ]]; then
    # Started earlier by us but not answering (yet): wait for it below.
    state[$svc]=starting
  elif port_open "$(svc_port "$svc")"; then
    warn "$svc: $(svc_addr "$svc") is in use by something that does not answer like $svc"
    state[$svc]=busy
  else
    state[$svc]=start
    to_start+=("$svc")
  fi
done

# 2. Download/build what is needed, in parallel (each into its own build log).
declare -A prep_pid=()
for svc in "${to_start[@]}"; do
  build_log="$LOG_DIR/$svc-build.log"
  : >"$build_log"
  ("${svc}_prepare" >>"$build_log" 2>&1) &
  prep_pid[$svc]=$!
done
started=()
for svc in "${to_start[@]}"; do
  if wait "${prep_pid[$svc]}"; then
    started+=("$svc")
  else
    warn "$svc: preparing failed (see $LOG_DIR/$svc-build.log)"
    tail_log "$LOG_DIR/$svc-build.log"
    state[$svc]=failed
  fi
done

# 3. Launch, then wait for every launched server to answer.
launched=()
for svc in "${started[@]}"; do
  if "${svc}_launch"; then
    launched+=("$svc")
  else
    state[$svc]=failed
  fi
done
for svc in "${services[@]}"; do
  [[ ${state[$svc]} == start || ${state[$svc]} == starting ]] || continue
  if [[ ${state[$svc]} == start ]] && [[ " ${launched[*]-} " != *" $svc "* ]]; then
    continue
  fi
  if wait_ready "$svc"; then
    [[ ${state[$svc]} == start ]] && state[$svc]=started || state[$svc]=already
    if [[ $svc == kafka && ${state[$svc]} == started ]] && ! kafka_add_scram_user; then
      warn "kafka: could not create the SCRAM user of the SASL listener"
      state[$svc]=failed
    fi
  else
    state[$svc]=failed
  fi
done

# 4. Report: one line per server.
rc=0
for svc in "${services[@]}"; do
  pid=$(svc_pid "$svc")
  case ${state[$svc]} in
    started) what="started (pid $pid)" ;;
    already) what="already running (pid $pid)" ;;
    external) what="already answering, not managed by the stack (left alone)" ;;
    busy) what="FAILED: port in use by another program" ;;
    *) what="FAILED" ;;
  esac
  logfile=$(svc_log "$svc")
  [[ ${state[$svc]} == external ]] && logfile="-"
  printf '%-12s %-22s %s  log: %s\n' "$svc" "$(svc_addr "$svc")" "$what" "$logfile"
  if [[ ${state[$svc]} == failed ]]; then
    tail_log "$(svc_log "$svc")"
  fi
  [[ $what != FAILED* ]] || rc=1
done
exit "$rc"
