#!/usr/bin/env bash
# Rebuilds the hard-negative samples in this folder from the documentation
# that security tools ship in their npm packages. Each sample is a skill
# folder: SKILL.md is minimal front matter wrapping the package's README
# verbatim, docs/ keeps the package's own docs/*.md, LICENSE is the
# package's licence, SOURCE says where the text came from. Links to
# package registries are rewritten to reserved .example host names.
#
#   bash gen.sh name@version[#path[#path...]] [...]
#
# With no argument it rebuilds every sample from its SOURCE. A #path adds
# one more file of the package verbatim (a pattern or rule module of a
# scanner), kept at its path inside the package.
#
# Only packages under permissive licences (MIT, ISC, BSD, Apache-2.0) are
# accepted; anything else is refused. Needs npm and node.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then
  for src in "$here"/*/SOURCE; do
    s=$(sed -n 's/^package: //p' "$src")
    for x in $(sed -n 's/^extra: //p' "$src"); do s="$s#$x"; done
    specs+=("$s")
  done
fi
for arg in "${specs[@]}"; do
  IFS='#' read -r -a parts <<< "$arg"
  spec=${parts[0]}
  extras=("${parts[@]:1}")
  d="$work/$(echo "$spec" | tr '/@' '__')"
  mkdir -p "$d"
  tgz=$(cd "$d" && npm pack "$spec" --silent | tail -1)
  tar -xzf "$d/$tgz" -C "$d"
  p="$d/package"
  read -r name version license desc < <(node -e '
    const p = require(process.argv[1]);
    let l = p.license || (p.licenses && p.licenses[0] && p.licenses[0].type) || "";
    if (typeof l !== "string") l = l.type || "";
    const d = (p.description || "").replace(/[\r\n\t]+/g, " ");
    console.log([p.name, p.version, l.replace(/ /g, "-") || "see-LICENSE", d].join(" "));
  ' "$p/package.json")
  lic=$(ls "$p" | grep -i -m1 '^licen[cs]e' || true)
  case "$license" in
    MIT|ISC|BSD-2-Clause|BSD-3-Clause|Apache-2.0|Apache-2.0*|"(MPL-2.0-OR-Apache-2.0)") ;;
    see-LICENSE)
      grep -qiE 'MIT License|Permission is hereby granted|Redistribution and use' "$p/$lic" || { echo "refused $spec: licence unknown" >&2; continue; }
      license=$(grep -qi 'Permission is hereby granted' "$p/$lic" && echo MIT || echo BSD-3-Clause) ;;
    *) echo "refused $spec: licence $license" >&2; continue ;;
  esac
  readme=$(ls "$p" | grep -i -m1 '^readme\.md$' || true)
  [ -n "$readme" ] || { echo "refused $spec: no README.md" >&2; continue; }
  slug=$(echo "$name" | tr -d '@' | tr '/' '-')
  out="$here/$slug"
  rm -rf "$out"
  mkdir -p "$out"
  {
    printf -- '---\nname: %s\ndescription: %s\n---\n\n' "$slug" "$(echo "$desc" | sed "s/^[>| ]*//" | cut -c1-200 | sed 's/[:#]/ /g')"
    cat "$p/$readme"
  } > "$out/SKILL.md"
  files="$readme"
  if [ -d "$p/docs" ]; then
    (cd "$p" && find docs -type f -name '*.md' | sort) | while read -r f; do
      mkdir -p "$out/$(dirname "$f")"
      cp "$p/$f" "$out/$f"
    done
    files="$files, docs/**/*.md"
  fi
  for x in "${extras[@]}"; do
    case "$x" in /*|*..*) echo "refused extra $x" >&2; continue ;; esac
    mkdir -p "$out/$(dirname "$x")"
    cp "$p/$x" "$out/$x"
    files="$files, $x"
  done
  # The project names no package registry's host: links to them in the
  # copied text point to reserved .example names instead.
  find "$out" -type f \( -name '*.md' -o -name '*.js' \) -exec sed -i -E \
    -e 's/registry\.[a-z0-9.-]*npm[a-z0-9-]*\.(org|com)/registry.npm.example/g' \
    -e 's/([a-z0-9-]+\.)*c?npm[a-z]+\.(com|org)/npm.example/g' \
    -e 's/([a-z0-9-]+\.)*yarn[a-z]+\.com/yarn.example/g' \
    -e 's/([a-z0-9-]+\.)*pypi\.[a-z]+/pypi.example/g' \
    -e 's/proxy\.golang\.[a-z]+/goproxy.example/g' \
    -e 's/crates\.[a-z]+\//crates.example\//g' \
    -e 's/deb\.debian\.[a-z]+/deb.example/g' {} +
  [ -n "$lic" ] && cp "$p/$lic" "$out/LICENSE"
  ex=""
  for x in "${extras[@]}"; do ex+="extra: $x"$'\n'; done
  printf 'package: %s@%s\nfiles: %s\nlicense: %s\n%sedited: registry host names replaced by .example names\nlabel: hard-negative\nwhy: documentation of a security tool or security library; it describes, quotes or detects attacks and instructs nobody to carry one out\n' \
    "$name" "$version" "$files" "$license" "$ex" > "$out/SOURCE"
  echo "$slug <- $name@$version ($license)"
done
