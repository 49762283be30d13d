#!/bin/sh
# Installs what `go run ./bench/frontdoor` drives: haproxy (the proxy to
# compare with), wrk and h2load (the load generators, HTTP/1.1 and HTTP/2).
# Debian/Ubuntu; run as root.
set -eu
missing=""
command -v haproxy >/dev/null 2>&1 || missing="$missing haproxy"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v taskset >/dev/null 2>&1 || missing="$missing util-linux"
command -v h2load >/dev/null 2>&1 || missing="$missing nghttp2-client"
if [ -z "$missing" ]; then
	echo "haproxy, wrk, h2load and taskset are installed"
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
