#!/usr/bin/env bash
# Builds one Python signature into a component with componentize-py, installing the pinned
# componentize-py first (into its own virtualenv under target/tools) unless it is already there.
#
# Usage: scripts/componentize-py.sh VERSION SIGNATURE_DIR OUTPUT.wasm
#
# --stub-wasi: componentize-py's Python runtime imports WASI clocks, files and sockets; Vigil
# refuses sockets (and files and clocks). Stubbing replaces every WASI import with a trap, so the
# component imports only vigil:signature/host and nothing can reach outside the sandbox. The
# price: Python's random seed is fixed at build time, and a traceback cannot be printed (an
# exception in the signature still fails only that call, reported as a trap).
set -euo pipefail
version=$1 src=$2 out=$3

venv=target/tools/componentize-py-$version
tool=$venv/bin/componentize-py
if ! "$tool" --version 2>/dev/null | grep -qx "componentize-py $version"; then
	if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
	fi
	echo "python-signatures: installing componentize-py $version into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$version"
fi

mkdir -p "$(dirname "$out")"
"$tool" --quiet --wit-path wit --world signature componentize --stub-wasi \
	--python-path "$src" app --output "$out.part"
mv "$out.part" "$out"
echo "python-signatures: $out ($(stat -c %s "$out") bytes)"
