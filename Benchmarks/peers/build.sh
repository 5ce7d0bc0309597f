#!/usr/bin/env bash
# Builds Benchmarks/peers/pion-forwarder offline in GOPATH mode against Debian's Pion packages
# (apt-get install golang-go golang-github-pion-webrtc.v3-dev). Output: .build/peers/pion-forwarder
set -euo pipefail
cd "$(dirname "$0")/../.."
work=.build/peers/gopath
rm -rf "$work/src/pionforwarder"
mkdir -p "$work/src/pionforwarder"
cp Benchmarks/peers/pion-forwarder/main.go "$work/src/pionforwarder/"
# A go.mod beside the program lets GOPATH mode resolve github.com/pion/webrtc/v3 to Debian's
# github.com/pion/webrtc (minimal module compatibility).
echo "module pionforwarder" > "$work/src/pionforwarder/go.mod"
export GO111MODULE=off GOPATH="$PWD/$work:/usr/share/gocode" GOFLAGS= GOCACHE="$PWD/.build/peers/gocache"
(cd "$work/src/pionforwarder" && go build -o "$OLDPWD/.build/peers/pion-forwarder" .)
echo ".build/peers/pion-forwarder"
