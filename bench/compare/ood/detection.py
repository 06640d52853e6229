#!/usr/bin/python3
"""How often each out-of-distribution detector of the same Fashion-MNIST CNN
flags changed test images (bench/compare/ood_space_detection.sh runs it).

  detection.py MODEL_DIR TEST_DATASET_DIR INPUT_SPACE_MODEL_DIR PENULTIMATE_MODEL_DIR DIGITS_CSV_GZ

The network is rebuilt with torch.nn from the exported files (the CNN peer
test's builder); each detector's score is recomputed from ood.safetensors
(the smallest squared Mahalanobis distance to a class mean, in float64) on
the images themselves or on the network's penultimate activations. Seeded:
the same models give the same table.
"""
import sys, json, gzip, csv, struct
import numpy as np, torch
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tests/fixtures/cnn"))
from pytorch_cnn_forward import read_safetensors, build  # noqa: E402

def read_ood(path):
    with open(path, "rb") as f: raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8]); header = json.loads(raw[8:8+n]); data = raw[8+n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__": out[name] = info; continue
        b, e = info["data_offsets"]
        dt = np.float64 if info["dtype"] == "F64" else np.int64
        out[name] = np.frombuffer(data[b:e], dtype=dt).reshape(info["shape"])
    return out

def scores(det, x):
    L = torch.tensor(det["cholesky"]); mus = torch.tensor(det["means"]); counts = det["counts"]
    x = torch.tensor(x, dtype=torch.float64)
    best = torch.full((x.shape[0],), float("inf"), dtype=torch.float64)
    for c in range(mus.shape[0]):
        if counts[c] == 0: continue
        z = torch.linalg.solve_triangular(L, (x - mus[c]).T, upper=False)
        best = torch.minimum(best, (z * z).sum(0))
    return best.numpy()

model_dir, test_ds = sys.argv[1], sys.argv[2]
dets = {name: read_ood(f"{d}/ood.safetensors") for name, d in (("input", sys.argv[3]), ("penultimate", sys.argv[4]))}
mj = json.load(open(f"{model_dir}/model.json"))
x = read_safetensors(f"{test_ds}/data.safetensors")["features"].float()
net = build(mj["architecture"], x.shape[1], len(mj["output"]["classes"]))
net.load_state_dict(read_safetensors(f"{model_dir}/model.safetensors"), strict=True); net.eval()
g = torch.Generator().manual_seed(1)
sets = {"test (false positives)": x[:2000],
        "gaussian noise 0.1": (x[:2000] + 0.1 * torch.randn(x[:2000].shape, generator=g)).clamp(0, 1),
        "gaussian noise 0.3": (x[:2000] + 0.3 * torch.randn(x[:2000].shape, generator=g)).clamp(0, 1),
        "inverted 1-x": 1 - x[:2000],
        "uniform noise": torch.rand(x[:2000].shape, generator=g)}
labels = read_safetensors(f"{test_ds}/data.safetensors")["labels"]
xa = x[:2000].clone().requires_grad_(True)
loss = torch.nn.functional.cross_entropy(net(xa), labels[:2000])
loss.backward()
for eps in (0.03, 0.1):
    adv = (x[:2000] + eps * xa.grad.sign()).clamp(0, 1).detach()
    with torch.no_grad():
        fooled = (net(adv).argmax(1) != labels[:2000])
    sets[f"FGSM eps {eps} (fooled {100*fooled.float().mean():.0f}%)"] = adv
    sets[f"FGSM eps {eps}, fooled rows only"] = adv[fooled]
rows = []
with gzip.open(sys.argv[5], "rt") as f:
    r = csv.reader(f)  # no header row
    for line in r: rows.append([float(v) for v in line[:64]])
d = torch.tensor(rows).reshape(-1, 1, 8, 8) / 16.0
d = torch.nn.functional.interpolate(d, size=(20, 20), mode="bilinear", align_corners=False)
d = torch.nn.functional.pad(d, (4, 4, 4, 4)).reshape(-1, 784)
sets["UCI digits, 20x20 in 28x28 (MNIST-like)"] = d
with torch.no_grad():
    for name, xs in sets.items():
        h = net[:-1](xs).numpy()
        pi = (scores(dets["input"], xs.numpy()) > dets["input"]["threshold"]).mean()
        pp = (scores(dets["penultimate"], h) > dets["penultimate"]["threshold"]).mean()
        print(f"{name:42s} flagged: input {100*pi:6.2f}%   penultimate {100*pp:6.2f}%")
