#!/usr/bin/python3
"""Run by t_55 under `unshare --mount`: one inetd-style connection through wsinetd with
stderr marked as the journal (JOURNAL_STREAM), in a private /run where the journal's
native socket is either ours (argv[2] == "journald": we bind it and catch the datagram)
or absent ("none"). argv[3]: a scratch directory; then optionally the request path
(default /journal-path) and more wsinetd options. Prints one JSON object: wsinetd's exit
status, the datagram (hex, empty if none came) and wsinetd's stderr."""
import json
import os
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import build_request, encode_frame, std_headers  # noqa: E402

binary, mode, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
path = sys.argv[4] if len(sys.argv) > 4 else "/journal-path"
options = sys.argv[5:]
# Private to this mount namespace: the host's /run (and any journald there) is hidden.
subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run"], check=True)
journal = None
if mode == "journald":
    os.makedirs("/run/systemd/journal")
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind("/run/systemd/journal/socket")
    journal.settimeout(10)
errpath = os.path.join(workdir, "stderr-" + mode)
with open(errpath, "wb") as errf:
    st = os.fstat(errf.fileno())
    ours, theirs = socket.socketpair()
    env = {"PATH": "/usr/bin:/bin", "JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.Popen([binary] + options + ["cat"], stdin=theirs, stdout=theirs, stderr=errf, env=env)
    theirs.close()
    ours.settimeout(10)
    ours.sendall(build_request(path, std_headers(80)))
    ours.sendall(encode_frame(1, b"hi"))
    got = b""
    try:
        while b"\x81\x02hi" not in got:  # the echo, before we close
            d = ours.recv(65536)
            if not d:
                break
            got += d
        ours.sendall(encode_frame(8, b"\x03\xe8"))
        while True:
            d = ours.recv(65536)
            if not d:
                break
            got += d
    except OSError:
        pass
    ours.close()
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
dgram = b""
if journal is not None:
    try:
        dgram = journal.recv(1 << 17)
    except OSError:
        pass
with open(errpath, "rb") as f:
    err = f.read().decode("utf-8", "replace")
print(json.dumps({"rc": rc, "reply": got[:12].hex(), "dgram": dgram.hex(), "stderr": err}))
