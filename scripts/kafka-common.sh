# Shared by scripts/kafka-broker.sh (one node) and scripts/kafka-cluster.sh (three nodes): the
# Kafka jars, free ports, cluster ids, log4j files, and starting and stopping a node's JVM.
# Source it after setting LOG_NAME (the prefix of messages); it sets REPO_ROOT, KAFKA_LIB_DIR and
# HOST. Not a script of its own.

KAFKA_COMMON_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$KAFKA_COMMON_DIR/.." && pwd -P)"
POM="$REPO_ROOT/tools/kafka-broker/pom.xml"
# The jars live with the single broker's files; the cluster uses the same copy.
KAFKA_JAR_HOME="$REPO_ROOT/.scratch/kafka"
KAFKA_LIB_DIR="$KAFKA_JAR_HOME/lib"
HOST=127.0.0.1

log() { echo "${LOG_NAME:-kafka}: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Serialises concurrent invocations (e.g. two test jobs calling start at once) on the lock file
# $1, whose directory it creates; waits as long as a start and a stop may take, and some.
take_lock() { # lock_file
  mkdir -p "$(dirname -- "$1")"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$1"
    flock -w $((START_TIMEOUT + STOP_TIMEOUT + 120)) 9 || die "could not take $1"
  fi
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# A port nothing listens on, below the Linux ephemeral range, and not among the arguments.
free_port() {
  local port i avoid taken
  for i in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    taken=0
    for avoid in "$@"; do [[ "$port" == "$avoid" ]] && taken=1; done
    ((taken)) && continue
    if command -v ss >/dev/null 2>&1 && ss -Htan "sport = :$port" 2>/dev/null | grep -q .; then
      continue
    fi
    port_open "$port" && continue
    echo "$port"; return 0
  done
  die "no free port found"
}

lib_stamp() { cksum <"$POM" | cut -d' ' -f1; }

# Fetches the Kafka jars into $KAFKA_LIB_DIR with Maven (cached in ~/.m2) unless they are there
# for the current pom. Two scripts fetching at once take turns.
fetch_jars() {
  local stamp; stamp="$(lib_stamp)"
  [[ -f "$KAFKA_LIB_DIR/.complete" && "$(cat "$KAFKA_LIB_DIR/.complete")" == "$stamp" ]] && return 0
  mkdir -p "$KAFKA_JAR_HOME"
  (
    if command -v flock >/dev/null 2>&1; then
      exec 8>"$KAFKA_JAR_HOME/.lib.lock"
      flock -w 600 8 || die "could not take $KAFKA_JAR_HOME/.lib.lock"
    fi
    [[ -f "$KAFKA_LIB_DIR/.complete" && "$(cat "$KAFKA_LIB_DIR/.complete")" == "$stamp" ]] && exit 0
    command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars)"
    log "fetching Kafka jars into $KAFKA_LIB_DIR (mvn, cached in ~/.m2) ..."
    local tmp="$KAFKA_JAR_HOME/lib.tmp.$$"
    rm -rf "$tmp"
    if ! mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
          -DoutputDirectory="$tmp" >"$KAFKA_JAR_HOME/mvn.log" 2>&1; then
      cat "$KAFKA_JAR_HOME/mvn.log" >&2
      rm -rf "$tmp"
      die "mvn dependency:copy-dependencies failed"
    fi
    ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "kafka_2.13 jar missing after fetch"
    echo "$stamp" >"$tmp/.complete"
    rm -rf "$KAFKA_LIB_DIR"
    mv "$tmp" "$KAFKA_LIB_DIR"
  )
}

# Kafka cluster ids are 16 random bytes, base64url without padding (22 chars). One that starts
# with '-' would read as an option to kafka-storage, so draw again, as Kafka's own
# Uuid.randomUuid does.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    case "$id" in -*) ;; *) printf '%s' "$id"; return ;; esac
  done
}

# The settings every node here shares after its identity, listeners and replication: test-friendly
# group and topic behaviour, and a small footprint (a 2-core machine shared with tests).
common_server_properties() {
  cat <<EOF
# Test-friendly: no initial consumer-group rebalance delay; topics are
# auto-created on first produce/metadata request (Kafka's default, set explicitly).
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true

# Small footprint (2-core machine shared with tests).
num.network.threads=2
num.io.threads=4
log.cleaner.threads=1
num.recovery.threads.per.data.dir=1
EOF
}

# log4j.properties (server.log in the node's log dir) and tools-log4j.properties into $1.
write_log4j() {
  local conf_dir="$1"
  mkdir -p "$conf_dir"
  cat >"$conf_dir/log4j.properties" <<EOF
# Broker logging (reload4j): everything at INFO to server.log.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=\${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=50MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF

  cat >"$conf_dir/tools-log4j.properties" <<'EOF'
# For CLI tools run from .scratch/kafka/lib: warnings only, to stderr.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# Formats the storage of the node configured by $2 (server.properties) with cluster id $1;
# $3 is its config dir (for the tools' log4j), $4 a log file.
format_storage() {
  local cluster_id="$1" properties="$2" conf_dir="$3" log_file="$4"
  if ! java "-Dlog4j.configuration=file:$conf_dir/tools-log4j.properties" -Xmx256m -cp "$KAFKA_LIB_DIR/*" \
        kafka.tools.StorageTool format -t "$cluster_id" -c "$properties" >"$log_file" 2>&1; then
    cat "$log_file" >&2
    die "kafka-storage format failed ($properties)"
  fi
}

# Starts a node's JVM in the background: $1 config dir (server.properties, log4j.properties),
# $2 log dir, $3 heap options. Prints its pid. The previous run's logs are kept as *.prev.
launch_node() {
  local conf_dir="$1" log_dir="$2" heap_opts="$3" f
  mkdir -p "$log_dir"
  for f in server.log stdout.log; do
    [[ -f "$log_dir/$f" ]] && mv -f "$log_dir/$f" "$log_dir/$f.prev"
  done
  # shellcheck disable=SC2086
  nohup java $heap_opts -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dkafka.logs.dir="$log_dir" \
    -Dlog4j.configuration="file:$conf_dir/log4j.properties" \
    -cp "$KAFKA_LIB_DIR/*" kafka.Kafka "$conf_dir/server.properties" \
    >"$log_dir/stdout.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $!
}

# Whether pid $1 is alive and a Kafka server.
is_kafka_pid() {
  [[ "$1" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

# Ready = the server logged "Kafka Server started" (KRaft broker startup completes only after it
# caught up with the metadata log and was unfenced) AND its PLAINTEXT port accepts connections.
node_ready() { # log_dir port
  grep -q 'Kafka Server started' "$1/server.log" 2>/dev/null && port_open "$2"
}

print_log_tail() { # log_dir
  local f
  for f in "$1/server.log" "$1/stdout.log"; do
    [[ -s "$f" ]] || continue
    echo "----- tail -n 60 $f -----" >&2
    tail -n 60 "$f" >&2
  done
}

# SIGTERM (a controlled shutdown), wait up to $2 seconds, then SIGKILL.
stop_pid() { # pid timeout
  local pid="$1" timeout="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "pid $pid still alive after ${timeout}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
