#!/usr/bin/env bash
# Regenerate internal/advisory/data/releases.json: the table of official
# `openclaw` npm releases (version, publish time, dist-tags, integrity,
# shasum, git commit when the registry records one) that clawgov embeds to
# decide whether an installed version is official, whether its integrity is
# the official one, how far behind it is and which channel it is on.
#
# The registry is whatever npm's own default is (asked with an empty user
# config, so a developer's mirror in ~/.npmrc cannot leak into the table);
# no host name is written anywhere. One request fetches the whole packument
# through npm's bundled pacote; if that library is not where we expect it,
# we fall back to `npm view` (one call for the version list, then one call
# per version, four at a time).
#
# Usage: scripts/gen-releases.sh [OUTPUT]   (default: the embedded path)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/internal/advisory/data/releases.json}
pkg=openclaw

command -v npm >/dev/null || { echo "gen-releases: npm not found" >&2; exit 1; }
command -v node >/dev/null || { echo "gen-releases: node not found" >&2; exit 1; }

export NPM_CONFIG_USERCONFIG=/dev/null
export npm_config_update_notifier=false
registry=$(npm config get registry)
npmroot=$(npm root -g)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
if [ -f "$npmroot/npm/node_modules/pacote/package.json" ]; then
  node - "$npmroot/npm/node_modules/pacote" "$registry" "$pkg" >"$tmp/raw.json" <<'JS'
const [pacotePath, registry, pkg] = process.argv.slice(2);
const pacote = require(pacotePath);
pacote.packument(pkg, { fullMetadata: true, registry, preferOnline: true }).then((p) => {
  const versions = {};
  for (const [v, m] of Object.entries(p.versions || {})) {
    versions[v] = {
      integrity: (m.dist && m.dist.integrity) || "",
      shasum: (m.dist && m.dist.shasum) || "",
      commit: m.gitHead || "",
      deprecated: typeof m.deprecated === "string" ? m.deprecated : "",
    };
  }
  process.stdout.write(JSON.stringify({ time: p.time || {}, distTags: p["dist-tags"] || {}, versions }));
}).catch((e) => { console.error("gen-releases: " + e.message); process.exit(1); });
JS
  method="packument (1 request)"
else
  npm view "$pkg" versions time dist-tags --json >"$tmp/meta.json"
  node -e 'for (const v of require(process.argv[1]).versions) console.log(v)' "$tmp/meta.json" >"$tmp/list"
  mkdir -p "$tmp/v"
  xargs -P4 -I{} sh -c 'npm view "$0@{}" dist.integrity dist.shasum gitHead --json >"$1/v/{}.json"' "$pkg" "$tmp" <"$tmp/list"
  node - "$tmp" >"$tmp/raw.json" <<'JS'
const fs = require("fs"), path = require("path");
const dir = process.argv[2];
const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8"));
const versions = {};
for (const v of meta.versions) {
  const d = JSON.parse(fs.readFileSync(path.join(dir, "v", v + ".json"), "utf8") || "{}");
  versions[v] = { integrity: d["dist.integrity"] || "", shasum: d["dist.shasum"] || "", commit: d.gitHead || "", deprecated: "" };
}
process.stdout.write(JSON.stringify({ time: meta.time, distTags: meta["dist-tags"], versions }));
JS
  method="npm view per version"
fi

# Shape the table: deterministic order (by publish time, then version
# string), no URLs, no registry host.
node - "$tmp/raw.json" "$pkg" >"$tmp/releases.json" <<'JS'
const fs = require("fs");
const [rawPath, pkg] = process.argv.slice(2);
const raw = JSON.parse(fs.readFileSync(rawPath, "utf8"));
const rows = Object.entries(raw.versions).map(([version, m]) => {
  const r = { version, published: raw.time[version] || "", integrity: m.integrity, shasum: m.shasum };
  if (m.commit) r.commit = m.commit;
  if (m.deprecated) r.deprecated = m.deprecated;
  return r;
});
rows.sort((a, b) => (a.published < b.published ? -1 : a.published > b.published ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
const tags = {};
for (const k of Object.keys(raw.distTags).sort()) tags[k] = raw.distTags[k];
const doc = { package: pkg, source: "npm registry packument of the default registry (dist.integrity, dist.shasum, time, dist-tags)", modified: raw.time.modified || "", dist_tags: tags, releases: rows };
const text = JSON.stringify(doc, null, 1) + "\n";
if (/https?:\/\//.test(text)) { console.error("gen-releases: refusing to write a URL into the table"); process.exit(1); }
process.stdout.write(text);
JS

mkdir -p "$(dirname "$out")"
mv "$tmp/releases.json" "$out.tmp" && mv "$out.tmp" "$out"
n=$(node -e 'console.log(require(process.argv[1]).releases.length)' "$out")
echo "gen-releases: wrote $n releases to $out via $method in $(( $(date +%s) - start ))s" >&2
