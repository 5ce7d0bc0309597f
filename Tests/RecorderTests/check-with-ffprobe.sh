#!/usr/bin/env bash
# Checks the recorder's output with ffprobe/ffmpeg, independently of our own readers.
# Not part of `swift test` (unit tests must pass without ffmpeg): run it by hand or from
# `make test` where ffmpeg is installed (apt-get install ffmpeg).
#
#   Tests/RecorderTests/check-with-ffprobe.sh            # in the package root's checkout
#   PACKAGE_DIR=/path/to/package SWIFT_TEST_ARGS="--skip-build --filter FixtureRecordingTests" ...
#
# It runs the fixture tests with RECORDER_TEST_OUTPUT set so they keep the files they
# produce, then for each file checks the codecs, the duration (within 5%), the frame count
# (within 2% where nothing was lost) and that ffmpeg decodes it without a single error.
set -euo pipefail
cd "${PACKAGE_DIR:-$(dirname "$0")/../..}"
export PATH="$PATH:/opt/swift/usr/bin"
command -v ffprobe >/dev/null || { echo "ffprobe not found: apt-get install ffmpeg" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2086
RECORDER_TEST_OUTPUT="$out" swift test ${SWIFT_TEST_ARGS:---filter FixtureRecordingTests} >"$out/swift-test.log" 2>&1 \
  || { tail -30 "$out/swift-test.log"; exit 1; }

failures=0
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

# check FILE CODECS DURATION|- MIN_VIDEO_FRAMES|- MIN_AUDIO_FRAMES|-
check() {
  local file="$out/$1" codecs="$2" duration="$3" video="$4" audio="$5"
  [[ -f $file ]] || { fail "$1" "not produced"; return; }
  local got_codecs got_duration errors
  got_codecs=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$file" | paste -sd, -)
  [[ $got_codecs == "$codecs" ]] || fail "$1" "codecs '$got_codecs', expected '$codecs'"
  if [[ $duration != - ]]; then
    got_duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$file")
    awk -v got="$got_duration" -v want="$duration" 'BEGIN { exit !(got != "N/A" && got >= want * 0.95 && got <= want * 1.05) }' \
      || fail "$1" "duration $got_duration, expected $duration +-5%"
  fi
  for kind in v a; do
    local want=$video; [[ $kind == a ]] && want=$audio
    [[ $want == - ]] && continue
    local frames
    frames=$(ffprobe -v error -count_frames -select_streams "$kind" -show_entries stream=nb_read_frames -of csv=p=0 "$file")
    awk -v got="$frames" -v want="$want" 'BEGIN { exit !(got >= want * 0.98) }' \
      || fail "$1" "$kind frames $frames, expected >= 98% of $want"
  done
  errors=$(ffmpeg -nostdin -v error -i "$file" -f null - 2>&1 | head -5)
  [[ -z $errors ]] || fail "$1" "ffmpeg decode errors: $errors"
  echo "ok   $1: $got_codecs, duration $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$file")"
}

check opus-clean.ogg              opus     4.0  -   200
check opus-loss.ogg               opus     4.0  -   190
check opus-killed.ogg             opus     2.0  -   100
check opus-repaired.ogg           opus     2.0  -   100
check vp8-clean.webm              vp8      3.8  114 -
check vp8-loss-nack.webm          vp8      3.8  114 -
check vp8-loss.webm               vp8      -    -   -
check participant.webm            vp8,opus 4.0  114 200
check participant-loss.webm       vp8,opus 4.0  -   190
check participant-killed.webm     vp8,opus -    60  100
check participant-repaired.webm   vp8,opus 3.0  60  100

if ((failures)); then echo "$failures check(s) failed"; exit 1; fi
echo "all recorder files pass ffprobe/ffmpeg checks"
