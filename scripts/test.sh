#!/usr/bin/env bash
# The whole test suite, as the README's test command runs it: build every package, lint, start the
# local Kafka broker (scripts/kafka-broker.sh) unless KAFKA_BOOTSTRAP names one, run every vitest
# project (unit, type, conformance, consumer, browser and integration tests), and stop the broker it
# started, whatever the outcome. The browser project drives Chromium (TRIBUTARY_CHROMIUM, else
# /usr/bin/chromium: `apt-get install chromium`).
# Arguments go to vitest (for example `pnpm test --project unit`).
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

pnpm run build
# Lint before the long suites (about 40 s of CPU): a floating promise, an import cycle, an unused
# export or a type imported as a value fails the suite here (DEVELOPERS.md, "Lint").
pnpm lint
# The API reference with every guide (about 8 s of CPU): an undocumented public symbol, a public type
# no entry point exports, or a broken link in a guide or a comment fails the suite here.
pnpm run docs

started_broker=0
stop_broker() {
  if [ "$started_broker" = 1 ]; then bash scripts/kafka-broker.sh stop >/dev/null || true; fi
}
trap stop_broker EXIT

if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
  if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    if ! bash scripts/kafka-broker.sh status >/dev/null 2>&1; then started_broker=1; fi
    bash scripts/kafka-broker.sh start >/dev/null
    KAFKA_BOOTSTRAP="$(cat .scratch/kafka/bootstrap)"
    export KAFKA_BOOTSTRAP
    echo "test: Kafka broker on $KAFKA_BOOTSTRAP"
  else
    echo "test: no java/mvn here and KAFKA_BOOTSTRAP is unset: the integration tests will fail." >&2
    echo "test: install JDK 17 and Maven, or start docs/docker-compose.kafka.yml and set KAFKA_BOOTSTRAP=localhost:9092." >&2
  fi
fi

if [ -z "${TRIBUTARY_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "test: no /usr/bin/chromium and TRIBUTARY_CHROMIUM is unset: the browser test will fail. Install it: apt-get install chromium" >&2
fi

npx vitest run "$@"
