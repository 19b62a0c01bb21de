#!/usr/bin/env bash
# The test command the README gives: installs the pinned Node 24 and
# OpenClaw (cached in ~/.cache/clawgov) so the integration tests run against
# the real program, then runs every Go test.
set -euo pipefail
cd "$(dirname "$0")/.."
CLAWGOV_OPENCLAW="$(bash scripts/install-openclaw.sh)"
export CLAWGOV_OPENCLAW
echo "using OpenClaw: $CLAWGOV_OPENCLAW" >&2
go test -count=1 -timeout 45m "$@" ./...
