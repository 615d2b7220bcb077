"""Walks a TAXII 2.1 server with the OASIS client (taxii2-client) as a user would, and checks
every object it serves with stix2-validator (strict) and the stix2 parser.

Usage: walk.py URL USER PASSWORD PER_REQUEST
Prints one JSON object: the API roots and collections seen, every page of objects and of the
manifest of each readable collection (as_pages), and the problems the validator and the parser
found. The Rust test decides what is right.
"""
import json
import sys

import stix2
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

url, user, password, per_request = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
server = Server(url, user=user, password=password)
out = {"title": server.title, "api_roots": [], "collections": []}
options = ValidationOptions(strict=True)
problems = []
for root in server.api_roots:
    out["api_roots"].append({"url": root.url, "title": root.title, "versions": root.versions})
    for collection in root.collections:
        entry = {
            "id": collection.id,
            "alias": getattr(collection, "alias", None),
            "can_read": collection.can_read,
            "can_write": collection.can_write,
            "pages": [],
            "manifest_pages": [],
        }
        if collection.can_read:
            for envelope in as_pages(collection.get_objects, per_request=per_request):
                objects = envelope.get("objects", [])
                entry["pages"].append({"more": envelope.get("more", False), "objects": objects})
                for obj in objects:
                    result = validate_instance(obj, options)
                    for err in result.errors:
                        problems.append(f"{obj.get('id')}: stix2-validator: {err}")
                    for warning in result.warnings:
                        problems.append(f"{obj.get('id')}: stix2-validator warning: {warning}")
                    try:
                        stix2.parse(obj, allow_custom=False)
                    except Exception as err:  # the parser's exception types vary
                        problems.append(f"{obj.get('id')}: stix2.parse: {err}")
            for envelope in as_pages(collection.get_manifest, per_request=per_request):
                entry["manifest_pages"].append(envelope.get("objects", []))
        out["collections"].append(entry)
out["problems"] = problems
print(json.dumps(out))
