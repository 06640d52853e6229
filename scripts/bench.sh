#!/usr/bin/env bash
# `make bench`: micro-benchmarks, then side-by-side comparisons with peer tools.
# Results and the machine they came from belong in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== micro-benchmarks (medians of 5)"
"$BUILD/bench/micro_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_display_aggregates_only=true 2>&1 | grep -E 'Benchmark|----|_median'
echo
echo "== SHA-256 vs openssl"
bench/compare/sha256_vs_openssl.sh "$BUILD/bench/micro_bench"
echo
echo "== numeric CSV ingest vs pandas.read_csv (1 core)"
bench/compare/csv_ingest_vs_pandas.sh "$BUILD"
echo
echo "== process step vs the same pipeline in pandas (ROWS=${ROWS:-1000000})"
bench/compare/data_pipeline_vs_pandas.sh "$BUILD/apps/citadel/citadel"
echo
echo "== training throughput vs a Python PyTorch loop (digits MLP)"
bench/compare/train_vs_pytorch.sh "$BUILD/apps/citadel/citadel" digits
echo
echo "== training throughput vs a Python PyTorch loop (Fashion-MNIST CNN)"
bench/compare/train_vs_pytorch.sh "$BUILD/apps/citadel/citadel" fashion
echo
echo "== checkpoints of a 200 MiB model vs torch.save / torch.load"
bench/compare/checkpoint_vs_torch_save.sh "$BUILD/apps/citadel/citadel"
echo
echo "== data-parallel: 2 processes vs 1 (Fashion-MNIST CNN)"
bench/compare/data_parallel_scaling.sh "$BUILD/apps/citadel/citadel"
echo
echo "== signing a 2 GiB model vs openssl dgst / sha256sum"
bench/compare/sign_vs_openssl.sh "$BUILD/apps/citadel/citadel"
echo
echo "== model scanner vs pickletools.genops; a 200 MB checkpoint"
bench/compare/scan_vs_pickletools.sh "$BUILD/apps/citadel/citadel"
echo
echo "== HTTP libraries: cpp-httplib vs Boost.Beast, POST echo on loopback"
bench/compare/http_libs.sh "$BUILD"
echo
echo "== online inference: citadel serve vs FastAPI + uvicorn + PyTorch (digits MLP)"
bench/compare/serve_vs_fastapi.sh "$BUILD"
echo
echo "== dynamic batching: Fashion-MNIST CNN, unbatched vs batched deployments"
bench/compare/serve_batching.sh "$BUILD"
echo
echo "== out-of-distribution detectors: input features vs the penultimate layer (Fashion-MNIST CNN)"
bench/compare/ood_space_detection.sh "$BUILD/apps/citadel/citadel"
