#!/usr/bin/env bash
# Builds the libFuzzer targets (Tests/Fuzz/FuzzParsers) and runs each for a fixed time.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default: 60 s, every target)
#   scripts/fuzz.sh --replay                             replay the seed corpus with a plain build
#
# `make fuzz` runs it with the default time, `make test` with 10. Targets: stun ice rtp rtcp
# sdp vp8 opus dtls data. Each target starts from a fresh temporary copy of its committed seeds in
# Tests/Fuzz/corpus/<target>/ (new inputs go there, never into the repository). One summary
# line per target; exit status 1 if any target crashed, leaked, timed out or ran out of memory
# (the reproducer and the log stay in artifacts/fuzz/), 2 on a build or usage error.
#
# Reproduce a crash:  FUZZ_TARGET=<target> .build-fuzz/release/FuzzParsers artifacts/fuzz/<file>
# or, without libFuzzer:  swift build --product FuzzParsers && .build/debug/FuzzParsers <target> <file>
#
# Environment:
#   FUZZ_SCRATCH_PATH  scratch path of the fuzz build (default .build-fuzz, kept apart from .build)
#   FUZZ_CONFIG        release (default: 2-7x more executions than debug; the parsers use no
#                      assert(), and -O keeps bounds, overflow and precondition checks) or debug
#   FUZZ_SANITIZERS    -sanitize= value (default fuzzer,address; "fuzzer" alone is faster)
#   FUZZ_ARTIFACTS     where crashes and logs go (default artifacts/fuzz)
#   FUZZ_CORPUS_OUT    if set, each target's final working corpus is copied to $FUZZ_CORPUS_OUT/<target>
#   FUZZ_PACKAGE_PATH  package to build (default: the repository root)
#   FUZZ_EXTRA_ARGS    extra libFuzzer flags for every target (e.g. "-jobs=2 -workers=2")
#
# Offline: the first fuzz build copies the dependency checkouts that `swift build` already
# resolved into .build/ (Package.resolved pins), so no network access is needed.

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGE="${FUZZ_PACKAGE_PATH:-$ROOT}"
SCRATCH="${FUZZ_SCRATCH_PATH:-$PACKAGE/.build-fuzz}"
CONFIG="${FUZZ_CONFIG:-release}"
SANITIZERS="${FUZZ_SANITIZERS:-fuzzer,address}"
ARTIFACTS="${FUZZ_ARTIFACTS:-$ROOT/artifacts/fuzz}"
CORPUS="$ROOT/Tests/Fuzz/corpus"

ALL_TARGETS=(stun ice rtp rtcp sdp vp8 opus dtls data)

max_len() {
    case "$1" in
        sdp) echo 65536 ;;   # SDPLimits caps a description at 256 KiB; real offers are < 16 KiB
        vp8) echo 128 ;;     # descriptor (<= 6 octets) + frame tag + keyframe header
        *) echo 1500 ;;      # one datagram
    esac
}

die() { echo "fuzz.sh: $*" >&2; exit 2; }

# Reuse the dependency checkouts of the normal build so the fuzz build never goes online.
seed_scratch() {
    [ -e "$SCRATCH/workspace-state.json" ] && return 0
    local normal="$PACKAGE/.build"
    [ -e "$normal/workspace-state.json" ] || return 0
    mkdir -p "$SCRATCH"
    echo "fuzz.sh: copying resolved dependencies from $normal to $SCRATCH" >&2
    for item in checkouts repositories artifacts workspace-state.json; do
        if [ -e "$normal/$item" ]; then
            cp -a "$normal/$item" "$SCRATCH/" || die "cannot copy $normal/$item"
        fi
    done
}

if [ "${1:-}" = "--replay" ]; then
    echo "fuzz.sh: building the corpus replayer (plain swift build)" >&2
    log="$(mktemp)"
    if ! swift build --package-path "$PACKAGE" --product FuzzParsers >"$log" 2>&1; then
        tail -n 40 "$log" >&2; rm -f "$log"; die "replayer build failed"
    fi
    rm -f "$log"
    bin="$(swift build --package-path "$PACKAGE" --product FuzzParsers --show-bin-path)/FuzzParsers"
    exec "$bin" all "$CORPUS"
fi

SECONDS_PER_TARGET="${1:-60}"
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] && [ "$SECONDS_PER_TARGET" -gt 0 ] \
    || die "usage: scripts/fuzz.sh [seconds-per-target] [target...] | --replay"
shift $(( $# > 0 ? 1 : 0 ))
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || die "unknown target '$t' (known: ${ALL_TARGETS[*]})"
done

mkdir -p "$ARTIFACTS" || die "cannot create $ARTIFACTS"
seed_scratch

BUILD_FLAGS=(--package-path "$PACKAGE" --scratch-path "$SCRATCH" -c "$CONFIG" --product FuzzParsers
    -Xswiftc "-sanitize=$SANITIZERS" -Xswiftc -DFUZZING
    -Xswiftc -enable-experimental-feature -Xswiftc Extern)
echo "fuzz.sh: building (swift build ${BUILD_FLAGS[*]})" >&2
BUILD_LOG="$ARTIFACTS/build.log"
if ! swift build "${BUILD_FLAGS[@]}" >"$BUILD_LOG" 2>&1; then
    # ld.gold warns about every ASan check symbol; show only what matters.
    grep -v "Cannot export local symbol" "$BUILD_LOG" | tail -n 40 >&2
    die "fuzz build failed (full log: $BUILD_LOG)"
fi
BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path 2>/dev/null)/FuzzParsers"
[ -x "$BIN" ] || die "no fuzz binary at $BIN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-fuzz.XXXXXX")" || die "mktemp failed"
trap 'rm -rf "$WORK"' EXIT

failed=0
printf '%-6s %12s %8s  %s\n' target runs exec/s result
for t in "${TARGETS[@]}"; do
    corpus="$WORK/$t"
    mkdir -p "$corpus"
    if [ -d "$CORPUS/$t" ]; then cp "$CORPUS/$t"/* "$corpus/" 2>/dev/null; fi
    log="$ARTIFACTS/$t.log"
    # -timeout: one input taking 10 s is a hang. -max_total_time bounds the run; the outer
    # timeout only guards against a wedged process.
    # shellcheck disable=SC2086
    FUZZ_TARGET="$t" timeout --kill-after=10 $(( SECONDS_PER_TARGET + 120 )) "$BIN" \
        -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb=2048 \
        -max_len="$(max_len "$t")" \
        -timeout=10 \
        -print_final_stats=1 \
        -artifact_prefix="$ARTIFACTS/$t-" \
        ${FUZZ_EXTRA_ARGS:-} \
        "$corpus" >"$log" 2>&1
    status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    [ -z "$runs" ] && runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)"
    [ -z "$runs" ] && runs="$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    if [ "$status" -eq 0 ] && ! grep -q '^==[0-9]*==ERROR\|^ERROR: libFuzzer' "$log"; then
        result="ok"
    else
        failed=1
        if grep -q 'ERROR: LeakSanitizer' "$log"; then result="LEAK"
        elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then result="TIMEOUT"
        elif grep -q 'out-of-memory\|ERROR: libFuzzer: .*malloc' "$log"; then result="OOM"
        elif grep -q 'FUZZ PROPERTY FAILED' "$log"; then result="PROPERTY FAILED"
        elif grep -q 'ERROR: AddressSanitizer' "$log"; then result="ASAN"
        elif grep -q 'deadly signal\|Fatal error\|Program crashed' "$log"; then result="CRASH"
        elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then result="HUNG (killed)"
        else result="FAILED (exit $status)"
        fi
        result="$result: ${artifact:-no artifact}, log $log"
    fi
    printf '%-6s %12s %8s  %s\n' "$t" "${runs:-?}" "${speed:-?}" "$result"
    if [ -n "${FUZZ_CORPUS_OUT:-}" ]; then
        mkdir -p "$FUZZ_CORPUS_OUT/$t" && cp "$corpus"/* "$FUZZ_CORPUS_OUT/$t/" 2>/dev/null
    fi
    rm -rf "$corpus"
done

if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: FAILED (reproduce: FUZZ_TARGET=<target> $BIN <artifact>)" >&2
    exit 1
fi
exit 0
