#!/usr/bin/env bash
# The joint air picture between two real nodes over a poor link: MLI fuses the `dense` scenario
# (500 aircraft, four radars and ADS-B, real time) and sends its tracks to NER (no sensor of its
# own) over a link shaped to 64 kbit/s, 600 ms one way, 1 % loss, with the air stream's budget
# at 48 kbit/s; prints how many of MLI's tracks NER holds and how old NER's states are.
# Usage: bench/joint/link.sh [extra liptako-loadgen joint-air options]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p liptako -p liptako-loadgen
echo "machine: $(nproc) cores, $(uname -r); liptako $(target/release/liptako --version | awk '{print $2}'), commit $(git rev-parse --short HEAD)"
exec target/release/liptako-loadgen joint-air --bin target/release/liptako "$@"
