#!/usr/bin/env python3
"""Validates a SARIF file against the SARIF 2.1.0 JSON schema: validate_sarif.py SCHEMA FILE.

Exits 1 and prints every violation when the file is not valid."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
validator = jsonschema.Draft4Validator(schema)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
for e in errors:
    print(f"{sys.argv[2]}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}")
sys.exit(1 if errors else 0)
