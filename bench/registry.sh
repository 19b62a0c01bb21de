#!/usr/bin/env bash
# bench/registry.sh: the vetted skill registry's two hot paths, on a store
# holding 10,000 approved (signed) versions, on SQLite and PostgreSQL
# (127.0.0.1:5432 or a throwaway cluster, see internal/sqldb/sqldbtest).
#
#   publish: scan-on-publish of real ClawHub skills from the shared
#            benchmark set (../shared/data/skills-bench, first 500 that
#            pass the publish limits; a synthetic skill without it):
#            archive build, full skill scan, look-alike check against every
#            approved slug, blob write, queued row and its events.
#   install: OpenClaw's install resolution over loopback HTTP, the
#            GET /api/v1/skills/{slug}/install + GET downloadUrl pair
#            (archive re-hashed on read, download event appended), for
#            random approved skills.
#
# Usage: bench/registry.sh [N]   (N publishes and N installs per database, default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-500}"
export CLAWGOV_SHARED_DATA="${CLAWGOV_SHARED_DATA:-$(pwd)/../shared/data}"
export CLAWGOV_BENCH_POSTGRES=1
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
go test ./internal/registry/ -run '^$' -bench '^Benchmark(Publish|Install)$' -benchtime "${n}x" -count 1 >"$out" 2>&1 || { cat "$out"; exit 1; }
echo "registry benchmark (${n} publishes and ${n} installs per database, 10,000 approved versions in the store, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
src=$(awk '/skills from/ {sub(/.*skills from /, ""); print; exit}' "$out")
echo "  publish skills: ${src:-unknown}"
awk '/^Benchmark(Publish|Install)\// && /ns\/op/ {
  name=$1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
  r=""; sz=""
  for (i=1;i<=NF;i++) { if ($(i+1)=="versions/s") r=$i; if ($(i+1)=="p50_ms") p50=$i; if ($(i+1)=="p99_ms") p99=$i; if ($(i+1)=="skill_bytes") sz=$i }
  if (r != "") printf "  %-17s %7.1f versions/s   p50 %6.2f ms   p99 %6.2f ms   (mean skill %d bytes)\n", name, r, p50, p99, sz
  else         printf "  %-17s                      p50 %6.2f ms   p99 %6.2f ms   (install + download)\n", name, p50, p99
}' "$out"
grep -E '^\s+--- SKIP|sqldbtest' "$out" | sed 's/^/  /' || true
echo "  targets (issue 12): a typical skill scanned and queued in < 100 ms; install resolution p99 < 20 ms"
