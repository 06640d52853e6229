#!/usr/bin/env bash
# The `kind: process` step end to end next to the same pipeline in pandas, on
# one seeded messy CSV (`citadel data generate --no-pii`, 1M rows by default):
#   read CSV → drop customer_id, signup_date → split 80/20 (seed 7) →
#   impute (median for age/income/score, "unknown" for country/segment, fitted
#   on train) → one-hot country/segment (train categories) → standardize every
#   feature (train mean / population std) → write train/test features (f32) and
#   labels.
# Citadel runs `citadel run` in a fresh workspace each time (the result is
# also stored, hashed and recorded); pandas runs Debian's python3. Each is
# timed with /usr/bin/time (wall s, CPU s = user + system, peak RSS); the
# tables show medians of RUNS runs and the ratios. Then Citadel with the step's
# defaults (profile: true, pii: warn) for their extra cost, and Citadel pinned
# to 1 vs 2 cores. STAGES=1 adds start-up costs and cumulative spec variants
# that show where the time goes.
#
#   bench/compare/data_pipeline_vs_pandas.sh [CITADEL_BINARY]
#   ROWS=100000 RUNS=1 bench/compare/data_pipeline_vs_pandas.sh build/apps/citadel/citadel
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
# The measured spec's PII policy: allow (no PII scan). Override it only for a
# binary where `pii: allow` fails (docs/benchmarks.md, "Data engine").
FAST_PII=${FAST_PII:-allow}
PYTHON=/usr/bin/python3

if [[ ! -x /usr/bin/time ]]; then
  echo "missing /usr/bin/time (GNU time): install it with  sudo apt-get install -y time" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import pandas, numpy' 2>/dev/null; then
  echo "missing pandas/numpy for $PYTHON: install them with" \
    " sudo apt-get install -y python3-pandas python3-numpy" >&2
  exit 1
fi
[[ -x "$CITADEL" ]] || { echo "no citadel binary at $CITADEL (build it: make build)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "missing taskset: sudo apt-get install -y util-linux" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_pipeline_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CSV="$WORK/customers.csv"
"$CITADEL" --quiet data generate --rows "$ROWS" --seed 11 --no-pii --out "$CSV" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine stretches wall times)"
echo "input: $ROWS generated rows (seed 11, --no-pii), $(wc -l <"$CSV") lines," \
  "$(du -m "$CSV" | cut -f1) MB; $RUNS runs each, medians"

# spec NAME PROFILE PII [TRANSFORM LINES…]: a one-step pipeline over $CSV.
spec() {
  local name=$1 profile=$2 pii=$3
  shift 3
  {
    echo "pipeline: bench_$name"
    echo "steps:"
    echo "  - name: prepare"
    echo "    kind: process"
    echo "    input: { csv: $CSV, label: churned }"
    echo "    split: { train: 0.8, test: 0.2, seed: 7 }"
    [[ -n $profile ]] && echo "    profile: $profile"
    [[ -n $pii ]] && echo "    pii: $pii"
    echo "    transforms:"
    printf '      - %s\n' "$@"
  } >"$WORK/$name.yaml"
}
DROP='{ op: drop, columns: [customer_id, signup_date] }'
IMPUTE_NUM='{ op: impute, columns: [age, income, score], strategy: median }'
IMPUTE_CAT='{ op: impute, columns: [country, segment], strategy: constant, value: unknown }'
ONE_HOT='{ op: one_hot, columns: [country, segment] }'
STANDARDIZE='{ op: standardize, columns: all_numeric }'
spec fast false "$FAST_PII" "$DROP" "$IMPUTE_NUM" "$IMPUTE_CAT" "$ONE_HOT" "$STANDARDIZE"
spec defaults "" "" "$DROP" "$IMPUTE_NUM" "$IMPUTE_CAT" "$ONE_HOT" "$STANDARDIZE"

cat >"$WORK/pandas_pipeline.py" <<'EOF'
# The same pipeline in idiomatic pandas; every statistic comes from train rows.
import sys
import numpy as np
import pandas as pd

csv, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(csv)
df = df.drop(columns=["customer_id", "signup_date"])
y = df.pop("churned").to_numpy(np.int64)
perm = np.random.default_rng(7).permutation(len(df))
n_train = int(round(0.8 * len(df)))
train, test = np.sort(perm[:n_train]), np.sort(perm[n_train:])
numeric, categorical = ["age", "income", "score"], ["country", "segment"]
df[numeric] = df[numeric].fillna(df[numeric].iloc[train].median())
df[categorical] = df[categorical].fillna("unknown")
for c in categorical:  # train categories; a value unseen in train gives all zeros
    df[c] = pd.Categorical(df[c], categories=sorted(df[c].iloc[train].unique()))
x = pd.get_dummies(df, columns=categorical)
mean, std = x.iloc[train].mean(), x.iloc[train].std(ddof=0)
x = (x - mean) / std.replace(0, 1)
for name, rows in (("train", train), ("test", test)):
    np.save(f"{out}/{name}_features.npy", x.iloc[rows].to_numpy(np.float32))
    np.save(f"{out}/{name}_labels.npy", y[rows])
print(f"train {len(train)} x {x.shape[1]}, test {len(test)} x {x.shape[1]}", file=sys.stderr)
EOF

# timed LOG CMD…: runs CMD under /usr/bin/time; prints "WALL_S RSS_KB CPU_S" (CPU =
# user + system, which a busy shared machine distorts less than the wall time).
timed() {
  local log=$1
  shift
  if ! /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.txt" "$@" >"$log" 2>&1; then
    echo "failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
  awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$WORK/time.txt"
}

# citadel_run SPEC [TASKSET CPUS]: one `citadel run` in a fresh workspace.
citadel_run() {
  local spec=$1 cpus=${2:-}
  export CITADEL_HOME="$WORK/home"
  rm -rf "$CITADEL_HOME"
  "$CITADEL" --quiet init >/dev/null
  if [[ -n $cpus ]]; then
    timed "$WORK/citadel.log" taskset -c "$cpus" "$CITADEL" --quiet run "$spec"
  else
    timed "$WORK/citadel.log" "$CITADEL" --quiet run "$spec"
  fi
}

pandas_run() {
  rm -rf "$WORK/pandas_out"
  mkdir -p "$WORK/pandas_out"
  timed "$WORK/pandas.log" "$PYTHON" "$WORK/pandas_pipeline.py" "$CSV" "$WORK/pandas_out"
}

# column_median FIELD DIVISOR FORMAT: the median of one field of runs.txt.
column_median() {
  cut -d' ' -f"$1" "$WORK/runs.txt" | sort -n |
    awk -v s="$2" -v fmt="$3" '{v[NR] = $1} END {printf fmt, v[int((NR + 1) / 2)] / s}'
}

# measure N FUNCTION ARGS…: runs it N times; sets WALL, RSS (MB) and CPU to
# the medians, each taken on its own.
measure() {
  local n=$1 i
  shift
  : >"$WORK/runs.txt"
  for ((i = 0; i < n; i++)); do "$@" >>"$WORK/runs.txt"; done
  WALL=$(column_median 1 1 %.2f)
  RSS=$(column_median 2 1024 %.0f)
  CPU=$(column_median 3 1 %.2f)
}

# row LABEL: one line of the tables, from WALL, CPU and RSS.
row() { printf '%-58s %7s %7s %12s\n' "$1" "$WALL" "$CPU" "$RSS"; }
header() { printf '%-58s %7s %7s %12s\n' "$1" "wall s" "CPU s" "peak RSS MB"; }

measure "$RUNS" citadel_run "$WORK/fast.yaml"
c_wall=$WALL c_rss=$RSS c_cpu=$CPU
header "tool (medians of $RUNS)"
row "citadel run (profile: false, pii: $FAST_PII)"
measure "$RUNS" pandas_run
p_wall=$WALL p_rss=$RSS p_cpu=$CPU
row "pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)')"
awk -v pw="$p_wall" -v cw="$c_wall" -v pr="$p_rss" -v cr="$c_rss" -v pc="$p_cpu" -v cc="$c_cpu" \
  'BEGIN {printf "ratio pandas / citadel: wall %.2f, CPU %.2f, peak RSS %.2f\n",
          pw / cw, pc / cc, pr / cr}'
echo "(pandas: $(cat "$WORK/pandas.log"))"

echo
measure "$RUNS" citadel_run "$WORK/defaults.yaml"
row "citadel run with the defaults (profile: true, pii: warn)"
awk -v d="$WALL" -v c="$c_wall" -v dc="$CPU" -v cc="$c_cpu" -v p="$FAST_PII" \
  'BEGIN {printf "the defaults cost %+.2f s wall, %+.2f s CPU over profile: false, pii: %s\n",
          d - c, dc - cc, p}'

echo
measure "$RUNS" citadel_run "$WORK/fast.yaml" 0
one_wall=$WALL
row "citadel, taskset -c 0"
measure "$RUNS" citadel_run "$WORK/fast.yaml" 0,1
row "citadel, taskset -c 0,1"
awk -v a="$one_wall" -v b="$WALL" 'BEGIN {printf "speed-up 1 → 2 cores: %.2fx\n", a / b}'

if [[ ${STAGES:-0} == 1 ]]; then
  # Where the time goes: process start-up (and pandas' import, for scale), the
  # fixed cost of a run (the full spec on 1000 rows), the CSV ingest alone (in
  # process, when bench/csv_ingest_bench is built beside the binary), then
  # cumulative spec variants: the differences are each stage's cost.
  echo
  header "stages (profile: false, pii: $FAST_PII, medians of $RUNS)"
  measure "$RUNS" timed "$WORK/version.log" "$CITADEL" --version
  row "citadel --version (process start, shared libraries)"
  measure "$RUNS" timed "$WORK/import.log" "$PYTHON" -c 'import pandas'
  row "for scale: python3 -c 'import pandas'"
  head -1001 "$CSV" >"$WORK/small.csv"
  sed "s|csv: $CSV|csv: $WORK/small.csv|" "$WORK/fast.yaml" >"$WORK/s0.yaml"
  measure "$RUNS" citadel_run "$WORK/s0.yaml"
  row "citadel run, the full spec on 1000 rows (fixed cost)"
  INGEST_BENCH=$(dirname "$CITADEL")/../../bench/csv_ingest_bench
  if [[ -x $INGEST_BENCH ]]; then
    read -r _ WALL _ CPU _ < <("$INGEST_BENCH" parse "$CSV" "$RUNS" | grep '^ReadTable')
    RSS=-
    row "data::ReadTable alone, in process"
  fi
  NUMERIC_ONLY='{ op: drop, columns: [customer_id, signup_date, country, segment] }'
  spec s1 false "$FAST_PII" "$NUMERIC_ONLY" "$IMPUTE_NUM"
  spec s2 false "$FAST_PII" "$DROP" "$IMPUTE_NUM" "$IMPUTE_CAT" "$ONE_HOT"
  measure "$RUNS" citadel_run "$WORK/s1.yaml"
  row "read, impute median, split, write (numeric columns)"
  measure "$RUNS" citadel_run "$WORK/s2.yaml"
  row "+ country/segment: impute constant, one_hot"
  WALL=$c_wall CPU=$c_cpu RSS=$c_rss
  row "+ standardize (= the full spec)"
fi
