#!/usr/bin/env bash
# Builds one JavaScript signature into a component with componentize-js (the engine behind
# `jco componentize`), installing the pinned componentize-js first (npm, into target/tools)
# unless it is already there.
#
# Usage: scripts/componentize-js.sh VERSION SIGNATURE.js OUTPUT.wasm
#
# Every optional WASI feature is disabled (stdio, random, clocks, http, fetch-event): the
# component then imports only vigil:signature/host, and Vigil's allowlist stays as it is.
set -euo pipefail
version=$1 src=$2 out=$3

prefix=target/tools/componentize-js-$version
tool=$prefix/node_modules/.bin/componentize-js
if ! "$tool" --version 2>/dev/null | grep -qx "$version"; then
	if ! command -v npm >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
	fi
	echo "js-signatures: installing @bytecodealliance/componentize-js $version into $prefix"
	rm -rf "$prefix"
	mkdir -p "$prefix"
	npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
		"@bytecodealliance/componentize-js@$version"
fi

mkdir -p "$(dirname "$out")"
"$tool" "$src" --wit wit --world-name signature \
	--disable stdio random clocks http fetch-event --out "$out.part"
mv "$out.part" "$out"
echo "js-signatures: $out ($(stat -c %s "$out") bytes)"
