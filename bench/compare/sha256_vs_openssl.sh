#!/usr/bin/env bash
# SHA-256 throughput: Citadel's hasher (BM_Sha256, 64 MiB buffers) next to
# `openssl speed` on the same machine in the same run, with the ratio.
set -euo pipefail
BENCH=${1:-build/bench/micro_bench}
ours=$("$BENCH" --benchmark_filter='BM_Sha256/67108864' --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_format=json |
  awk '/"name": "BM_Sha256\/67108864_median"/ {found=1} found && /bytes_per_second/ {gsub(/[^0-9.e+]/, "", $2); print $2; exit}')
# openssl speed prints k bytes/s per block size; the 16384-byte column is its steady state.
theirs=$(openssl speed -evp sha256 -seconds 2 -bytes 16384 2>/dev/null | awk '/^sha256/ {print $NF}' | tr -d k)
ours_gbs=$(awk -v b="$ours" 'BEGIN {printf "%.2f", b / 1e9}')
theirs_gbs=$(awk -v k="$theirs" 'BEGIN {printf "%.2f", k * 1000 / 1e9}')
ratio=$(awk -v a="$ours_gbs" -v b="$theirs_gbs" 'BEGIN {printf "%.2f", a / b}')
printf '%-28s %10s\n' "hasher" "GB/s"
printf '%-28s %10s\n' "citadel Sha256 (64 MiB)" "$ours_gbs"
printf '%-28s %10s\n' "openssl speed -evp sha256" "$theirs_gbs"
printf 'ratio citadel / openssl: %s\n' "$ratio"
