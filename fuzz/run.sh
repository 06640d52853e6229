#!/usr/bin/env bash
# Builds the libFuzzer targets (CITADEL_FUZZ=ON, clang, ASan + UBSan) in
# their own build directory and runs each for a fixed time from its
# checked-in seed corpus (fuzz/corpus/NAME/). New inputs the fuzzer finds go
# to a scratch directory, never into the checked-in corpus. Exits non-zero
# when any target crashes, leaks, runs out of memory or times out, naming the
# reproducer.
#
#   fuzz/run.sh [TARGET...]          all targets when none named
#   FUZZ_SECONDS=60                  time per target
#   FUZZ_BUILD_DIR=build-fuzz        build directory (scratch corpus and crashes under it)
#   FUZZ_JOBS=$(nproc)               build parallelism
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}
cxx=$(command -v clang++-14 || command -v clang++ || true)
cc=$(command -v clang-14 || command -v clang || true)
if [[ -z "$cxx" || -z "$cc" ]]; then
  echo "fuzz: clang is not installed (scripts/bootstrap.sh installs clang-14)" >&2
  exit 1
fi

# Longest input per target: room for every seed and for what the format
# needs to nest (archives of archives), small enough to stay fast.
declare -A max_len=(
  [pickle]=16384 [zip]=65536 [safetensors]=16384 [npy]=8192 [idx]=4096
  [gguf]=16384 [onnx]=16384 [hdf5]=16384 [keras]=16384 [scan]=65536
)
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(pickle zip safetensors npy idx gguf onnx hdf5 keras scan)
fi

CC=$cc CXX=$cxx cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCITADEL_FUZZ=ON -DCITADEL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  scratch="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
  echo "fuzz: fuzz_$t for ${seconds}s (seeds fuzz/corpus/$t, new inputs $scratch)"
  # Tokens of the format (magics, keys), where a dictionary is written.
  dict=()
  if [[ -f "fuzz/dict/$t.dict" ]]; then
    dict=(-dict="fuzz/dict/$t.dict")
  elif [[ "$t" == scan ]]; then  # the scanner reaches every format: all of them
    cat fuzz/dict/*.dict >"$build/fuzz-scan.dict"
    dict=(-dict="$build/fuzz-scan.dict")
  fi
  # The scratch directory comes first: libFuzzer writes new inputs there.
  if "$build/fuzz/fuzz_$t" "$scratch" "fuzz/corpus/$t" "${dict[@]}" \
      -max_total_time="$seconds" -max_len="${max_len[$t]:-65536}" \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|new_units_added)' "$log" | sed 's/^/  /' || true
  else
    echo "fuzz: fuzz_$t FAILED; log $log" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" | sed 's/^/  /' >&2 || true
    failed+=("$t")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; reproduce with" >&2
  echo "  $build/fuzz/fuzz_TARGET $build/fuzz-artifacts/TARGET/crash-…" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
