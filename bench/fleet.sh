#!/usr/bin/env bash
# bench/fleet.sh: fleet ingest throughput and latency.
#
# Drives the real fleet HTTP server (internal/fleet/server, over
# 127.0.0.1) with 200 simulated enrolled agents, 16 concurrent senders,
# each pushing a signed envelope holding a real audit report of a fixture
# deployment (~105 KB), on SQLite and on PostgreSQL (127.0.0.1:5432 or a
# throwaway cluster, see internal/sqldb/sqldbtest). Prints ingests/s,
# p50/p99 ingest latency and the peak RSS of the process (server and
# simulated agents share it, so the server's own RSS is lower).
#
# Usage: bench/fleet.sh [N]   (N ingests per database, default 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3000}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
/usr/bin/time -v go test ./internal/fleet/server/ -run '^$' -bench 'BenchmarkIngest' -benchtime "${n}x" -count 1 >"$out" 2>&1 || { cat "$out"; exit 1; }
echo "fleet ingest benchmark (${n} ingests per database, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
awk '/^BenchmarkIngest\// {
  name=$1; sub(/^BenchmarkIngest\//, "", name); sub(/-[0-9]+$/, "", name)
  for (i=1;i<=NF;i++) { if ($(i+1)=="ingests/s") r=$i; if ($(i+1)=="p50_ms") p50=$i; if ($(i+1)=="p99_ms") p99=$i; if ($(i+1)=="report_bytes") sz=$i }
  printf "  %-9s %9.1f ingests/s   p50 %7.1f ms   p99 %7.1f ms   report %d bytes\n", name, r, p50, p99, sz
}' "$out"
rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$out" | tail -1)
echo "  peak RSS of the benchmark process: $((rss / 1024)) MiB"
echo "  targets (issue 11): >= 2000 ingests/s on SQLite, p99 < 50 ms"
