#!/usr/bin/env bash
# Benchmark: clawgov audit vs OpenClaw's built-in `openclaw security audit`
# on the same fixture state, whole process, several runs each; prints the
# median wall time and median peak RSS of both and the ratios, and the
# load average before and after (the machine may be shared).
#
#   bash bench/audit.sh [RUNS]     (default 5)
#
# Needs /usr/bin/time (Debian package `time`) and the pinned OpenClaw
# (installed by scripts/install-openclaw.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
OC="$(bash scripts/install-openclaw.sh)"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench/audit.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Built as scripts/release.sh builds what users install: static, no cgo.
CGO_ENABLED=0 go build -trimpath -o "$work/clawgov" ./cmd/clawgov

# Two fixtures: an empty config (the case OpenClaw's own timing was taken
# on) and the risky configuration from the internals appendix.
mk() {
  local home="$work/$1"; shift
  mkdir -p "$home/tmp"
  HOME="$home" OPENCLAW_DISABLE_BONJOUR=1 OPENCLAW_NO_AUTO_UPDATE=1 "$OC" config set --batch-json "$1" >/dev/null 2>&1
}
mk empty '[{"path":"gateway.mode","value":"local"}]'
mk risky '[{"path":"gateway","value":{"mode":"local","bind":"lan","auth":{"mode":"token","token":"shorttoken123"},"controlUi":{"allowedOrigins":["*"]}}},{"path":"tools","value":{"profile":"full","exec":{"mode":"full"},"fs":{"workspaceOnly":false}}},{"path":"channels.telegram","value":{"enabled":true,"botToken":"123456:ABCDEF","dmPolicy":"open","allowFrom":["*"]}},{"path":"discovery.mdns.mode","value":"full"}]'

# measure NAME HOME CMD... -> appends "wall_seconds max_rss_kib" lines to
# $work/NAME.txt. Each run is two runs: the wall time of the bare command
# (bash's own clock, millisecond resolution, no wrapper process), then
# the peak RSS under time(1). Timing through `time env HOME=... cmd` would
# add the start-up of two more programs, about 15 ms on this VM: more than
# an audit takes, and nothing to do with either tool.
measure() {
  local name="$1" home="$2"; shift 2
  local TIMEFORMAT=%3R
  for _ in $(seq "$RUNS"); do
    local wall
    wall=$( { time HOME="$home" OPENCLAW_DISABLE_BONJOUR=1 OPENCLAW_NO_AUTO_UPDATE=1 "$@" >/dev/null 2>&1; } 2>&1 ) || true
    HOME="$home" OPENCLAW_DISABLE_BONJOUR=1 OPENCLAW_NO_AUTO_UPDATE=1 "$TIME" -f "%M" -o "$work/t.out" "$@" >/dev/null 2>&1 || true
    echo "$wall $(tail -n 1 "$work/t.out")" >>"$work/$name.txt"
  done
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %-10s %12s %14s\n" fixture tool "median s" "median RSS MiB"
for fx in empty risky; do
  home="$work/$fx"
  measure "$fx-clawgov" "$home" "$work/clawgov" audit --format json --fail-on none
  measure "$fx-openclaw" "$home" "$OC" security audit --json
  cg_t=$(cut -d' ' -f1 "$work/$fx-clawgov.txt" | median); cg_m=$(cut -d' ' -f2 "$work/$fx-clawgov.txt" | median)
  oc_t=$(cut -d' ' -f1 "$work/$fx-openclaw.txt" | median); oc_m=$(cut -d' ' -f2 "$work/$fx-openclaw.txt" | median)
  awk -v f="$fx" -v t="$cg_t" -v m="$cg_m" 'BEGIN {printf "%-8s %-10s %12.3f %14.1f\n", f, "clawgov", t, m/1024}'
  awk -v f="$fx" -v t="$oc_t" -v m="$oc_m" 'BEGIN {printf "%-8s %-10s %12.3f %14.1f\n", f, "openclaw", t, m/1024}'
  awk -v a="$oc_t" -v b="$cg_t" -v c="$oc_m" -v d="$cg_m" -v f="$fx" 'BEGIN {
    printf "%-8s ratio: %.0fx faster wall time (target 200x), %.1fx less peak memory (target 20x)\n", f, a/b, c/d }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
