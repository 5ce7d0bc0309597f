#!/usr/bin/env bash
# Regenerate Sources/LiveKitProtocol (swift-protobuf code for LiveKit's signalling protocol).
#
# For developers only -- CI never runs this: the generated *.pb.swift files and
# scripts/protocol/livekit.fds are committed.
#
# What it does:
#   1. Creates a Python venv and installs livekit-protocol==$LIVEKIT_PROTOCOL_VERSION from
#      PyPI (needs network). The wheel has no .proto files, but its *_pb2-style modules embed
#      serialized FileDescriptorProtos; scripts/protocol/build_fds.py collects livekit_models,
#      livekit_rtc, livekit_room, livekit_egress, livekit_webhook and everything they import
#      (livekit_metrics, livekit_agent, livekit_agent_dispatch, livekit_ingress,
#      logger/options, google/protobuf/{timestamp,descriptor}) into scripts/protocol/livekit.fds.
#      Skip this step (reuse the committed .fds) with SKIP_FDS=1.
#   2. Needs protoc: Debian's `apt-get install -y protobuf-compiler` (3.21 works). Builds
#      protoc-gen-swift from swift-protobuf $SWIFT_PROTOBUF_VERSION (must match the SwiftProtobuf
#      runtime pinned in Package.swift/Package.resolved) into $WORK (~10 min on 2 cores, cached).
#   3. Runs protoc on the .fds and rewrites Sources/LiveKitProtocol/*.pb.swift (public types,
#      flat file names). google/protobuf/* are NOT generated: they ship in SwiftProtobuf.
#      logger/options.proto is not generated either: it only declares field options
#      (redaction hints) that no generated type references.
#
# Afterwards: `swift build --target LiveKitProtocol && swift test --filter LiveKitProtocolTests`.
# If the messages used by the test changed, refresh its vectors with
#   $WORK/venv/bin/python scripts/protocol/make_vectors.py
#
# Environment: LIVEKIT_PROTOCOL_VERSION (1.1.29), SWIFT_PROTOBUF_VERSION (1.39.0),
#   SWIFT_PROTOBUF_GIT (https://github.com/apple/swift-protobuf), WORK (/tmp/switchboard-protogen),
#   PROTOC (protoc), PROTOC_GEN_SWIFT (use this plugin binary instead of building one), SKIP_FDS.
set -euo pipefail

LIVEKIT_PROTOCOL_VERSION="${LIVEKIT_PROTOCOL_VERSION:-1.1.29}"
SWIFT_PROTOBUF_VERSION="${SWIFT_PROTOBUF_VERSION:-1.39.0}"
SWIFT_PROTOBUF_GIT="${SWIFT_PROTOBUF_GIT:-https://github.com/apple/swift-protobuf}"
WORK="${WORK:-/tmp/switchboard-protogen}"
PROTOC="${PROTOC:-protoc}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FDS="$ROOT/scripts/protocol/livekit.fds"
OUT="$ROOT/Sources/LiveKitProtocol"
mkdir -p "$WORK"

# --- 1. FileDescriptorSet from the livekit-protocol wheel -------------------------------
VENV="$WORK/venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet "livekit-protocol==$LIVEKIT_PROTOCOL_VERSION" protobuf
if [[ -z "${SKIP_FDS:-}" ]]; then
    echo "==> building $FDS"
    "$VENV/bin/python" "$ROOT/scripts/protocol/build_fds.py" "$FDS"
fi
mapfile -t PROTOS < <("$VENV/bin/python" "$ROOT/scripts/protocol/build_fds.py" --list-livekit)

# --- 2. protoc and protoc-gen-swift -------------------------------------------------------
command -v "$PROTOC" >/dev/null || {
    echo "protoc not found: apt-get install -y protobuf-compiler (or set PROTOC)" >&2; exit 1; }
echo "==> $("$PROTOC" --version)"
if [[ -z "${PROTOC_GEN_SWIFT:-}" ]]; then
    SRC="$WORK/swift-protobuf-$SWIFT_PROTOBUF_VERSION"
    if [[ ! -d "$SRC" ]]; then
        git clone --quiet --depth 1 --branch "$SWIFT_PROTOBUF_VERSION" "$SWIFT_PROTOBUF_GIT" "$SRC"
    fi
    echo "==> building protoc-gen-swift $SWIFT_PROTOBUF_VERSION (slow the first time)"
    (cd "$SRC" && swift build -c release --product protoc-gen-swift)
    PROTOC_GEN_SWIFT="$(cd "$SRC" && swift build -c release --show-bin-path)/protoc-gen-swift"
fi
echo "==> $("$PROTOC_GEN_SWIFT" --version)"

# --- 3. generate ------------------------------------------------------------------------
echo "==> generating ${PROTOS[*]}"
mkdir -p "$OUT"
rm -f "$OUT"/*.pb.swift
"$PROTOC" \
    --descriptor_set_in="$FDS" \
    --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
    --swift_out="$OUT" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=DropPath \
    "${PROTOS[@]}"
ls -l "$OUT"
du -ch "$OUT"/*.pb.swift | tail -1
