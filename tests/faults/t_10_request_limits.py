#!/usr/bin/python3
"""Fault battery, request side: slowloris and the header block at and past every limit.

Expectations:
  - slowloris: a request sent one byte per second gets 408 at the --request-timeout
    deadline (here 2 s; accepted between 1.5 s and 6 s), the connection is closed, and
    the program is never started (it would create a marker file);
  - --max-request (16 KiB default): a head of exactly 16384 bytes is served (101),
    16385 bytes is 431; the same at a small --max-request=1K;
  - --max-headers (100 default): 100 header lines are served, 101 are 431;
  - the program's environment (256 entries, 64 KiB): headers that would pass either
    are 431, before the program starts;
after each: no zombie, no orphan, no fd left open (faultlib.settle)."""
import os
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import *  # noqa: F401,F403

D = tmpdir()
MARK = os.path.join(D, "started")
PROG = script(D, "prog.sh", "#!/bin/sh\ntouch %s\necho up\nexec cat\n" % MARK)


def head_of_size(port, size, nlines=None):
    """A valid upgrade request of exactly `size` bytes (padded in X-Pad values), or with
    exactly `nlines` header lines."""
    hs = std_headers(port)
    if nlines is not None:
        hs = hs + [("X-H%d" % i, "v") for i in range(nlines - len(hs))]
        return build_request("/", hs)
    base = len(build_request("/", hs + [("X-Pad", "")]))
    pad = size - base
    assert pad >= 0
    return build_request("/", hs + [("X-Pad", "p" * pad)])


def status_of(port, raw):
    c = RawClient(port)
    try:
        c.send(raw)
        r = c.response(8)
        return r.status
    except (Closed, TimeoutErr) as e:
        return "no answer (%s)" % type(e).__name__
    finally:
        c.close()


@test
def slowloris():
    if os.path.exists(MARK):
        os.unlink(MARK)
    s = Listener(["--request-timeout=2", PROG])
    try:
        c = RawClient(s.port)
        raw = build_request("/", std_headers(s.port))
        t0 = time.monotonic()
        status, sent = None, 0
        c.sock.settimeout(0.1)
        for b in raw[:30]:  # never the whole request: at most 30 s, stops at the answer
            try:
                c.sock.send(bytes([b]))
                sent += 1
            except OSError:
                break
            r, _, _ = select.select([c.sock], [], [], 1.0)
            if r:
                break
        try:
            resp = c.response(6)
            status = resp.status
        except (Closed, TimeoutErr) as e:
            status = repr(e)
        dt = time.monotonic() - t0
        T.eq(status, 408, "a byte a second: 408")
        T.ok(1.5 <= dt <= 6.0, "the 408 comes at the 2 s deadline (after %.1f s, %d bytes)"
             % (dt, sent))
        T.ok(c.wait_eof(3), "connection closed after the 408")
        c.close()
        T.ok(not os.path.exists(MARK), "the program was never started")
        settle(s, D, "slowloris")
    finally:
        s.stop()


@test
def max_request():
    for opt, size in (([], 16384), (["--max-request=1K"], 1024)):
        s = Listener(opt + [PROG])
        try:
            T.eq(status_of(s.port, head_of_size(s.port, size)), 101,
                 "%s: a head of exactly %d bytes is served" % (opt or "default", size))
            T.eq(status_of(s.port, head_of_size(s.port, size + 1)), 431,
                 "%s: %d bytes is 431" % (opt or "default", size + 1))
            T.eq(status_of(s.port, head_of_size(s.port, size * 4)), 431,
                 "%s: %d bytes is 431" % (opt or "default", size * 4))
            settle(s, D, "max-request %d" % size)
        finally:
            s.stop()


@test
def max_headers():
    for opt, n in (([], 100), (["--max-headers=10"], 10)):
        s = Listener(opt + [PROG])
        try:
            T.eq(status_of(s.port, head_of_size(s.port, 0, nlines=n)), 101,
                 "%s: %d header lines are served" % (opt or "default", n))
            T.eq(status_of(s.port, head_of_size(s.port, 0, nlines=n + 1)), 431,
                 "%s: %d header lines are 431" % (opt or "default", n + 1))
            settle(s, D, "max-headers %d" % n)
        finally:
            s.stop()


@test
def environment_limits():
    if os.path.exists(MARK):
        os.unlink(MARK)
    s = Listener(["--max-request=1M", "--max-headers=1000", PROG])
    try:
        hs = std_headers(s.port)
        # 300 distinct headers: more than 256 environment entries
        many = build_request("/", hs + [("X-E%d" % i, "v") for i in range(300)])
        T.eq(status_of(s.port, many), 431, "headers making more than 256 variables: 431")
        # 70 KiB in one value: more than 64 KiB of environment
        big = build_request("/", hs + [("X-Big", "b" * (70 * 1024))])
        T.eq(status_of(s.port, big), 431, "headers making more than 64 KiB of environment: 431")
        T.ok(not os.path.exists(MARK), "the program was not started for either")
        # just under: 200 headers of 100 bytes are fine
        ok = build_request("/", hs + [("X-E%d" % i, "v" * 100) for i in range(200)])
        T.eq(status_of(s.port, ok), 101, "200 headers of 100 bytes are served")
        settle(s, D, "environment limits")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
