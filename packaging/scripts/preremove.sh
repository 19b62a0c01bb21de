#!/bin/sh
# clawgov preremove (deb: remove|upgrade; rpm: $1 = 0 erase, 1 upgrade).
# On removal (not upgrade) stops and disables the services, whose binary
# is about to go; their data stays.
set -e
case "$1" in
  remove|0) ;;
  *) exit 0 ;;
esac
units="clawgov-agent.service clawgov-server.service clawgov-registry.service clawgov-egress.service clawgov-audit.timer clawgov-audit.service"
if [ -d /run/systemd/system ]; then
  systemctl stop $units >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable $units >/dev/null 2>&1 || true
fi
exit 0
