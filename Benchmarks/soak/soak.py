#!/usr/bin/env python3
"""Soak: a long load against one server, watching it for leaks.

Starts `switchboard serve` (release build by default) on free ports, then runs
`switchboard loadtest` for the whole duration: ROOMS rooms, each with PARTICIPANTS
participants that publish audio + video over WHIP and as many viewers over WHEP. Every
minute it records the server's RSS and open file descriptors (from /proc/<pid>). It fails
when either grew by more than --max-growth (default 2 %) between the first sample taken
after the warm-up minute and the last, or when the load test itself failed (loss, missing
media).

    make soak                                   # 10 rooms x 4 participants, 30 minutes
    SOAK_MINUTES=5 make soak                    # shorter
    python3 Benchmarks/soak/soak.py --minutes 3 --rooms 2 --participants 4
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "switchboard"))
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 30)))
    parser.add_argument("--rooms", type=int, default=int(os.environ.get("SOAK_ROOMS", 10)))
    parser.add_argument("--participants", type=int, default=int(os.environ.get("SOAK_PARTICIPANTS", 4)))
    parser.add_argument("--video-bitrate", type=int, default=500, help="kbit/s per publisher")
    parser.add_argument("--max-growth", type=float, default=2.0, help="percent")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="switchboard-soak-")
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write("limits:\n  join_burst: 1000\n  joins_per_second: 100\n")
    port = free_port()
    server = subprocess.Popen([args.binary, "serve", "--dev", "--port", str(port), "--udp-port", "0",
                               "--data-dir", os.path.join(work, "data"), "--config", config],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ready = threading.Event()

    def read_server():
        for line in server.stdout:
            if "switchboard ready" in line:
                ready.set()
    threading.Thread(target=read_server, daemon=True).start()
    load = None
    try:
        if not ready.wait(30):
            sys.exit("server did not start")
        seconds = int(args.minutes * 60)
        load = subprocess.Popen([args.binary, "loadtest", "--url", f"http://127.0.0.1:{port}", "--room", "soak",
                                 "--rooms", str(args.rooms), "--publishers", str(args.participants),
                                 "--subscribers", str(args.participants), "--duration", f"{seconds}s",
                                 "--video-bitrate", str(args.video_bitrate)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        threading.Thread(target=lambda: lines.extend(load.stdout), daemon=True).start()
        samples = []
        start = time.monotonic()
        print(f"soak: {args.rooms} rooms x {args.participants} participants (WHIP + WHEP), {args.minutes} min, "
              f"server pid {server.pid}")
        print("minute   rss_kB   fds")
        while load.poll() is None:
            rss, fds = sample(server.pid)
            minute = (time.monotonic() - start) / 60
            samples.append((minute, rss, fds))
            print(f"{minute:6.1f} {rss:8d} {fds:5d}", flush=True)
            deadline = time.monotonic() + args.interval
            while load.poll() is None and time.monotonic() < deadline:
                time.sleep(0.5)
        load.wait()
        print("".join(lines[-12:]))
        # The first minute is set-up (joins, caches filling); growth counts from the sample after it.
        steady = [s for s in samples if s[0] >= 1.0] or samples
        if len(steady) < 2:
            print("too few samples for a growth check (run longer than 2 minutes)")
            return 1 if load.returncode else 0
        (_, rss0, fds0), (_, rss1, fds1) = steady[0], steady[-1]
        rss_growth = (rss1 - rss0) * 100 / rss0
        fd_growth = (fds1 - fds0) * 100 / fds0
        print(f"growth from minute {steady[0][0]:.1f} to {steady[-1][0]:.1f}: RSS {rss_growth:+.2f} %, fds {fd_growth:+.2f} %")
        failed = load.returncode != 0 or rss_growth > args.max_growth or fd_growth > args.max_growth
        print("FAIL" if failed else "PASS")
        return 1 if failed else 0
    finally:
        for proc in (load, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    sys.exit(main())
