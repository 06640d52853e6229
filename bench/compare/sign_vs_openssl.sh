#!/usr/bin/env bash
# Signing a model is hashing it: `citadel sign` of a 2 GiB model (one
# 1.5 GiB weights file and 16 files of 32 MiB, seeded random bytes) in file
# mode and in shard mode (64 MiB shards hashed on every core), against
# `openssl dgst -sha256` (SHA-NI) and `sha256sum` of the same files one after
# the other, and `citadel verify`.
# Medians of RUNS runs, page cache warm; wall seconds and GB/s (10^9 B/s).
#
#   bench/compare/sign_vs_openssl.sh [CITADEL_BINARY]
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
RUNS=${RUNS:-3}
for tool in bc openssl sha256sum; do
  command -v "$tool" >/dev/null || { echo "missing $tool: sudo apt-get install -y bc openssl coreutils" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_sign_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
MODEL="$WORK/model"
mkdir -p "$MODEL/shards"
# Seeded bytes: an AES-CTR keystream from a fixed key (fast, reproducible).
random_bytes() {  # SIZE_MIB SEED
  openssl enc -aes-128-ctr -nosalt -pass "pass:citadel-$2" -pbkdf2 -in <(head -c "$(($1 << 20))" /dev/zero) 2>/dev/null
}
random_bytes 1536 0 >"$MODEL/weights.bin"
for i in $(seq 1 16); do random_bytes 32 "$i" >"$MODEL/shards/part-$i.bin"; done
BYTES=$(du -sb "$MODEL" | cut -f1)
"$CITADEL" keys generate --out "$WORK/keys" >/dev/null
cat "$MODEL"/weights.bin "$MODEL"/shards/* >/dev/null  # warm the page cache

# median_seconds CMD…: the median wall time of RUNS runs.
median_seconds() {
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
  done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
row() {  # NAME SECONDS
  printf '%-44s %8.3f s %8.2f GB/s\n' "$1" "$2" "$(echo "$BYTES / $2 / 1000000000" | bc -l)"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model: $((BYTES >> 20)) MiB in 17 files; medians of $RUNS runs"
SHA=$(median_seconds sh -c "sha256sum '$MODEL'/weights.bin '$MODEL'/shards/*")
OPENSSL=$(median_seconds sh -c "openssl dgst -sha256 '$MODEL'/weights.bin '$MODEL'/shards/*")
FILES=$(median_seconds "$CITADEL" sign "$MODEL" --key "$WORK/keys/signing-key.pem")
SHARDS=$(median_seconds "$CITADEL" sign "$MODEL" --key "$WORK/keys/signing-key.pem" \
  --shard-size $((64 << 20)))
VERIFY=$(median_seconds "$CITADEL" verify "$MODEL" --key "$WORK/keys/signing-key.pub.pem")
row "sha256sum, file by file" "$SHA"
row "openssl dgst -sha256, file by file" "$OPENSSL"
row "citadel sign (files: one file per core)" "$FILES"
row "citadel sign --shard-size 64MiB (shards)" "$SHARDS"
row "citadel verify (shards)" "$VERIFY"
echo "ratio openssl / citadel sign: files $(echo "$OPENSSL / $FILES" | bc -l | cut -c1-4)," \
  "shards $(echo "$OPENSSL / $SHARDS" | bc -l | cut -c1-4)"
