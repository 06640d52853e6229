#!/usr/bin/env bash
# Installs what Citadel needs to build and test on Debian 12. Idempotent: when
# every package is present it only checks and returns (well under a second).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread
  libgloo-dev  # headers ProcessGroupGloo.hpp includes (data-parallel training)
  libssl-dev libsqlite3-dev zlib1g-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist
  # src/http: the server on Boost.Beast / Asio (chosen by
  # bench/compare/http_libs.sh), the client on cpp-httplib.
  libcpp-httplib-dev libboost-dev
  # The serving benchmark's peer: FastAPI + uvicorn + torch.
  python3-fastapi python3-uvicorn python3-uvloop python3-httptools python3-torch
  # The data benchmarks' peer (make bench): pandas.
  python3-pandas python3-numpy
  # Peers in tests: the OMS JSON schemas and an independent signature check
  # of the bundles `citadel sign` writes.
  python3-jsonschema python3-cryptography
  # `make fuzz`: clang with libFuzzer and the sanitizer runtimes.
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "bootstrap: missing packages: ${missing[*]}" >&2
  echo "bootstrap: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
