#!/usr/bin/env bash
# bench/egress.sh: cost of the egress proxy on loopback, as deployed.
#
# The proxy is the real binary (CGO_ENABLED=0, -trimpath, as released)
# running `clawgov egress serve` in its own process, with a 10,000-entry
# policy file and --log to a file. The load generator, the origin (a
# net/http server sending a 512-byte page) and a TCP echo server run in a
# second process (BenchmarkServeBinary in internal/egress/proxy). Every
# figure is measured against going direct in the same run:
#   latency  one client alternating direct and proxied operations
#            (added p50/p99 on an otherwise idle proxy)
#   HTTP     keep-alive GETs from CONC connections, req/s and p50/p99
#   CONNECT  a new tunnel per operation (CONNECT + 64-byte echo + close)
#            from CONC/2 clients, tunnels/s; direct is a new TCP connection
#   tunnels  1,000 tunnels held open: the proxy's peak RSS meanwhile
# and it checks the log holds one line per proxied request. The CPU each
# process used during each phase is printed (1.00 = one core busy).
# Targets (issue 13): under 1 ms added p50, >= 10,000 HTTP req/s,
# >= 5,000 new CONNECT tunnels/s, with the 10,000-entry policy.
#
# Usage: bench/egress.sh [RUNS]   (default 3)
# Environment: DURATION per load phase (3s), CONC (32), PIN=1 to pin the
# proxy to CPU 1 and the load generator to CPU 0 (on a shared machine a
# pinned proxy competes with everything else on its core),
# CLAWGOV_EGRESS_BENCH_BIN to measure another binary, INPROC=1 to also run
# the older in-process benchmarks (client, proxy and origin in one process).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=${CLAWGOV_EGRESS_BENCH_BIN:-}
if [ -z "$bin" ]; then
	bin=$tmp/clawgov
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/clawgov)
fi
(cd "$repo" && go test -c -o "$tmp/proxy.test" ./internal/egress/proxy/)
export CLAWGOV_EGRESS_BENCH_BIN=$bin
export CLAWGOV_EGRESS_BENCH_DURATION=${DURATION:-3s}
export CLAWGOV_EGRESS_BENCH_CONC=${CONC:-32}
load=()
if [ "${PIN:-0}" = 1 ]; then
	export CLAWGOV_EGRESS_BENCH_PROXY_CPUS=1
	load=(taskset -c 0)
fi
out=$tmp/out
echo "clawgov egress benchmark: $runs runs, $(nproc) cores, pinned=${PIN:-0}, load average before $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
	(cd "$repo/internal/egress/proxy" && "${load[@]}" "$tmp/proxy.test" -test.run '^$' -test.bench '^BenchmarkServeBinary$' -test.benchtime 1x) >"$tmp/run" 2>&1 || { cat "$tmp/run"; exit 1; }
	grep '^BenchmarkServeBinary' "$tmp/run" | sed "s/\$/ $(cut -d' ' -f1 /proc/loadavg) loadavg/" >>"$out"
done

awk -v conc="${CONC:-32}" '
function v(k) { return m[k] }
{
	delete m
	for (i = 2; i < NF; i++) m[$(i+1)] = $i
	n++
	printf "run %d (load average %.1f)\n", n, v("loadavg")
	printf "  latency, one client   HTTP    direct p50 %.3f ms  proxy p50 %.3f ms  added p50 %.3f ms  p99 %.3f ms\n",
		v("lat-http-direct-p50-ms"), v("lat-http-proxy-p50-ms"), v("lat-http-proxy-p50-ms") - v("lat-http-direct-p50-ms"), v("lat-http-proxy-p99-ms") - v("lat-http-direct-p99-ms")
	printf "                        CONNECT direct p50 %.3f ms  proxy p50 %.3f ms  added p50 %.3f ms  p99 %.3f ms\n",
		v("lat-connect-direct-p50-ms"), v("lat-connect-proxy-p50-ms"), v("lat-connect-proxy-p50-ms") - v("lat-connect-direct-p50-ms"), v("lat-connect-proxy-p99-ms") - v("lat-connect-direct-p99-ms")
	printf "  HTTP keep-alive, %d conns   direct %7.0f req/s     proxy %7.0f req/s     p50 %.2f ms  p99 %.2f ms  (direct %.2f / %.2f)  cpu proxy %.2f load %.2f\n",
		conc, v("http-direct-ops/s"), v("http-proxy-ops/s"), v("http-proxy-p50-ms"), v("http-proxy-p99-ms"), v("http-direct-p50-ms"), v("http-direct-p99-ms"), v("http-proxy-proxy-cpu"), v("http-proxy-load-cpu")
	printf "  new CONNECT, %d clients    direct %7.0f conn/s    proxy %7.0f tunnels/s p50 %.2f ms  p99 %.2f ms  (direct %.2f / %.2f)  cpu proxy %.2f load %.2f\n",
		conc / 2, v("connect-direct-ops/s"), v("connect-proxy-ops/s"), v("connect-proxy-p50-ms"), v("connect-proxy-p99-ms"), v("connect-direct-p50-ms"), v("connect-direct-p99-ms"), v("connect-proxy-proxy-cpu"), v("connect-proxy-load-cpu")
	printf "  proxy CPU per operation: HTTP %.0f µs, CONNECT %.0f µs (cpu seconds / operations; less sensitive to other load on the machine)\n",
		v("http-proxy-proxy-cpu") * 1e6 / v("http-proxy-ops/s"), v("connect-proxy-proxy-cpu") * 1e6 / v("connect-proxy-ops/s")
	printf "  1,000 open tunnels: proxy peak RSS %.1f MiB (%.1f MiB before them)   log lines %d, one per proxied request\n",
		v("tunnels-proxy-peak-rss-MiB"), v("proxy-rss-before-tunnels-MiB"), v("log-lines")
	h[n] = v("http-proxy-ops/s"); c[n] = v("connect-proxy-ops/s"); l[n] = v("lat-http-proxy-p50-ms") - v("lat-http-direct-p50-ms")
	hu[n] = v("http-proxy-proxy-cpu") * 1e6 / v("http-proxy-ops/s"); cu[n] = v("connect-proxy-proxy-cpu") * 1e6 / v("connect-proxy-ops/s")
	lc[n] = v("lat-connect-proxy-p50-ms") - v("lat-connect-direct-p50-ms"); r[n] = v("tunnels-proxy-peak-rss-MiB")
}
function med(a, k,   i, j, t, b) {
	for (i = 1; i <= k; i++) b[i] = a[i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
	return b[int((k + 1) / 2)]
}
END {
	printf "median of %d runs: HTTP %.0f req/s (target 10,000)  CONNECT %.0f tunnels/s (target 5,000)  added p50 HTTP %.3f ms, CONNECT %.3f ms (target < 1 ms)  1,000 tunnels peak RSS %.1f MiB  proxy CPU per op HTTP %.0f µs, CONNECT %.0f µs\n",
		n, med(h, n), med(c, n), med(l, n), med(lc, n), med(r, n), med(hu, n), med(cu, n)
}' "$out"

(cd "$repo" && go test ./internal/egress/policy/ -run '^$' -bench 'Decide' -benchtime 1s -count 1) >"$tmp/decide" 2>&1 || { cat "$tmp/decide"; exit 1; }
awk '$1 ~ /^BenchmarkDecide10(-[0-9]+)?$/ { a = $3 } $1 ~ /^BenchmarkDecide10k(-[0-9]+)?$/ { b = $3 }
	END { printf "policy lookup: %s ns with 10 entries, %s ns with 10,000 (independent of policy size)\n", a, b }' "$tmp/decide"

if [ "${INPROC:-0}" = 1 ]; then
	echo "in-process benchmarks (client, proxy and origin share one process and its 2 cores):"
	(cd "$repo" && go test ./internal/egress/proxy/ -run '^$' -bench 'HTTP(Direct|Proxy)|Connect(Direct|Proxy)|OpenTunnels' -benchtime 3s -count 1)
fi
