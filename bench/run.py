#!/usr/bin/python3
"""bench/run.py - `make bench`: wsinetd against websocketd, same program (cat), same machine.

Servers, each on a free 127.0.0.1 port, each started and stopped by PID:
  wsinetd          wsinetd --port (its own listener; by default a handler serves up to
                   100 connections one after another, each with a fresh cat)
  wsinetd-fresh    wsinetd --port --handler-reuse=1 (a fresh handler process per
                   connection)
  wsinetd-inetd    systemd-socket-activate -a --inetd: wsinetd exec'd per connection
  websocketd       websocketd --port --address=127.0.0.1
  floor            no server: posix_spawn of cat, one line in and out (wsbench spawn)

For every server, RUNS rounds (interleaved, so a noisy neighbour hurts every column alike)
of: connect at concurrency 1 and 16, throughput with 100-byte and 4 KiB messages, and PSS
per idle connection. Then once: 1 MiB+ in flight both ways (stall or not), and the
handler's instructions per connection under callgrind (inetd style, a socketpair as the
connection, the handler process only). Then RUNS rounds against wsinetd --port alone with
permessage-deflate on and off (bench/deflate.js: npm `ws` as the client, since wsbench stays
libc + OpenSSL only): messages/s of 4 KiB and 100 bytes through cat, one connection. Prints
one Markdown table of medians with the ratio wsinetd/websocketd per figure and a small
second one for deflate; writes build/bench/results.json.

Usage: bench/run.py [--runs N] [--quick]      (environment: WSINETD, WSBENCH, WSDIR)
       bench/run.py callgrind [WSINETD]       (instructions per connection only)
"""
import base64
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# The tests' /proc helpers: which processes are a listener's spare handlers.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
from wslib import descendants, encode_frame, free_port, handler_children  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WSINETD = os.environ.get("WSINETD", os.path.join(ROOT, "wsinetd"))
WSBENCH = os.environ.get("WSBENCH", os.path.join(ROOT, "build", "bench", "wsbench"))
OUTDIR = os.environ.get("WSDIR", os.path.join(ROOT, "build", "bench"))
CAT = shutil.which("cat") or "/usr/bin/cat"
WEBSOCKETD = shutil.which("websocketd") or "/usr/bin/websocketd"
SSA = shutil.which("systemd-socket-activate") or "/usr/bin/systemd-socket-activate"
NODE = shutil.which("node") or "/usr/bin/node"
DEFLATE_JS = os.path.join(ROOT, "bench", "deflate.js")
WS_MODULE = os.path.join(ROOT, "tests", "node", "node_modules", "ws", "package.json")

# Every figure and its workload. Same parameters for every server.
CONNECT_C1 = dict(n=1000, c=1)
CONNECT_C16 = dict(n=1500, c=16)
THR_100 = dict(k=1, m=100000, s=100, w=64)
# websocketd 0.4.1 stalls for good once ~128 KiB are in flight: 16 x 4 KiB keeps it alive.
THR_4K = dict(k=1, m=40000, s=4096, w=16)
IDLE_N = 50
# --handler-reuse of the wsinetd-fresh column.
FRESH = 1

# One environment for every server, wsbench and every cat, whatever the caller's shell
# has: PATH alone. The program's start-up cost depends on it: with LANG=C.UTF-8, cat
# maps and parses the locale at every start (0.3 ms more per start here, `perf stat`).
# websocketd hands its program no LANG, wsinetd's --passenv default passes it on; a
# caller's LANG would bill one server for its program's locale.
BENCH_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
# 2 MiB in flight each way: 128 unanswered 16 KiB messages.
STALL = dict(k=1, m=600, s=16384, w=128)
TIMEOUT = 90          # seconds for any one wsbench run
STALL_SECONDS = 5     # no byte received for this long = stalled
# permessage-deflate (bench/deflate.js, one connection, npm ws client): tag, size, count,
# window. wsinetd runs with --deflate-min-size=1 so its 100-byte echoes are compressed too.
DEFLATE = [("d4k", 4096, 5000, 16), ("d100", 100, 20000, 64)]
DEFLATE_TIMEOUT = 60  # seconds for any one deflate.js run


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def wait_port(port, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("port %d not listening after %.0f s" % (port, timeout))


# --- processes ------------------------------------------------------------------------

def tree(pid):
    """pid and all its descendants."""
    return [pid] + descendants(pid)


def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def stop(proc, extra_pids=()):
    """Stop a server by PID: SIGTERM, then SIGKILL; then any leftover of its tree."""
    pids = [p for p in tree(proc.pid) if p != proc.pid] + list(extra_pids)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    time.sleep(0.05)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


class Server:
    def __init__(self, name, errlog, extra=()):
        self.name = name
        self.port = free_port()
        p = str(self.port)
        if name in ("wsinetd", "wsinetd-fresh"):
            if name == "wsinetd-fresh":
                extra = ["--handler-reuse=%d" % FRESH] + list(extra)
            argv = [WSINETD, "--port=" + p, "--address=127.0.0.1", "--loglevel=error"] + \
                list(extra) + [CAT]
        elif name == "wsinetd-inetd":
            argv = [SSA, "-a", "--inetd", "-l", "127.0.0.1:" + p, WSINETD, "--loglevel=error", CAT]
        elif name == "websocketd":
            argv = [WEBSOCKETD, "--port=" + p, "--address=127.0.0.1", "--loglevel=error", CAT]
        else:
            raise ValueError(name)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog,
                                     env=BENCH_ENV)
        wait_port(self.port, self.proc)
        # One full cycle so lazy start-up work is not billed to the first figure.
        bench("connect", self.port, n=3, c=1)

    def close(self):
        stop(self.proc)


# --- wsbench ----------------------------------------------------------------------------

def parse_kv(line):
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', line)}


def bench(mode, port=None, args=(), **kw):
    argv = [WSBENCH, mode]
    if port is not None:
        argv += ["-p", str(port)]
    for k, v in kw.items():
        argv += ["-" + k, str(v)]
    argv += ["-t", str(TIMEOUT)] + list(args)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=TIMEOUT + 30, env=BENCH_ENV)
    lines = r.stdout.strip().splitlines()
    res = parse_kv(lines[-1]) if lines else {}
    res["exit"] = r.returncode
    if r.returncode not in (0, 1) or not lines:
        raise RuntimeError("wsbench %s: %s" % (" ".join(argv[1:]), r.stderr.strip()))
    return res


def idle_pss(server, n):
    """KiB of PSS each idle connection adds to the server's process tree, and the part of
    it that is the program (cat)."""
    root = server.proc.pid
    time.sleep(0.2)
    before = sum(pss_kib(p) for p in tree(root))
    wb = subprocess.Popen([WSBENCH, "idle", "-p", str(server.port), "-n", str(n), "--hold", "60",
                           "-t", str(TIMEOUT)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=BENCH_ENV)
    try:
        line = wb.stdout.readline()
        if not line.startswith("ready"):
            raise RuntimeError("wsbench idle: %r" % line)
        ready = parse_kv(line)
        if int(ready.get("failures", 1)) != 0:
            raise RuntimeError("wsbench idle: %s" % line.strip())
        time.sleep(0.5)
        pids = tree(root)
        after = sum(pss_kib(p) for p in pids)
        prog = sum(pss_kib(p) for p in pids if comm(p) == "cat")
        nprocs = len(pids)
    finally:
        wb.stdin.close()
        try:
            wb.wait(timeout=30)
        except subprocess.TimeoutExpired:
            wb.kill()
            wb.wait()
    return (after - before) / n, prog / n, nprocs


def floor_pss(n):
    """PSS of n idle cats started straight from here: the program's own cost."""
    procs = [subprocess.Popen([CAT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=BENCH_ENV)
             for _ in range(n)]
    try:
        time.sleep(0.5)
        return sum(pss_kib(p.pid) for p in procs) / n
    finally:
        for p in procs:
            p.stdin.close()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# --- callgrind: the handler's instructions per connection --------------------------------

def recv_frame(sock, buf):
    while True:
        if len(buf) >= 2:
            n = buf[1] & 0x7f
            hl = 2 + (2 if n == 126 else 8 if n == 127 else 0)
            if len(buf) >= hl:
                if n >= 126:
                    n = int.from_bytes(buf[2:hl], "big")
                if len(buf) >= hl + n:
                    op, data = buf[0] & 0x0f, bytes(buf[hl:hl + n])
                    del buf[:hl + n]
                    return op, data
        d = sock.recv(65536)
        if not d:
            raise RuntimeError("EOF before a whole frame")
        buf += d


def callgrind_once(wsinetd, workdir):
    """One connection against `wsinetd PROGRAM` in inetd style over a socketpair; returns
    the instructions (Ir) of the handler process alone (cat runs natively, not traced)."""
    ours, theirs = socket.socketpair()
    out = os.path.join(workdir, "callgrind.out.%p")
    vg = subprocess.Popen(["valgrind", "--tool=callgrind", "--trace-children=no",
                           "--callgrind-out-file=" + out, wsinetd, "--loglevel=error", CAT],
                          stdin=theirs, stdout=theirs, stderr=subprocess.DEVNULL, env=BENCH_ENV)
    theirs.close()
    try:
        ours.settimeout(60)
        key = base64.b64encode(os.urandom(16)).decode()
        ours.sendall(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        buf = bytearray()
        while b"\r\n\r\n" not in buf:
            d = ours.recv(4096)
            if not d:
                raise RuntimeError("callgrind: no response")
            buf += d
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                             .encode()).digest())
        if not head.startswith(b"HTTP/1.1 101") or want not in head:
            raise RuntimeError("callgrind: bad handshake: %r" % head[:200])
        buf = bytearray(rest)
        msg = b"hello, callgrind"
        ours.sendall(encode_frame(1, msg))
        op, data = recv_frame(ours, buf)
        if op != 1 or data != msg:
            raise RuntimeError("callgrind: bad echo %r" % data)
        ours.sendall(encode_frame(8, b"\x03\xe8"))
        op, data = recv_frame(ours, buf)
        if op != 8:
            raise RuntimeError("callgrind: no Close")
        ours.close()
        vg.wait(timeout=60)
    finally:
        if vg.poll() is None:
            vg.kill()
            vg.wait()
    f = os.path.join(workdir, "callgrind.out.%d" % vg.pid)
    with open(f) as fh:
        for line in fh:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("callgrind: no total in " + f)


def callgrind(wsinetd, runs=3):
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory(prefix="wsbench-cg-") as d:
        return statistics.median(callgrind_once(wsinetd, d) for _ in range(runs))


# --- permessage-deflate: bench/deflate.js against wsinetd --port -------------------------

def children_cpu(pid):
    """Seconds of CPU of pid's reaped descendants (cutime + cstime): for the listener, its
    handlers, each with the program it reaped."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def wait_reaped(pid, timeout=10.0):
    """Until the listener pid has no handler but those waiting in accept (the one that
    served, with its cat, exited and reaped)."""
    end = time.monotonic() + timeout
    while True:
        if not handler_children(pid):
            break
        if time.monotonic() > end:
            raise RuntimeError("handler of %d still running %.0f s after its client" %
                               (pid, timeout))
        time.sleep(0.02)


def deflate_run(srv, mode, size, count, window):
    wait_reaped(srv.proc.pid)
    cpu0 = children_cpu(srv.proc.pid)
    argv = [NODE, DEFLATE_JS, "ws://127.0.0.1:%d/" % srv.port, mode, str(size), str(count),
            str(window), str(DEFLATE_TIMEOUT)]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=DEFLATE_TIMEOUT + 30)
    lines = r.stdout.strip().splitlines()
    try:
        x = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise RuntimeError("deflate.js %s %d: exit %d, %s" % (mode, size, r.returncode,
                                                               r.stderr.strip()[-500:]))
    if r.returncode != 0 or x.get("error"):
        raise RuntimeError("deflate.js %s %d: %s" % (mode, size, x.get("error")))
    wait_reaped(srv.proc.pid)
    x["server_cpu_us"] = (children_cpu(srv.proc.pid) - cpu0) / count * 1e6
    return x


def deflate_round(i, errlog, res):
    """One round: a fresh wsinetd --port; for each size, deflate off and on (order
    alternating between rounds)."""
    # --handler-reuse=1: the handler ends with its connection, so the listener reaps it
    # and its CPU (its cat's included) shows in children_cpu().
    srv = Server("wsinetd", errlog, extra=["--deflate-min-size=1", "--handler-reuse=1"])
    try:
        r = res.setdefault("wsinetd-deflate", {})
        for tag, size, count, window in DEFLATE:
            for mode in (("off", "on") if i % 2 == 0 else ("on", "off")):
                x = deflate_run(srv, mode, size, count, window)
                log("  %-14s deflate %-3s s=%-5d msgs_per_s=%.0f mb_per_s=%.2f "
                    "wire_per_echo=%.0f server_cpu_us=%.1f client_cpu_us=%.1f extensions=%s" %
                    ("wsinetd", mode, size, x["msgs_per_s"], x["mb_per_s"],
                     x["wire_in"] / count, x["server_cpu_us"], x["client_cpu_us"],
                     x["ws_extensions"]))
                k = "%s_%s" % (tag, mode)
                r.setdefault(k + "_mps", []).append(float(x["msgs_per_s"]))
                r.setdefault(k + "_mbs", []).append(float(x["mb_per_s"]))
                r.setdefault(k + "_wire", []).append(x["wire_in"] / count)
                r.setdefault(k + "_cpu", []).append(x["server_cpu_us"])
                r.setdefault(k + "_ccpu", []).append(float(x["client_cpu_us"]))
    finally:
        srv.close()


# tag, label, format
DEFLATE_ROWS = [
    ("d4k", "mps", "4 KiB messages/s through cat, deflate off / on (npm ws client)", "%.0f"),
    ("d4k", "mbs", "  MB/s (payload, one way)", "%.1f"),
    ("d4k", "wire", "  bytes on the wire per echo, server to client", "%.0f"),
    ("d4k", "cpu", "  wsinetd CPU per message (us, handler + cat)", "%.1f"),
    ("d4k", "ccpu", "  client CPU per message (us, node + ws)", "%.1f"),
    ("d100", "mps", "100-byte messages/s through cat, deflate off / on (npm ws client)", "%.0f"),
    ("d100", "mbs", "  MB/s (payload, one way)", "%.2f"),
    ("d100", "wire", "  bytes on the wire per echo, server to client", "%.0f"),
    ("d100", "cpu", "  wsinetd CPU per message (us, handler + cat)", "%.1f"),
    ("d100", "ccpu", "  client CPU per message (us, node + ws)", "%.1f"),
]


def node_versions():
    v = subprocess.run([NODE, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True).stdout.strip()
    try:
        with open(WS_MODULE) as f:
            ws = json.load(f).get("version", "?")
    except (OSError, ValueError):
        ws = "?"
    return v, ws


def deflate_table(med, runs):
    lines = ["| wsinetd --port, one connection (median of %d) | deflate off | deflate on | "
             "on / off |" % runs, "|---|---|---|---|"]
    for tag, what, label, f in DEFLATE_ROWS:
        off = med.get("%s_off_%s" % (tag, what))
        on = med.get("%s_on_%s" % (tag, what))
        ratio = "%.2f" % (on / off) if on is not None and off else ""
        lines.append("| %s | %s | %s | %s |" % (label, fmt(off, f), fmt(on, f), ratio))
    return "\n".join(lines)


# --- the table ----------------------------------------------------------------------------

SERVERS = ["wsinetd", "wsinetd-fresh", "wsinetd-inetd", "websocketd"]
OURS = [s for s in SERVERS if s != "websocketd"]

# key, label, better ("hi"/"lo"), format
ROWS = [
    ("c1_cps", "connections/s, concurrency 1", "hi", "%.0f"),
    ("c1_t101_p50", "  time to 101 p50 (ms)", "lo", "%.2f"),
    ("c1_t101_p99", "  time to 101 p99 (ms)", "lo", "%.2f"),
    ("c1_t101_max", "  time to 101 max (ms)", "lo", "%.2f"),
    ("c1_cycle_p50", "  whole cycle p50 (ms)", "lo", "%.2f"),
    ("c1_cycle_p99", "  whole cycle p99 (ms)", "lo", "%.2f"),
    ("c1_cycle_max", "  whole cycle max (ms)", "lo", "%.2f"),
    ("c16_cps", "connections/s, concurrency 16", "hi", "%.0f"),
    ("c16_t101_p50", "  time to 101 p50 (ms)", "lo", "%.2f"),
    ("c16_t101_p99", "  time to 101 p99 (ms)", "lo", "%.2f"),
    ("c16_cycle_p50", "  whole cycle p50 (ms)", "lo", "%.2f"),
    ("c16_cycle_p99", "  whole cycle p99 (ms)", "lo", "%.2f"),
    ("c16_cycle_max", "  whole cycle max (ms)", "lo", "%.2f"),
    ("c_fail", "connect failures (all runs)", "lo", "%.0f"),
    ("t100_mps", "100-byte messages/s through cat", "hi", "%.0f"),
    ("t100_mbs", "  MB/s (payload, one way)", "hi", "%.1f"),
    ("t4k_mps", "4 KiB messages/s through cat", "hi", "%.0f"),
    ("t4k_mbs", "  MB/s (payload, one way)", "hi", "%.1f"),
    ("idle_pss", "PSS per idle connection (KiB)", "lo", "%.0f"),
    ("idle_prog", "  of which the program, cat (KiB)", "lo", "%.0f"),
    ("stall", "2 MiB in flight both ways", "", "%s"),
    ("instr", "handler instructions per connection (callgrind)", "lo", "%s"),
]

TARGETS = {
    ("wsinetd", "c1_cps"): (1.2, "hi"),
    ("wsinetd", "c16_cps"): (1.2, "hi"),
    ("wsinetd-inetd", "c1_cps"): (0.6, "hi"),
    ("wsinetd-inetd", "c16_cps"): (0.6, "hi"),
    ("wsinetd", "t100_mps"): (5.0, "hi"),
    ("wsinetd", "t4k_mps"): (3.0, "hi"),
    ("wsinetd", "idle_pss"): (1.5, "lo"),
}


def fmt(v, f):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f % v


def table(med, extra):
    lines = []
    hdr = ["figure (median of %d)" % extra["runs"], "wsinetd --port",
           "wsinetd --port --handler-reuse=%d" % FRESH, "wsinetd under ssa --inetd",
           "websocketd", "floor (cat alone)", "ratio --port / websocketd",
           "ratio --handler-reuse=%d / websocketd" % FRESH, "ratio --inetd / websocketd"]
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for key, label, better, f in ROWS:
        cells = [label]
        for s in SERVERS + ["floor"]:
            cells.append(fmt(med.get(s, {}).get(key), f))
        base = med.get("websocketd", {}).get(key)
        for s in OURS:
            v = med.get(s, {}).get(key)
            if isinstance(v, (int, float)) and isinstance(base, (int, float)) and base > 0 and \
                    better:
                r = v / base
                t = TARGETS.get((s, key))
                mark = ""
                if t:
                    ok = r >= t[0] if t[1] == "hi" else r <= t[0]
                    mark = " (target %s%.1f: %s)" % (">=" if t[1] == "hi" else "<=", t[0],
                                                      "met" if ok else "MISSED")
                cells.append("%.2f%s" % (r, mark))
            else:
                cells.append("")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ver = subprocess.run([WEBSOCKETD, "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout.strip().splitlines()
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "websocketd": ver[0] if ver else "?"}


def one_round(name, errlog, res):
    srv = Server(name, errlog)
    try:
        r = res.setdefault(name, {})
        # Idle cost first, on a fresh server: after a thousand connections websocketd's Go
        # heap holds enough freed memory that 50 more cost it nothing measurable.
        total, prog, nprocs = idle_pss(srv, IDLE_N)
        log("  %-14s idle n=%d: %.0f KiB/connection (program %.0f), %d processes" %
            (name, IDLE_N, total, prog, nprocs))
        r.setdefault("idle_pss", []).append(total)
        r.setdefault("idle_prog", []).append(prog)
        for tag, kw in (("c1", CONNECT_C1), ("c16", CONNECT_C16)):
            x = bench("connect", srv.port, **kw)
            log("  %-14s connect c=%-2d %s" % (name, kw["c"], _short(x)))
            r.setdefault(tag + "_cps", []).append(float(x["conn_per_s"]))
            for k in ("t101_p50", "t101_p99", "t101_max", "cycle_p50", "cycle_p99", "cycle_max"):
                r.setdefault(tag + "_" + k, []).append(float(x[k + "_ms"]))
            r.setdefault("c_fail", []).append(float(x["failures"]))
        for tag, kw in (("t100", THR_100), ("t4k", THR_4K)):
            x = bench("throughput", srv.port, args=["--stall", str(STALL_SECONDS)], **kw)
            log("  %-14s throughput s=%-5d %s" % (name, kw["s"], _short(x)))
            if x.get("stalled") == "1" or int(x.get("failures", 1)):
                r.setdefault(tag + "_mps", []).append(0.0)
                r.setdefault(tag + "_mbs", []).append(0.0)
            else:
                r.setdefault(tag + "_mps", []).append(float(x["msg_per_s"]))
                r.setdefault(tag + "_mbs", []).append(float(x["mb_per_s"]))
    finally:
        srv.close()


def _short(x):
    keep = ("conn_per_s", "t101_p50_ms", "cycle_p50_ms", "cycle_p99_ms", "msg_per_s", "mb_per_s",
            "failures", "stalled", "first_error")
    return " ".join("%s=%s" % (k, x[k]) for k in keep if k in x)


def main():
    # 7 rounds: on this shared 2-CPU VM the median of 5 moved the listener's connections/s
    # ratio between 1.15x and 1.41x from one full run to the next (websocketd alone
    # between 661 and 949 connections/s at concurrency 1); 7 take about a minute more.
    runs = 7
    args = sys.argv[1:]
    if args and args[0] == "callgrind":
        print(callgrind(args[1] if len(args) > 1 else WSINETD))
        return 0
    if "--runs" in args:
        runs = int(args[args.index("--runs") + 1])
    global CONNECT_C1, CONNECT_C16, THR_100, THR_4K, DEFLATE
    if "--quick" in args:
        CONNECT_C1, CONNECT_C16 = dict(n=100, c=1), dict(n=200, c=16)
        THR_100, THR_4K = dict(THR_100, m=20000), dict(THR_4K, m=5000)
        DEFLATE = [(t, s, m // 4, w) for t, s, m, w in DEFLATE]
    for f in (WSINETD, WSBENCH, WEBSOCKETD, SSA):
        if not os.access(f, os.X_OK):
            log("bench: %s is missing (make wsinetd build/bench/wsbench; bench/install-deps)" % f)
            return 2
    os.makedirs(OUTDIR, exist_ok=True)
    t0 = time.monotonic()
    errlog = open(os.path.join(OUTDIR, "servers.log"), "w")
    res = {}
    for i in range(runs):
        log("bench: round %d of %d" % (i + 1, runs))
        order = SERVERS[i % len(SERVERS):] + SERVERS[:i % len(SERVERS)]
        for name in order:
            one_round(name, errlog, res)
        fl = res.setdefault("floor", {})
        for tag, kw in (("c1", CONNECT_C1), ("c16", CONNECT_C16)):
            x = bench("spawn", None, args=["--", CAT], **kw)
            log("  %-14s spawn c=%-2d %s" % ("floor", kw["c"], _short(x)))
            fl.setdefault(tag + "_cps", []).append(float(x["spawn_per_s"]))
            for k in ("cycle_p50", "cycle_p99", "cycle_max"):
                fl.setdefault(tag + "_" + k, []).append(float(x[k + "_ms"]))
        p = floor_pss(IDLE_N)
        fl.setdefault("idle_pss", []).append(p)
        fl.setdefault("idle_prog", []).append(p)

    med = {s: {k: statistics.median(v) for k, v in d.items()} for s, d in res.items()}
    med["floor"]["c_fail"] = None
    for s in SERVERS:
        med[s]["c_fail"] = sum(res[s]["c_fail"])
    # Once each: a large window both ways.
    for name in SERVERS:
        srv = Server(name, errlog)
        try:
            x = bench("throughput", srv.port, args=["--stall", str(STALL_SECONDS)], **STALL)
        finally:
            srv.close()
        ok = x.get("stalled") == "0" and x.get("failures") == "0"
        log("  %-14s 2 MiB in flight: %s" % (name, _short(x)))
        med[name]["stall"] = ("flows (%.0f MB/s)" % float(x["mb_per_s"])) if ok else \
            "STALLED" if x.get("stalled") == "1" else "failed"
    instr = callgrind(WSINETD)
    if instr is not None:
        med["wsinetd-inetd"]["instr"] = "%.2fM" % (instr / 1e6)
        log("  callgrind: %d instructions in the handler for one connection" % instr)
    have_node = os.access(NODE, os.X_OK) and os.path.exists(WS_MODULE)
    if have_node:
        for i in range(runs):
            log("bench: deflate round %d of %d" % (i + 1, runs))
            deflate_round(i, errlog, res)
        med["wsinetd-deflate"] = {k: statistics.median(v)
                                  for k, v in res["wsinetd-deflate"].items()}
    else:
        log("bench: no node or npm ws (tests/node: npm ci): deflate figures skipped")
    errlog.close()
    extra = {"runs": runs, "seconds": round(time.monotonic() - t0), "machine": machine(),
             "workloads": {"connect_c1": CONNECT_C1, "connect_c16": CONNECT_C16,
                           "throughput_100": THR_100, "throughput_4k": THR_4K,
                           "idle_connections": IDLE_N, "in_flight": STALL,
                           "deflate": " / ".join("s=%d,m=%d,w=%d" % (s, m, w)
                                                 for _, s, m, w in DEFLATE)}}
    with open(os.path.join(OUTDIR, "results.json"), "w") as f:
        json.dump({"runs": res, "median": med, "extra": extra}, f, indent=1)
    m = extra["machine"]
    print()
    print(table(med, extra))
    print()
    if have_node:
        print(deflate_table(med["wsinetd-deflate"], runs))
        print()
        print("Deflate: bench/deflate.js, node %s, npm ws %s (perMessageDeflate threshold 0, "
              "so every message is compressed both ways with wsinetd --deflate-min-size=1); "
              "CPU: the listener's reaped children. wsbench is not used here: it stays libc + "
              "OpenSSL only." % (node_versions()))
        print()
    print("Machine: %s CPUs, %s, Linux %s; %s. Workloads: %s. %d s in all." %
          (m["nproc"], m["cpu"], m["kernel"], m["websocketd"],
           "; ".join("%s %s" % (k, ",".join("%s=%s" % kv for kv in v.items()))
                     if isinstance(v, dict) else "%s %s" % (k, v)
                     for k, v in extra["workloads"].items()), extra["seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
