#!/usr/bin/env bash
# Installs the deb that scripts/release.sh built and checks it the way an
# administrator would meet it, then removes it again:
#   dpkg -i; clawgov version; man clawgov-audit; systemd-analyze verify on
#   every unit; no service enabled or started; the scheduled-audit service's
#   own command run once; verify-release on the download;
#   dpkg -r leaves nothing but the config files; dpkg --purge removes those
#   and the state directories too; rpm -qlp/-qcp on the rpm where rpm exists.
# Needs root and a host where clawgov is not installed as a package (it
# refuses otherwise: it never touches an administrator's own install).
#   usage: scripts/package-test.sh DIST   (DIST as built by release.sh)
set -euo pipefail
DIST="${1:?usage: package-test.sh DIST}"
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
step() { echo "package-test: $*" >&2; }

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
if grep -q 'installed\|config-files' <<<"$(dpkg-query -W -f='${Status}' clawgov 2>/dev/null || true)"; then
  fail "a clawgov package is already on this host; not touching it"
fi
arch="$(dpkg --print-architecture)"
deb="$(ls "$DIST"/clawgov_*_"$arch".deb 2>/dev/null | head -1)"
[ -n "$deb" ] || fail "no .deb for $arch in $DIST"
want_version="$(dpkg-deb -f "$deb" Version)"; want_version="${want_version%-1}"

step "verify-release over $DIST"
bin="$(ls "$DIST"/clawgov_*_linux_"$arch" | head -1)"
key="${CLAWGOV_RELEASE_PUB:-$DIST/build/release-key.pub}"
[ -e "$key" ] || key="$DIST/build/throwaway-release-key.pub"
(cd "$DIST" && "$bin" verify-release --key "$key" "$(basename "$deb")") >/dev/null || fail "verify-release rejected the deb"
# Exit 1 (failed verification), not 0 and not 2, for a changed download
# and for an edited checksum list.
t="$(mktemp -d)"
cp "$deb" "$DIST/SHA256SUMS" "$DIST/SHA256SUMS.sig" "$t/"
printf 'x' >>"$t/$(basename "$deb")"
rc=0; (cd "$t" && "$bin" verify-release --key "$key" "$(basename "$deb")") >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "verify-release on a changed deb: exit $rc, want 1"
cp "$deb" "$t/"; printf '%064d  extra\n' 0 >>"$t/SHA256SUMS"
rc=0; (cd "$t" && "$bin" verify-release --key "$key" "$(basename "$deb")") >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "verify-release with an edited SHA256SUMS: exit $rc, want 1"
rm -rf "$t"

step "dpkg -i $(basename "$deb")"
cleanup() { dpkg --purge clawgov >/dev/null 2>&1 || true; }
trap cleanup EXIT
dpkg -i "$deb" >/dev/null
files="$(dpkg -L clawgov)"
conffiles="$(dpkg-query -W -f='${Conffiles}\n' clawgov | awk 'NF {print $1}')"

step "clawgov version"
got="$(/usr/bin/clawgov version --format json)"
grep -q "\"version\": *\"$want_version\"" <<<"$got" || fail "version: want $want_version, got $got"
grep -q '"commit": *"[0-9a-f]\{40\}"' <<<"$got" || fail "no commit stamped: $got"

step "verify-release with the installed release key"
(cd "$DIST" && /usr/bin/clawgov verify-release "$(basename "$deb")") >/dev/null || fail "installed clawgov does not verify its own release with /etc/clawgov/release-keys"

step "man clawgov-audit"
if [ -e /usr/share/man/man1/clawgov-audit.1.gz ]; then
  grep -q -- '--output-dir' <<<"$(MANPAGER=cat MANWIDTH=80 man clawgov-audit 2>/dev/null)" || fail "man clawgov-audit does not render"
elif grep -qs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  # Minimal images tell dpkg to drop man pages; render the packaged one.
  x="$(mktemp -d)"; dpkg-deb -x "$deb" "$x"
  grep -q -- '--output-dir' <<<"$(MANPAGER=cat MANWIDTH=80 man -l "$x/usr/share/man/man1/clawgov-audit.1.gz" 2>/dev/null)" ||
    fail "packaged clawgov-audit.1.gz does not render"
  rm -rf "$x"; step "dpkg excludes /usr/share/man here: rendered the packaged page with man -l"
else
  fail "man page /usr/share/man/man1/clawgov-audit.1.gz not installed"
fi
for c in bash-completion/completions/clawgov zsh/vendor-completions/_clawgov fish/vendor_completions.d/clawgov.fish; do
  [ -s "/usr/share/$c" ] || fail "missing completion /usr/share/$c"
done

step "systemd units"
getent passwd clawgov >/dev/null || fail "no clawgov system user"
[ "$(stat -c %U /var/lib/clawgov/reports)" = clawgov ] || fail "/var/lib/clawgov/reports not owned by clawgov"
if ls /etc/systemd/system/*.wants/clawgov-* >/dev/null 2>&1; then fail "a unit was enabled on install"; fi
if command -v systemd-analyze >/dev/null; then
  for u in /usr/lib/systemd/system/clawgov-*; do
    out="$(systemd-analyze verify "$u" 2>&1)" || fail "systemd-analyze verify $u: $out"
    # verify exits 0 on some findings; anything it prints about our unit is a defect.
    if echo "$out" | grep "$(basename "$u")" | grep -v 'Failed to connect to bus\|not running systemd'; then
      fail "systemd-analyze verify $u"
    fi
  done
else
  step "systemd-analyze not available: units not verified"
fi
if [ -d /run/systemd/system ] && systemctl is-active --quiet 'clawgov-*'; then fail "a service is running after install"; fi

step "scheduled audit command (clawgov-audit.service ExecStart) once"
cmd="$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/clawgov-audit.service | sed 's/ \$CLAWGOV_AUDIT_ARGS$//')"
home="$(mktemp -d)"
# Runs as root on a host with no OpenClaw: a report is written anyway.
HOME="$home" $cmd || fail "scheduled audit command failed: $cmd"
ls /var/lib/clawgov/reports/audit-*.json >/dev/null 2>&1 || fail "no report in /var/lib/clawgov/reports"
rm -rf "$home" /var/lib/clawgov/reports/audit-*.json

step "dpkg -r leaves only the config files"
dpkg -r clawgov >/dev/null
while read -r f; do
  [ -n "$f" ] || continue
  [ -d "$f" ] && continue
  if grep -qx "$f" <<<"$conffiles"; then
    [ -e "$f" ] || fail "conffile $f removed by dpkg -r"
  elif [ -e "$f" ] || [ -L "$f" ]; then
    fail "$f left behind by dpkg -r"
  fi
done <<<"$files"
[ ! -e /var/lib/clawgov ] || fail "/var/lib/clawgov left behind (empty) by dpkg -r"

step "dpkg --purge removes everything"
dpkg --purge clawgov >/dev/null
for f in $conffiles /etc/clawgov /var/lib/clawgov /var/log/clawgov /usr/bin/clawgov; do
  [ ! -e "$f" ] || fail "$f left behind by dpkg --purge"
done
trap - EXIT

rpmf="$(ls "$DIST"/clawgov-*.rpm 2>/dev/null | head -1)"
if [ -n "$rpmf" ] && command -v rpm >/dev/null; then
  step "rpm -qlp $(basename "$rpmf")"
  l="$(rpm -qlp "$rpmf" 2>/dev/null)"
  for f in /usr/bin/clawgov /usr/share/man/man1/clawgov-audit.1.gz /usr/lib/systemd/system/clawgov-audit.timer /usr/share/zsh/site-functions/_clawgov; do
    grep -qx "$f" <<<"$l" || fail "rpm lacks $f"
  done
  grep -qx /etc/clawgov/clawgov.yaml <<<"$(rpm -qcp "$rpmf" 2>/dev/null)" || fail "rpm: /etc/clawgov/clawgov.yaml not a config file"
  scripts="$(rpm -qp --scripts "$rpmf" 2>/dev/null)"
  grep -q 'useradd --system' <<<"$scripts" || fail "rpm: no postinstall creating the user"
  if grep -E 'systemctl (enable|start)' <<<"$scripts"; then fail "rpm scripts enable or start a service"; fi
else
  step "no rpm tool or no .rpm: rpm not checked"
fi
step "ok"
