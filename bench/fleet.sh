#!/usr/bin/env bash
# bench/fleet.sh: fleet ingest throughput and latency, and the read paths
# at 50,000 hosts.
#
# 1. Ingest: drives the real fleet HTTP server (internal/fleet/server,
#    over 127.0.0.1) with 200 simulated enrolled agents, 16 concurrent
#    senders, each pushing a signed envelope holding a real audit report
#    of a fixture deployment (118 KB in full; agents send it compact,
#    ~25 KB, the catalog texts left out), on SQLite and on PostgreSQL
#    (127.0.0.1:5432 or a throwaway cluster, see internal/sqldb/sqldbtest).
#    The requests are built and signed ahead by the agent's own code and
#    sent by a bare HTTP/1.1 client, so the two cores go to the server;
#    the sqlite-agent line sends through the real agent client instead.
#    The server runs with the collector settings 'clawgov server' uses.
#    Prints ingests/s, p50/p99 ingest latency, CPU and page faults per
#    ingest of the process (server and load generator share it), and the
#    process's peak RSS during the run less the prebuilt requests.
# 2. Scale: seeds 50,000 hosts with 30 days of control history straight
#    into the tables (CLAWGOV_SCALE_HOSTS overrides the count), then times
#    the API summary and host pages and the dashboard fleet and hosts
#    pages through the real handler (20 requests each), and reports the
#    Go heap and the RSS of the process.
#
# The machine is shared: every line carries the load average it ran at.
#
# Usage: bench/fleet.sh [N]   (N ingests per database, default 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3000}"
out="$(mktemp)"
scale="$(mktemp)"
trap 'rm -f "$out" "$scale"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
l0=$(load)
go test ./internal/fleet/server/ -run '^$' -bench 'BenchmarkIngest' -benchtime "${n}x" -count 1 >"$out" 2>&1 || { cat "$out"; exit 1; }
echo "fleet ingest benchmark (${n} ingests per database, $(nproc) cores, load average before ${l0}, after $(load))"
awk '/^BenchmarkIngest\// {
  name=$1; sub(/^BenchmarkIngest\//, "", name); sub(/-[0-9]+$/, "", name); rss=""
  for (i=1;i<=NF;i++) { if ($(i+1)=="ingests/s") r=$i; if ($(i+1)=="p50_ms") p50=$i; if ($(i+1)=="p99_ms") p99=$i; if ($(i+1)=="report_bytes") sz=$i; if ($(i+1)=="cpu_ms/ingest") cpu=$i; if ($(i+1)=="faults/ingest") flt=$i; if ($(i+1)=="peak_rss_MiB") rss=$i }
  printf "  %-12s %9.1f ingests/s   p50 %7.1f ms   p99 %7.1f ms   %5.2f ms CPU/ingest   %4.1f faults/ingest   peak RSS %s   report %d bytes\n", name, r, p50, p99, cpu, flt, (rss == "" ? "not measured" : sprintf("%.0f MiB", rss)), sz
}' "$out"
echo "  targets (issue 11): >= 2000 ingests/s on SQLite, p99 < 50 ms"

l0=$(load)
go test ./internal/fleet/server/ -run '^$' -bench 'BenchmarkScale' -benchtime 1x -count 1 >"$scale" 2>&1 || { cat "$scale"; exit 1; }
echo
echo "fleet at scale (load average before ${l0}, after $(load)); targets: p95 < 200 ms, heap/RSS < 200 MiB"
awk '/^BenchmarkScale\// {
  name=$1; sub(/^BenchmarkScale\//, "", name); sub(/-[0-9]+$/, "", name)
  line=""; worst=0
  for (i=1;i<=NF;i++) {
    if ($(i+1) ~ /_p95_ms$/) { k=$(i+1); sub(/_p95_ms$/, "", k); line=line sprintf("    %-20s p95 %7.1f ms %s\n", k, $i, ($i < 200 ? "ok" : "MISS")) }
    if ($(i+1)=="hosts") h=$i; if ($(i+1)=="seed_s") sd=$i; if ($(i+1)=="peak_heap_MiB") hp=$i; if ($(i+1)=="rss_MiB") rss=$i; if ($(i+1)=="peak_rss_MiB") prss=$i
  }
  printf "  %s: %d hosts, seeded in %.0f s\n%s", name, h, sd, line
  printf "    Go heap peak %.0f MiB, RSS %.0f MiB (peak %.0f MiB incl. seeding) %s\n", hp, rss, prss, (rss < 200 ? "ok" : "MISS")
}' "$scale"
