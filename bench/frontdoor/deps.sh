#!/bin/sh
# Installs what `go run ./bench/frontdoor` drives: haproxy (the proxy to
# compare with) and wrk (the load generator). Debian/Ubuntu; run as root.
set -eu
missing=""
command -v haproxy >/dev/null 2>&1 || missing="$missing haproxy"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v taskset >/dev/null 2>&1 || missing="$missing util-linux"
if [ -z "$missing" ]; then
	echo "haproxy, wrk and taskset are installed"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing; then
	apt-get update
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing
fi
haproxy -v | head -n 1
