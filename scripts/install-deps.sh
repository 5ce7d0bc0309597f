#!/usr/bin/env bash
# Installs what building (and, with --test, testing) Switchboard needs on Debian 12:
# Debian packages that are missing, and a Python venv with the WebRTC test peers.
# Safe to run again: it only installs what is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(pkg-config libssl-dev libsrtp2-dev libopus-dev libvpx-dev libsqlite3-dev libusrsctp-dev zlib1g-dev)
# ffmpeg: ffprobe and FFmpeg's decoders check recordings independently of the server.
# chromium, chromium-driver, fonts-liberation: the demo page's tests (test_browser.py) run a
# real headless browser through selenium.
test_packages=(python3 python3-venv python3-pip ffmpeg chromium chromium-driver fonts-liberation)

want=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${test_packages[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  if [[ -x /opt/swift/usr/bin/swift ]]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "error: Swift 6 toolchain not found (expected swift on PATH or /opt/swift)" >&2
    exit 1
  fi
fi

if [[ "${1:-}" == "--test" ]]; then
  venv=.venv-test
  if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
  fi
  # Pinned: the interop tests were written against these versions.
  if ! $venv/bin/python -c "import aiortc, numpy, pytest, livekit.rtc, livekit.api, selenium" >/dev/null 2>&1; then
    echo "installing test peers into $venv (aiortc, livekit, livekit-api, numpy, pytest, selenium)"
    $venv/bin/pip install -q --disable-pip-version-check "aiortc==1.16.0" "numpy>=1.26" "pytest>=8" \
      "livekit==1.2.1" "livekit-api==1.2.2" "selenium==4.51.0"
  fi
fi
