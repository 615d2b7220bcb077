"""Checks STIX objects with the OASIS tools: stix2-validator in strict mode (every "SHOULD" an
error) and the stix2 library's parser (no custom content allowed).

Reads a JSON list of objects (or a bundle / envelope) on stdin; prints one JSON line:
{"checked": N, "problems": ["<id>: <message>", ...]}. Exit 0 even with problems: the Rust test
reads the list and fails with it.
"""
import json
import sys

import stix2
from stix2validator import ValidationOptions, validate_instance

data = json.load(sys.stdin)
if isinstance(data, dict):
    data = data.get("objects", [])
options = ValidationOptions(strict=True)
problems = []
for obj in data:
    oid = obj.get("id", "?")
    result = validate_instance(obj, options)
    for err in result.errors:
        problems.append(f"{oid}: stix2-validator: {err}")
    for warning in result.warnings:
        problems.append(f"{oid}: stix2-validator warning: {warning}")
    try:
        stix2.parse(obj, allow_custom=False)
    except Exception as err:  # the parser's own exception types vary by object
        problems.append(f"{oid}: stix2.parse: {err}")
bundle = {"type": "bundle", "id": "bundle--" + "5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": data}
result = validate_instance(bundle, options)
for err in result.errors:
    problems.append(f"bundle: stix2-validator: {err}")
print(json.dumps({"checked": len(data), "problems": problems}))
