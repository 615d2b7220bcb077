#!/usr/bin/env bash
# Federation benchmark: replication throughput and lag between two real nodes on loopback, and
# catch-up over a degraded link (64 kbit/s, 600 ms one way, 1 % loss) after an outage.
# Usage: bench/federation/run.sh [BACKLOG]   (default 20000 versions)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p liptako -p liptako-loadgen
echo "machine: $(nproc) cores, $(uname -r); liptako $(target/release/liptako --version | awk '{print $2}')"
exec target/release/liptako-loadgen federation --bin target/release/liptako --backlog "${1:-20000}"
