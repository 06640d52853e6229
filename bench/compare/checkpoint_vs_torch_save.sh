#!/usr/bin/env bash
# Checkpoint cost for a 200 MiB model: an MLP 64-7200-7200-10 (52.4 M float
# parameters) trained with plain SGD, so that the training state is the
# weights alone. Citadel: one epoch of digits (45 steps of batch 32, 2
# threads) with a checkpoint every 5 steps, against the same run without
# checkpoints; then a run interrupted with SIGTERM and resumed, for the
# restore speed. Python PyTorch (Debian's python3-torch, same libtorch): the
# same model and optimizer, torch.save / torch.load of their state dicts. In
# one script run; medians where there are several samples.
#
#   bench/compare/checkpoint_vs_torch_save.sh [CITADEL_BINARY]
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
PYTHON=/usr/bin/python3
REPO=$(cd "$(dirname "$0")/../.." && pwd)
"$PYTHON" -c 'import torch' 2>/dev/null || {
  echo "missing torch for $PYTHON: sudo apt-get install -y python3-torch" >&2
  exit 1
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_ckpt_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CITADEL_HOME="$WORK/home"
"$CITADEL" --quiet init >/dev/null
cp -r "$REPO/examples/digits" "$WORK/digits"
awk '/^  - name: train/ {exit} {print}' "$REPO/examples/digits/pipeline.yaml" >"$WORK/digits/big.yaml"
cat >>"$WORK/digits/big.yaml" <<'YAML'
  - name: train
    kind: train
    dataset: prepare.train
    model: { arch: mlp, hidden: [7200, 7200] }
    optimizer: { name: sgd, lr: 0.001 }
    epochs: 1
    batch_size: 32
    seed: 42
    resources: { threads: 2 }
    checkpoint: { every_steps: 5, keep: 2 }
YAML
sed -e 's/    checkpoint: .*//' "$WORK/digits/big.yaml" >"$WORK/digits/plain.yaml"
# Another seed: not cached by the runs above, so it trains (and resumes).
sed -e 's/    seed: 42/    seed: 43/' "$WORK/digits/big.yaml" >"$WORK/digits/resume.yaml"

step_seconds() { "$PYTHON" -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["steps"] if s["name"]=="train"][0]["seconds"])' "$1"; }
metric() { "$PYTHON" -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["steps"] if s["name"]=="train"][0]["metrics"].get(sys.argv[2], 0))' "$1" "$2"; }

"$CITADEL" --quiet run "$WORK/digits/plain.yaml" --json >"$WORK/plain.json"
"$CITADEL" --quiet run "$WORK/digits/big.yaml" --force --json >"$WORK/ckpt.json"
plain=$(step_seconds "$WORK/plain.json")
with=$(step_seconds "$WORK/ckpt.json")
blocked=$(metric "$WORK/ckpt.json" checkpoint_blocked_seconds)
count=$(metric "$WORK/ckpt.json" checkpoints)

# Interrupt after the second checkpoint, then resume: the log says how fast.
"$CITADEL" run "$WORK/digits/resume.yaml" 2>"$WORK/interrupted.log" >/dev/null &
pid=$!
until [[ $(grep -c 'checkpoint at step' "$WORK/interrupted.log" || true) -ge 2 ]]; do sleep 0.05; done
kill -TERM "$pid"
wait "$pid" || true
"$CITADEL" run "$WORK/digits/resume.yaml" 2>"$WORK/resumed.log" >/dev/null
restore=$(grep -oE 'restored [0-9.]+ MB: read and verified in [0-9.]+ s, loaded in [0-9.]+ s \([0-9.]+ GB/s' "$WORK/resumed.log")

cat >"$WORK/torch_save.py" <<'PY'
import io, os, statistics, sys, time
import torch
torch.set_num_threads(2)
torch.manual_seed(42)
net = torch.nn.Sequential(torch.nn.Linear(64, 7200), torch.nn.ReLU(),
                          torch.nn.Linear(7200, 7200), torch.nn.ReLU(), torch.nn.Linear(7200, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.001)
x, y = torch.randn(32, 64), torch.randint(0, 10, (32,))
opt.zero_grad(); torch.nn.functional.cross_entropy(net(x), y).backward(); opt.step()
path = os.path.join(sys.argv[1], "state.pt")
save, load, copy = [], [], []
for _ in range(5):
    t = time.perf_counter()
    snapshot = {k: v.clone() for k, v in net.state_dict().items()}
    copy.append(time.perf_counter() - t)
    t = time.perf_counter()
    torch.save({"model": net.state_dict(), "optimizer": opt.state_dict()}, path)
    os.sync()
    save.append(time.perf_counter() - t)
    size = os.path.getsize(path)
    t = time.perf_counter()
    torch.load(path)
    load.append(time.perf_counter() - t)
print(f"{size / 2**20:.0f} {statistics.median(copy) * 1e3:.1f} {statistics.median(save) * 1e3:.0f} "
      f"{size / statistics.median(load) / 1e9:.2f}")
PY
read -r mib pcopy psave pload < <("$PYTHON" "$WORK/torch_save.py" "$WORK")

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "MLP 64-7200-7200-10, SGD: ${mib} MiB of state; digits, 45 steps of batch 32, 2 threads"
awk -v b="$blocked" -v n="$count" -v w="$with" -v p="$plain" -v ps="$psave" -v pc="$pcopy" 'BEGIN {
  printf "citadel: %d checkpoints blocked training %.1f ms each (target <= 50)\n", n, 1e3 * b / n
  printf "         train step %.2f s with a checkpoint every 5 steps, %.2f s without: %+.1f%%\n", w, p, 100 * (w - p) / p
  printf "         i.e. %.2f s of training time per checkpoint (the background write competes for the cores);\n", (w - p) / n
  printf "         at one checkpoint per 30 s that is %.1f%% of training time (target <= 3%%)\n", 100 * ((w - p) / n) / 30
  printf "torch.save of the same state: %.0f ms, blocking (in-memory clone alone: %.1f ms)\n", ps, pc
  printf "ratio torch.save / citadel blocking: %.1fx\n", ps / (1e3 * b / n)
}'
echo "citadel resume: $restore)  (target >= 0.6 GB/s); torch.load: ${pload} GB/s"
