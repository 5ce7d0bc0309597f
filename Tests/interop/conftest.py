"""Shared fixtures: start a real `switchboard serve` process on free ports, stop it by PID."""
import os
import re
import signal
import subprocess
import threading
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("SWITCHBOARD_BIN", os.path.join(ROOT, ".build", "debug", "switchboard"))


class ServerProcess:
    """A switchboard server started for one test; its log is kept for assertions."""

    def __init__(self, args, tmp_path, dev=True):
        self.log_lines = []
        self._ready = threading.Event()
        self.http_port = None
        self.scheme = "http"
        self.udp_port = None
        self.data_dir = tmp_path / "data"
        # Without --dev the caller passes --keys (and --bind 127.0.0.1 to stay on loopback).
        cmd = [BINARY, "serve"] + (["--dev"] if dev else []) + ["--port", "0", "--udp-port", "0",
               "--data-dir", str(self.data_dir)] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, cwd=str(tmp_path))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(30):
            self.stop()
            raise RuntimeError("server did not become ready:\n" + "\n".join(self.log_lines))

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.log_lines.append(line)
            m = re.search(r"media: listening on UDP [^ ]+:(\d+)$", line)
            if m:
                self.udp_port = int(m.group(1))
            m = re.search(r"switchboard ready: open (https?)://[^/]+:(\d+)/", line)
            if m:
                self.scheme, self.http_port = m.group(1), int(m.group(2))
                self._ready.set()

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.http_port}"

    def log_contains(self, pattern):
        return any(re.search(pattern, line) for line in self.log_lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)


@pytest.fixture
def start_server(tmp_path):
    started = []

    def start(*args, dev=True):
        server = ServerProcess(args, tmp_path, dev=dev)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
