#!/usr/bin/env bash
# Installs the pinned Node.js 24 runtime and the pinned official OpenClaw
# release (the npm package openclaw) into a cache folder, for clawgov's
# integration tests (scripts/lib/pinned-npm.sh does the work).
#
# Prints the path of a wrapper `openclaw` that runs the pinned OpenClaw on the
# pinned Node. Idempotent: a finished install is reused.
set -euo pipefail
. "$(dirname "$0")/lib/pinned-npm.sh"
install_pinned openclaw "${CLAWGOV_OPENCLAW_VERSION:-2026.9.6}" OpenClaw --version
