"""Runs asterix-decoder (the reference ASTERIX decoder, PyPI `asterix-decoder`) over data blocks.

Protocol, so a crash of the C++ decoder costs one block and not the run:
- `info`: prints one JSON line {"version", "config_dir", "sample_dir"} and exits.
- `decode`: reads frames from stdin (4-byte big-endian length, then one ASTERIX data block) and
  prints one JSON line per frame, flushed: {"i": <frame index>, "records": [...]}, where each
  record is what `asterix.parse(block, verbose=False)` returns, minus its receive time stamp.
  A frame the decoder crashes on prints nothing: the caller sees the process end, counts that
  block as unverified and starts a new process for the frames after it.
"""
import json
import os
import sys

import asterix


def read_exact(stream, n):
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def decode():
    stdin = sys.stdin.buffer
    out = sys.stdout
    index = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    while True:
        header = read_exact(stdin, 4)
        if header is None:
            return
        length = int.from_bytes(header, "big")
        block = read_exact(stdin, length)
        if block is None:
            return
        records = asterix.parse(block, verbose=False)
        for record in records:
            record.pop("ts", None)
        out.write(json.dumps({"i": index, "records": records}) + "\n")
        out.flush()
        index += 1


def info():
    base = os.path.dirname(asterix.__file__)
    print(json.dumps({
        "version": asterix.__version__,
        "config_dir": os.path.join(base, "config"),
        "sample_dir": os.path.join(base, "sample_data"),
    }))


if __name__ == "__main__":
    {"decode": decode, "info": info}[sys.argv[1]]()
