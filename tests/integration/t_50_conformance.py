#!/usr/bin/python3
"""t_50_conformance.py - TAP: the Autobahn-style conformance catalogue (conformance.py)
against `wsinetd --json --max-message=16M cat` (every case) and then against plain
`wsinetd cat` (lines mode: the cases with text messages only, no '\\n' in them).
Sections 12 and 13 are permessage-deflate (RFC 7692, on by default in wsinetd): compressed
echo at many sizes and kinds, fragmented compressed messages, the RFC's examples, the
failure cases (RSV1 misuse 1002, corrupt data and bad UTF-8 after inflating 1007, a bomb
past --max-message 1009), and every negotiation parameter, each checked strictly.

One "ok N - case X.Y.Z description" per case; "not ok" unless the verdict is strict OK.
Run by `prove -e ''`. Binary: $WSINETD, default <repo>/wsinetd. Listens on 127.0.0.1 only,
on a port found free by binding port 0; the servers are killed by process group at the end.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import conformance  # noqa: E402
from wslib import free_port  # noqa: E402

WSINETD = os.environ.get("WSINETD", os.path.join(REPO, "wsinetd"))
JOBS = int(os.environ.get("CONFORMANCE_JOBS", "4"))
BUDGET_JSON = 75.0   # seconds; cases not started by then fail as "not run"
BUDGET_LINES = 35.0


def start_server(args, log):
    """Start wsinetd on a free port; returns (proc, port) once it accepts connections."""
    last = None
    for _attempt in range(3):
        port = free_port()
        try:
            proc = subprocess.Popen([WSINETD, "--port=%d" % port, "--address=127.0.0.1"]
                                    + args, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=log,
                                    start_new_session=True)
        except OSError as e:
            last = "cannot run %s: %s" % (WSINETD, e)
            time.sleep(0.5)
            continue
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last = "wsinetd exited with status %s" % proc.returncode
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return proc, port
            except OSError as e:
                last = str(e)
                time.sleep(0.05)
        stop_server(proc)
    raise RuntimeError("wsinetd %s did not start listening: %s" % (" ".join(args), last))


def stop_server(proc):
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
    # handlers forked by the listener share its process group: reap the group as well
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def diag(text):
    for line in str(text).splitlines():
        print("#   " + line)


def log_tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    return lines[-n:]


def case_log_lines(path, ports):
    """The server's log lines for the handlers that served our connections from `ports`:
    the handler is found by its access record (peer=127.0.0.1:PORT), then all its lines."""
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    want = set(str(p) for p in ports)
    pids = set()
    for ln in lines:
        m = re.match(r"\S*?\[(\d+)\]: .*\bpeer=(?:127\.0\.0\.1|\[?[0-9a-fA-F:.]+\]?):(\d+)\b", ln)
        if m and m.group(2) in want:
            pids.add(m.group(1))
    out = []
    for ln in lines:
        m = re.match(r"\S*?\[(\d+)\]:", ln)
        if m and m.group(1) in pids:
            out.append(ln)
    return out[:20]


def main():
    if not (os.path.isfile(WSINETD) and os.access(WSINETD, os.X_OK)):
        print("1..0 # SKIP wsinetd binary not found at %s (make wsinetd)" % WSINETD)
        return 0
    all_cases = conformance.select_cases(None)
    runs = [
        ("json", ["--json", "--max-message=16M", "cat"], 16 * conformance.MIB, all_cases,
         BUDGET_JSON),
        ("lines", ["cat"], 1 * conformance.MIB,
         [c for c in all_cases if c.lines_ok and not c.skip], BUDGET_LINES),
    ]
    print("1..%d" % sum(len(r[3]) for r in runs), flush=True)
    n = 0
    failed = 0
    procs = []
    tmpdir = tempfile.mkdtemp(prefix="wsinetd-conformance-")
    try:
        for mode, args, max_message, cases, budget in runs:
            logpath = os.path.join(tmpdir, "wsinetd-%s.log" % mode)
            with open(logpath, "wb") as log:
                try:
                    proc, port = start_server(args, log)
                except RuntimeError as e:
                    print("Bail out! %s" % e)
                    diag("\n".join(log_tail(logpath)))
                    return 1
                procs.append(proc)
                print("# %s mode: wsinetd --port=%d --address=127.0.0.1 %s"
                      % (mode, port, " ".join(args)), flush=True)
                t0 = time.monotonic()
                counts = {"OK": 0, "FAILED": 0, "SKIP": 0}
                failures = []
                for r in conformance.run("ws://127.0.0.1:%d/" % port, mode,
                                         max_message=max_message, jobs=JOBS, budget=budget,
                                         cases=cases):
                    n += 1
                    counts[r.verdict] = counts.get(r.verdict, 0) + 1
                    label = "case %s %s%s" % (r.case.id, r.case.desc,
                                              " (lines mode)" if mode == "lines" else "")
                    label = label.replace("#", "no.")
                    if r.verdict == "SKIP":
                        print("ok %d - %s # SKIP %s" % (n, label, r.detail), flush=True)
                    elif r.verdict == "OK":
                        print("ok %d - %s" % (n, label), flush=True)
                        if r.detail:
                            diag("note: " + r.detail)
                    else:
                        failed += 1
                        print("not ok %d - %s" % (n, label), flush=True)
                        diag(r.detail)
                        failures.append((n, r))
                print("# %s mode: %d OK, %d FAILED, %d SKIPPED in %.1f s"
                      % (mode, counts["OK"], counts["FAILED"], counts["SKIP"],
                         time.monotonic() - t0), flush=True)
                stop_server(proc)
                if proc.returncode not in (None, 0, -signal.SIGTERM):
                    diag("wsinetd (%s) ended with status %s" % (mode, proc.returncode))
            for num, r in failures[:40]:
                lines = case_log_lines(logpath, r.ports)
                if lines:
                    print("# wsinetd log for test %d (case %s, %s mode):" % (num, r.case.id, mode))
                    diag("\n".join(lines))
            if failures and not any(case_log_lines(logpath, r.ports) for _, r in failures):
                diag("wsinetd stderr (%s mode), last lines:" % mode)
                diag("\n".join(log_tail(logpath)))
    finally:
        for p in procs:
            stop_server(p)
        for f in os.listdir(tmpdir):
            os.unlink(os.path.join(tmpdir, f))
        os.rmdir(tmpdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
