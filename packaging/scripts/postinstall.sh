#!/bin/sh
# clawgov postinstall (deb: configure; rpm: $1 = 1 install, 2 upgrade).
# Creates the service user and its state directory. Never enables or
# starts a service: that is the administrator's decision.
set -e
if ! getent passwd clawgov >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/clawgov --no-create-home \
    --shell /usr/sbin/nologin --comment "clawgov services" clawgov
fi
install -d -m 0750 -o clawgov -g clawgov /var/lib/clawgov /var/lib/clawgov/reports
install -d -m 0750 -o clawgov -g clawgov /var/log/clawgov
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
