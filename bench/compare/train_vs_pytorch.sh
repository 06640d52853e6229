#!/usr/bin/env bash
# Training throughput: `citadel run` against the same loop in Python PyTorch
# (Debian's python3-torch, the same libtorch version) on the same dataset
# artifact, the same model, optimizer, batch size and thread count, in one
# script run. Both shuffle every epoch, take each batch with index_select and
# report samples/s per epoch; the table shows medians over the epochs.
#
#   digits:  MLP 64-128-64-10, Adam lr 0.001, batch 64, 1 thread, 30 epochs
#   fashion: the examples/fashion CNN (conv 16 + BN + pool, conv 32 + BN +
#            pool, 128 hidden, dropout 0.25), Adam lr 0.002, batch 128,
#            2 threads, 2 epochs of the 60 000 training images
#
#   bench/compare/train_vs_pytorch.sh [CITADEL_BINARY] [digits|fashion]
#   EPOCHS=10 bench/compare/train_vs_pytorch.sh build/apps/citadel/citadel digits
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
CASE=${2:-digits}
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
case "$CASE" in
  digits) EPOCHS=${EPOCHS:-30} PREPARE=prepare ROLE=train TARGET=1.5 ;;
  fashion) EPOCHS=${EPOCHS:-2} PREPARE=prepare_train ROLE=data TARGET=1.2 ;;
  *) echo "unknown case '$CASE' (digits | fashion)" >&2; exit 2 ;;
esac
cp -r "$REPO/examples/$CASE" "$WORK/$CASE"
# Only the process steps and train, with the epoch count of this run.
sed -e "s/^    epochs: .*/    epochs: $EPOCHS/" -e '/^    checkpoint: /d' \
  "$WORK/$CASE/pipeline.yaml" | awk '/^  - name: evaluate/ {exit} {print}' >"$WORK/$CASE/train.yaml"
"$CITADEL" --quiet run "$WORK/$CASE/train.yaml" --json >"$WORK/run.json"
step() { "$PYTHON" -c 'import json,sys; s={x["name"]: x for x in json.load(open(sys.argv[1]))["steps"]}; print(eval(sys.argv[2]))' "$WORK/run.json" "$1"; }
train_run=$(step 's["train"]["run_id"]')
dataset=$(step "s[\"$PREPARE\"][\"outputs\"][\"$ROLE\"]")
"$CITADEL" --quiet artifacts export "$dataset" "$WORK/train_data" >/dev/null
"$CITADEL" --quiet runs logs "$train_run" | grep -E ' epoch [0-9]+/' | grep -oE '[0-9]+ samples/s' |
  cut -d' ' -f1 >"$WORK/citadel.txt"

cat >"$WORK/torch_loop.py" <<'PY'
# The same loop in Python PyTorch, on the dataset artifact's data.safetensors
# (read by hand: a little-endian u64 header length, a JSON header, raw bytes).
import json, struct, sys, time
import numpy as np
import torch

path, epochs, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
def tensor(name, dtype):
    begin, end = header[name]["data_offsets"]
    a = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=dtype)
    return torch.from_numpy(a.copy().reshape(header[name]["shape"]))
x, y = tensor("features", np.float32), tensor("labels", np.int64)
torch.manual_seed(42)
classes = int(y.max()) + 1
nn = torch.nn
if case == "digits":
    torch.set_num_threads(1)
    batch = 64
    net = nn.Sequential(nn.Linear(x.shape[1], 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                        nn.Linear(64, classes))
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
else:
    torch.set_num_threads(2)
    batch = 128
    net = nn.Sequential(nn.Unflatten(1, (1, 28, 28)),
                        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
                        nn.Linear(128, classes))
    opt = torch.optim.Adam(net.parameters(), lr=0.002)
net.train()
rows = x.shape[0]
for epoch in range(epochs):
    start = time.perf_counter()
    perm = torch.randperm(rows)
    for b in range(0, rows, batch):
        index = perm[b:b + batch]
        xb, yb = x.index_select(0, index), y.index_select(0, index)
        opt.zero_grad()
        logits = net(xb)
        loss = torch.nn.functional.cross_entropy(logits, yb)
        loss.item()
        loss.backward()
        opt.step()
        (logits.argmax(1) == yb).sum().item()
    print(rows / (time.perf_counter() - start))
PY
"$PYTHON" "$WORK/torch_loop.py" "$WORK/train_data/data.safetensors" "$EPOCHS" "$CASE" >"$WORK/torch.txt"
# PyTorch's set_num_threads does not reach OpenBLAS's own pool (citadel sets
# both): the Python loop again with the BLAS pool limited by hand, its best.
threads=$([[ $CASE == digits ]] && echo 1 || echo 2)
OPENBLAS_NUM_THREADS=$threads "$PYTHON" "$WORK/torch_loop.py" "$WORK/train_data/data.safetensors" \
  "$EPOCHS" "$CASE" >"$WORK/torch_blas.txt"
# And with the heap settings citadel applies once libtorch is loaded
# (base/memory/heap_reuse.h), through glibc's environment variables: freed
# workspaces are reused instead of faulted in afresh each step.
OPENBLAS_NUM_THREADS=$threads MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=536870912 \
  "$PYTHON" "$WORK/torch_loop.py" "$WORK/train_data/data.safetensors" "$EPOCHS" "$CASE" \
  >"$WORK/torch_heap.txt"

median() { sort -n "$1" | awk '{v[NR] = $1} END {printf "%.0f", v[int((NR + 1) / 2)]}'; }
c=$(median "$WORK/citadel.txt")
p_default=$(median "$WORK/torch.txt")
p_blas=$(median "$WORK/torch_blas.txt")
p_heap=$(median "$WORK/torch_heap.txt")
p=$(printf '%s\n' "$p_default" "$p_blas" "$p_heap" | sort -n | tail -1)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$CASE, $EPOCHS epochs ($(wc -l <"$WORK/citadel.txt") logged); medians over epochs"
printf '%-40s %12s\n' "trainer" "samples/s"
printf '%-40s %12s\n' "citadel (libtorch, C++ loop)" "$c"
version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
printf '%-40s %12s\n' "python3-torch $version loop" "$p_default"
printf '%-40s %12s\n' "  same, OPENBLAS_NUM_THREADS=$threads" "$p_blas"
printf '%-40s %12s\n' "  same, and citadel's heap settings" "$p_heap"
awk -v c="$c" -v p="$p" -v t="$TARGET" 'BEGIN {printf "ratio citadel / best pytorch: %.2f (target >= %s)\n", c / p, t}'
