#!/usr/bin/env python3
"""Writes <case>.bin: takproto's TAK protocol stream frame for ../xml/<case>.xml.

These frames are made by a real TAK library (takproto, pinned in
scripts/requirements-peers.txt), so cases::takproto_frames_match_expected checks that we decode
what takproto encodes even where no Python is installed. Run with the repo's venv:
    .venv/bin/python crates/cot/tests/data/proto/generate.py
"""
import pathlib

import takproto

CASES = [
    "atak_sa",
    "atak_geochat_all",
    "atak_geochat_direct",
    "itak_sa_extra_contact_attribute",
    "atak_drawing_polyline",
    "atak_hostile_marker",
    "marked_exercise_event",
]

here = pathlib.Path(__file__).resolve().parent
for case in CASES:
    xml = (here.parent / "xml" / f"{case}.xml").read_bytes()
    frame = takproto.xml2proto(xml, takproto.TAKProtoVer.STREAM)
    (here / f"{case}.bin").write_bytes(bytes(frame))
    print(f"{case}.bin: {len(frame)} bytes (takproto {takproto.__version__})")
