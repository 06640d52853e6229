#!/usr/bin/env bash
# `make demo`: the main job (examples/digits/pipeline.yaml) in a fresh
# workspace, with a readable summary of what happened and where it came from.
set -euo pipefail
cd "$(dirname "$0")/.."
CITADEL=${1:-build/apps/citadel/citadel}
export CITADEL_HOME="$PWD/build/demo-workspace"
SPEC=examples/digits/pipeline.yaml

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$CITADEL_HOME"
section "Fresh workspace"
"$CITADEL" init

section "Run $SPEC (train log: citadel runs logs RUN_ID)"
out=$("$CITADEL" --quiet run "$SPEC")
echo "$out"

section "Run it again: nothing changed, so every step is cached"
TIMEFORMAT='(the whole command, process start included, took %R s)'
time { "$CITADEL" --quiet run "$SPEC" | sed -n '1,7p'; } 2>&1

section "Summary"
accuracy=$(echo "$out" | grep -E '^\s+evaluate ' | grep -oE '[^_]accuracy=[0-9.]+' | cut -d= -f2)
model=$("$CITADEL" artifacts show digits | awk '/^artifact/ {print $2}')
echo "test accuracy:   $accuracy"
echo "model artifact:  $model"
echo "registered as:   $("$CITADEL" models show digits | awk 'END {print "digits version " $2 " (aliases: " $3 ")"}')"

section "Lineage of the model, back to the CSV file"
"$CITADEL" lineage digits

section "Integrity: every blob re-hashed"
"$CITADEL" store verify

printf '\nWorkspace: %s — try: citadel runs ls, citadel artifacts ls, citadel lineage digits --dot\n' "$CITADEL_HOME"
