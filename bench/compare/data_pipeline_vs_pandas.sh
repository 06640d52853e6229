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
# timed with /usr/bin/time (wall seconds, peak RSS); the table shows medians of
# RUNS runs and the ratios. Then Citadel once with the step's defaults
# (profile: true, pii: warn) for their extra cost, and Citadel pinned to 1 vs 2
# cores. STAGES=1 adds cumulative spec variants that show where the time goes.
#
#   bench/compare/data_pipeline_vs_pandas.sh [CITADEL_BINARY]
#   ROWS=100000 RUNS=1 bench/compare/data_pipeline_vs_pandas.sh build/apps/citadel/citadel
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
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
spec fast false allow "$DROP" "$IMPUTE_NUM" "$IMPUTE_CAT" "$ONE_HOT" "$STANDARDIZE"
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

# timed LOG CMD…: runs CMD under /usr/bin/time; prints "WALL_S RSS_KB".
timed() {
  local log=$1
  shift
  if ! /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >"$log" 2>&1; then
    echo "failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
  cat "$WORK/time.txt"
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

# measure N FUNCTION ARGS…: runs it N times; sets WALL (median s) and RSS (median MB).
measure() {
  local n=$1
  shift
  : >"$WORK/runs.txt"
  for ((i = 0; i < n; i++)); do "$@" >>"$WORK/runs.txt"; done
  WALL=$(cut -d' ' -f1 "$WORK/runs.txt" | sort -n | awk '{v[NR] = $1} END {printf "%.2f", v[int((NR + 1) / 2)]}')
  RSS=$(cut -d' ' -f2 "$WORK/runs.txt" | sort -n | awk '{v[NR] = $1} END {printf "%.0f", v[int((NR + 1) / 2)] / 1024}')
}

measure "$RUNS" citadel_run "$WORK/fast.yaml"
c_wall=$WALL c_rss=$RSS
measure "$RUNS" pandas_run
p_wall=$WALL p_rss=$RSS
echo "pandas: $(cat "$WORK/pandas.log")"
echo
printf '%-44s %8s %13s\n' "tool" "wall s" "peak RSS MB"
printf '%-44s %8s %13s\n' "citadel run (profile: false, pii: allow)" "$c_wall" "$c_rss"
printf '%-44s %8s %13s\n' "pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)')" \
  "$p_wall" "$p_rss"
awk -v pw="$p_wall" -v cw="$c_wall" -v pr="$p_rss" -v cr="$c_rss" \
  'BEGIN {printf "ratio pandas / citadel: time %.2f, peak RSS %.2f\n", pw / cw, pr / cr}'

echo
measure 1 citadel_run "$WORK/defaults.yaml"
d_wall=$WALL d_rss=$RSS
printf 'citadel run with the defaults (profile: true, pii: warn), 1 run: %s s, %s MB' \
  "$d_wall" "$d_rss"
awk -v d="$d_wall" -v c="$c_wall" 'BEGIN {printf " (+%.2f s over profile: false, pii: allow)\n", d - c}'

echo
measure "$RUNS" citadel_run "$WORK/fast.yaml" 0
one_wall=$WALL one_rss=$RSS
measure "$RUNS" citadel_run "$WORK/fast.yaml" 0,1
two_wall=$WALL two_rss=$RSS
printf '%-44s %8s %13s\n' "citadel, taskset -c 0" "$one_wall" "$one_rss"
printf '%-44s %8s %13s\n' "citadel, taskset -c 0,1" "$two_wall" "$two_rss"
awk -v a="$one_wall" -v b="$two_wall" 'BEGIN {printf "speed-up 1 → 2 cores: %.2fx\n", a / b}'

if [[ ${STAGES:-0} == 1 ]]; then
  # Cumulative variants: each line adds one stage; the difference is its cost.
  echo
  echo "stages (cumulative spec variants, profile: false, pii: allow, medians):"
  NUMERIC_ONLY='{ op: drop, columns: [customer_id, signup_date, country, segment] }'
  spec s1 false allow "$NUMERIC_ONLY"
  spec s2 false allow "$NUMERIC_ONLY" "$IMPUTE_NUM"
  spec s3 false allow "$DROP" "$IMPUTE_NUM" "$IMPUTE_CAT" "$ONE_HOT"
  spec s4 false allow "$DROP" "$IMPUTE_NUM" "$IMPUTE_CAT" "$ONE_HOT" "$STANDARDIZE"
  labels=("read + split + write (numeric columns only)" "+ impute median" \
    "+ categorical columns, impute constant, one_hot" "+ standardize (= the full spec)")
  for i in 1 2 3 4; do
    measure "$RUNS" citadel_run "$WORK/s$i.yaml"
    printf '  %-52s %6s s %6s MB\n' "${labels[$((i - 1))]}" "$WALL" "$RSS"
  done
fi
