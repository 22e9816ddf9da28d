#!/usr/bin/env bash
# npm run dev: the local stack, then casestream in the foreground, fed with config/samples/,
# its traces exported to the stack's Jaeger.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/stack/up.sh
npm run --silent build
# Set here, not in config/local.env: the tests and benchmarks that read that file must not export.
otlp_endpoint=${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:4318}
echo "traces: sent to $otlp_endpoint"
echo "Jaeger UI: http://127.0.0.1:16686 (a placeholder page in this build, see docs/stack.md;" \
  "the query API answers: /api/services, /api/traces/<trace id>)"
node --import tsx tools/dev/feedSamples.ts &
feeder=$!
trap 'kill $feeder 2>/dev/null || true' EXIT
OTEL_EXPORTER_OTLP_ENDPOINT=$otlp_endpoint node dist/main.js
