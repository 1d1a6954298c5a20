#!/usr/bin/python3
"""Subprotocols: server preference order, never echo one not offered, no overlap → no header
(or 400 with --require-protocol), the choice in the program's WS_PROTOCOL."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

MARK = tmpdir()
PROG = ["/bin/sh", "-c", 'touch "$0/$$"; echo "proto=[$WS_PROTOCOL]"; exec cat', MARK]


def raw_offer(srv, offer_headers):
    """offer_headers: list of Sec-WebSocket-Protocol header values (one line each)."""
    c = RawClient(srv.port)
    try:
        h = std_headers(srv.port) + [("Sec-WebSocket-Protocol", v) for v in offer_headers]
        r = c.handshake(headers=h)
        first = None
        if r.status == 101:
            first = c.recv_message(5)
        return r, first
    finally:
        c.close()


@test
def preference_order():
    s = Server(["--protocol=alpha,beta,gamma"] + PROG, mode="inetd")
    try:
        for offer, want in ((["gamma, beta"], "beta"), (["gamma"], "gamma"),
                            (["beta, alpha"], "alpha"), (["zeta, gamma, alpha"], "alpha"),
                            (["gamma", "beta"], "beta")):
            r, first = raw_offer(s, offer)
            T.eq((r.status, r.header("sec-websocket-protocol")), (101, want),
                 "offer %r → %s (server's order)" % (offer, want))
            T.eq(first, (OP_TEXT, ("proto=[%s]" % want).encode()), "WS_PROTOCOL=%s" % want)
        for offer in (["zeta"], ["ALPHA"], ["alph"], ["alpha-beta"]):
            r, first = raw_offer(s, offer)
            T.eq((r.status, r.header("sec-websocket-protocol")), (101, None),
                 "offer %r, no overlap: 101 without Sec-WebSocket-Protocol" % offer)
            T.eq(first, (OP_TEXT, b"proto=[]"), "offer %r: WS_PROTOCOL empty" % offer)
        r, first = raw_offer(s, [])
        T.eq((r.status, r.header("sec-websocket-protocol")), (101, None),
             "nothing offered: 101 without the header")
    finally:
        s.stop()


@test
def never_echo_unoffered():
    # no --protocol at all: whatever the client offers, nothing is echoed
    s = Server(PROG, mode="inetd")
    try:
        r, first = raw_offer(s, ["chat, superchat"])
        T.eq((r.status, r.header("sec-websocket-protocol")), (101, None),
             "no --protocol: client's offer not echoed")
        T.eq(first, (OP_TEXT, b"proto=[]"), "no --protocol: WS_PROTOCOL empty")
    finally:
        s.stop()


@test
def require_protocol():
    s = Server(["--protocol=alpha,beta", "--require-protocol"] + PROG, mode="inetd")
    try:
        for offer in (["zeta"], []):
            for f in os.listdir(MARK):
                os.unlink(os.path.join(MARK, f))
            c = RawClient(s.port)
            h = std_headers(s.port) + [("Sec-WebSocket-Protocol", v) for v in offer]
            r = c.handshake(headers=h)
            c.close()
            T.eq(r.status, 400, "--require-protocol, offer %r: 400" % offer)
            T.ok(r.body.strip() != b"" and r.body.count(b"\n") == 1, "one-line body", repr(r.body))
            wait_until(lambda: not s.handlers(), 5)
            T.eq(os.listdir(MARK), [], "program not started")
        r, first = raw_offer(s, ["beta"])
        T.eq((r.status, r.header("sec-websocket-protocol")), (101, "beta"),
             "--require-protocol with overlap: 101 beta")
    finally:
        s.stop()


@test
def library_clients():
    s = Server(["--protocol=alpha,beta"] + PROG, mode="inetd")
    try:
        for name, client in CLIENTS:
            ev = client(s.url("/"), [{"wait": 1}, {"close": 1000}], protocols=["beta", "alpha"])
            opened = [e for e in ev if e["event"] == "open"]
            msgs = [e.get("data") for e in ev if e["event"] == "message"]
            T.eq([o.get("protocol") for o in opened], ["alpha"], "%s: negotiated alpha" % name)
            T.eq(msgs[:1], ["proto=[alpha]"], "%s: WS_PROTOCOL=alpha" % name)
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
