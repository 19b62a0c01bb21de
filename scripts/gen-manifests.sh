#!/usr/bin/env bash
# Regenerate internal/manifest/data/manifests.bin: for each release in the
# official release table (internal/advisory/data/releases.json), the list of
# files of the published npm tarball with size and SHA-256, which
# `clawgov audit` compares with the installed package (CG-INS-007) when no
# lockfile or npm cache entry records the tarball's integrity.
#
# Each tarball is fetched with `npm pack` from npm's own default registry
# (asked with an empty user config, so a developer's mirror cannot leak in;
# no host name is written anywhere), checked against the table's sha512
# integrity, listed by `go run ./internal/manifest/gen raw`, and deleted.
# The listings are kept in WORKDIR, so an interrupted run resumes where it
# stopped; releases are fetched newest first. The embedded file is then
# rebuilt from every listing present, so a partial run still gives a valid
# manifest (releases without a listing stay `manual` in the audit).
#
# Usage: scripts/gen-manifests.sh [--max N] [--jobs J] [--build-only]
#   WORKDIR defaults to ~/.cache/clawgov/manifests (CLAWGOV_MANIFEST_WORK).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
work=${CLAWGOV_MANIFEST_WORK:-$HOME/.cache/clawgov/manifests}
out=$here/internal/manifest/data/manifests.bin
table=$here/internal/advisory/data/releases.json
max=1000000 jobs=2 buildonly=0
while [ $# -gt 0 ]; do
  case $1 in
    --max) max=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build-only) buildonly=1; shift ;;
    *) echo "gen-manifests: unknown argument $1" >&2; exit 2 ;;
  esac
done

command -v npm >/dev/null || { echo "gen-manifests: npm not found" >&2; exit 1; }
command -v node >/dev/null || { echo "gen-manifests: node not found" >&2; exit 1; }
export NPM_CONFIG_USERCONFIG=/dev/null npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
mkdir -p "$work"
gen=$(mktemp -d)/gen
trap 'rm -rf "$(dirname "$gen")"' EXIT
(cd "$here" && go build -o "$gen" ./internal/manifest/gen)

if [ "$buildonly" = 0 ]; then
  # version<TAB>integrity, newest published first, only those not yet listed.
  node - "$table" "$work" <<'JS' | head -n "$max" >"$work/todo"
const fs = require("fs"), path = require("path");
const [table, work] = process.argv.slice(2);
const t = JSON.parse(fs.readFileSync(table, "utf8"));
const rows = t.releases.slice().sort((a, b) => (a.published < b.published ? 1 : a.published > b.published ? -1 : 0));
for (const r of rows) if (!fs.existsSync(path.join(work, r.version + ".tsv.gz"))) console.log(r.version + "\t" + r.integrity);
JS
  echo "gen-manifests: $(wc -l <"$work/todo") releases to fetch into $work" >&2
  fetch() {
    local v=$1 want=$2 d
    d=$(mktemp -d)
    # A private npm cache per tarball: 133 tarballs of ~100 MB must not pile
    # up in ~/.npm.
    if ! (cd "$d" && npm pack "openclaw@$v" --ignore-scripts --cache "$d/cache" --json --silent >"$d/pack.json" 2>"$d/err"); then
      echo "gen-manifests: $v: npm pack failed: $(tail -n1 "$d/err")" >&2; rm -rf "$d"; return 0
    fi
    got=$(node -e 'console.log(require(process.argv[1])[0].integrity)' "$d/pack.json")
    if [ "$got" != "$want" ]; then
      echo "gen-manifests: $v: integrity $got is not the table's $want; skipped" >&2; rm -rf "$d"; return 0
    fi
    "$gen" raw "$d"/openclaw-*.tgz "$work/$v.tsv.gz" && echo "gen-manifests: $v listed" >&2
    rm -rf "$d"
  }
  export -f fetch; export gen work
  tr '\t' ' ' <"$work/todo" | xargs -P "$jobs" -n 2 bash -c 'fetch "$0" "$1"'
fi

mkdir -p "$(dirname "$out")"
"$gen" build "$work" "$out"
