#!/usr/bin/env bash
# Instructions per record of the ASTERIX full decode (every field of every item) and of the
# typed view, counted by callgrind: unlike wall-clock time, the count does not depend on what
# else the machine runs, so it is the measure to optimise against on a shared machine.
# Runs the `decode_rate` example on the inputs `cargo bench -p liptako-asterix --bench decode`
# saved to target/asterix-bench/, once with PASSES=2 and once with PASSES=0 (reading the
# input, start-up), and prints the difference per record.
# Usage: bench/asterix_instructions.sh [fields|typed ...]   (needs valgrind)
# Put fields last: the ratio printed for the reference uses the last count.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- typed fields
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --locked -q -p liptako-asterix --example decode_rate
bin=target/release/examples/decode_rate
count() {
  PASSES=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$2" "$3" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
# The reference (asterix-decoder through Python, per data block, garbage collector off): the
# same count, for an instruction ratio that no load can move. REFERENCE=0 skips it (slow under
# valgrind: about a minute per input).
reference() {
  PASSES=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python \
    bench/asterix_reference_pass.py "target/asterix-bench/$2.bin" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for name in cat048 cat021 cat062; do
  [ -f "target/asterix-bench/$name.bin" ] || { echo "run cargo bench -p liptako-asterix --bench decode first" >&2; exit 1; }
  records=$(cat "target/asterix-bench/$name.records")
  for what in "$@"; do
    base=$(count 0 "$name" "$what")
    two=$(count 2 "$name" "$what")
    ours=$(( (two - base) / (2 * records) ))
    echo "$name $what: $ours instructions/record"
  done
  if [ "${REFERENCE:-1}" != 0 ] && [ -x .venv/bin/python ]; then
    ref=$(( ($(reference 1 "$name") - $(reference 0 "$name")) / records ))
    echo "$name reference (asterix-decoder, per block): $ref instructions/record, $(awk -v r="$ref" -v o="$ours" 'BEGIN {printf "%.0f", r / o}') times our full decode's"
  fi
done
