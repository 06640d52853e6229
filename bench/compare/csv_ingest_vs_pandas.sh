#!/usr/bin/env bash
# Numeric CSV ingest throughput on one core: Citadel's CSV reader with type
# inference (bench/csv_ingest_bench.cc) next to pandas.read_csv (engine "c")
# on the same seeded file (20 float columns × ROWS rows, ≈ 200 MB at 1M), both
# pinned to CPU 0, from the file (page cache warm) and from bytes in memory.
# MB/s are 10^6 bytes of CSV text per second, on wall time and on the
# process's CPU time (which a busy shared machine distorts less); medians of
# REPS repetitions.
#
#   bench/compare/csv_ingest_vs_pandas.sh [BUILD_DIR]
#   ROWS=200000 REPS=3 bench/compare/csv_ingest_vs_pandas.sh build
set -euo pipefail
BENCH=$(realpath "${1:-build}/bench/csv_ingest_bench")
ROWS=${ROWS:-1000000}
REPS=${REPS:-5}
PYTHON=/usr/bin/python3

[[ -x "$BENCH" ]] || { echo "no $BENCH (build it: ninja -C BUILD_DIR csv_ingest_bench)" >&2; exit 1; }
if ! "$PYTHON" -c 'import pandas, numpy' 2>/dev/null; then
  echo "missing pandas/numpy for $PYTHON: install them with" \
    " sudo apt-get install -y python3-pandas python3-numpy" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_csv_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CSV="$WORK/numeric.csv"
"$BENCH" generate "$CSV" "$ROWS" 20 42
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine stretches wall times)"

ours=$(taskset -c 0 "$BENCH" parse "$CSV" "$REPS")
echo "$ours" | head -1
if ! echo "$ours" | head -1 | grep -q '(20 float)'; then
  echo "expected 20 float columns from the reader" >&2
  exit 1
fi
theirs=$(taskset -c 0 "$PYTHON" - "$CSV" "$REPS" <<'EOF'
import io, sys, time
import numpy as np
import pandas as pd

path, reps = sys.argv[1], int(sys.argv[2])
size = len(open(path, "rb").read()) / 1e6

def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2

def measure(name, read):
    wall, cpu = [], []
    for _ in range(reps):
        w, c = time.perf_counter(), time.process_time()
        frame = read()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
        assert all(t == np.float64 for t in frame.dtypes), "expected float64 columns"
        del frame
    w, c = median(wall), median(cpu)
    print(f"{name} {w:.3f} {size / w:.0f} {c:.3f} {size / c:.0f}")

with open(path, "rb") as f:
    data = f.read()
measure("file", lambda: pd.read_csv(path, engine="c"))
measure("memory", lambda: pd.read_csv(io.BytesIO(data), engine="c"))
EOF
)
pandas_version=$("$PYTHON" -c 'import pandas; print(pandas.__version__)')

# field KEY N: field N of the line whose first field is KEY.
field() { awk -v k="$1" -v f="$2" '$1 == k {print $f}'; }
row() { # LABEL OUTPUT KEY
  printf '%-48s %7s %7s %7s %7s\n' "$1" "$(echo "$2" | field "$3" 2)" "$(echo "$2" | field "$3" 3)" \
    "$(echo "$2" | field "$3" 4)" "$(echo "$2" | field "$3" 5)"
}
printf '%-48s %7s %7s %7s %7s\n' "reader (CPU 0 only, medians of $REPS)" "wall s" "MB/s" "CPU s" \
  "MB/s"
row "citadel data::ReadTable (file)" "$ours" ReadTable
row "citadel data::ParseCsvTable (in memory)" "$ours" ParseCsvTable
row "pandas $pandas_version read_csv(engine=c) (file)" "$theirs" file
row "pandas $pandas_version read_csv(engine=c) (BytesIO)" "$theirs" memory
ratio() { # CITADEL_KEY PANDAS_KEY FIELD
  awk -v a="$(echo "$ours" | field "$1" "$3")" -v b="$(echo "$theirs" | field "$2" "$3")" \
    'BEGIN {printf "%.2f", a / b}'
}
echo "ratio citadel / pandas (MB/s): file $(ratio ReadTable file 3), in memory" \
  "$(ratio ParseCsvTable memory 3); on CPU time: file $(ratio ReadTable file 5), in memory" \
  "$(ratio ParseCsvTable memory 5)"
awk -v w="$(echo "$ours" | field ParseCsvTable 3)" -v c="$(echo "$ours" | field ParseCsvTable 5)" \
  'BEGIN {printf "target 500 MB/s per core: citadel in memory at %.0f%% (wall), %.0f%% (CPU time)\n",
          w / 5, c / 5}'
