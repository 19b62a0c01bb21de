#!/usr/bin/env bash
# bench/skills.sh: throughput of `clawgov skills scan` over the 2,000-skill
# benchmark set (../shared/data/skills-bench), compared with ripgrep
# running the same regex set (`clawgov skills rules --patterns`) over the
# same files: rg is the read-and-match limit, the ratio says how far the
# scanner is from it. Both use both cores. Wall time on a shared machine is
# noisy, so CPU time (user+sys) is reported and compared as well, and the
# scanner's peak RSS shows that memory stays bounded.
#
# Usage: bench/skills.sh [DATA_DIR]   (needs go, rg and GNU time)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-${CLAWGOV_SHARED_DATA:-$repo/../shared/data}/skills-bench}
if [ ! -d "$data" ]; then
	echo "bench/skills.sh: $data not found (lay out ../shared/data beside the repo or pass DATA_DIR)" >&2
	exit 2
fi
command -v rg >/dev/null || { echo "bench/skills.sh: ripgrep (rg) not installed: apt-get install -y ripgrep" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/skills.sh: GNU time not installed: apt-get install -y time" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && go build -o "$work/clawgov" ./cmd/clawgov)
"$work/clawgov" skills rules --patterns >"$work/patterns.txt"
"$work/clawgov" skills rules --keywords >"$work/keywords.txt"

bytes=$(find "$data" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
files=$(find "$data" -type f | wc -l)
# Warm the page cache so both tools read from memory.
find "$data" -type f -print0 | xargs -0 cat >/dev/null

run() { # label, command... ; prints "wall user sys maxrss_kb"
	/usr/bin/time -f '%e %U %S %M' -o "$work/time.$1" "${@:2}" >/dev/null 2>"$work/err.$1" || {
		code=$?
		# clawgov exits 1 when it found malicious skills: that is a result.
		if [ "$1" != scan ] || [ "$code" -gt 1 ]; then cat "$work/err.$1" >&2; exit 1; fi
	}
	tail -1 "$work/time.$1"
}

best() { # label, runs, command... : fastest CPU time of N runs
	local label=$1 n=$2; shift 2
	local bestline="" bestcpu=""
	for _ in $(seq "$n"); do
		line=$(run "$label" "$@")
		cpu=$(awk '{print $2+$3}' <<<"$line")
		if [ -z "$bestcpu" ] || awk -v a="$cpu" -v b="$bestcpu" 'BEGIN{exit !(a<b)}'; then bestcpu=$cpu bestline=$line; fi
	done
	echo "$bestline"
}

runs=${RUNS:-3}
rgtimeout=${RG_TIMEOUT:-900}
scan=$(best scan "$runs" "$work/clawgov" skills scan "$data" --format json --fail-on none -o "$work/report.json")
# rg with the scanner's keyword list as literals: the read-and-prefilter
# limit. rg with the full regex set: the same matching work done by a DFA
# engine (slow here: 70+ case-insensitive Unicode patterns in one set).
rgkw=$(best rgkw "$runs" rg --no-config --threads 2 --no-ignore --hidden --text --count --ignore-case --fixed-strings -f "$work/keywords.txt" "$data")
if rgre=$(run rgre timeout "$rgtimeout" rg --no-config --threads 2 --no-ignore --hidden --text --count -f "$work/patterns.txt" "$data"); then :; else rgre="$rgtimeout $rgtimeout 0 0"; fi
skills=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(1 for f in r["findings"] if f["check_id"]=="CG-SKL-001"))' "$work/report.json" 2>/dev/null || echo "?")

awk -v b="$bytes" -v f="$files" -v s="$skills" -v scan="$scan" -v rk="$rgkw" -v rr="$rgre" -v np="$(wc -l <"$work/patterns.txt")" -v nk="$(wc -l <"$work/keywords.txt")" -v to="$rgtimeout" 'BEGIN {
	split(scan, a, " "); split(rk, k, " "); split(rr, r, " ")
	mb = b / 1e6
	sc = a[2] + a[3]; kc = k[2] + k[3]; rc = r[2] + r[3]
	printf "data: %d files, %.1f MB, %s skills\n", f, mb, s
	printf "clawgov skills scan:       wall %7.2fs  cpu %7.2fs  %6.1f MB/s wall  %6.1f MB/s cpu  %5.0f skills/s wall  peak RSS %.0f MiB\n", a[1], sc, mb / a[1], mb / sc, s / a[1], a[4] / 1024
	printf "rg -F %3d keywords:         wall %7.2fs  cpu %7.2fs  %6.1f MB/s wall  %6.1f MB/s cpu\n", nk, k[1], kc, mb / k[1], mb / kc
	if (r[1] >= to) printf "rg %3d regex patterns:     did not finish within %ds\n", np, to
	else printf "rg %3d regex patterns:     wall %7.2fs  cpu %7.2fs  %6.1f MB/s wall  %6.1f MB/s cpu\n", np, r[1], rc, mb / r[1], mb / rc
	printf "ratio clawgov / rg keywords: wall %.2fx  cpu %.2fx\n", a[1] / k[1], sc / kc
	if (r[1] >= to) printf "ratio clawgov / rg regexes:  below %.2fx wall (rg timed out; target: within 3x)\n", a[1] / to
	else printf "ratio clawgov / rg regexes:  wall %.2fx  cpu %.2fx (target: within 3x)\n", a[1] / r[1], (rc > 0 ? sc / rc : 0)
}'
