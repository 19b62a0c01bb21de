#!/usr/bin/env bash
# Builds a clawgov release into dist/ (or $DIST), offline once the Go
# modules are in the cache:
#   dist/clawgov_VERSION_linux_{amd64,arm64}      static binaries
#   dist/clawgov_VERSION_darwin_{amd64,arm64}     macOS binaries (no package)
#   dist/clawgov_VERSION_{amd64,arm64}.deb, clawgov-VERSION-1.{x86_64,aarch64}.rpm
#   dist/SHA256SUMS and dist/SHA256SUMS.sig        signed with the release key
# Reproducible: -trimpath, no build ID, CGO off, and SOURCE_DATE_EPOCH (the
# commit's time unless set) for the stamped date, the man pages and the
# packages; scripts/release-test.sh builds twice and compares the hashes.
#
# Environment: VERSION (default: git describe), CLAWGOV_RELEASE_KEY (the
# ed25519 private key file from `clawgov advisories keygen`; without it a
# throwaway key is made in $DIST/build and its .pub printed, fine for CI,
# useless for users), ARCHES (default "amd64 arm64"), DARWIN_ARCHES (default "amd64 arm64"; empty for
# none), DIST.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST="${DIST:-$PWD/dist}"
ARCHES="${ARCHES:-amd64 arm64}"
DARWIN_ARCHES="${DARWIN_ARCHES-amd64 arm64}"
COMMIT="$(git rev-parse HEAD)"
VERSION="${VERSION:-$(git describe --tags --match 'v[0-9]*' 2>/dev/null | sed 's/^v//' || true)}"
VERSION="${VERSION:-0.0.0+git.$(git rev-parse --short=12 HEAD)}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
DATE="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
log() { echo "release: $*" >&2; }

rm -rf "$DIST"
mkdir -p "$DIST/build/man" "$DIST/build/completions"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
LDFLAGS="-s -w -buildid= -X github.com/clawgov/clawgov/internal/version.Version=$VERSION -X github.com/clawgov/clawgov/internal/version.Commit=$COMMIT -X github.com/clawgov/clawgov/internal/version.Date=$DATE"
for arch in $ARCHES; do
  log "build linux/$arch $VERSION"
  mkdir -p "$DIST/build/linux_$arch"
  GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$DIST/build/linux_$arch/clawgov" ./cmd/clawgov
  cp "$DIST/build/linux_$arch/clawgov" "$DIST/clawgov_${VERSION}_linux_$arch"
done
# macOS binaries (no package): the audit's host readers know launchd and
# the macOS layout of OpenClaw.
for arch in $DARWIN_ARCHES; do
  log "build darwin/$arch $VERSION"
  GOOS=darwin GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$DIST/clawgov_${VERSION}_darwin_$arch" ./cmd/clawgov
done
# The helper and a host-native clawgov share the release build's flags, so
# their packages come from the same compile.
go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$DIST/build/clawgov-release" ./cmd/clawgov-release
go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$DIST/build/host/clawgov" ./cmd/clawgov
"$DIST/build/clawgov-release" docs --version "$VERSION" --man "$DIST/build/man" --completions "$DIST/build/completions"

key="${CLAWGOV_RELEASE_KEY:-}"
if [ -z "$key" ]; then
  key="$DIST/build/throwaway-release-key"
  "$DIST/build/host/clawgov" advisories keygen --out "$key" >/dev/null
  log "no CLAWGOV_RELEASE_KEY: signed with a throwaway key; verify with --key $key.pub"
fi
# The packages carry the public half, so an installed clawgov verifies the
# next release (verify-release reads /etc/clawgov/release-keys/*.pub).
[ -s "$key.pub" ] || { log "no $key.pub next to the release key (clawgov advisories keygen writes both)"; exit 2; }
mkdir -p "$DIST/build/release-keys"
cp "$key.pub" "$DIST/build/release-keys/clawgov-release.pub"

for arch in $ARCHES; do
  for p in deb rpm; do
    log "package $p $arch"
    VERSION="$VERSION" ARCH="$arch" DIST="$DIST" go tool -modfile=tools/go.mod nfpm package \
      --config packaging/nfpm.yaml --packager "$p" --target "$DIST/" >/dev/null
  done
done

"$DIST/build/clawgov-release" sign --key "$key" "$DIST"
ls -1 "$DIST" | grep -v '^build$' >&2
