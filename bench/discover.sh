#!/usr/bin/env bash
# Benchmark: sweep all 65,535 TCP ports of 127.0.0.1 with real OpenClaw
# gateways listening among them, and compare the time to a full result
# (open ports found AND every gateway fingerprinted: product, version, auth,
# extras) with `nmap -p- 127.0.0.1` (open ports only) on the same target in
# the same run. Prints per-run times, medians, CPU time and the ratio.
#
#   bash bench/discover.sh [RUNS]     (default 3)
#
# Needs nmap (Debian package `nmap`: apt-get install -y nmap), Go, and the
# pinned OpenClaw (CLAWGOV_OPENCLAW, or installed by
# scripts/install-openclaw.sh). Run as root for the like-for-like case:
# nmap then does a SYN scan and so does clawgov (--sweep auto). Traffic
# stays on 127.0.0.1. Gateways run with throw-away homes and are killed on
# exit (process groups); --force is never used.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
command -v nmap >/dev/null || { echo "bench/discover.sh: nmap is missing (apt-get install -y nmap)" >&2; exit 2; }
OC="${CLAWGOV_OPENCLAW:-$(bash scripts/install-openclaw.sh)}"

work="$(mktemp -d)"
pgids=()
cleanup() {
  local g _
  for g in "${pgids[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for g in "${pgids[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for g in "${pgids[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/clawgov" ./cmd/clawgov

# A port nobody listens on right now, away from the ephemeral range.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}

http_get() ( # PORT PATH -> response (HTTP/1.0, bash only; a subshell so a failed connect cannot end the script)
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  timeout 2 cat <&3 || true
)

declare -A want   # port -> mode
configure() { # MODE HOME
  local extra=""
  [ "$1" = openai ] && extra=',{"path":"gateway.http.endpoints.chatCompletions.enabled","value":true}'
  HOME="$2" OPENCLAW_DISABLE_BONJOUR=1 OPENCLAW_NO_AUTO_UPDATE=1 "$OC" config set --batch-json \
    '[{"path":"gateway.mode","value":"local"},{"path":"discovery.mdns.mode","value":"off"},{"path":"update.checkOnStart","value":false},{"path":"logging.file","value":"'"$2"'/openclaw.log"}'"$extra"']' >/dev/null 2>&1
}
echo "starting real OpenClaw gateways (auth none, token, OpenAI endpoints on) ..." >&2
for m in none token openai; do mkdir -p "$work/home-$m"; configure "$m" "$work/home-$m" & done
wait
for m in none token openai; do
  port="$(free_port)"
  while [ -n "${want[$port]:-}" ]; do port="$(free_port)"; done
  auth=(--auth none)
  [ "$m" = token ] && auth=(--token "bench-token-$RANDOM$RANDOM$RANDOM$RANDOM")
  # setsid makes the gateway a process-group leader: $! is its pgid.
  HOME="$work/home-$m" OPENCLAW_DISABLE_BONJOUR=1 OPENCLAW_NO_AUTO_UPDATE=1 \
    setsid "$OC" gateway run --port "$port" --bind loopback "${auth[@]}" >"$work/home-$m/gateway.out" 2>&1 </dev/null &
  pgids+=("$!")
  want[$port]="$m"
done
for port in "${!want[@]}"; do
  for _ in $(seq 240); do
    if http_get "$port" /readyz 2>/dev/null | grep -q '"ready":true'; then break; fi
    sleep 0.5
  done
  http_get "$port" /readyz 2>/dev/null | grep -q '"ready":true' || { echo "gateway on $port never became ready" >&2; exit 1; }
done
echo "gateways ready: $(for p in "${!want[@]}"; do printf '%s=%s ' "$p" "${want[$p]}"; done)" >&2

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

: >"$work/ours.ms"; : >"$work/nmap.ms"; : >"$work/ours.cpu"; : >"$work/nmap.cpu"
for i in $(seq "$RUNS"); do
  t0="$(now_ms)"
  "$work/clawgov" discover 127.0.0.1 --ports 1-65535 --concurrency 1000 --rate 0 --format csv -o "$work/sweep.csv" -v \
    2>"$work/ours.err" || true
  t1="$(now_ms)"
  echo $((t1 - t0)) >>"$work/ours.ms"
  # Full result check: every gateway found and classified correctly.
  for port in "${!want[@]}"; do
    row="$(grep "^127.0.0.1,$port," "$work/sweep.csv" || true)"
    case "${want[$port]}" in
      none) exp=",OpenClaw,2026.9.6,open,false,off," ;;
      token) exp=",OpenClaw,2026.9.6,authenticated,false,off," ;;
      openai) exp=",OpenClaw,2026.9.6,open,false,open," ;;
    esac
    [[ "$row" == *"$exp"* ]] || { echo "run $i: gateway $port (${want[$port]}) misclassified: $row" >&2; exit 1; }
  done
  t0="$(now_ms)"
  nmap -p- 127.0.0.1 -oG "$work/nmap.txt" >/dev/null 2>&1
  t1="$(now_ms)"
  echo $((t1 - t0)) >>"$work/nmap.ms"
  for port in "${!want[@]}"; do
    grep -q "$port/open" "$work/nmap.txt" || { echo "run $i: nmap missed $port" >&2; exit 1; }
  done
  printf 'run %d: clawgov %5d ms   nmap %5d ms\n' "$i" "$(tail -1 "$work/ours.ms")" "$(tail -1 "$work/nmap.ms")"
done
sweep="$(grep -o 'sweep=[a-z-]*' "$work/ours.err" | tail -1)"
open_ports="$(($(wc -l <"$work/sweep.csv") - 1))"
# CPU time of one more run each (user+sys), with /usr/bin/time when present.
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "%U %S" -o "$work/t" "$work/clawgov" discover 127.0.0.1 --ports 1-65535 --concurrency 1000 --rate 0 --format csv -o /dev/null >/dev/null 2>&1 || true
  ours_cpu="$(tail -1 "$work/t" | awk '{printf "%.2f", $1+$2}')"
  /usr/bin/time -f "%U %S" -o "$work/t" nmap -p- 127.0.0.1 >/dev/null 2>&1 || true
  nmap_cpu="$(tail -1 "$work/t" | awk '{printf "%.2f", $1+$2}')"
else
  ours_cpu="n/a"; nmap_cpu="n/a"
fi
om="$(median <"$work/ours.ms")"; nm="$(median <"$work/nmap.ms")"
echo
echo "65,535 ports of 127.0.0.1, ${#want[@]} real gateways, $open_ports open ports, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), uid $(id -u)"
echo "clawgov discover ($sweep, fingerprints included): median ${om} ms, cpu ${ours_cpu} s"
echo "nmap -p- (ports only):                          median ${nm} ms, cpu ${nmap_cpu} s"
awk -v o="$om" -v n="$nm" 'BEGIN {printf "ratio nmap/clawgov = %.2f (>= 1 means clawgov is at least as fast)\n", n/o}'
