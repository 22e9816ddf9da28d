#!/usr/bin/env bash
# npm run dev: the local stack, then casestream in the foreground, fed with config/samples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/stack/up.sh
npm run --silent build
node --import tsx tools/dev/feedSamples.ts &
feeder=$!
trap 'kill $feeder 2>/dev/null || true' EXIT
node dist/main.js
