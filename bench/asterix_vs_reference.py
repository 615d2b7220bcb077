#!/usr/bin/env python3
"""liptako-asterix against asterix-decoder (the reference ASTERIX decoder), in the same run.

Runs the criterion benchmark `cargo bench -p liptako-asterix --bench decode`, which decodes
CAT048 plots (asterix-decoder's sample pcap, its 128 plots repeated 100 times), CAT021 ADS-B
reports (the FAA capture) and CAT062 tracks (the JADE extract) and writes each input to
target/asterix-bench/. Then times `asterix.parse(data, verbose=False)` (the reference's
fastest mode) on the very same bytes on both of its realistic paths, one call per data block (as
datagrams arrive) and one call on the whole buffer, with Python's garbage collector paused while
timing, and prints records per second for both sides. The ratio is like for like: our full
decode of every field against the reference's fastest path; the typed view is reported on its
own.
One core each: criterion runs one thread, and so does the Python extension.

Two measures, because the machine is shared: wall-clock medians (criterion, and
time.perf_counter for the reference), and records per second of CPU time used by the
process (the `decode_rate` example reads /proc; time.process_time for the reference), which
other processes disturb much less.

Run from the repo root with the venv: `.venv/bin/python bench/asterix_vs_reference.py`.
Set SKIP_CARGO=1 to reuse the last criterion results.
"""
import gc
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import asterix

ROOT = pathlib.Path(__file__).resolve().parent.parent
INPUTS = ROOT / "target/asterix-bench"


def criterion_median_ns(group, bench):
    estimates = ROOT / "target/criterion" / group / bench / "new/estimates.json"
    return json.loads(estimates.read_text())["median"]["point_estimate"]


def criterion_spread(group, bench):
    """(max - min) / median of criterion's per-sample times per iteration."""
    sample = json.loads((ROOT / "target/criterion" / group / bench / "new/sample.json").read_text())
    per_iter = [t / i for t, i in zip(sample["times"], sample["iters"])]
    return (max(per_iter) - min(per_iter)) / statistics.median(per_iter)


def data_blocks(data):
    """Splits a buffer of ASTERIX data blocks (CAT, LEN on two bytes, records) into blocks, as
    a receiver gets them (one datagram per block)."""
    blocks, offset = [], 0
    while offset + 3 <= len(data):
        length = int.from_bytes(data[offset + 1:offset + 3], "big")
        if length < 3 or offset + length > len(data):
            sys.exit(f"malformed block at offset {offset}")
        blocks.append(data[offset:offset + length])
        offset += length
    return blocks


def reference_runs(parts, repeats):
    """Times the reference over `parts` (one call per part), garbage collector paused while
    timing (it is not the decoder's work, and it dominates on large results)."""
    wall, cpu = [], []
    records = 0
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            records = 0
            for part in parts:
                records += len(asterix.parse(part, verbose=False))
            wall.append(time.perf_counter() - start_wall)
            cpu.append(time.process_time() - start_cpu)
        finally:
            gc.enable()
    return records, wall, cpu


def reference_best(data, repeats):
    """The reference on its fastest realistic path: per data block (as datagrams arrive) and
    on the whole buffer in one call; both are returned, the faster (by median) first."""
    paths = {"per block": data_blocks(data), "whole buffer": [data]}
    results = []
    for path, parts in paths.items():
        records, wall, cpu = reference_runs(parts, repeats)
        results.append((statistics.median(wall), path, records, wall, cpu))
    results.sort(key=lambda result: result[0])
    return results


def main():
    if not os.environ.get("SKIP_CARGO"):
        subprocess.run(["cargo", "bench", "-p", "liptako-asterix", "--bench", "decode"], cwd=ROOT,
                       check=True, stdout=sys.stderr)
    per_cpu = {}
    run = subprocess.run(["cargo", "run", "-q", "--release", "-p", "liptako-asterix", "--example",
                          "decode_rate"], cwd=ROOT, check=True, capture_output=True, text=True)
    for line in run.stdout.splitlines():
        row = json.loads(line)
        per_cpu[row["input"]] = row
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    load = open("/proc/loadavg").read().split()[:3]
    print(f"machine: {cpu}, {os.cpu_count()} cores, load average {' '.join(load)}; "
          f"{platform.python_implementation()} {platform.python_version()}")
    print(f"liptako-asterix: {rustc}, release (bench profile); asterix-decoder {asterix.__version__}")
    print()
    print("wall clock (medians); the reference on its fastest path, garbage collector paused:")
    header = (f"{'input':<8} {'records':>7} {'ours frame':>12} {'ours typed':>12} {'ours fields':>12} "
              f"{'spread':>7} {'ref best':>10} {'ref path':>13} {'spread':>7} {'ref other':>10} "
              f"{'fields/ref':>10}")
    print(header)
    print("-" * len(header))
    cpu_rows = []
    for name in ("cat048", "cat021", "cat062"):
        data = (INPUTS / f"{name}.bin").read_bytes()
        records = int((INPUTS / f"{name}.records").read_text())
        ours = {bench: records / (criterion_median_ns(name, bench) * 1e-9)
                for bench in ("frame", "typed", "all_fields")}
        best, other = reference_best(data, 9)
        for _, path, ref_records, _, _ in (best, other):
            if ref_records != records:
                sys.exit(f"{name}: the reference returned {ref_records} records ({path}), "
                         f"we decoded {records}")
        median, path, _, wall, cpu_s = best
        spread = (max(wall) - min(wall)) / median
        reference = records / median
        print(f"{name:<8} {records:>7} {ours['frame']:>12,.0f} {ours['typed']:>12,.0f} "
              f"{ours['all_fields']:>12,.0f} {criterion_spread(name, 'all_fields'):>6.0%} "
              f"{reference:>10,.0f} {path:>13} {spread:>6.0%} "
              f"{records / other[0]:>10,.0f} {ours['all_fields'] / reference:>9.0f}x")
        cpu_rows.append((name, records, per_cpu[name], records / statistics.median(cpu_s)))
    print()
    print("per second of CPU time used (the reference on the same fastest path):")
    header = (f"{'input':<8} {'records':>7} {'ours typed':>12} {'ours fields':>12} {'reference':>10} "
              f"{'fields/ref':>10}")
    print(header)
    print("-" * len(header))
    for name, records, ours, reference in cpu_rows:
        print(f"{name:<8} {records:>7} {ours['typed_per_cpu_s']:>12,.0f} "
              f"{ours['fields_per_cpu_s']:>12,.0f} {reference:>10,.0f} "
              f"{ours['fields_per_cpu_s'] / reference:>9.0f}x")
    encode = criterion_median_ns("cat048", "encode_typed")
    records = int((INPUTS / "cat048.records").read_text())
    print()
    print(f"cat048 typed encoding (ours, wall clock): {records / (encode * 1e-9):,.0f} records/s")
    print("rates are records per second; typed = the typed view a tracker reads (reported on its "
          "own: the reference has no such view); fields = every field of every item, the work the "
          "reference does, so fields/ref is the like-for-like ratio; spread = (max - min) / median "
          "of criterion's samples (ours, fields) and of the reference's wall-clock runs (9 runs per "
          "path, garbage collector paused); ref other = the reference's other path (whole buffer "
          "or per block)")


if __name__ == "__main__":
    main()
