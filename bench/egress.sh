#!/usr/bin/env bash
# bench/egress.sh: cost of the egress proxy on loopback with a 10,000-entry
# policy, against going direct (the named peer: no proxy at all).
#   HTTP:    keep-alive GETs of a 512-byte page, direct vs through the proxy
#   CONNECT: a new connection per op (CONNECT + 64-byte echo), direct vs tunnel
#   tunnels: 1,000 tunnels held open; heap in use and the process peak RSS
# Client, proxy and origin share the process and the machine's 2 cores, so
# the proxy's own numbers are better than these. Targets (issue 13): under
# 1 ms added p50, >= 10,000 HTTP req/s, >= 5,000 CONNECT/s.
#
# Usage: bench/egress.sh [BENCHTIME]   (default 3s; needs go)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bt=${1:-3s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
(cd "$repo" && go test ./internal/egress/proxy/ -run '^$' -bench 'HTTP|Connect|OpenTunnels' -benchtime "$bt" -count 1) | tee "$out" >&2
(cd "$repo" && go test ./internal/egress/policy/ -run '^$' -bench 'Decide' -benchtime "$bt" -count 1) | tee -a "$out" >&2

metric() { # benchmark unit
	awk -v b="$1" -v u="$2" '$1 ~ "^Benchmark"b"(-[0-9]+)?$" { for (i=2;i<NF;i++) if ($(i+1)==u) print $i }' "$out"
}
hd=$(metric HTTPDirect req/s); hp=$(metric HTTPProxy req/s)
hd50=$(metric HTTPDirect p50-µs); hp50=$(metric HTTPProxy p50-µs)
hd99=$(metric HTTPDirect p99-µs); hp99=$(metric HTTPProxy p99-µs)
cd_=$(metric ConnectDirect conn/s); cp=$(metric ConnectProxy conn/s)
cd50=$(metric ConnectDirect p50-µs); cp50=$(metric ConnectProxy p50-µs)
cd99=$(metric ConnectDirect p99-µs); cp99=$(metric ConnectProxy p99-µs)
heap=$(metric OpenTunnels heap-MiB); rss=$(metric OpenTunnels peakRSS-MiB)
d10=$(metric Decide10 ns/op); d10k=$(metric Decide10k ns/op)

echo
echo "== clawgov egress, loopback, 10,000-entry policy =="
awk -v a="$hd" -v b="$hp" -v a50="$hd50" -v b50="$hp50" -v a99="$hd99" -v b99="$hp99" 'BEGIN {
	printf "HTTP     direct %8.0f req/s  proxy %8.0f req/s  ratio %.2f  added p50 %.3f ms  p99 %.3f ms\n", a, b, b/a, (b50-a50)/1000, (b99-a99)/1000 }'
awk -v a="$cd_" -v b="$cp" -v a50="$cd50" -v b50="$cp50" -v a99="$cd99" -v b99="$cp99" 'BEGIN {
	printf "CONNECT  direct %8.0f conn/s proxy %8.0f conn/s ratio %.2f  added p50 %.3f ms  p99 %.3f ms\n", a, b, b/a, (b50-a50)/1000, (b99-a99)/1000 }'
echo "1,000 open tunnels: heap ${heap} MiB, peak RSS ${rss} MiB (whole benchmark process)"
echo "policy lookup: ${d10} ns/op with 10 entries, ${d10k} ns/op with 10,000"
