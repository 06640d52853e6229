#!/usr/bin/env bash
# The model scanner's speed: `citadel scan` of (1) an opcode-dense pickle
# (6M ints and floats in one list, ~40 MB of 2–9-byte opcodes) and (2) a mixed
# record pickle (300k tuples of int, str, float, None, bool: memo-heavy),
# against Python's pickletools.genops walking the same bytes (the opcode walk
# ModelScan-style scanners are built on; it tracks no stack, memo or calls),
# and (3) a 200 MB torch.save checkpoint, whose scan must not grow with the
# tensor bytes. Seeded fixtures from Debian's python3-torch. Medians of RUNS
# runs, page cache warm; wall seconds including process start.
#
#   bench/compare/scan_vs_pickletools.sh [CITADEL_BINARY]
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
RUNS=${RUNS:-5}
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_scan_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PY" - "$WORK" <<'PYEOF'
import pickle, random, sys, torch
out = sys.argv[1]
random.seed(7)
numbers = [random.randrange(1 << 20) if i % 2 else random.random() for i in range(6_000_000)]
open(f"{out}/dense.pkl", "wb").write(pickle.dumps(numbers, protocol=4))
rows = [(i, "k%d" % random.randrange(10**6), random.random(), None, True) for i in range(300_000)]
open(f"{out}/records.pkl", "wb").write(pickle.dumps(rows, protocol=4))
torch.manual_seed(7)
torch.save({"w": torch.randn(50_000_000), "b": torch.zeros(10)}, f"{out}/checkpoint.pt")
PYEOF
cat > "$WORK/genops.py" <<'PYEOF'
import pickletools, sys
data = open(sys.argv[1], "rb").read()
n = sum(1 for _ in pickletools.genops(data))
PYEOF

median_seconds() {
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc
  done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
printf '%-34s %10s %12s %10s\n' "file" "citadel s" "pickletools s" "ratio"
for f in dense.pkl records.pkl; do
  bytes=$(stat -c %s "$WORK/$f")
  cat "$WORK/$f" >/dev/null
  ours=$(median_seconds "$CITADEL" scan "$WORK/$f")
  theirs=$(median_seconds "$PY" "$WORK/genops.py" "$WORK/$f")
  printf '%-34s %10.3f %12.3f %9.1fx   citadel %.0f MB/s\n' "$f ($((bytes >> 20)) MiB)" "$ours" \
    "$theirs" "$(echo "$theirs / $ours" | bc -l)" "$(echo "$bytes / $ours / 1000000" | bc -l)"
done
bytes=$(stat -c %s "$WORK/checkpoint.pt")
cat "$WORK/checkpoint.pt" >/dev/null
ours=$(median_seconds "$CITADEL" scan "$WORK/checkpoint.pt")
"$CITADEL" scan "$WORK/checkpoint.pt" >/dev/null && verdict=clean || verdict=findings
printf '%-34s %10.3f   (%s; target <= 0.050 s)\n' "checkpoint.pt ($((bytes >> 20)) MiB)" "$ours" \
  "$verdict"
