# shellcheck shell=bash
# Shared paths and helpers for the local development stack (sourced by up.sh,
# down.sh and status.sh; not meant to be executed directly).
#
# Services (names accepted on the command line of up/down/status):
#   kafka        Apache Kafka 4.1.1, KRaft, single combined broker+controller
#   mongo        FerretDB v1.24.2 (MongoDB wire protocol) on the SQLite backend, built from
#                source with the fixes in ferretdb-patches/
#   redis        redis-server from Debian (an already running one is reused)
#   config-stub  tools/config-service-stub (Configuration Service stub)
#   jaeger       Jaeger v1.75.0 (v2 distribution: OTLP in, in-memory store, query API), built
#                from the Go module proxy; configured by jaeger.yaml
#
# Everything listens on 127.0.0.1 only. Downloads/builds live in $CACHE_DIR,
# runtime state (data, logs, pid files) in $RUN_DIR; both outside the git tree.

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$STACK_DIR/../.." && pwd)

CACHE_DIR=${CASESTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/casestream}
RUN_DIR=$CACHE_DIR/run
LOG_DIR=$RUN_DIR/logs
PID_DIR=$RUN_DIR/pids

LOOPBACK=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
# A second listener that requires SASL (PLAIN or SCRAM-SHA-256), for the security tests.
KAFKA_SASL_PORT=9094
KAFKA_SASL_USER=casestream
KAFKA_SASL_PASSWORD=casestream-secret
MONGO_PORT=27017
REDIS_PORT=6379
CONFIG_STUB_PORT=8081
# Jaeger's query API and UI; jaeger.yaml also binds OTLP (4318 HTTP, 4317 gRPC), the query gRPC
# API (16685) and the health check (13133, 13132 gRPC), all on 127.0.0.1.
JAEGER_QUERY_PORT=16686

KAFKA_VERSION=4.1.1
LOG4J_VERSION=2.24.3
MAVEN_DEPENDENCY_PLUGIN_VERSION=3.8.1
KAFKA_HOME=$CACHE_DIR/kafka-$KAFKA_VERSION
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}

FERRETDB_VERSION=v1.24.2
FERRETDB_BIN=$CACHE_DIR/bin/ferretdb
# Fixes applied to FerretDB's sources before building; each file says why.
FERRETDB_PATCH_DIR=$STACK_DIR/ferretdb-patches

JAEGER_VERSION=v1.75.0
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_BIN=$CACHE_DIR/bin/jaeger-$JAEGER_VERSION
JAEGER_CONFIG=$STACK_DIR/jaeger.yaml
# Jaeger's own go.mod pins sarama with a replace directive; the build repeats it (see jaeger_prepare).
JAEGER_SARAMA_REPLACE=github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0

ALL_SERVICES=(kafka mongo redis config-stub jaeger)

# ---------------------------------------------------------------- output ----

log() { printf '%s\n' "$*"; }
warn() { printf 'stack: %s\n' "$*" >&2; }
die() {
  printf 'stack: error: %s\n' "$*" >&2
  exit 1
}

# Print the last lines of a log file to stderr, indented; only lines written
# since the last "started by scripts/stack/up.sh" marker (see spawn).
tail_log() {
  local file=$1 lines=${2:-40}
  [[ -s $file ]] || return 0
  printf -- '----- last lines of %s -----\n' "$file" >&2
  awk '/^===== .*: started by scripts\/stack\/up.sh =====$/ { n = 0 } { buf[++n] = $0 } END { for (i = 1; i <= n; i++) print buf[i] }' "$file" |
    tail -n "$lines" | sed 's/^/  | /' >&2
  printf -- '-----\n' >&2
}

# ------------------------------------------------------------- arguments ----

# Normalise service names given on the command line (default: all of them).
# Prints one canonical name per line; dies on an unknown name.
resolve_services() {
  if [[ $# -eq 0 ]]; then
    printf '%s\n' "${ALL_SERVICES[@]}"
    return
  fi
  local arg
  for arg in "$@"; do
    case $arg in
      kafka) echo kafka ;;
      mongo | mongodb | ferretdb) echo mongo ;;
      redis) echo redis ;;
      config-stub | config | stub | config-service-stub) echo config-stub ;;
      jaeger) echo jaeger ;;
      all) printf '%s\n' "${ALL_SERVICES[@]}" ;;
      *) die "unknown service '$arg' (expected: ${ALL_SERVICES[*]})" ;;
    esac
  done
}

# Sets the global array SERVICES from the command line (see resolve_services).
select_services() {
  local names
  names=$(resolve_services "$@") || exit 1
  names=$(awk '!seen[$0]++' <<<"$names") # each service once, in order
  # shellcheck disable=SC2034 # read by the scripts that source this file
  mapfile -t SERVICES <<<"$names"
}

# ------------------------------------------------------- per-service info ----

svc_port() {
  case $1 in
    kafka) echo "$KAFKA_PORT" ;;
    mongo) echo "$MONGO_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
    config-stub) echo "$CONFIG_STUB_PORT" ;;
    jaeger) echo "$JAEGER_QUERY_PORT" ;;
  esac
}
svc_addr() { echo "$LOOPBACK:$(svc_port "$1")"; }
svc_log() { echo "$LOG_DIR/$1.log"; }
svc_pidfile() { echo "$PID_DIR/$1.pid"; }

# Substring that must appear in /proc/<pid>/cmdline for a pid file to be
# trusted (protects against pid reuse after a reboot or a crash).
svc_cmd_pattern() {
  case $1 in
    kafka) echo "kafka.Kafka" ;;
    mongo) echo "ferretdb" ;;
    redis) echo "redis-server" ;;
    config-stub) echo "config-service-stub/main.ts" ;;
    jaeger) echo "/bin/jaeger-" ;;
  esac
}

# Seconds to wait for a freshly started server to answer.
svc_start_timeout() {
  local t=${CASESTREAM_STACK_TIMEOUT:-}
  if [[ -n $t ]]; then
    echo "$t"
    return
  fi
  case $1 in
    kafka) echo 120 ;;
    mongo) echo 60 ;;
    redis) echo 30 ;;
    config-stub) echo 60 ;;
    jaeger) echo 60 ;;
  esac
}

# Seconds to wait for a server to exit after SIGTERM before SIGKILL.
svc_stop_timeout() {
  case $1 in
    kafka) echo 60 ;;
    *) echo 20 ;;
  esac
}

# --------------------------------------------------------------- processes ----

# True if the pid exists and is not a zombie.
pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Prints the pid recorded for a service if that process is alive and really is
# the service; prints nothing otherwise.
svc_pid() {
  local svc=$1 file pid pattern cmdline
  file=$(svc_pidfile "$svc")
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  pid_alive "$pid" || return 0
  pattern=$(svc_cmd_pattern "$svc")
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  if [[ $cmdline == *"$pattern"* ]]; then
    echo "$pid"
  fi
}

# spawn <svc> <workdir> <command...>
# Starts the command detached from the calling shell (own session, stdin from
# /dev/null, output appended to the service log). The pid file is written by
# the process itself right before exec, so it is the server's real pid.
spawn() {
  local svc=$1 workdir=$2
  shift 2
  local logfile pidfile
  logfile=$(svc_log "$svc")
  pidfile=$(svc_pidfile "$svc")
  mkdir -p "$LOG_DIR" "$PID_DIR"
  rm -f "$pidfile"
  printf '\n===== %s: started by scripts/stack/up.sh =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$logfile"
  (
    exec 9>&- # do not leak the stack lock (see take_lock) into the server
    cd "$workdir" || exit 1
    # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner bash
    exec setsid nohup bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
      </dev/null >>"$logfile" 2>&1
  ) &
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.05
  done
  warn "$svc: process did not record its pid in $pidfile"
  return 1
}

# stop_pid <svc> <pid>: SIGTERM (whole process group when the server leads
# one, which spawn() arranges), wait, then SIGKILL.
stop_pid() {
  local svc=$1 pid=$2 timeout pgid i
  timeout=$(svc_stop_timeout "$svc")
  pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)
  if [[ $pgid == "$pid" ]]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "$svc: pid $pid still running ${timeout}s after SIGTERM, sending SIGKILL"
  if [[ $pgid == "$pid" ]]; then
    kill -KILL -- "-$pid" 2>/dev/null || true
  else
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# ------------------------------------------------------------------ probes ----

# True if something accepts TCP connections on 127.0.0.1:<port>.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$LOOPBACK/$1" 2>/dev/null
}

redis_ping() {
  # Plain RESP over bash's /dev/tcp, so no client is needed.
  # shellcheck disable=SC2016 # $0/$1/$line belong to the inner bash
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "PING\r\n" >&3
    IFS= read -r line <&3 || exit 1
    [[ $line == "+PONG"* ]]
  ' "$LOOPBACK" "$REDIS_PORT" 2>/dev/null
}

require_node_modules() {
  [[ -d $REPO_ROOT/node_modules/kafkajs && -d $REPO_ROOT/node_modules/mongodb && -d $REPO_ROOT/node_modules/tsx ]] ||
    die "node_modules is missing or incomplete in $REPO_ROOT; run 'npm ci' first"
}

# True if the service answers a real request (not only an open port).
svc_probe() {
  local svc=$1
  port_open "$(svc_port "$svc")" || return 1
  case $svc in
    redis) redis_ping ;;
    *) node "$STACK_DIR/probe.mjs" "$svc" >/dev/null 2>&1 ;;
  esac
}

# wait_ready <svc>: poll until the service answers; fail early when the
# process we started has died.
wait_ready() {
  local svc=$1 timeout deadline pid=
  timeout=$(svc_start_timeout "$svc")
  deadline=$((SECONDS + timeout))
  # The raw pid (not svc_pid): a server that died at once must be noticed.
  if [[ -f $(svc_pidfile "$svc") ]]; then
    pid=$(<"$(svc_pidfile "$svc")")
  fi
  while ((SECONDS < deadline)); do
    if svc_probe "$svc"; then
      return 0
    fi
    if [[ $pid =~ ^[0-9]+$ ]] && ! pid_alive "$pid"; then
      warn "$svc: process $pid exited during startup"
      return 1
    fi
    sleep 0.5
  done
  warn "$svc: not answering on $(svc_addr "$svc") after ${timeout}s"
  return 1
}

# ------------------------------------------------------------ preparation ----
# *_prepare functions download/build what a service needs into $CACHE_DIR.
# They are idempotent and print progress to stdout (redirected to a build log
# by up.sh).

kafka_prepare() {
  command -v java >/dev/null || die "java not found (Java 17+ is required for Kafka $KAFKA_VERSION)"
  if [[ -f $KAFKA_HOME/libs/.complete ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (Maven is used to fetch the Kafka jars)"
  mkdir -p "$KAFKA_HOME"
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by casestream scripts/stack/lib.sh: only used to download the
     Kafka broker jars and a log4j2 SLF4J binding with Maven. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.casestream</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  rm -rf "$KAFKA_HOME/libs.tmp" "$KAFKA_HOME/libs"
  echo "fetching Kafka $KAFKA_VERSION jars with Maven into $KAFKA_HOME/libs"
  # (sed strips the colour resets Maven prints even in batch/quiet mode)
  mvn -q -B -Dstyle.color=never -f "$KAFKA_HOME/pom.xml" \
    -Dmaven.repo.local="$CACHE_DIR/m2" \
    "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN_VERSION:copy-dependencies" \
    -DoutputDirectory="$KAFKA_HOME/libs.tmp" -DincludeScope=runtime </dev/null 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g'
  [[ -f $KAFKA_HOME/libs.tmp/kafka_2.13-$KAFKA_VERSION.jar ]] ||
    die "Maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing from $KAFKA_HOME/libs.tmp"
  mv "$KAFKA_HOME/libs.tmp" "$KAFKA_HOME/libs"
  touch "$KAFKA_HOME/libs/.complete"
  echo "fetched $(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars"
}

# What the binary must have been built from: the version and its patches. A cached binary
# built from anything else (an older patch set included) is rebuilt.
ferretdb_build_id() {
  printf '%s %s\n' "$FERRETDB_VERSION" "$(cat "$FERRETDB_PATCH_DIR"/*.patch | sha256sum | cut -d' ' -f1)"
}

mongo_prepare() {
  local have='' want
  want=$(ferretdb_build_id)
  if [[ -x $FERRETDB_BIN && -f $FERRETDB_BIN.build ]]; then
    have=$(cat "$FERRETDB_BIN.build")
  fi
  if [[ $have == "$want" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go not found (Go is used to build FerretDB $FERRETDB_VERSION)"
  # Go caches are kept inside $CACHE_DIR so the build works from nothing and
  # is reused afterwards; -modcacherw keeps them deletable with rm -rf.
  export GOMODCACHE=$CACHE_DIR/go/mod GOCACHE=$CACHE_DIR/go/build GOFLAGS=-modcacherw
  # Not `go install ...@version`: a binary built that way lacks
  # build/version/version.txt (generated at release time) and panics at start
  # ("Invalid build/version/version.txt file content"). Build from a writable
  # copy of the module source with that file written instead.
  local src_dir build_dir
  echo "downloading FerretDB $FERRETDB_VERSION sources"
  src_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n $src_dir && -d $src_dir ]] || die "go mod download did not report a source directory for FerretDB"
  build_dir=$CACHE_DIR/build/ferretdb-$FERRETDB_VERSION
  rm -rf "$build_dir"
  mkdir -p "$(dirname "$build_dir")" "$(dirname "$FERRETDB_BIN")"
  cp -r "$src_dir" "$build_dir"
  chmod -R u+w "$build_dir"
  echo "$FERRETDB_VERSION" >"$build_dir/build/version/version.txt"
  local patch
  for patch in "$FERRETDB_PATCH_DIR"/*.patch; do
    echo "applying $(basename "$patch")"
    # The ceiling keeps git from applying relative to an enclosing repository, if any.
    (cd "$build_dir" && GIT_CEILING_DIRECTORIES=$(dirname "$build_dir") git apply "$patch") || die "$(basename "$patch") does not apply to FerretDB $FERRETDB_VERSION"
  done
  echo "building FerretDB $FERRETDB_VERSION (takes a few minutes the first time)"
  (cd "$build_dir" && go build -trimpath -buildvcs=false -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb)
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  echo "$want" >"$FERRETDB_BIN.build"
  rm -rf "$build_dir"
  # The compiled-package cache is only useful for rebuilding; the downloaded
  # modules (GOMODCACHE) are kept.
  go clean -cache
  "$FERRETDB_BIN" --version
}

# What the Jaeger binary must have been built from; a cached binary built from anything else is rebuilt.
jaeger_build_id() {
  printf '%s@%s %s\n' "$JAEGER_MODULE/cmd/jaeger" "$JAEGER_VERSION" "$JAEGER_SARAMA_REPLACE"
}

jaeger_prepare() {
  local have='' want
  want=$(jaeger_build_id)
  if [[ -x $JAEGER_BIN && -f $JAEGER_BIN.build ]]; then
    have=$(cat "$JAEGER_BIN.build")
  fi
  if [[ $have == "$want" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go not found (Go is used to build Jaeger $JAEGER_VERSION)"
  # Modules are shared with FerretDB's build; the compiled-package cache is Jaeger's own, since
  # mongo_prepare empties its cache when done and the two builds run at the same time.
  export GOMODCACHE=$CACHE_DIR/go/mod GOCACHE=$CACHE_DIR/go/build-jaeger GOFLAGS=-modcacherw GOWORK=off
  # Jaeger's go.mod has a replace directive, which `go install ...@version` refuses: build it as a
  # tool of a throwaway module instead, with that same replace so the dependencies are the release's.
  local mod_dir=$CACHE_DIR/build/jaeger-$JAEGER_VERSION
  rm -rf "$mod_dir"
  mkdir -p "$mod_dir" "$(dirname "$JAEGER_BIN")"
  echo "resolving Jaeger $JAEGER_VERSION and its modules"
  (
    cd "$mod_dir" &&
      go mod init casestream.local/jaeger-build &&
      go mod edit "-replace=$JAEGER_SARAMA_REPLACE" &&
      go get -tool "$JAEGER_MODULE/cmd/jaeger@$JAEGER_VERSION"
  ) || die "could not resolve $JAEGER_MODULE/cmd/jaeger@$JAEGER_VERSION"
  echo "building Jaeger $JAEGER_VERSION (takes several minutes the first time)"
  (cd "$mod_dir" && go build -trimpath -buildvcs=false \
    -ldflags "-X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_VERSION" \
    -o "$JAEGER_BIN.tmp" "$JAEGER_MODULE/cmd/jaeger") || die "building Jaeger $JAEGER_VERSION failed"
  mv "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  echo "$want" >"$JAEGER_BIN.build"
  rm -rf "$mod_dir"
  go clean -cache
  "$JAEGER_BIN" version
}

redis_prepare() {
  if command -v redis-server >/dev/null; then
    return 0
  fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing redis-server with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends redis-server
  else
    die "redis-server not found; install it (e.g. sudo apt-get install redis-server)"
  fi
  command -v redis-server >/dev/null || die "redis-server still not on PATH after installing"
}

config-stub_prepare() {
  require_node_modules
  [[ -f $REPO_ROOT/tools/config-service-stub/main.ts ]] || die "tools/config-service-stub/main.ts not found"
}

# ----------------------------------------------------------------- launch ----
# *_launch functions write per-start configuration into $RUN_DIR and spawn the
# server. Data directories are kept across restarts.

kafka_launch() {
  local dir=$RUN_DIR/kafka
  local data=$dir/data
  mkdir -p "$data"
  cat >"$dir/server.properties" <<EOF
# Generated by scripts/stack/lib.sh on every start; edit that file instead.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://$LOOPBACK:$KAFKA_PORT,CONTROLLER://$LOOPBACK:$KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://$LOOPBACK:$KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$LOOPBACK:$KAFKA_PORT,SASL_PLAINTEXT://$LOOPBACK:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
controller.quorum.bootstrap.servers=$LOOPBACK:$KAFKA_CONTROLLER_PORT
log.dirs=$data
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
# Kafka 4's group coordinator waits 5 ms (by default) for more writes before it stores an offset
# commit; every fetch cycle of a consumer that commits before fetching again waits for it.
group.coordinator.append.linger.ms=0
log.retention.hours=168
log.segment.bytes=104857600
num.network.threads=2
num.io.threads=4
EOF
  cat >"$dir/log4j2.properties" <<EOF
# Generated by scripts/stack/lib.sh: Kafka logs go to $(svc_log kafka)
status = warn
# Keep logging while Kafka's own shutdown hook runs (controlled shutdown).
shutdownHook = disable
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $(svc_log kafka)
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = INFO
EOF
  local java_cp="$KAFKA_HOME/libs/*"
  local log4j_opt="-Dlog4j2.configurationFile=file:$dir/log4j2.properties"
  if [[ ! -f $dir/cluster-id ]]; then
    java "$log4j_opt" -cp "$java_cp" kafka.tools.StorageTool random-uuid >"$dir/cluster-id.tmp"
    mv "$dir/cluster-id.tmp" "$dir/cluster-id"
  fi
  if [[ ! -f $data/meta.properties ]]; then
    # Formatting happens once; restarts keep the data directory.
    java "$log4j_opt" -cp "$java_cp" kafka.tools.StorageTool format --standalone \
      --cluster-id "$(tr -d '[:space:]' <"$dir/cluster-id")" --config "$dir/server.properties" \
      >>"$(svc_log kafka)" 2>&1 || {
      warn "kafka: formatting $data failed"
      return 1
    }
  fi
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
  spawn kafka "$dir" java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true "$log4j_opt" \
    -cp "$java_cp" kafka.Kafka "$dir/server.properties"
}

# The SCRAM-SHA-256 user of the SASL listener (PLAIN users live in server.properties); idempotent.
kafka_add_scram_user() {
  java "-Dlog4j2.configurationFile=file:$RUN_DIR/kafka/log4j2.properties" -cp "$KAFKA_HOME/libs/*" kafka.admin.ConfigCommand \
    --bootstrap-server "$LOOPBACK:$KAFKA_PORT" --alter --entity-type users --entity-name "$KAFKA_SASL_USER" \
    --add-config "SCRAM-SHA-256=[iterations=4096,password=$KAFKA_SASL_PASSWORD]" >>"$(svc_log kafka)" 2>&1
}

mongo_launch() {
  local dir=$RUN_DIR/ferretdb
  mkdir -p "$dir/data" "$dir/state"
  # FerretDB's debug listener (Prometheus metrics per command at /debug/metrics, Go's pprof at
  # /debug/pprof) only when FERRETDB_DEBUG_PORT is set, for profiling; `-` disables it.
  # --log-format=console: with `text` (or `json`) FerretDB formats every SQL statement's arguments,
  # whole documents, for a debug line it then drops: a fifth of its CPU on inserts (pprof).
  # The console handler formats lazily.
  local debug_addr=-
  [[ -n ${FERRETDB_DEBUG_PORT:-} ]] && debug_addr=$LOOPBACK:$FERRETDB_DEBUG_PORT
  spawn mongo "$dir" "$FERRETDB_BIN" \
    --handler=sqlite \
    "--sqlite-url=file:$dir/data/" \
    "--listen-addr=$LOOPBACK:$MONGO_PORT" \
    "--debug-addr=$debug_addr" \
    --telemetry=disable \
    "--state-dir=$dir/state" \
    --log-level=info \
    --log-format=console
}

redis_launch() {
  local dir=$RUN_DIR/redis
  mkdir -p "$dir"
  spawn redis "$dir" redis-server \
    --bind "$LOOPBACK" \
    --port "$REDIS_PORT" \
    --protected-mode yes \
    --daemonize no \
    --dir "$dir" \
    --save '' \
    --appendonly no \
    --logfile ''
}

config-stub_launch() {
  CONFIG_STUB_HOST=$LOOPBACK CONFIG_STUB_PORT=$CONFIG_STUB_PORT \
    spawn config-stub "$REPO_ROOT" node --import tsx tools/config-service-stub/main.ts
}

jaeger_launch() {
  # A working directory of its own, outside the tree, like the other servers.
  local dir=$RUN_DIR/jaeger
  mkdir -p "$dir"
  spawn jaeger "$dir" "$JAEGER_BIN" --config "$JAEGER_CONFIG"
}

# ------------------------------------------------------------------ locking ----

# Serialise concurrent up/down runs that share one $RUN_DIR.
take_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.stack.lock"
  flock -w 900 9 || die "another scripts/stack command holds $RUN_DIR/.stack.lock"
}
