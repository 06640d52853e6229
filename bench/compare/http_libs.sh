#!/usr/bin/env bash
# The HTTP library choice behind src/http: the same trivial handler (POST
# /echo of a 300-byte JSON body, keep-alive) in cpp-httplib 0.11 and in
# Boost.Beast/Asio, both built -O2 (bench/compare/http_libs/), driven by
# citadel_loadgen (closed loop, one load thread) on loopback at 1, 8 and 64
# connections, in one script run. Every (connections, repetition) round runs
# the servers back to back, so drift in the machine's load hits them alike;
# the table shows medians over the repetitions; errors count failed requests
# of the warm-up too (timeouts of connections the pool never served). CPU
# us/req is the server's CPU time (user + system, all threads, from /proc)
# over the run divided by the requests answered: on a shared machine it moves
# much less with the other jobs than throughput does. RESULTS=FILE keeps the
# per-repetition numbers.
#
#   cpp-httplib, pool THREADS   the same thread count as Beast (nproc)
#   cpp-httplib, pool POOL      as src/http runs it (64): httplib serves one
#                               connection per pool thread, keep-alive included
#   beast, THREADS io_contexts  one io_context per thread, async sessions
#
# On a shared machine the other sessions' jobs take most of the CPU (each
# session is one scheduling group) and the rest favours the server with more
# runnable threads: NICE=-10 (root) runs the servers, the load generator and
# this session's group at that priority, both sides alike, so they get
# about the CPU a quiet machine would give them.
#
#   bench/compare/http_libs.sh [BUILD_DIR]
#   DURATION=5 WARMUP=1 REPS=3 CONNECTIONS="1 8 64" NICE=-10 bench/compare/http_libs.sh build
set -euo pipefail
BUILD=$(realpath "${1:-build}")
LOADGEN=${LOADGEN:-$BUILD/bench/loadgen/citadel_loadgen}
HTTPLIB=$BUILD/bench/compare/http_libs/httplib_echo_server
BEAST=$BUILD/bench/compare/http_libs/beast_echo_server
PYTHON=/usr/bin/python3
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
REPS=${REPS:-3}
CONNECTIONS=${CONNECTIONS:-1 8 64}
THREADS=${THREADS:-$(nproc)}
POOL=${POOL:-64}
# A request a starved connection cannot get answered in this time counts as
# failed (and its connection is reopened).
TIMEOUT=${TIMEOUT:-2}
NICE=${NICE:-0}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench/compare/lib/servers.sh
source "$REPO/bench/compare/lib/servers.sh"

for binary in "$LOADGEN" "$HTTPLIB" "$BEAST"; do
  if [[ ! -x "$binary" ]]; then
    echo "missing $binary: build it with" \
      "ninja -C $BUILD citadel_loadgen httplib_echo_server beast_echo_server" >&2
    exit 1
  fi
done

servers_begin http_libs

# start NAME BINARY ARGS...: runs a server on a free port; sets PORT_<NAME>
# and PID_<NAME>.
start() {
  local name=$1
  shift
  : >"$WORK/$name.out"  # before the server's shell opens it, for the reads below
  nice -n "$NICE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  local port=""
  for _ in $(seq 100); do
    port=$(awk '/^port / {print $2}' "$WORK/$name.out")
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  if [[ -z "$port" ]] || ! "$LOADGEN" --url "http://127.0.0.1:$port/health" --duration 0.1 \
    --timeout 1 >/dev/null 2>&1; then
    echo "server $name ($*) did not come up:" >&2
    cat "$WORK/$name.err" >&2
    exit 1
  fi
  printf -v "PORT_$name" '%s' "$port"
}

# A 300-byte OIP-like JSON body.
"$PYTHON" - "$WORK/body.json" <<'PY'
import json, sys
body = {"id": "", "inputs": [{"name": "features", "shape": [1, 16], "datatype": "FP32",
                              "data": [round(0.0625 * i, 4) for i in range(16)]}]}
text = json.dumps(body, separators=(",", ":"))
body["id"] = "x" * (300 - len(text))
text = json.dumps(body, separators=(",", ":"))
assert len(text) == 300, len(text)
open(sys.argv[1], "w").write(text)
PY

start httplib_same "$HTTPLIB" "$THREADS"
start httplib_pool "$HTTPLIB" "$POOL"
start beast "$BEAST" "$THREADS"
VARIANTS=(httplib_same httplib_pool beast)

machine_line
echo "closed loop, 1 load thread, ${DURATION} s after ${WARMUP} s warm-up, medians of $REPS," \
  "request timeout ${TIMEOUT} s; cpp-httplib $(pkg-config --modversion cpp-httplib)," \
  "Boost $(awk '/define BOOST_LIB_VERSION/ {gsub(/"/, "", $3); print $3}' /usr/include/boost/version.hpp)"
: >"$WORK/results.tsv"
for c in $CONNECTIONS; do
  for rep in $(seq "$REPS"); do
    for v in "${VARIANTS[@]}"; do
      port_var="PORT_$v"
      pid_var="PID_$v"
      before=$(cpu_ticks "${!pid_var}")
      # Exit status 1 (errors, or no 2xx) is a result here, not a failure.
      nice -n "$NICE" "$LOADGEN" --url "http://127.0.0.1:${!port_var}/echo" \
        --body-file "$WORK/body.json" --connections "$c" --duration "$DURATION" \
        --warmup "$WARMUP" --timeout "$TIMEOUT" --json >"$WORK/run.json" 2>/dev/null || true
      after=$(cpu_ticks "${!pid_var}")
      "$PYTHON" -c '
import json, os, sys
r = json.load(open(sys.argv[1]))
ticks = (int(sys.argv[6]) - int(sys.argv[5])) / os.sysconf("SC_CLK_TCK")
requests = r["requests"] + r["warmup"]["requests"]
print(sys.argv[2], sys.argv[3], sys.argv[4], r["throughput_rps"], r["latency_ms"]["p50"],
      r["latency_ms"]["p99"], r["errors_including_warmup"],
      ticks * 1e6 / requests if requests else 0, sep="\t")' \
        "$WORK/run.json" "$v" "$c" "$rep" "$before" "$after" >>"$WORK/results.tsv"
    done
  done
done
cp "$WORK/results.tsv" "${RESULTS:-/dev/null}"

"$PYTHON" - "$WORK/results.tsv" "$THREADS" "$POOL" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
threads, pool = sys.argv[2], sys.argv[3]
labels = {"httplib_same": f"cpp-httplib, pool {threads}", "httplib_pool": f"cpp-httplib, pool {pool}",
          "beast": f"beast, {threads} io_contexts"}
results = {}
for v, c, rep, *values in rows:
    results.setdefault((int(c), v), []).append([float(x) for x in values])
print(f"{'connections':>11}  {'server':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
      f"{'CPU us/req':>12}")
for c in sorted({c for c, _ in results}):
    med = {}
    for v in labels:
        runs = results.get((c, v), [])
        if not runs:
            continue
        med[v] = [statistics.median(x) for x in zip(*runs)]
        rps, p50, p99, errors, cpu = med[v]
        print(f"{c:>11}  {labels[v]:<26}{rps:>9.0f}{p50:>9.3f}{p99:>9.3f}{errors:>8.0f}{cpu:>12.1f}")
    if "beast" in med and "httplib_pool" in med and med["httplib_pool"][0] > 0:
        print(f"{'':>11}  beast / httplib (pool {pool}): req/s {med['beast'][0] / med['httplib_pool'][0]:.2f},"
              f" CPU per request {med['beast'][4] / med['httplib_pool'][4]:.2f}")
PY
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after"
