#!/usr/bin/env bash
# Data-parallel training on this machine: the examples/fashion CNN for one
# epoch with `citadel run --workers 2` (two processes, one intra-op thread
# each, Gloo over loopback) against one process with one thread and one
# process with two threads. Reported: samples/s of the epoch and the ratios.
#
#   bench/compare/data_parallel_scaling.sh [CITADEL_BINARY]
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_ddp_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CITADEL_HOME="$WORK/home"
"$CITADEL" --quiet init >/dev/null
cp -r "$REPO/examples/fashion" "$WORK/fashion"
spec() {  # threads → a one-epoch spec
  sed -e 's/^    epochs: .*/    epochs: 1/' -e '/^    checkpoint: /d' \
    -e "s/    resources: { threads: 2 }/    resources: { threads: $1 }/" \
    "$WORK/fashion/pipeline.yaml" | awk '/^  - name: evaluate/ {exit} {print}' >"$WORK/fashion/t$1.yaml"
  echo "$WORK/fashion/t$1.yaml"
}
rate() {  # spec, extra args → samples/s of the epoch
  "$CITADEL" run "$1" --force "${@:2}" 2>&1 >/dev/null | grep -E ' epoch 1/1' |
    grep -oE '[0-9]+ samples/s' | cut -d' ' -f1
}
one=$(rate "$(spec 1)")
two_threads=$(rate "$(spec 2)")
two_procs=$(rate "$(spec 1)" --workers 2)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fashion CNN, 1 epoch of 60 000 images, batch 128"
printf '%-36s %10s\n' "setup" "samples/s"
printf '%-36s %10s\n' "1 process, 1 thread" "$one"
printf '%-36s %10s\n' "1 process, 2 threads" "$two_threads"
printf '%-36s %10s\n' "2 processes (--workers 2), 1 thread" "$two_procs"
awk -v a="$one" -v b="$two_procs" -v c="$two_threads" 'BEGIN {
  printf "2 processes / 1 process: %.2fx; 2 processes / 2 threads: %.2fx\n", b / a, b / c }'
