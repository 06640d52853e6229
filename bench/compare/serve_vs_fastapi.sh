#!/usr/bin/env bash
# Online inference, side by side: `citadel serve` against FastAPI + uvicorn +
# PyTorch (bench/compare/fastapi_mlp_server.py, Debian's python3 packages)
# serving the same model artifact over the same Open Inference Protocol v2
# REST call, driven by citadel_loadgen in one script run.
#
# The model: the digits example pipeline (MLP 64-128-64-10, 30 epochs) run in
# a fresh workspace, registered as digits:1, exported for FastAPI and
# deployed as endpoint "mlp" for citadel. Requests: POST
# /v2/models/mlp/infer, one 1×64 FP32 row each, 64 digits rows used
# round-robin, already standardized (neither server preprocesses).
# Closed loop at 1, 4, 16 and 64 keep-alive connections, one load thread;
# each round runs the servers back to back, medians over REPS rounds.
# Citadel runs with --no-auth (the FastAPI server has no auth); AUTH=1 sends
# a bearer token from `citadel tokens create` instead.
#
# CPU us/req is each server's CPU time (user + system, all its threads and
# processes, from /proc) per request: steadier than throughput on a shared
# machine. RESULTS=FILE keeps the per-repetition numbers.
#
# Also printed: the model compute alone on the FastAPI side (forward pass of
# one row in torch, and with the list↔tensor conversions), so that "server
# overhead ≈ end-to-end p50 at 1 connection − compute" can be read off.
#
# The citadel half is skipped, saying so, while `citadel serve` does not exist.
#
# The floor: bench/compare/http_libs' Boost.Beast echo server (one
# io_context per core, as citadel serve runs) answers the same request
# bodies on POST /echo with no work at all. Its ratio to FastAPI is the
# most any HTTP server could show on this machine with this load generator;
# at one connection, a closed loop of one request at a time, it is bound
# by the loopback round trip of two processes, not by the server. Skipped
# when that binary was not built.
#
# NICE=-10 (root) runs both servers, the load generator and this session's
# scheduling group at that priority on a shared machine (see http_libs.sh).
#
#   bench/compare/serve_vs_fastapi.sh [BUILD_DIR]
#   NICE=-10 DURATION=5 WARMUP=2 REPS=3 CONNECTIONS="1 4 16 64" FASTAPI_WORKERS=1 \
#     bench/compare/serve_vs_fastapi.sh build
#   CITADEL=… LOADGEN=… override the binaries found in BUILD_DIR.
#   BASELINE=/path/to/an/older/citadel adds it as a third side ("baseline",
#   same workspace and deployment, its own port): an A/B of two builds in
#   one run, printed as citadel / baseline ratios.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:-build}")
CITADEL=${CITADEL:-$BUILD/apps/citadel/citadel}
LOADGEN=${LOADGEN:-$BUILD/bench/loadgen/citadel_loadgen}
ECHO_SERVER=${ECHO_SERVER:-$BUILD/bench/compare/http_libs/beast_echo_server}
PYTHON=/usr/bin/python3
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
REPS=${REPS:-3}
CONNECTIONS=${CONNECTIONS:-1 4 16 64}
FASTAPI_WORKERS=${FASTAPI_WORKERS:-1}
AUTH=${AUTH:-0}
NICE=${NICE:-0}
# shellcheck source=bench/compare/lib/servers.sh
source "$REPO/bench/compare/lib/servers.sh"

[[ -x "$CITADEL" ]] || { echo "no citadel binary at $CITADEL (build it: make build)" >&2; exit 1; }
[[ -x "$LOADGEN" ]] || {
  echo "no citadel_loadgen at $LOADGEN (build it: ninja -C $BUILD citadel_loadgen)" >&2
  exit 1
}
if ! "$PYTHON" -c 'import torch, numpy, fastapi, uvicorn' 2>/dev/null; then
  echo "missing torch/numpy/fastapi/uvicorn for $PYTHON: install them with" \
    "sudo apt-get install -y python3-torch python3-numpy python3-fastapi python3-uvicorn" \
    "(and python3-uvloop python3-httptools, what uvicorn[standard] uses)" >&2
  exit 1
fi

servers_begin serve_bench

# The model: the digits example, trained and registered (digits:1) in a
# fresh workspace.
export CITADEL_HOME="$WORK/home"
"$CITADEL" --quiet init >/dev/null
cp -r "$REPO/examples/digits" "$WORK/digits"
"$CITADEL" --quiet run "$WORK/digits/pipeline.yaml" >/dev/null
"$CITADEL" --quiet artifacts export digits:1 "$WORK/model" >/dev/null

# 64 rows of the dataset, prepared the way the model was trained (its
# fitted standardization, in float32) — one OIP request per line. Both
# servers take them as model features: citadel's "features" input is the
# prepared form, and FastAPI runs --no-preprocessing, so neither side does
# work the other skips.
"$PYTHON" - "$REPO/examples/digits/data/digits.csv.gz" "$WORK/model/model.json" \
  >"$WORK/requests.jsonl" <<'PY'
import gzip, json, sys
import numpy as np
meta = json.load(open(sys.argv[2]))
names = {n: i for i, n in enumerate(meta["input"]["features"])}
center = np.zeros(len(names), dtype=np.float64)
scale = np.ones(len(names), dtype=np.float64)
for step in meta.get("preprocessing", []):
    if step.get("op") not in ("standardize", "robust"):
        sys.exit(f"preprocessing op {step.get('op')!r} is not supported by this benchmark")
    fitted = step["fitted"]
    for col, c, s in zip(fitted["columns"], fitted["center"], fitted["scale"]):
        center[names[col]], scale[names[col]] = c, (s if s != 0 else 1.0)
with gzip.open(sys.argv[1], "rt") as f:
    for _, line in zip(range(64), f):
        raw = np.array([float(v) for v in line.strip().split(",")[:64]])
        row = ((raw - center) / scale).astype(np.float32)
        print(json.dumps({"inputs": [{"name": "features", "shape": [1, 64], "datatype": "FP32",
                                      "data": [float(v) for v in row]}]}, separators=(",", ":")))
PY
head -1 "$WORK/requests.jsonl" >"$WORK/request.json"

SIDES=()
HEADERS_citadel=()
# start_citadel SIDE BINARY: `BINARY serve` on a free port; sets SIDE_PORT,
# PID_SIDE, HEADERS_SIDE.
start_citadel() {
  local side=$1 binary=$2 port
  port=$(free_port)
  printf -v "${side^^}_PORT" '%s' "$port"
  local serve_flags=(--no-auth)
  eval "HEADERS_$side=()"
  if [[ "$AUTH" == 1 ]]; then
    eval "HEADERS_$side=(--header \"Authorization: Bearer \$TOKEN\")"
    serve_flags=()
  fi
  nice -n "$NICE" "$binary" serve --port "$port" --access-log "$WORK/$side.access.log" \
    "${serve_flags[@]}" >"$WORK/$side.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$side" '%s' "$!"
  wait_ready "$side ($binary serve)" "http://127.0.0.1:$port/v2/health/ready" "$WORK/$side.log"
  SIDES+=("$side")
}
if "$CITADEL" serve --help 2>&1 | grep -q -- '--port'; then
  # Deployed by the older build when there is one: a newer spec may carry
  # settings an older server does not know (and refuses), not the reverse.
  "${BASELINE:-$CITADEL}" --quiet deploy mlp --model digits:1 >/dev/null
  if [[ "$AUTH" == 1 ]]; then
    TOKEN=$("$CITADEL" --quiet tokens create bench | tail -n1 | awk '{print $NF}')
  fi
  start_citadel citadel "$CITADEL"
  if [[ -n "${BASELINE:-}" ]]; then start_citadel baseline "$BASELINE"; fi
else
  echo "citadel serve is not available in $CITADEL ('citadel serve --help' shows no --port):" \
    "skipping the citadel half"
fi

FASTAPI_PORT=$(free_port)
nice -n "$NICE" "$PYTHON" "$REPO/bench/compare/fastapi_mlp_server.py" "$WORK/model" \
  --port "$FASTAPI_PORT" --name mlp --workers "$FASTAPI_WORKERS" --no-preprocessing \
  >"$WORK/fastapi.log" 2>&1 &
PIDS+=($!)
# shellcheck disable=SC2034
PID_fastapi=$!
wait_ready "fastapi_mlp_server" "http://127.0.0.1:$FASTAPI_PORT/v2/health/ready" "$WORK/fastapi.log"
SIDES+=(fastapi)
# shellcheck disable=SC2034
HEADERS_fastapi=()

# shellcheck disable=SC2034 # read through ${!port_var} and friends below
PATH_citadel=/v2/models/mlp/infer PATH_baseline=/v2/models/mlp/infer \
  PATH_fastapi=/v2/models/mlp/infer PATH_echo=/echo
if [[ -x "$ECHO_SERVER" ]]; then
  ECHO_PORT=$(free_port)
  nice -n "$NICE" "$ECHO_SERVER" "$(nproc)" "$ECHO_PORT" >"$WORK/echo.log" 2>&1 &
  PIDS+=($!)
  # shellcheck disable=SC2034
  PID_echo=$!
  wait_ready "beast_echo_server" "http://127.0.0.1:$ECHO_PORT/health" "$WORK/echo.log"
  SIDES+=(echo)
  # shellcheck disable=SC2034
  HEADERS_echo=()
else
  echo "no echo server at $ECHO_SERVER (ninja -C $BUILD beast_echo_server): no floor side"
fi

# Both answer the same request with the same probabilities.
"$PYTHON" - "$WORK/request.json" "${SIDES[@]}" <<PY
import json, sys, urllib.request
body = open(sys.argv[1], "rb").read()
ports = {"citadel": "${CITADEL_PORT:-}", "baseline": "${BASELINE_PORT:-}", "fastapi": "$FASTAPI_PORT"}
headers = {"Content-Type": "application/json"}
token = """${HEADERS_citadel[1]:-}""".partition(": ")[2]
answers = {}
for side in sys.argv[2:]:
    if side == "echo":
        continue
    h = dict(headers, **({"Authorization": token} if side != "fastapi" and token else {}))
    req = urllib.request.Request(f"http://127.0.0.1:{ports[side]}/v2/models/mlp/infer", body, h)
    out = json.load(urllib.request.urlopen(req, timeout=10))["outputs"][0]
    answers[side] = out["data"]
    print(f"{side}: {out['name']} {out['shape']}, argmax {max(range(len(out['data'])), key=out['data'].__getitem__)}")
if "citadel" in answers and "fastapi" in answers:
    diff = max(abs(a - b) for a, b in zip(answers["citadel"], answers["fastapi"]))
    print(f"max |p_citadel - p_fastapi| = {diff:.2e}")
    if diff > 1e-4:
        sys.exit("the two servers disagree: not the same model or preprocessing")
PY

machine_line
echo "fastapi: $(grep -m1 '^fastapi_mlp_server:' "$WORK/fastapi.log" | cut -d: -f2- | xargs)," \
  "fastapi $("$PYTHON" -c 'import fastapi; print(fastapi.__version__)')," \
  "uvicorn $("$PYTHON" -c 'import uvicorn; print(uvicorn.__version__)')"
echo "closed loop, 1 load thread, ${DURATION} s after ${WARMUP} s warm-up, medians of $REPS"
: >"$WORK/results.tsv"
for c in $CONNECTIONS; do
  for _ in $(seq "$REPS"); do
    for side in "${SIDES[@]}"; do
      port_var=${side^^}_PORT
      headers_var="HEADERS_${side}[@]"
      pid_var="PID_${side}"
      path_var="PATH_${side}"
      before=$(cpu_ticks "${!pid_var}")
      nice -n "$NICE" "$LOADGEN" --url "http://127.0.0.1:${!port_var}${!path_var}" \
        --body-lines "$WORK/requests.jsonl" "${!headers_var}" --connections "$c" \
        --duration "$DURATION" --warmup "$WARMUP" --timeout 10 --json >"$WORK/run.json" \
        2>/dev/null || true
      after=$(cpu_ticks "${!pid_var}")
      "$PYTHON" -c '
import json, os, sys
r = json.load(open(sys.argv[1]))
ticks = (int(sys.argv[5]) - int(sys.argv[4])) / os.sysconf("SC_CLK_TCK")
requests = r["requests"] + r["warmup"]["requests"]
print(sys.argv[2], sys.argv[3], r["throughput_rps"], r["latency_ms"]["p50"], r["latency_ms"]["p99"],
      r["errors_including_warmup"], ticks * 1e6 / requests if requests else 0, sep="\t")' \
        "$WORK/run.json" "$side" "$c" "$before" "$after" >>"$WORK/results.tsv"
    done
  done
done
cp "$WORK/results.tsv" "${RESULTS:-/dev/null}"

nice -n "$NICE" "$PYTHON" "$REPO/bench/compare/fastapi_mlp_server.py" "$WORK/model" \
  --time-compute 20000 --no-preprocessing \
  >"$WORK/compute.txt"

"$PYTHON" - "$WORK/results.tsv" "$WORK/compute.txt" <<'PY'
import statistics, sys
results = {}
for line in open(sys.argv[1]).read().splitlines():
    side, c, *values = line.split("\t")
    results.setdefault((int(c), side), []).append([float(x) for x in values])
sides = [s for s in ("citadel", "baseline", "fastapi", "echo") if any(k[1] == s for k in results)]
med = {k: [statistics.median(x) for x in zip(*v)] for k, v in results.items()}
head = f"{'conns':>5}"
for s in sides:
    head += f" | {s + ' req/s':>14} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} {'CPU us/req':>10}"
pairs = [(a, "fastapi") for a in ("citadel", "baseline", "echo") if a in sides and "fastapi" in sides]
if "citadel" in sides and "baseline" in sides:
    pairs.append(("citadel", "baseline"))
if "citadel" in sides and "echo" in sides:
    pairs.append(("citadel", "echo"))
for a, b in pairs:
    head += f" | {a[:3]}/{b[:4]} req/s  p50  CPU"
print(head)
for c in sorted({k[0] for k in med}):
    line = f"{c:>5}"
    for s in sides:
        rps, p50, p99, errors, cpu = med[(c, s)]
        line += f" | {rps:>14.0f} {p50:>7.3f} {p99:>7.3f} {errors:>4.0f} {cpu:>10.0f}"
    ratio = lambda a, b: a / b if b else float("nan")
    for a, b in pairs:
        (ar, ap, _, _, ac), (br, bp, _, _, bc) = med[(c, a)], med[(c, b)]
        line += f" | {ratio(ar, br):>14.2f} {ratio(bp, ap):>4.2f} {ratio(bc, ac):>4.2f}"
    print(line)
if pairs:
    print("ratios A/B: req/s = A / B; p50 and CPU = B / A (higher: A faster or cheaper)")
print("CPU us/req: the server's CPU time (all threads and processes) per request answered")
compute = {}
for line in open(sys.argv[2]):
    name, value, _ = line.rsplit(" ", 2)
    compute[name] = float(value)
forward = compute["forward+softmax"] / 1000
print(f"fastapi model compute alone (torch, 1 row): forward+softmax {forward:.3f} ms, "
      f"with list<->tensor {compute['list->tensor->forward+softmax->list'] / 1000:.3f} ms")
c1 = min(c for c, _ in med)
p50 = med[(c1, "fastapi")][1]
print(f"fastapi server overhead at {c1} connection: p50 {p50:.3f} ms - compute {forward:.3f} ms"
      f" = {p50 - forward:.3f} ms")
PY
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after"
