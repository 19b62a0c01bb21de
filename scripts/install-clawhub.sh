#!/usr/bin/env bash
# Installs the pinned clawhub CLI (npm package clawhub) on the pinned Node.js
# 24 runtime into a cache folder, for clawgov's registry integration tests
# (scripts/lib/pinned-npm.sh does the work; both clients run on one Node).
#
# Prints the path of a wrapper `clawhub` that runs the pinned CLI on the
# pinned Node. Idempotent: a finished install is reused.
set -euo pipefail
. "$(dirname "$0")/lib/pinned-npm.sh"
install_pinned clawhub "${CLAWGOV_CLAWHUB_VERSION:-0.23.3}" "clawhub CLI" --cli-version --version
