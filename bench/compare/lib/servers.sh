# Shared by the benchmarks that run servers side by side (http_libs.sh,
# serve_vs_fastapi.sh, serve_batching.sh); sourced, never run. Expects
# LOADGEN (citadel_loadgen) and NICE set by the caller.
#
#   servers_begin NAME      a scratch directory in $WORK, an EXIT trap that
#                           kills every pid in PIDS and removes it, and the
#                           session's scheduling group at NICE for the run
#   cpu_ticks PID           user + system CPU of a process and its
#                           descendants, in clock ticks
#   free_port               a free loopback TCP port
#   wait_ready NAME URL LOG until URL answers 2xx (60 s at most; else the
#                           log's tail and exit 1)
#   machine_line            "machine: …, load average … before, nice …"

PIDS=()
WORK=""
AUTOGROUP_NICE=""

servers_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "$WORK" ]] && rm -rf "$WORK"
  if [[ -n "$AUTOGROUP_NICE" ]]; then echo "$AUTOGROUP_NICE" >"/proc/$$/autogroup"; fi
}

servers_begin() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_$1.XXXXXX")
  trap servers_cleanup EXIT
  # With autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled) CPU
  # time is first shared between sessions, so a process's nice value alone
  # does not beat another session's build: the session's group gets NICE
  # too, for the length of the run.
  if [[ "${NICE:-0}" != 0 && -w /proc/$$/autogroup ]]; then
    AUTOGROUP_NICE=$(awk '{print $NF}' /proc/$$/autogroup)
    echo "$NICE" >"/proc/$$/autogroup"
  fi
}

cpu_ticks() {
  local total=0 child
  [[ -r /proc/$1/stat ]] && total=$(sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}')
  for child in $(pgrep -P "$1" || true); do total=$((total + $(cpu_ticks "$child"))); done
  echo "$total"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() {
  for _ in $(seq 300); do
    if "$LOADGEN" --url "$2" --duration 0.05 --timeout 1 >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${PIDS[-1]}" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "$1 did not become ready at $2:" >&2
  tail -20 "$3" >&2
  exit 1
}

machine_line() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) before, nice ${NICE:-0}"
}
