#!/usr/bin/env python3
"""Build a FileDescriptorSet for LiveKit's protocol from the livekit-protocol wheel.

The PyPI wheel ships no .proto files, but every generated module embeds its
serialized FileDescriptorProto (``DESCRIPTOR.serialized_pb``). This walks the
imports of the root files below, topologically (dependencies first), and writes
them -- including the google/protobuf well-known types and logger/options.proto
they import -- as one binary FileDescriptorSet that protoc reads with
``--descriptor_set_in``.

Usage: build_fds.py OUT.fds        (prints the file list, one per line, to stdout)
       build_fds.py --list-livekit (prints only the livekit_*.proto files to generate)

Note: the embedded descriptors carry no SourceCodeInfo, so the generated Swift has
no doc comments from the .proto files.
"""
import sys

from google.protobuf import descriptor_pb2
import google.protobuf
from livekit.protocol import egress, models, room, rtc, webhook
from livekit.protocol.version import __version__ as LIVEKIT_PROTOCOL_VERSION

ROOTS = [models, rtc, room, egress, webhook]


def closure():
    ordered, seen = [], set()

    def visit(fd):
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            visit(dep)
        ordered.append(fd)

    for module in ROOTS:
        visit(module.DESCRIPTOR)
    return ordered


def main(argv):
    files = closure()
    if argv[1:] == ["--list-livekit"]:
        for fd in files:
            if fd.name.startswith("livekit_"):
                print(fd.name)
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    fds = descriptor_pb2.FileDescriptorSet()
    for fd in files:
        proto = fds.file.add()
        proto.ParseFromString(fd.serialized_pb)
        print(fd.name)
    with open(argv[1], "wb") as out:
        out.write(fds.SerializeToString(deterministic=True))
    print(f"# livekit-protocol {LIVEKIT_PROTOCOL_VERSION}, protobuf {google.protobuf.__version__}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
