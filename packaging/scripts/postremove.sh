#!/bin/sh
# clawgov postremove (deb: remove|purge|upgrade...; rpm: $1 = 0 erase).
# remove: the state directories go only when empty (never a fleet database
# or a report). purge: dpkg removes the config files; this removes the
# reports, logs and databases too, as purge promises. The system user
# stays (files elsewhere may still belong to it).
set -e
case "$1" in
  remove|0)
    rmdir /var/lib/clawgov/reports /var/lib/clawgov /var/log/clawgov 2>/dev/null || true
    ;;
  purge)
    rm -rf /var/lib/clawgov /var/log/clawgov
    rmdir /etc/clawgov/release-keys /etc/clawgov 2>/dev/null || true
    ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
