#!/usr/bin/env bash
# The tests run real tools: promtool, amtool, prometheus, docker-compose, wrk, redis-server and Chromium.
# On a Debian machine without them, install them (as root); elsewhere name what is missing and fail,
# so that a missing tool is a clear error rather than a mysterious test failure.
set -euo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing test tools (Debian packages): ${missing[*]}; install them, then run the tests again" >&2
  exit 1
fi
echo "installing test tools from Debian: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's packages start their system services on install; the tests run their own instances on free
# ports. A policy-rc.d that answers 101 ("action forbidden") keeps invoke-rc.d from starting any of them.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap '[ "$own_policy" -eq 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
still_missing=()
command -v promtool >/dev/null 2>&1 || still_missing+=(promtool)
command -v amtool >/dev/null 2>&1 || still_missing+=(amtool)
command -v docker-compose >/dev/null 2>&1 || still_missing+=(docker-compose)
command -v wrk >/dev/null 2>&1 || still_missing+=(wrk)
command -v redis-server >/dev/null 2>&1 || still_missing+=(redis-server)
[ -x /usr/bin/chromium ] || still_missing+=(chromium)
if [ "${#still_missing[@]}" -ne 0 ]; then
  echo "test tools still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
