#!/usr/bin/env bash
# Benchmark: match every version of the embedded release table against the
# whole advisory database (in-process, and as a fresh process would: parse
# the embedded database first), then time the real CLI over every version.
# The issue's bar: well under a second for all releases.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./internal/advisory/ -run '^$' -bench 'MatchAllReleases|LoadAndMatchAll' -benchtime 20x -benchmem

bin=$(mktemp -d)/clawgov
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/clawgov
versions=$(node -e 'for (const r of require(process.argv[1]).releases) console.log(r.version)' internal/advisory/data/releases.json 2>/dev/null ||
  python3 -c 'import json,sys; [print(r["version"]) for r in json.load(open(sys.argv[1]))["releases"]]' internal/advisory/data/releases.json)
n=$(echo "$versions" | wc -l)
start=$(date +%s.%N)
for v in $versions; do "$bin" advisories match "$v" --format json --cache-dir /nonexistent >/dev/null; done
end=$(date +%s.%N)
awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "CLI: %d x clawgov advisories match (one process each) in %.2f s\n", n, e - s }'
