#!/usr/bin/env python3
"""liptako-cot against takproto (the Python TAK protocol library), in the same run.

Runs the criterion benchmark `cargo bench -p liptako-cot --bench codec`, reads its medians,
times takproto on the same inputs (the ATAK SA and GeoChat test cases), and prints both with
the ratio. Run from the repo root with the venv: `.venv/bin/python bench/cot_vs_takproto.py`.
Set SKIP_CARGO=1 to reuse the last criterion results.
"""
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import timeit
import xml.etree.ElementTree as ET

import google.protobuf
import takproto
import takproto.functions

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "crates/cot/tests/data"


def criterion_median_ns(group, bench):
    estimates = ROOT / "target/criterion" / group / bench / "new/estimates.json"
    return json.loads(estimates.read_text())["median"]["point_estimate"]


def python_median_ns(function, number):
    runs = timeit.repeat(function, number=number, repeat=9)
    return statistics.median(runs) / number * 1e9


def main():
    if not os.environ.get("SKIP_CARGO"):
        subprocess.run(["cargo", "bench", "-p", "liptako-cot", "--bench", "codec"], cwd=ROOT, check=True,
                       stdout=sys.stderr)
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"machine: {cpu}, {os.cpu_count()} cores; {platform.python_implementation()} {platform.python_version()}")
    print(f"liptako-cot: {rustc}, release; takproto {takproto.__version__}, protobuf {google.protobuf.__version__}")
    print()
    print(f"{'case':<18} {'operation':<34} {'liptako-cot':>12} {'takproto':>12} {'ratio':>7}")
    for case in ("atak_sa", "atak_geochat_all"):
        xml = (CASES / "xml" / f"{case}.xml").read_bytes()
        frame = bytearray((CASES / "proto" / f"{case}.bin").read_bytes())
        message = takproto.parse_proto(frame)
        rows = [
            ("decode protobuf frame", "decode_proto",
             python_median_ns(lambda: takproto.parse_proto(frame), 20000)),
            ("encode protobuf frame", "encode_proto_frame",
             python_median_ns(lambda: takproto.functions.msg2proto(message, takproto.TAKProtoVer.STREAM), 20000)),
            ("decode XML (takproto: to TakMessage)", "decode_xml",
             python_median_ns(lambda: takproto.functions.xml2message(xml), 5000)),
            ("encode XML (Python: ET.tostring)", "encode_xml",
             python_median_ns(lambda: ET.tostring(ET.fromstring(xml)), 5000)),
        ]
        for label, bench, peer_ns in rows:
            ours_ns = criterion_median_ns(case, bench)
            print(f"{case:<18} {label:<34} {ours_ns / 1000:>9.2f} µs {peer_ns / 1000:>9.2f} µs {peer_ns / ours_ns:>6.1f}x")
    print()
    for group, bench, n_items in (("stream_1000_sa", "xml", 1000), ("stream_1000_sa", "proto", 1000),
                                   ("fan_out_500", "decode_once_encode_twice_share", 500),
                                   ("fan_out_500", "encode_per_receiver", 500)):
        ns = criterion_median_ns(group, bench)
        print(f"{group}/{bench}: {ns / 1e6:.3f} ms median, {ns / n_items:.0f} ns per item")


if __name__ == "__main__":
    main()
