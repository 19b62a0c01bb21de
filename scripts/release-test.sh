#!/usr/bin/env bash
# Reproducibility test of scripts/release.sh: builds the committed HEAD
# twice, from two clones at different paths, the second with an empty Go
# build cache (so nothing is reused from the first), signs both with one key
# and requires byte-identical SHA256SUMS (binaries, deb, rpm) and
# SHA256SUMS.sig (ed25519 signatures are deterministic). Prints the first
# build's DIST on stdout for scripts/package-test.sh.
#   env: ARCHES (default "amd64 arm64"), OUT (default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git diff --quiet HEAD -- 2>/dev/null; then
  echo "release-test: note: uncommitted changes are not part of the builds (HEAD is built)" >&2
fi
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
key="$OUT/release-key"
go run ./cmd/clawgov advisories keygen --out "$key" >/dev/null
epoch="$(git log -1 --format=%ct)"
for n in 1 2; do
  rm -rf "$OUT/src$n"
  git clone -q --no-local --no-hardlinks . "$OUT/src$n"
  cache="$(go env GOCACHE)"
  if [ "$n" = 2 ]; then cache="$OUT/gocache2"; rm -rf "$cache"; fi
  echo "release-test: build $n in $OUT/src$n (GOCACHE=$cache)" >&2
  (cd "$OUT/src$n" && GOCACHE="$cache" SOURCE_DATE_EPOCH="$epoch" CLAWGOV_RELEASE_KEY="$key" \
    DIST="$OUT/dist$n" bash scripts/release.sh)
done
rm -rf "$OUT/gocache2"
if ! cmp -s "$OUT/dist1/SHA256SUMS" "$OUT/dist2/SHA256SUMS"; then
  echo "release-test: FAIL: the two builds differ:" >&2
  diff "$OUT/dist1/SHA256SUMS" "$OUT/dist2/SHA256SUMS" >&2 || true
  exit 1
fi
cmp -s "$OUT/dist1/SHA256SUMS.sig" "$OUT/dist2/SHA256SUMS.sig" || { echo "release-test: FAIL: signatures differ" >&2; exit 1; }
# A build signed with a key must verify with its public half.
(cd "$OUT/dist1" && "$OUT/dist1/build/host/clawgov" verify-release --key "$key.pub") >/dev/null
cp "$key.pub" "$OUT/dist1/build/release-key.pub"
echo "release-test: reproducible: $(wc -l <"$OUT/dist1/SHA256SUMS") files identical across both builds" >&2
echo "$OUT/dist1"
