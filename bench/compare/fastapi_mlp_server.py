#!/usr/bin/python3
"""The peer of `citadel serve` in bench/compare/serve_vs_fastapi.sh.

A FastAPI + uvicorn + PyTorch server for a Citadel MLP model artifact
(`citadel artifacts export REF DIR`: model.safetensors + model.json, see
docs/formats/model.md), speaking the same Open Inference Protocol v2 REST
shape:

  GET  /v2/health/live, /v2/health/ready             -> 200
  GET  /v2/models/{name}                              -> model metadata
  POST /v2/models/{name}/infer
       {"inputs": [{"name": "features", "shape": [N, F], "datatype": "FP32",
                    "data": [... N*F numbers ...]}]}
    -> {"model_name": name, "model_version": "1", "outputs": [{"name":
        "probabilities", "shape": [N, C], "datatype": "FP32", "data": [...]}]}
  errors: {"error": "..."} with 400 (bad request) or 404 (unknown model).

Deployed the way a careful team would deploy it, not as a strawman:
uvicorn with uvloop and httptools when installed (uvicorn[standard];
Debian: python3-uvloop, python3-httptools), no access log, one worker
process by default (--workers 2 for one per core); pydantic validates the
request as FastAPI does; the answer is serialised once with json.dumps into
a plain Response (FastAPI's jsonable_encoder pass over a list of floats
costs more than the model). The handler is `async def`: the forward pass of
a small MLP takes tens of microseconds, less than a hop to the thread pool.
Torch runs one intra-op thread (torch.set_num_threads(1), and OpenBLAS's
own pool limited to 1 before torch loads) under torch.inference_mode().
The model.json preprocessing (standardize/robust: (x - center) / scale) is
applied to raw features, as Citadel's serving does; --no-preprocessing
turns it off.

The weights are read from model.safetensors by hand (8-byte little-endian
header length, JSON header, raw little-endian data): Debian has no
python3-safetensors.

  /usr/bin/python3 fastapi_mlp_server.py MODEL_DIR --port 8000 [--name mlp] [--workers 1]
  /usr/bin/python3 fastapi_mlp_server.py MODEL_DIR --time-compute 20000
      # prints the model compute alone, medians in microseconds, and exits
"""
import argparse
import json
import os
import re
import struct
import sys
import time

# Before torch (and its OpenBLAS) loads: one BLAS thread, like torch's own.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

_ENV_DIR = "CITADEL_FASTAPI_MODEL_DIR"
_ENV_NAME = "CITADEL_FASTAPI_MODEL_NAME"
_ENV_PREPROCESS = "CITADEL_FASTAPI_PREPROCESS"


def read_safetensors(path):
    """{name: float32 numpy array} of a safetensors file (F32 tensors only)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n])
    data = memoryview(raw)[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
        tensors[name] = array.copy()
    return tensors


class MlpModel:
    """The artifact's network, its promises (features, classes) and preprocessing."""

    def __init__(self, model_dir, preprocess=True):
        with open(os.path.join(model_dir, "model.json")) as f:
            meta = json.load(f)
        arch = meta["architecture"]
        if arch.get("arch") not in ("mlp", "logreg"):
            raise ValueError(f"{model_dir}: architecture {arch.get('arch')!r} is not an MLP")
        self.features = len(meta["input"]["features"])
        self.classes = len(meta["output"]["classes"])
        self.input_name = meta["input"].get("name", "features")
        self.output_name = meta["output"].get("name", "probabilities")

        tensors = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        # torch.nn.Sequential names: Linear layers at indices k ("k.weight",
        # "k.bias"), ReLU (and dropout) between them.
        indices = sorted({int(m.group(1)) for m in
                          (re.fullmatch(r"(\d+)\.weight", k) for k in tensors) if m})
        widths = [self.features] + list(arch.get("hidden", [])) + [self.classes]
        if len(indices) != len(widths) - 1:
            raise ValueError(f"{model_dir}: {len(indices)} Linear layers in model.safetensors, "
                             f"model.json's architecture has {len(widths) - 1}")
        layers = []
        for i, k in enumerate(indices):
            w = torch.from_numpy(tensors[f"{k}.weight"])
            b = torch.from_numpy(tensors[f"{k}.bias"])
            if tuple(w.shape) != (widths[i + 1], widths[i]) or tuple(b.shape) != (widths[i + 1],):
                raise ValueError(f"{model_dir}: layer {k} has shape {tuple(w.shape)}, "
                                 f"expected {(widths[i + 1], widths[i])}")
            linear = torch.nn.Linear(widths[i], widths[i + 1])
            with torch.no_grad():
                linear.weight.copy_(w)
                linear.bias.copy_(b)
            layers.append(linear)
            if i + 1 < len(indices):
                layers.append(torch.nn.ReLU())
        self.net = torch.nn.Sequential(*layers).eval()

        # Affine preprocessing fitted on the training split: x' = (x - center) / scale.
        self.center = None
        self.scale = None
        if preprocess and meta.get("preprocessing"):
            center = np.zeros(self.features, dtype=np.float64)
            scale = np.ones(self.features, dtype=np.float64)
            names = {n: i for i, n in enumerate(meta["input"]["features"])}
            for step in meta["preprocessing"]:
                if step.get("op") not in ("standardize", "robust"):
                    raise ValueError(f"{model_dir}: preprocessing op {step.get('op')!r} is not "
                                     "supported here (standardize, robust); run with "
                                     "--no-preprocessing and send prepared features")
                fitted = step["fitted"]
                for col, c, s in zip(fitted["columns"], fitted["center"], fitted["scale"]):
                    center[names[col]] = c
                    scale[names[col]] = s if s != 0 else 1.0
            self.center = torch.from_numpy(center.astype(np.float32))
            self.scale = torch.from_numpy(scale.astype(np.float32))

    def predict(self, x):
        """Probabilities [N, C] for features x [N, F] (float32 tensor)."""
        with torch.inference_mode():
            if self.center is not None:
                x = (x - self.center) / self.scale
            return torch.softmax(self.net(x), dim=1)


def create_app():
    """uvicorn's app factory: the model comes from environment variables so
    that every worker process loads it the same way."""
    from typing import List, Union

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from pydantic import BaseModel

    torch.set_num_threads(1)
    model_name = os.environ.get(_ENV_NAME, "mlp")
    model = MlpModel(os.environ[_ENV_DIR], preprocess=os.environ.get(_ENV_PREPROCESS, "1") == "1")

    class InferInput(BaseModel):
        name: str
        shape: List[int]
        datatype: str
        data: List[float]

    class InferRequest(BaseModel):
        id: Union[str, None] = None
        inputs: List[InferInput]

    app = FastAPI(title="fastapi_mlp_server", docs_url=None, redoc_url=None, openapi_url=None)

    def error(status, message):
        return JSONResponse(status_code=status, content={"error": message})

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        return error(400, f"invalid inference request: {exc.errors()[:3]}")

    @app.get("/v2/health/live")
    async def live():
        return Response(status_code=200)

    @app.get("/v2/health/ready")
    async def ready():
        return Response(status_code=200)

    @app.get("/v2/models/{name}")
    async def metadata(name: str):
        if name != model_name:
            return error(404, f"unknown model '{name}'")
        return {"name": model_name, "versions": ["1"], "platform": "pytorch",
                "inputs": [{"name": model.input_name, "datatype": "FP32",
                            "shape": [-1, model.features]}],
                "outputs": [{"name": model.output_name, "datatype": "FP32",
                             "shape": [-1, model.classes]}]}

    @app.post("/v2/models/{name}/infer")
    async def infer(name: str, request: InferRequest):
        if name != model_name:
            return error(404, f"unknown model '{name}'")
        if len(request.inputs) != 1:
            return error(400, f"expected 1 input, got {len(request.inputs)}")
        inp = request.inputs[0]
        if inp.datatype != "FP32":
            return error(400, f"input '{inp.name}': datatype {inp.datatype}, expected FP32")
        if len(inp.shape) != 2 or inp.shape[1] != model.features or inp.shape[0] < 1:
            return error(400, f"input '{inp.name}': shape {inp.shape}, expected [N, "
                              f"{model.features}]")
        rows = inp.shape[0]
        if len(inp.data) != rows * model.features:
            return error(400, f"input '{inp.name}': {len(inp.data)} values for shape {inp.shape}")
        x = torch.tensor(inp.data, dtype=torch.float32).reshape(rows, model.features)
        probs = model.predict(x)
        body = {"model_name": model_name, "model_version": "1", "id": request.id,
                "outputs": [{"name": model.output_name, "shape": [rows, model.classes],
                             "datatype": "FP32", "data": probs.reshape(-1).tolist()}]}
        if request.id is None:
            del body["id"]
        return Response(content=json.dumps(body, separators=(",", ":")),
                        media_type="application/json")

    return app


def time_compute(model_dir, iterations, preprocess):
    """Model compute alone on one 1 x F request, medians of 5 rounds (µs)."""
    torch.set_num_threads(1)
    model = MlpModel(model_dir, preprocess=preprocess)
    data = [float(i % 17) for i in range(model.features)]
    x = torch.tensor(data, dtype=torch.float32).reshape(1, model.features)

    def median_us(fn):
        rounds = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(iterations):
                fn()
            rounds.append((time.perf_counter() - start) / iterations * 1e6)
        return sorted(rounds)[2]

    for _ in range(1000):
        model.predict(x)
    forward = median_us(lambda: model.predict(x))
    with_conversion = median_us(lambda: model.predict(
        torch.tensor(data, dtype=torch.float32).reshape(1, model.features)).reshape(-1).tolist())
    print(f"forward+softmax {forward:.1f} us")
    print(f"list->tensor->forward+softmax->list {with_conversion:.1f} us")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", help="exported model artifact (model.json, model.safetensors)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--name", default="mlp", help="model name in /v2/models/NAME")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--no-preprocessing", action="store_true",
                        help="features arrive prepared: skip model.json's preprocessing")
    parser.add_argument("--time-compute", type=int, metavar="N", default=0,
                        help="time N forward passes of one row, print, exit")
    args = parser.parse_args()
    if args.time_compute:
        time_compute(args.model_dir, args.time_compute, not args.no_preprocessing)
        return
    # Fail before uvicorn starts if the model does not load.
    MlpModel(args.model_dir, preprocess=not args.no_preprocessing)
    os.environ[_ENV_DIR] = os.path.abspath(args.model_dir)
    os.environ[_ENV_NAME] = args.name
    os.environ[_ENV_PREPROCESS] = "0" if args.no_preprocessing else "1"

    import importlib.util

    import uvicorn
    torch.set_num_threads(1)
    # What `pip install uvicorn[standard]` brings, when installed.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    print(f"fastapi_mlp_server: model '{args.name}' from {args.model_dir}, {args.workers} "
          f"worker(s), loop {loop}, http {http}, torch {torch.__version__} "
          f"({torch.get_num_threads()} thread)", file=sys.stderr, flush=True)
    uvicorn.run("fastapi_mlp_server:create_app", factory=True,
                app_dir=os.path.dirname(os.path.abspath(__file__)), host=args.host,
                port=args.port, workers=args.workers, loop=loop, http=http,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
