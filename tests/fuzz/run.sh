#!/bin/bash
# Bounded fuzz run of the unit parser, seeded from examples/ (each seed once as a unit and once
# as a bridge) and one environment file. Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]. A crash
# leaves its input in BUILD_DIR/fuzz-artifacts/ and fails the run; turn it into a unit test.
set -euo pipefail
build=$1
seconds=${2:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$build/fuzz-corpus
artifacts=$build/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"
for f in "$top"/examples/*.unit "$top"/examples/*.bridge; do
        name=$(basename "$f")
        { printf '\0'; cat "$f"; } >"$corpus/u-$name"
        { printf '\1'; cat "$f"; } >"$corpus/b-$name"
done
# An environment file (first byte 2) for unit_environment_file_read()'s parser.
printf '\2# env\nA=1\nexport B="x \\"y\\""\nC=%s\n' "'z'" >"$corpus/e-seed"
"$build/tests/fuzz/fuzz-unit-parser" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" 2>&1 | tail -n 25
