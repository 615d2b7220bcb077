#!/usr/bin/env python3
"""PASSES (default 1) passes of asterix-decoder over one saved input, one `asterix.parse(block,
verbose=False)` per data block, garbage collector off: the fixed amount of work
`bench/asterix_instructions.sh` counts instructions of (PASSES=0 counts start-up and reading).
Usage: PASSES=n .venv/bin/python bench/asterix_reference_pass.py target/asterix-bench/cat048.bin"""
import gc, os, sys
import asterix
data = open(sys.argv[1], "rb").read()
blocks, offset = [], 0
while offset + 3 <= len(data):
    length = int.from_bytes(data[offset + 1:offset + 3], "big")
    blocks.append(data[offset:offset + length])
    offset += length
gc.disable()
n = 0
for _ in range(int(os.environ.get("PASSES", "1"))):
    for block in blocks:
        n += len(asterix.parse(block, verbose=False))
print(n)
