#!/usr/bin/env bash
# The ops tests run the real promtool, amtool, prometheus and docker-compose. On a Debian machine without
# them, install them (as root); elsewhere say what is missing, so the failure is not a mystery.
set -euo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test tools from Debian: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages start system services; the tests run their own instances on free ports.
  pkill -x prometheus 2>/dev/null || true
  pkill -f prometheus-alertmanager 2>/dev/null || true
  pkill -f prometheus-node-exporter 2>/dev/null || true
else
  echo "missing test tools (Debian packages): ${missing[*]}; the ops tests will fail without them" >&2
fi
