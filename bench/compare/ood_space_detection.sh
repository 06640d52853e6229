#!/usr/bin/env bash
# Which feature space an out-of-distribution detector should score: the
# examples/fashion CNN trained once (EPOCHS, default 2), with its detector
# fitted twice — on the 784 input features (the default) and on the
# 128-wide penultimate layer (`ood: { space: penultimate }`); the weights
# are identical. bench/compare/ood/detection.py then counts, at quantile
# 0.99, the flagged share of 2 000 test images as they are (the false
# positives), with Gaussian noise, inverted, uniform noise, FGSM adversarial
# versions, and the UCI digits scaled into 28×28 frames.
#
#   bench/compare/ood_space_detection.sh [CITADEL_BINARY]
set -euo pipefail
CITADEL=$(realpath "${1:-build/apps/citadel/citadel}")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
EPOCHS=${EPOCHS:-2}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/citadel_ood_space.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CITADEL_HOME="$WORK/home"
"$CITADEL" --quiet init >/dev/null
for space in input_features penultimate; do
  sed -e "s/^    epochs: 4$/    epochs: $EPOCHS\n    ood: { space: $space }/" -e '/^  - name: evaluate$/,$d' \
    "$REPO/examples/fashion/pipeline.yaml" >"$WORK/$space.yaml"
  echo "training the Fashion-MNIST CNN ($EPOCHS epochs), detector on $space…"
  "$CITADEL" --quiet run "$WORK/$space.yaml" --json >"$WORK/$space.json"
  model=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"][2]["outputs"]["model"])' "$WORK/$space.json")
  "$CITADEL" --quiet artifacts export "$model" "$WORK/$space" >/dev/null
done
test=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"][1]["outputs"]["data"])' "$WORK/penultimate.json")
"$CITADEL" --quiet artifacts export "$test" "$WORK/test" >/dev/null
cmp -s "$WORK/input_features/model.safetensors" "$WORK/penultimate/model.safetensors" ||
  { echo "the two runs trained different weights" >&2; exit 1; }
/usr/bin/python3 "$REPO/bench/compare/ood/detection.py" "$WORK/penultimate" "$WORK/test" \
  "$WORK/input_features" "$WORK/penultimate" "$REPO/../shared/data/digits.csv.gz"
