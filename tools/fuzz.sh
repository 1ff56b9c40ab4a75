#!/bin/sh
# tools/fuzz.sh [SECONDS] - build cxflow's libFuzzer targets with clang into
# build-fuzz/ (-DCXFLOW_FUZZ=ON: everything instrumented with
# -fsanitize=fuzzer-no-link,address,undefined) and fuzz the text analysis
# (tests/fuzz/fuzz_tokenize.c) for SECONDS (default 600) with ASan leak
# detection on.
#
# The committed seed corpus tests/fuzz/corpus/tokenize is read, never
# written: new inputs go to build-fuzz/fuzz-corpus/tokenize (kept between
# runs) and crashes, leaks and timeouts to build-fuzz/fuzz-artifacts/.  A
# crash input, once fixed, belongs in tests/fuzz/corpus/tokenize, where
# ctest's fuzz_tokenize_corpus replays it on every build.
#
# Environment: CXFLOW_FUZZ_BUILD_DIR (default build-fuzz), CC (default clang),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2").
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
SECS=${1:-600}
BUILD=${CXFLOW_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
CC=${CC:-clang}
case $SECS in ''|*[!0-9]*) echo "usage: tools/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac
command -v "$CC" >/dev/null 2>&1 || { echo "fuzz.sh: $CC not found (apt-get install clang)" >&2; exit 1; }

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCXFLOW_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2 --target fuzz_tokenize fuzz_tokenize_replay >/dev/null

WORK=$BUILD/fuzz-corpus/tokenize
ART=$BUILD/fuzz-artifacts
mkdir -p "$WORK" "$ART"
echo "fuzz.sh: fuzzing fuzz_tokenize for ${SECS}s (corpus $WORK + tests/fuzz/corpus/tokenize, artifacts $ART)" >&2
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$BUILD/bin/fuzz_tokenize" -max_total_time="$SECS" -detect_leaks=1 -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="$ROOT/tests/fuzz/tokenize.dict" \
    -artifact_prefix="$ART/" ${FUZZ_ARGS:-} "$WORK" "$ROOT/tests/fuzz/corpus/tokenize"
