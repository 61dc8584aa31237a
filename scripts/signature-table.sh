#!/usr/bin/env bash
# make signature-table: writes the table of the default signatures, generated from their own
# metadata by `vigil signatures list --markdown`, into README.md between the
# `<!-- signatures:begin -->` and `<!-- signatures:end -->` lines. Re-run it whenever a
# signature is added or changed; tests/e2e/signature_table.rs fails while README differs.
set -euo pipefail
cd "$(dirname "$0")/.."

vigil=${VIGIL:-target/release/vigil}
readme=README.md
begin='<!-- signatures:begin -->'
end='<!-- signatures:end -->'

for marker in "$begin" "$end"; do
    if [ "$(grep -cxF -- "$marker" "$readme")" != 1 ]; then
        echo "signature-table: $readme must have exactly one line '$marker'" >&2
        exit 1
    fi
done

table=$(mktemp)
trap 'rm -f "$table" "$readme.new"' EXIT
"$vigil" signatures list --markdown --no-cache >"$table"

awk -v begin="$begin" -v end="$end" -v table="$table" '
    $0 == begin { print; while ((getline line < table) > 0) print line; skipping = 1; next }
    $0 == end { skipping = 0 }
    !skipping { print }
' "$readme" >"$readme.new"
mv "$readme.new" "$readme"
echo "signature-table: $(($(wc -l <"$table") - 2)) signatures written to $readme"
