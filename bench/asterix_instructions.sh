#!/usr/bin/env bash
# Instructions per record of the ASTERIX full decode (every field of every item) and of the
# typed view, counted by callgrind: unlike wall-clock time, the count does not depend on what
# else the machine runs, so it is the measure to optimise against on a shared machine.
# Runs the `decode_rate` example on the inputs `cargo bench -p liptako-asterix --bench decode`
# saved to target/asterix-bench/, once with PASSES=2 and once with PASSES=0 (reading the
# input, start-up), and prints the difference per record.
# Usage: bench/asterix_instructions.sh [fields|typed ...]   (needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- fields typed
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --locked -q -p liptako-asterix --example decode_rate
bin=target/release/examples/decode_rate
count() {
  PASSES=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$2" "$3" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for name in cat048 cat021 cat062; do
  [ -f "target/asterix-bench/$name.bin" ] || { echo "run cargo bench -p liptako-asterix --bench decode first" >&2; exit 1; }
  records=$(cat "target/asterix-bench/$name.records")
  for what in "$@"; do
    base=$(count 0 "$name" "$what")
    two=$(count 2 "$name" "$what")
    echo "$name $what: $(( (two - base) / (2 * records) )) instructions/record"
  done
done
