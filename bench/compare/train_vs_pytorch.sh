#!/usr/bin/env bash
# Training throughput: the digits MLP (64-128-64-10, ReLU, Adam lr 0.001,
# batch 64, cross-entropy, one intra-op thread) trained by `citadel run` and
# by the same loop in Python PyTorch (Debian's python3-torch, same libtorch
# version) on the same dataset artifact, in one script run. Both shuffle
# every epoch and take each batch with index_select; both report
# samples/s per epoch, and the table shows medians over the epochs.
#
#   bench/compare/train_vs_pytorch.sh [CITADEL_BINARY]
#   EPOCHS=10 bench/compare/train_vs_pytorch.sh build/apps/citadel/citadel
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
EPOCHS=${EPOCHS:-30}
PYTHON=/usr/bin/python3
REPO=$(cd "$(dirname "$0")/../.." && pwd)

if ! "$PYTHON" -c 'import torch, numpy' 2>/dev/null; then
  echo "missing torch/numpy for $PYTHON: install them with" \
    " sudo apt-get install -y python3-torch python3-numpy" >&2
  exit 1
fi
[[ -x "$CITADEL" ]] || { echo "no citadel binary at $CITADEL (build it: make build)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_train_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CITADEL_HOME="$WORK/home"
"$CITADEL" --quiet init >/dev/null
cp -r "$REPO/examples/digits" "$WORK/digits"
# Only prepare and train, with the epoch count of this run.
sed -e "s/^    epochs: .*/    epochs: $EPOCHS/" "$WORK/digits/pipeline.yaml" |
  awk '/^  - name: evaluate/ {exit} {print}' >"$WORK/digits/train.yaml"
"$CITADEL" --quiet run "$WORK/digits/train.yaml" --json >"$WORK/run.json"
train_run=$("$PYTHON" -c 'import json,sys; s={x["name"]: x for x in json.load(open(sys.argv[1]))["steps"]}; print(s["train"]["run_id"])' "$WORK/run.json")
dataset=$("$PYTHON" -c 'import json,sys; s={x["name"]: x for x in json.load(open(sys.argv[1]))["steps"]}; print(s["prepare"]["outputs"]["train"])' "$WORK/run.json")
"$CITADEL" --quiet artifacts export "$dataset" "$WORK/train_data" >/dev/null
"$CITADEL" --quiet runs logs "$train_run" | grep -oE '[0-9]+ samples/s' | cut -d' ' -f1 >"$WORK/citadel.txt"

cat >"$WORK/torch_loop.py" <<'EOF'
# The same loop in Python PyTorch, on the dataset artifact's data.safetensors
# (read by hand: a little-endian u64 header length, a JSON header, raw bytes).
import json, struct, sys, time
import numpy as np
import torch

path, epochs = sys.argv[1], int(sys.argv[2])
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
def tensor(name, dtype):
    begin, end = header[name]["data_offsets"]
    a = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=dtype)
    return torch.from_numpy(a.copy().reshape(header[name]["shape"]))
x, y = tensor("features", np.float32), tensor("labels", np.int64)
torch.set_num_threads(1)
torch.manual_seed(42)
classes = int(y.max()) + 1
net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 128), torch.nn.ReLU(),
                          torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, classes))
opt = torch.optim.Adam(net.parameters(), lr=0.001)
rows = x.shape[0]
for epoch in range(epochs):
    start = time.perf_counter()
    perm = torch.randperm(rows)
    for b in range(0, rows, 64):
        index = perm[b:b + 64]
        xb, yb = x.index_select(0, index), y.index_select(0, index)
        opt.zero_grad()
        logits = net(xb)
        loss = torch.nn.functional.cross_entropy(logits, yb)
        loss.item()
        loss.backward()
        opt.step()
        (logits.argmax(1) == yb).sum().item()
    print(rows / (time.perf_counter() - start))
EOF
"$PYTHON" "$WORK/torch_loop.py" "$WORK/train_data/data.safetensors" "$EPOCHS" >"$WORK/torch.txt"

median() { sort -n "$1" | awk '{v[NR] = $1} END {printf "%.0f", v[int((NR + 1) / 2)]}'; }
c=$(median "$WORK/citadel.txt")
p=$(median "$WORK/torch.txt")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "digits MLP 64-128-64-10, batch 64, Adam, 1 thread, $EPOCHS epochs on $(wc -l <"$WORK/citadel.txt") logged epochs; medians over epochs"
printf '%-40s %12s\n' "trainer" "samples/s"
printf '%-40s %12s\n' "citadel (libtorch, C++ loop)" "$c"
printf '%-40s %12s\n' "python3-torch $("$PYTHON" -c 'import torch; print(torch.__version__)') loop" "$p"
awk -v c="$c" -v p="$p" 'BEGIN {printf "ratio citadel / pytorch: %.2f (target >= 1.5)\n", c / p}'
