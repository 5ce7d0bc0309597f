#!/usr/bin/env python3
"""Switchboard against a Pion v3 forwarder: same machine, same run, same load.

For each scenario both servers are started fresh and driven by the same
`switchboard loadtest --protocol whip` (WHIP to publish, WHEP to view). Reported per server:

- cpu_us/pkt: the server process's CPU time (user + system, /proc/<pid>/stat) over the measured
  window, divided by the packets its viewers received in that window (forwarded copies);
- added p50/p99: server-added latency from kernel capture timestamps on lo (dumpcap, the same
  for both servers): each datagram into the server's UDP port is matched to every copy leaving
  it by the abs-capture-time value the load generator stamps (header extensions stay in the
  clear under SRTP, and both servers pass them through unchanged);
- loss and viewer-measured latency from the load generator; RSS at the end.

    python3 Benchmarks/peers/compare.py [--sizes 10,100,500] [--meeting 10] [--seconds 15] [--realtime 10]
        [--pacing 2.5] [--keyframe-interval 10s] [--repeat 1] [--pin]

--pacing and --keyframe-interval go to the load generator: by default its publisher paces
video like libwebrtc (2.5x the bitrate, 40 ms burst) and sends a keyframe every 10 s, as a
camera behind a browser does; `--pacing 0 --keyframe-interval 2s` is the earlier, burstier load
(each frame's packets back to back, a keyframe every 2 s).

--pin runs each server alone on the last CPU and everything else (this script, the load
generator, dumpcap) on the others: a per-core comparison, and the server never waits for a CPU
the load generator holds. Without it the servers share every CPU with the load.

--realtime N gives both servers SCHED_FIFO priority N: Switchboard's media thread through
`rtc.realtime_priority`, every thread of the Pion process with `chrt -a -f -p N` (Go schedules
goroutines over all of its threads, so there is no one media thread to pick).

Needs: a release build (swift build -c release --product switchboard), the Pion forwarder
(Benchmarks/peers/build.sh; apt-get install golang-go golang-github-pion-webrtc.v3-dev) and
dumpcap (apt-get install tshark), run as root for the capture.
"""
import argparse
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")
ABS_CAPTURE_ID = 5


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) / 1024


class Server:
    def __init__(self, kind, binary, pion, work, realtime=0, cpu=None):
        self.kind = kind
        self.http = free_port()
        self.udp = free_port(socket.SOCK_DGRAM)
        if kind == "switchboard":
            config = os.path.join(work, "config.yaml")
            with open(config, "w") as f:
                f.write("limits:\n  join_burst: 5000\n  joins_per_second: 1000\n")
                if realtime:
                    f.write(f"rtc:\n  realtime_priority: {realtime}\n")
            cmd = [binary, "serve", "--dev", "--port", str(self.http), "--udp-port", str(self.udp), "--log-level", "warning",
                   "--data-dir", os.path.join(work, f"data-{self.http}"), "--config", config, "--web-dir", ""]
        else:
            cmd = [pion, "-http", f"127.0.0.1:{self.http}", "-udp", f"127.0.0.1:{self.udp}"]
        # --pin: the server alone on one CPU. Go sizes GOMAXPROCS from the affinity it starts
        # with (one thread runs goroutines); SwiftNIO counts online CPUs, so Switchboard still
        # starts two event loops, on that one CPU.
        pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.http), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"{kind} did not start")
                time.sleep(0.1)
        if realtime and kind != "switchboard":
            subprocess.run(["chrt", "-a", "-f", "-p", str(realtime), str(self.proc.pid)], check=True)
        if realtime and "FIFO" not in self.policies():
            raise RuntimeError(f"{kind}: no thread runs SCHED_FIFO ({self.policies()})")

    def policies(self):
        """Scheduling policy of each thread of the server (field 41 of /proc/<pid>/task/<tid>/stat)."""
        names = {0: "OTHER", 1: "FIFO", 2: "RR"}
        found = set()
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{tid}/stat") as f:
                    found.add(names.get(int(f.read().rsplit(")", 1)[1].split()[38]), "other"))
            except FileNotFoundError:
                pass  # the thread exited meanwhile
        return found

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def capture(port, seconds, path):
    """dumpcap on lo for the server's UDP port: classic pcap, headers only."""
    return subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", f"udp port {port}", "-s", "96", "-P",
                             "-a", f"duration:{seconds}", "-w", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def abs_capture_time(rtp):
    """The abs-capture-time value of an RTP packet (one-byte header extensions), or None."""
    if len(rtp) < 12 or rtp[0] >> 6 != 2 or not rtp[0] & 0x10 or 192 <= rtp[1] <= 223:
        return None
    offset = 12 + 4 * (rtp[0] & 0x0F)
    if len(rtp) < offset + 4 or rtp[offset:offset + 2] != b"\xbe\xde":
        return None
    end = offset + 4 + 4 * struct.unpack("!H", rtp[offset + 2:offset + 4])[0]
    i = offset + 4
    while i < min(end, len(rtp)):
        byte = rtp[i]
        if byte == 0:
            i += 1
            continue
        ident, length = byte >> 4, (byte & 0x0F) + 1
        if ident == ABS_CAPTURE_ID and i + 1 + 8 <= len(rtp):
            return rtp[i + 1:i + 9]
        i += 1 + length
    return None


def added_latency(path, port, skip=1.5):
    """Per forwarded copy: capture time out - capture time in, in microseconds. The first `skip`
    seconds are left out: starting the capture itself stalls both servers for tens of ms."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
    arrivals, copies = {}, []
    pos, start = 24, None
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        t = sec + frac * scale
        start = t if start is None else start
        if t - start < skip:
            continue
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ihl = (frame[14] & 0x0F) * 4
        udp = frame[14 + ihl:]
        sport, dport = struct.unpack("!HH", udp[:4])
        key = abs_capture_time(udp[8:])
        if key is None:
            continue
        if dport == port:
            arrivals.setdefault(key, t)
        elif sport == port:
            copies.append((key, t))
    return [(t - arrivals[k]) * 1e6 for k, t in copies if k in arrivals and t >= arrivals[k]]


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(kind, args, scenario, work, repeat=0):
    publishers, viewers, bitrate = scenario["publishers"], scenario["viewers"], scenario["bitrate"]
    # One file pair per run: a repeat that fails must not be reported from the previous one's files.
    report_path = os.path.join(work, f"{kind}-{scenario['name']}-{repeat}.json")
    pcap = os.path.join(work, f"{kind}-{scenario['name']}-{repeat}.pcap")
    server = Server(kind, args.binary, args.pion, work, args.realtime, args.server_cpu)
    try:
        load = subprocess.Popen([args.binary, "loadtest", "--url", f"http://127.0.0.1:{server.http}", "--room", "bench",
                                 "--publishers", str(publishers), "--subscribers", str(viewers),
                                 "--duration", f"{args.seconds}s", "--warmup", "3s", "--video-bitrate", str(bitrate),
                                 "--pacing", str(args.pacing), "--keyframe-interval", args.keyframe_interval,
                                 "--json", report_path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        marks, received, dump = [], [], None
        for line in load.stdout:
            m = re.match(r"\s+(\d+)s\s+sent\s+\d+ pkt/s\s+received\s+(\d+) pkt/s", line)
            if not m:
                continue
            marks.append((time.monotonic(), cpu_seconds(server.proc.pid)))
            received.append(int(m.group(2)))
            if int(m.group(1)) == 2 and args.capture_seconds > 0:
                dump = capture(server.udp, args.capture_seconds + 2, pcap)
        load.wait()
        rss = rss_mb(server.proc.pid)
        if dump is not None:
            dump.wait(args.capture_seconds + 12)
        with open(report_path) as f:
            report = json.load(f)
        # CPU between the first and the last progress line, over the packets received between them.
        cpu = marks[-1][1] - marks[0][1] if len(marks) > 1 else 0
        packets = sum(received[1:])
        latency = added_latency(pcap, server.udp) if dump is not None else []
        return {
            "server": kind, "scenario": scenario["name"], "repeat": repeat, "viewers_ok": f"{report['viewersWithAllMedia']}/{viewers * 1}",
            "pkts": packets, "pkt_s": packets / max(1e-9, marks[-1][0] - marks[0][0]) if len(marks) > 1 else 0,
            "cpu_us_per_pkt": cpu / packets * 1e6 if packets else None, "cpu_s": cpu,
            "loss_pct": report["loss"] * 100 if "loss" in report else (
                100 * (report["audio"]["lost"] + report["video"]["lost"]) /
                max(1, report["audio"]["packets"] + report["video"]["packets"] + report["audio"]["lost"] + report["video"]["lost"])),
            "added_p50_us": percentile(latency, 0.5), "added_p99_us": percentile(latency, 0.99), "copies": len(latency),
            "e2e_p50_ms": report.get("latencyP50"), "e2e_p99_ms": report.get("latencyP99"), "rss_mb": rss,
            "failures": len(report["failures"]),
        }
    finally:
        server.stop()


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "switchboard"))
    parser.add_argument("--pion", default=os.path.join(ROOT, ".build", "peers", "pion-forwarder"))
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--meeting", type=int, default=10, help="a meeting of this many publishers and viewers (0: none)")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--capture-seconds", type=int, default=6)
    parser.add_argument("--bitrate", type=int, default=1500, help="VP8 kbit/s per publisher")
    parser.add_argument("--large-bitrate", type=int, default=300, help="VP8 kbit/s when N >= 500")
    parser.add_argument("--json", help="write all results here")
    parser.add_argument("--realtime", type=int, default=0, help="SCHED_FIFO priority for both servers (0: normal scheduling)")
    parser.add_argument("--pacing", type=float, default=2.5,
                        help="the load generator's publisher pacing factor, as libwebrtc's (0: each frame's packets back to back)")
    parser.add_argument("--keyframe-interval", default="10s", help="the load generator's time between keyframes")
    parser.add_argument("--repeat", type=int, default=1, help="run every scenario this many times (each server fresh each time)")
    parser.add_argument("--pin", action="store_true",
                        help="each server alone on the last CPU; the load generator and dumpcap on the others")
    args = parser.parse_args()
    args.server_cpu = None
    if args.pin:
        if args.realtime:
            sys.exit("--pin with --realtime would leave a server's other threads only what the real-time thread leaves of its one CPU")
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            sys.exit("--pin needs at least two CPUs")
        args.server_cpu = cpus[-1]
        os.sched_setaffinity(0, set(cpus[:-1]))  # this script, the load generator and dumpcap
    scenarios = [{"name": f"1->{n}", "publishers": 1, "viewers": n, "bitrate": args.bitrate if n < 500 else args.large_bitrate}
                 for n in map(int, args.sizes.split(",")) if n > 0]
    if args.meeting:
        scenarios.append({"name": f"meeting-{args.meeting}", "publishers": args.meeting, "viewers": args.meeting,
                          "bitrate": args.large_bitrate})
    work = tempfile.mkdtemp(prefix="switchboard-compare-")
    results = []
    print("scenario     server        viewers   fwd pkt/s  cpu us/pkt  added p50/p99 us   e2e p50/p99 ms  loss %   RSS MB")
    print(f"# load: pacing {args.pacing}, keyframe interval {args.keyframe_interval}, realtime {args.realtime or 'off'}, "
          f"server CPU {'any' if args.server_cpu is None else args.server_cpu}", flush=True)
    for scenario, repeat in [(s, k) for s in scenarios for k in range(max(1, args.repeat))]:
        for kind in ("switchboard", "pion"):
            r = run(kind, args, scenario, work, repeat)
            results.append(r)
            print(f"{scenario['name']:<12} {kind:<12} {r['viewers_ok']:>8} {r['pkt_s']:>10.0f} {fmt(r['cpu_us_per_pkt'], '>11.2f')}"
                  f"  {fmt(r['added_p50_us'], '>7.0f')}/{fmt(r['added_p99_us'], '<8.0f')}"
                  f"  {fmt(r['e2e_p50_ms'], '>6.2f')}/{fmt(r['e2e_p99_ms'], '<7.2f')}  {r['loss_pct']:>6.3f}  {r['rss_mb']:>6.1f}",
                  flush=True)
        sb, pion = results[-2], results[-1]
        if sb["cpu_us_per_pkt"] and pion["cpu_us_per_pkt"] and sb["added_p99_us"] and pion["added_p99_us"]:
            print(f"{'':12} ratio        cpu/pkt {sb['cpu_us_per_pkt'] / pion['cpu_us_per_pkt']:.2f}x  "
                  f"added p99 {sb['added_p99_us'] / pion['added_p99_us']:.2f}x  (Switchboard / Pion)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
