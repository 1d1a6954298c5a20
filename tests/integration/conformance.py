#!/usr/bin/python3
"""conformance.py - an Autobahn|Testsuite-style RFC 6455 conformance run for wsinetd.

Python standard library only: raw sockets, our own client-side framing and masking.
The case catalogue follows Autobahn's numbering and intent (sections 1-7, 9, 10, and 12/13
for permessage-deflate, RFC 7692, with client-side compression through the zlib module)
against an echo endpoint:

    wsinetd --port=PORT --address=127.0.0.1 --json --max-message=16M cat   (--mode json)
    wsinetd --port=PORT --address=127.0.0.1 cat                            (--mode lines)

Verdicts are strict; a case is OK only when all of these hold:
  - echo cases: exactly the messages sent come back (payload and opcode; a fragmented echo
    is reassembled), in order, and on our Close 1000 the server answers Close 1000 and then
    closes TCP (we read EOF) within a timeout;
  - failure cases: the next thing the server sends after the offending frame is a Close
    frame with exactly the expected code (nothing echoed, no pong after the offence), and
    after our Close reply it closes TCP (EOF, not a reset) within a timeout;
  - every server frame is unmasked, has RSV=0 and a defined opcode, control frames are
    final and <= 125 bytes, data frames follow the fragmentation rules, text is valid
    UTF-8, close payloads are well formed (valid code, UTF-8 reason) and nothing follows
    a Close.
In lines mode only the cases that send no binary message and no '\\n' in text run; in
either mode a message over --max-message must be answered with Close 1009 instead.

Standalone:
    conformance.py --url ws://127.0.0.1:PORT/ --mode json|lines [--cases 1.*,2.*]
One line per case (id, verdict, description, detail), then a summary; exit 0 iff every
case that ran is OK.
"""

import argparse
import base64
import collections
import concurrent.futures
import errno
import fnmatch
import hashlib
import os
import select
import socket
import struct
import sys
import time
import zlib
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA_OPS = (OP_TEXT, OP_BINARY)
KNOWN_OPS = (OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG)

# Timeouts (seconds).
T_ECHO = 3.0        # an echo (plus a size-dependent allowance, see echo_timeout)
T_CLOSE = 3.0       # the server's Close frame after our Close / after an offending frame
T_EOF = 3.0         # TCP EOF after the close handshake
T_FAILFAST = 1.0    # 6.4.x: Close 1007 must arrive within this, before we send the rest
T_HANDSHAKE = 5.0
T_CONNECT = 5.0
READ_CHUNK = 1 << 20

KIB = 1024
MIB = 1024 * 1024


def echo_timeout(nbytes):
    """Seconds allowed for an echo of nbytes (loopback, through `cat`): generous but bounded."""
    return T_ECHO + nbytes / (4.0 * MIB)


# ---------------------------------------------------------------------------------------
# Client-side framing
# ---------------------------------------------------------------------------------------

def mask_bytes(data, key):
    """XOR data with the 4-byte key (RFC 6455 5.3); fast for large payloads."""
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def frame(opcode, payload=b"", fin=True, rsv=0, masked=True, key=None):
    """One frame as the client sends it. rsv is Autobahn's 3-bit value (4 = RSV1, 2 = RSV2,
    1 = RSV3)."""
    payload = bytes(payload)
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    n = len(payload)
    mbit = 0x80 if masked else 0
    if n < 126:
        hdr = bytes([b0, mbit | n])
    elif n < 65536:
        hdr = bytes([b0, mbit | 126]) + struct.pack("!H", n)
    else:
        hdr = bytes([b0, mbit | 127]) + struct.pack("!Q", n)
    if not masked:
        return hdr + payload
    if key is None:
        key = os.urandom(4)
    return hdr + key + mask_bytes(payload, key)


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    return struct.pack("!H", code) + reason


def close_frame(code=None, reason=b""):
    return frame(OP_CLOSE, close_payload(code, reason))


def fragments(opcode, payload, size):
    """A message as frames of at most `size` payload bytes."""
    out = []
    n = len(payload)
    if n == 0:
        return [frame(opcode, b"")]
    pos = 0
    first = True
    while pos < n:
        chunk = payload[pos:pos + size]
        pos += len(chunk)
        out.append(frame(opcode if first else OP_CONT, chunk, fin=pos >= n))
        first = False
    return out


def frames_from_parts(opcode, parts):
    """A message as one frame per part (parts may be empty)."""
    out = []
    for i, p in enumerate(parts):
        out.append(frame(opcode if i == 0 else OP_CONT, p, fin=i == len(parts) - 1))
    return out


def close_code_valid(code):
    """Codes that may appear on the wire (RFC 6455 7.4 + IANA registry): 1000-1003,
    1007-1014, 3000-4999."""
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999


def parse_pmd_answer(values, offer):
    """The server's Sec-WebSocket-Extensions answer to our permessage-deflate offer, checked
    strictly (RFC 7692 7.1): one header, one element, permessage-deflate, known parameters
    once each, no value on the no_context_takeover ones, window bits 8..15 without leading
    zeros, client_max_window_bits only when we offered it. Returns the agreed parameters
    (windows default to 15, the client's to the value it offered)."""
    if len(values) != 1 or "," in values[0]:
        raise CaseFailed("handshake: expected one permessage-deflate answer, got %r" % values)
    parts = [x.strip() for x in values[0].split(";")]
    if parts[0] != "permessage-deflate":
        raise CaseFailed("handshake: answered extension %r, we offered %r" % (parts[0], offer))
    offered_cmwb = None
    first = offer.split(",")[0]
    for op in [x.strip() for x in first.split(";")[1:]]:
        if op.startswith("client_max_window_bits"):
            offered_cmwb = op.partition("=")[2].strip().strip('"') or "15"
    got = {}
    for prm in parts[1:]:
        name, eq, val = prm.partition("=")
        name, val = name.strip(), val.strip()
        if name in got:
            raise CaseFailed("handshake: parameter %s twice in %r" % (name, values[0]))
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            if eq:
                raise CaseFailed("handshake: %s with a value in %r" % (name, values[0]))
            got[name] = True
        elif name in ("server_max_window_bits", "client_max_window_bits"):
            if val not in [str(i) for i in range(8, 16)]:
                raise CaseFailed("handshake: %s=%r is not 8..15 in %r" % (name, val, values[0]))
            got[name] = int(val)
        else:
            raise CaseFailed("handshake: unknown parameter %r in %r" % (name, values[0]))
    if "client_max_window_bits" in got and not any(
            "client_max_window_bits" in o for o in offer.split(",")):
        raise CaseFailed("handshake: client_max_window_bits answered although not offered "
                         "(RFC 7692 7.1.2.2): %r" % values[0])
    return {
        "server_no_context_takeover": got.get("server_no_context_takeover", False),
        "client_no_context_takeover": got.get("client_no_context_takeover", False),
        "server_max_window_bits": got.get("server_max_window_bits", 15),
        "client_max_window_bits": got.get("client_max_window_bits",
                                          int(offered_cmwb) if offered_cmwb else 15),
        "answer": values[0],
    }


def utf8_valid(b):
    try:
        bytes(b).decode("utf-8", "strict")
        return True
    except UnicodeDecodeError:
        return False


def short(b, limit=40):
    """Readable abbreviation of a payload for reports."""
    b = bytes(b)
    if len(b) <= limit:
        return repr(b)
    return "%r...(%d bytes, sha1 %s)" % (b[:limit], len(b), hashlib.sha1(b).hexdigest()[:10])


# Events as the server sends them (after reassembly).
def TEXT(p):
    return ("text", bytes(p))


def BIN(p):
    return ("binary", bytes(p))


def PONG(p=b""):
    return ("pong", bytes(p))


def describe(ev):
    if ev is None:
        return "nothing (timeout)"
    kind = ev[0]
    if kind in ("text", "binary", "pong"):
        return "%s %s" % (kind, short(ev[1]))
    if kind == "close":
        code, reason = ev[1], ev[2]
        if code is None:
            return "close (no code)"
        return "close %d%s" % (code, (" reason %s" % short(reason, 60)) if reason else "")
    if kind == "eof":
        return "TCP EOF without a Close frame" if len(ev) < 2 else ev[1]
    if kind == "reset":
        return "TCP reset (ECONNRESET)"
    return repr(ev)


class CaseFailed(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------------------

class Conn:
    """A client WebSocket connection over a raw non-blocking socket. Incoming frames are
    checked for protocol violations and turned into events (reassembled messages, pongs,
    close, eof, reset); server pings are answered automatically."""

    def __init__(self, host, port, path="/", deadline=None, offer=None):
        self.host, self.port, self.path = host, port, path
        self.offer = offer        # Sec-WebSocket-Extensions we send, or None
        self.pmd = None           # the negotiated permessage-deflate parameters (dict)
        self.ext_answer = None    # the server's Sec-WebSocket-Extensions values
        self.rx = None            # zlib decompressobj for the server's messages
        self.tx = None            # zlib compressobj for ours
        self.compressed_in = 0    # server messages that arrived compressed
        self.sock = socket.create_connection((host, port), timeout=T_CONNECT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.local_port = self.sock.getsockname()[1]
        self.rbuf = bytearray()
        self.events = collections.deque()
        self.violations = []
        self.frag = None          # (opcode, [payload parts], compressed) of a fragmented
                                  # incoming message
        self.close_seen = False   # a Close frame was received
        self.close_sent = False
        self.eof = False          # EOF or reset was seen
        self.send_error = None
        self.server_pings = 0
        self.sent_after_close = False
        self.handshake()

    # -- low level ----------------------------------------------------------------------
    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _recv_some(self):
        try:
            data = self.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionResetError:
            self._ended(("reset",))
            return
        except OSError as e:
            self._ended(("reset", "recv error: %s" % e))
            return
        if not data:
            self._ended(("eof",))
            return
        self.rbuf += data
        self._parse()

    def _ended(self, ev):
        if self.eof:
            return
        self.eof = True
        if self.frag is not None:
            self.violations.append("connection ended in the middle of a fragmented message")
        if self.rbuf:
            self.violations.append("connection ended in the middle of a frame (%d bytes left)"
                                   % len(self.rbuf))
            self.rbuf.clear()
        self.events.append(ev)

    def pump(self, timeout):
        """Wait up to timeout for input and process what arrives. Returns True if
        something was read (or the connection ended)."""
        if self.eof:
            return False
        timeout = max(0.0, timeout)
        try:
            r, _, _ = select.select([self.sock], [], [], timeout)
        except (OSError, ValueError):
            self._ended(("reset", "select failed"))
            return True
        if r:
            self._recv_some()
            return True
        return False

    def send_raw(self, data, deadline, stop_on_close=True):
        """Write data completely (reading and processing input meanwhile so that an echo
        cannot deadlock us). Stops early on a write error, at the deadline, or (if
        stop_on_close) once the server's Close has arrived. Returns True when everything
        was written."""
        view = memoryview(data)
        pos = 0
        while pos < len(view):
            if self.send_error:
                return False
            if stop_on_close and self.close_seen:
                return False
            now = time.monotonic()
            if now >= deadline:
                self.send_error = "send timed out with %d of %d bytes unsent" % (
                    len(view) - pos, len(view))
                return False
            rl = [] if self.eof else [self.sock]
            try:
                r, w, _ = select.select(rl, [self.sock], [], min(0.5, deadline - now))
            except (OSError, ValueError) as e:
                self.send_error = "select failed: %s" % e
                return False
            if r:
                self._recv_some()
            if w:
                try:
                    n = self.sock.send(view[pos:pos + 256 * KIB])
                    pos += n
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError as e:
                    self.send_error = "send failed: %s" % (errno.errorcode.get(e.errno, e),)
                    return False
        return True

    # -- handshake ----------------------------------------------------------------------
    def handshake(self):
        key = base64.b64encode(os.urandom(16))
        hostport = "%s:%d" % (self.host, self.port)
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "User-Agent: wsinetd-conformance\r\n%s\r\n"
               % (self.path, hostport, key.decode(),
                  "" if self.offer is None else
                  "Sec-WebSocket-Extensions: %s\r\n" % self.offer)).encode()
        deadline = time.monotonic() + T_HANDSHAKE
        if not self.send_raw(req, deadline):
            raise CaseFailed("handshake: could not send the request: %s" % self.send_error)
        buf = bytearray()
        while b"\r\n\r\n" not in buf:
            if len(buf) > 16 * KIB:
                raise CaseFailed("handshake: response head over 16 KiB")
            now = time.monotonic()
            if now >= deadline:
                raise CaseFailed("handshake: no complete response within %.0f s (got %r)"
                                 % (T_HANDSHAKE, bytes(buf[:200])))
            r, _, _ = select.select([self.sock], [], [], deadline - now)
            if not r:
                continue
            try:
                d = self.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                raise CaseFailed("handshake: recv failed: %s" % e)
            if not d:
                raise CaseFailed("handshake: connection closed (got %r)" % bytes(buf[:200]))
            buf += d
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = lines[0].split(" ", 2)
        if len(status) < 2 or status[0] != "HTTP/1.1" or status[1] != "101":
            raise CaseFailed("handshake: expected HTTP/1.1 101, got %r" % lines[0])
        hdrs = {}
        for ln in lines[1:]:
            name, sep, value = ln.partition(":")
            if not sep:
                raise CaseFailed("handshake: malformed header line %r" % ln)
            hdrs.setdefault(name.strip().lower(), []).append(value.strip())
        want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        if hdrs.get("sec-websocket-accept") != [want]:
            raise CaseFailed("handshake: Sec-WebSocket-Accept %r, expected %r"
                             % (hdrs.get("sec-websocket-accept"), want))
        up = ",".join(hdrs.get("upgrade", [])).lower()
        if "websocket" not in [t.strip() for t in up.split(",")]:
            raise CaseFailed("handshake: Upgrade header %r" % hdrs.get("upgrade"))
        conn = ",".join(hdrs.get("connection", [])).lower()
        if "upgrade" not in [t.strip() for t in conn.split(",")]:
            raise CaseFailed("handshake: Connection header %r" % hdrs.get("connection"))
        self.ext_answer = hdrs.get("sec-websocket-extensions")
        if self.offer is not None and self.ext_answer is not None:
            self.pmd = parse_pmd_answer(self.ext_answer, self.offer)
        for h in ("sec-websocket-extensions", "sec-websocket-protocol"):
            if h == "sec-websocket-extensions" and self.offer is not None:
                continue
            if h in hdrs:
                raise CaseFailed("handshake: %s %r answered although we offered none"
                                 % (h, hdrs[h]))
        self.rbuf += rest
        self._parse()

    # -- incoming frames ----------------------------------------------------------------
    def _parse(self):
        while True:
            buf = self.rbuf
            if len(buf) < 2:
                return
            b0, b1 = buf[0], buf[1]
            fin = bool(b0 & 0x80)
            rsv = (b0 >> 4) & 7
            op = b0 & 0xF
            masked = bool(b1 & 0x80)
            n = b1 & 0x7F
            pos = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n = struct.unpack_from("!H", buf, 2)[0]
                pos = 4
                if n < 126:
                    self.violations.append("server frame length %d not minimally encoded" % n)
            elif n == 127:
                if len(buf) < 10:
                    return
                n = struct.unpack_from("!Q", buf, 2)[0]
                pos = 10
                if n >> 63:
                    self.violations.append("server frame 64-bit length with the MSB set")
                    self._ended(("eof", "unparseable server frame"))
                    return
                if n < 65536:
                    self.violations.append("server frame length %d not minimally encoded" % n)
            key = None
            if masked:
                if len(buf) < pos + 4:
                    return
                key = bytes(buf[pos:pos + 4])
                pos += 4
            if len(buf) < pos + n:
                return
            payload = bytes(buf[pos:pos + n])
            del buf[:pos + n]
            if masked:
                self.violations.append("server frame (opcode %d) is masked" % op)
                payload = mask_bytes(payload, key)
            self._on_frame(fin, rsv, op, payload)

    def _on_frame(self, fin, rsv, op, payload):
        if self.close_seen:
            self.violations.append("server sent a frame (opcode %d, %s) after its Close"
                                   % (op, short(payload)))
            return
        compressed = False
        if rsv == 4 and self.pmd is not None and op in DATA_OPS:
            compressed = True  # RFC 7692 6: RSV1 on the first frame of a message
        elif rsv:
            self.violations.append("server frame (opcode %d) has RSV bits %d set%s"
                                   % (op, rsv, " (RSV1 is only for the first frame of a "
                                      "compressed message)" if self.pmd else ""))
        if op not in KNOWN_OPS:
            self.violations.append("server frame with reserved opcode %d" % op)
            return
        if op >= 8:
            if not fin:
                self.violations.append("server control frame (opcode %d) not final" % op)
            if len(payload) > 125:
                self.violations.append("server control frame (opcode %d) of %d bytes"
                                       % (op, len(payload)))
            if op == OP_PING:
                self.server_pings += 1
                if not self.close_sent and not self.eof:
                    # answer keepalive pings; never part of the expected event streams
                    try:
                        self.sock.send(frame(OP_PONG, payload))
                    except OSError:
                        pass
                return
            if op == OP_PONG:
                self.events.append(("pong", payload))
                return
            # close
            code, reason = None, b""
            if len(payload) == 1:
                self.violations.append("server Close with a 1-byte payload")
            elif len(payload) >= 2:
                code = struct.unpack("!H", payload[:2])[0]
                reason = payload[2:]
                if not close_code_valid(code):
                    self.violations.append("server Close with invalid code %d" % code)
                if not utf8_valid(reason):
                    self.violations.append("server Close reason not UTF-8: %r" % reason)
            self.close_seen = True
            if self.frag is not None:
                # a Close may interrupt a fragmented message: drop the partial message
                self.frag = None
            self.events.append(("close", code, reason))
            return
        if op in DATA_OPS:
            if self.frag is not None:
                self.violations.append("server started a new data frame (opcode %d) inside a "
                                       "fragmented message" % op)
                self.frag = None
            if fin:
                self._message(op, payload, compressed)
            else:
                self.frag = (op, [payload], compressed)
            return
        # continuation
        if self.frag is None:
            self.violations.append("server continuation frame without a message in progress")
            return
        self.frag[1].append(payload)
        if fin:
            mop, parts, comp = self.frag
            self.frag = None
            self._message(mop, b"".join(parts), comp)

    def _message(self, op, payload, compressed=False):
        if compressed:
            self.compressed_in += 1
            payload = self.inflate(payload)
        if op == OP_TEXT:
            if not utf8_valid(payload):
                self.violations.append("server text message not UTF-8: %s" % short(payload))
            self.events.append(("text", payload))
        else:
            self.events.append(("binary", payload))

    # -- permessage-deflate (RFC 7692 7.2) ------------------------------------------------
    def inflate(self, payload):
        """A compressed server message: append the stripped tail, inflate with the window
        the server agreed to (a larger one is "invalid distance too far back"), and start
        afresh per message when it agreed to server_no_context_takeover."""
        p = self.pmd
        if self.rx is None or p["server_no_context_takeover"]:
            self.rx = zlib.decompressobj(wbits=-max(9, p["server_max_window_bits"]))
        try:
            out = self.rx.decompress(payload + b"\x00\x00\xff\xff")
            if self.rx.unused_data or self.rx.eof:
                self.violations.append("server compressed message ends the DEFLATE stream")
            return out
        except zlib.error as e:
            self.violations.append("server compressed message does not inflate (%s) with "
                                   "server_max_window_bits=%d%s" % (
                                       e, p["server_max_window_bits"],
                                       ", no context takeover"
                                       if p["server_no_context_takeover"] else ""))
            self.rx = None
            return b"<corrupt compressed data>"

    def deflate(self, payload, fresh=False):
        """Our message compressed (tail stripped) with the client window and context rule
        agreed; fresh: start a new context for this one (allowed at any time)."""
        p = self.pmd
        if self.tx is None or fresh or p["client_no_context_takeover"]:
            self.tx = zlib.compressobj(6, zlib.DEFLATED, -max(9, p["client_max_window_bits"]))
        out = self.tx.compress(bytes(payload)) + self.tx.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]

    # -- events -------------------------------------------------------------------------
    def next_event(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.events:
            if self.eof:
                return None
            now = time.monotonic()
            if now >= deadline:
                return None
            self.pump(deadline - now)
        return self.events.popleft()


# ---------------------------------------------------------------------------------------
# What a case body uses
# ---------------------------------------------------------------------------------------

class T:
    """Per-connection helper given to case bodies."""

    def __init__(self, conn, ctx):
        self.c = conn
        self.ctx = ctx
        self.notes = []
        self.ports = [conn.local_port]  # our ports, to find the server's log lines

    # sending
    def send(self, *frames, chop=None, delay=0.0, timeout=None):
        """Send frames back to back; chop: write in pieces of that many bytes (each its own
        write, TCP_NODELAY), delay: pause (reading meanwhile) between pieces."""
        data = b"".join(frames)
        if self.c.close_sent:
            self.c.sent_after_close = True
        if timeout is None:
            timeout = echo_timeout(len(data)) + (delay * (len(data) // chop + 1) if chop else 0)
        deadline = time.monotonic() + timeout
        if not chop:
            ok = self.c.send_raw(data, deadline)
        else:
            ok = True
            for i in range(0, len(data), chop):
                if not self.c.send_raw(data[i:i + chop], deadline):
                    ok = False
                    break
                if delay:
                    self._idle(delay)
        if not ok and self.c.send_error and "timed out" in self.c.send_error:
            raise CaseFailed(self.c.send_error + " (server not reading)")
        return ok

    def send_framewise(self, *frames, delay=0.02):
        """Frame-wise chops: each frame its own write, with a pause between."""
        for i, f in enumerate(frames):
            if i:
                self._idle(delay)
            if not self.send(f):
                return False
        return True

    def send_close(self, code=1000, reason=b""):
        ok = self.send(close_frame(code, reason))
        self.c.close_sent = True
        return ok

    def _idle(self, secs):
        end = time.monotonic() + secs
        while True:
            now = time.monotonic()
            if now >= end:
                return
            self.c.pump(end - now)

    # expecting
    def expect(self, *expected, timeout=None):
        """The next events are exactly `expected` (in order)."""
        if timeout is None:
            timeout = echo_timeout(sum(len(e[1]) for e in expected))
        deadline = time.monotonic() + timeout
        for i, want in enumerate(expected):
            ev = self.c.next_event(max(0.0, deadline - time.monotonic()))
            if ev != want:
                what = "expected %s" % describe(want)
                if len(expected) > 1:
                    what += " (event %d of %d)" % (i + 1, len(expected))
                raise CaseFailed("%s, got %s%s" % (what, describe(ev), self._why()))

    def expect_messages(self, expected, timeout=None):
        """Like expect, with a compact failure report for long streams."""
        if timeout is None:
            timeout = echo_timeout(sum(len(e[1]) for e in expected))
        deadline = time.monotonic() + timeout
        for i, want in enumerate(expected):
            ev = self.c.next_event(max(0.0, deadline - time.monotonic()))
            if ev != want:
                raise CaseFailed("message %d of %d: expected %s, got %s%s"
                                 % (i + 1, len(expected), describe(want), describe(ev),
                                    self._why()))

    def quiet(self, secs):
        """Nothing may arrive within secs."""
        ev = self.c.next_event(secs)
        if ev is not None:
            raise CaseFailed("expected nothing yet, got %s" % describe(ev))

    def _why(self):
        bits = []
        if self.c.send_error:
            bits.append(self.c.send_error)
        if self.c.violations:
            bits.append("; ".join(self.c.violations[:3]))
        return (" [%s]" % "; ".join(bits)) if bits else ""

    def expect_eof(self, timeout=T_EOF):
        """After the Close frames: nothing more, then TCP EOF (an orderly FIN)."""
        ev = self.c.next_event(timeout)
        if ev is None:
            raise CaseFailed("server did not close TCP within %.0f s after the close handshake"
                             % timeout)
        if ev[0] == "eof" and len(ev) == 1:
            return
        if ev[0] == "reset":
            raise CaseFailed("TCP connection reset (%s) instead of an orderly close (EOF) "
                             "after the close handshake" % (ev[1] if len(ev) > 1 else "RST"))
        raise CaseFailed("expected TCP EOF after the close handshake, got %s" % describe(ev))

    def close_ok(self, code=1000, reason=b"", expect=(1000,), send=True):
        """Our Close (code, reason), answered by the server's Close with a code in
        `expect` (None = no code), then EOF."""
        if send:
            self.send_close(code, reason)
        ev = self.c.next_event(T_CLOSE)
        if ev is None or ev[0] != "close":
            raise CaseFailed("after our Close%s expected the server's Close %s, got %s%s"
                             % ("" if code is None else " %d" % code,
                                "/".join("(none)" if x is None else str(x) for x in expect),
                                describe(ev), self._why()))
        if ev[1] not in expect:
            raise CaseFailed("after our Close%s the server's Close has code %s, expected %s"
                             % ("" if code is None else " %d" % code, ev[1],
                                "/".join("(none)" if x is None else str(x) for x in expect)))
        self.expect_eof()

    def fail(self, code, reply=True, timeout=T_CLOSE):
        """The connection is failed by the server: the next event is its Close with
        exactly `code`; we reply with a Close (as Autobahn does) and read EOF."""
        ev = self.c.next_event(timeout)
        if ev is None:
            raise CaseFailed("expected Close %d, got nothing within %.0f s%s"
                             % (code, timeout, self._why()))
        if ev[0] != "close":
            if ev[0] in ("eof", "reset"):
                raise CaseFailed("expected Close %d, but the server dropped the connection "
                                 "without a Close frame (%s)" % (code, describe(ev)))
            raise CaseFailed("expected Close %d, got %s first (data after the offending "
                             "frame)" % (code, describe(ev)))
        if ev[1] != code:
            raise CaseFailed("expected Close %d, got %s" % (code, describe(ev)))
        if reply and not self.c.close_sent:
            self.send_close(code)
        self.expect_eof()


# ---------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------

class Case:
    def __init__(self, cid, desc, fn, texts=(), binary=False, skip=None, offer=None):
        self.id = cid
        self.offer = offer  # Sec-WebSocket-Extensions to send (permessage-deflate cases)
        self.desc = desc
        self.fn = fn
        self.binary = binary
        self.skip = skip
        # lines mode echoes text as lines: only cases without binary messages and without
        # '\n' (or a trailing '\r', stripped with the line end) in a text payload
        self.lines_ok = not binary and not any(
            b"\n" in p or p.endswith(b"\r") for p in texts)

    def key(self):
        return tuple(int(x) if x.isdigit() else 0 for x in self.id.split("."))


CASES = []


def add(cid, desc, fn, texts=(), binary=False, skip=None, offer=None):
    CASES.append(Case(cid, desc, fn, texts=texts, binary=binary, skip=skip, offer=offer))


def make_text(n):
    pat = b"BAsd7&jh23"
    return (pat * (n // len(pat) + 1))[:n]


def make_binary(n):
    pat = bytes(range(256))
    return (pat * (n // 256 + 1))[:n]


def chopped(data, n):
    return [data[i:i + n] for i in range(0, len(data), n)]


# -- 1 Framing ---------------------------------------------------------------------------

def _c1(op, size, chop):
    def body(t):
        p = (b"*" if op == OP_TEXT else b"\xfe") * size
        t.send(frame(op, p), chop=chop)
        t.expect(TEXT(p) if op == OP_TEXT else BIN(p))
        t.close_ok()
    return body


for _sub, _op, _kind in ((1, OP_TEXT, "text"), (2, OP_BINARY, "binary")):
    for _i, _n in enumerate((0, 125, 126, 127, 128, 65535, 65536), 1):
        add("1.%d.%d" % (_sub, _i), "Send %s message with payload %d" % (_kind, _n),
            _c1(_op, _n, None), texts=[b"*"] if _op == OP_TEXT else (),
            binary=_op == OP_BINARY)
    add("1.%d.8" % _sub, "Send %s message with payload 65536, in chops of 997 octets" % _kind,
        _c1(_op, 65536, 997), texts=[b"*"] if _op == OP_TEXT else (), binary=_op == OP_BINARY)

# -- 2 Pings/Pongs -----------------------------------------------------------------------


def _ping(payload, chop=None):
    def body(t):
        t.send(frame(OP_PING, payload), chop=chop)
        t.expect(PONG(payload))
        t.close_ok()
    return body


add("2.1", "Send ping without payload", _ping(b""))
add("2.2", "Send ping with small text payload", _ping(b"Hello, world!"))
add("2.3", "Send ping with small binary (non UTF-8) payload",
    _ping(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))
add("2.4", "Send ping with binary payload of 125 octets", _ping(b"\xfe" * 125))


def _c2_5(t):
    t.send(frame(OP_PING, b"\xfe" * 126))
    t.fail(1002)


add("2.5", "Send ping with binary payload of 126 octets: fail 1002", _c2_5)
add("2.6", "Send ping with binary payload of 125 octets, sent in octet-wise chops",
    _ping(b"\xfe" * 125, chop=1))


def _c2_7(t):
    t.send(frame(OP_PONG, b""))
    t.send(frame(OP_TEXT, b"after the pong"))
    t.expect(TEXT(b"after the pong"))
    t.close_ok()


def _c2_8(t):
    t.send(frame(OP_PONG, b"unsolicited pong payload"))
    t.send(frame(OP_TEXT, b"after the pong"))
    t.expect(TEXT(b"after the pong"))
    t.close_ok()


def _c2_9(t):
    t.send(frame(OP_PONG, b"unsolicited pong payload"), frame(OP_PING, b"ping payload"))
    t.expect(PONG(b"ping payload"))
    t.close_ok()


def _c2_10(chop):
    def body(t):
        sent = [b"payload-%d" % i for i in range(10)]
        t.send(*[frame(OP_PING, p) for p in sent], chop=chop)
        got = []
        deadline = time.monotonic() + T_ECHO
        while sent[-1] not in got:
            ev = t.c.next_event(max(0.0, deadline - time.monotonic()))
            if ev is None or ev[0] != "pong":
                raise CaseFailed("expected pongs up to %r, got %s after pongs %r%s"
                                 % (sent[-1], describe(ev), got, t._why()))
            got.append(ev[1])
        # RFC 6455 5.5.3: answering only the most recent ping is allowed; what is answered
        # must be an in-order subsequence of what was sent
        it = iter(sent)
        if not all(any(g == s for s in it) for g in got):
            raise CaseFailed("pongs %r are not an in-order subsequence of the pings" % got)
        if len(got) < len(sent):
            t.notes.append("%d of %d pings answered" % (len(got), len(sent)))
        t.close_ok()
    return body


add("2.7", "Send unsolicited pong without payload; a following text message is still echoed",
    _c2_7, texts=[b"after the pong"])
add("2.8", "Send unsolicited pong with payload; a following text message is still echoed",
    _c2_8, texts=[b"after the pong"])
add("2.9", "Send unsolicited pong with payload, then ping with payload: pong for the ping",
    _c2_9)
add("2.10", "Send 10 pings with payload: pongs (at least for the last ping)", _c2_10(None))
add("2.11", "Send 10 pings with payload, in octet-wise chops: pongs (at least the last)",
    _c2_10(1))

# -- 3 Reserved bits ---------------------------------------------------------------------
HELLO = b"Hello, world!"


def _c3_single(op, payload, rsv):
    def body(t):
        t.send(frame(op, payload, rsv=rsv))
        t.fail(1002)
    return body


def _c3_after_echo(rsv, how):
    """A valid text message (echo awaited), then the same with RSV set, then a ping."""
    def body(t):
        if how == "octet":
            t.send(frame(OP_TEXT, HELLO), chop=1)
        else:
            t.send(frame(OP_TEXT, HELLO))
        t.expect(TEXT(HELLO))
        bad, ping = frame(OP_TEXT, HELLO, rsv=rsv), frame(OP_PING, b"")
        if how == "octet":
            t.send(bad, ping, chop=1)
        elif how == "frame":
            t.send_framewise(bad, ping)
        else:
            t.send(bad, ping)
        t.fail(1002)
    return body


add("3.1", "Send small text message with RSV = 1: fail 1002", _c3_single(OP_TEXT, HELLO, 1),
    texts=[HELLO])
add("3.2", "Send small text message, echo, then again with RSV = 2, then ping: fail 1002, "
    "no pong", _c3_after_echo(2, "once"), texts=[HELLO])
add("3.3", "Send small text message, echo, then again with RSV = 3, then ping, frame-wise "
    "chops: fail 1002", _c3_after_echo(3, "frame"), texts=[HELLO])
add("3.4", "Send small text message, echo, then again with RSV = 4, then ping, octet-wise "
    "chops: fail 1002", _c3_after_echo(4, "octet"), texts=[HELLO])
add("3.5", "Send small binary message with RSV = 5: fail 1002",
    _c3_single(OP_BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 5), binary=True)
add("3.6", "Send ping with RSV = 6: fail 1002", _c3_single(OP_PING, HELLO, 6))
add("3.7", "Send close with RSV = 7: fail 1002",
    _c3_single(OP_CLOSE, close_payload(1000), 7))

# -- 4 Opcodes ---------------------------------------------------------------------------


def _c4(opcode, payload, after_echo, chop):
    def body(t):
        if after_echo:
            t.send(frame(OP_TEXT, HELLO), chop=chop)
            t.expect(TEXT(HELLO))
            t.send(frame(opcode, payload), frame(OP_PING, b""), chop=chop)
        else:
            t.send(frame(opcode, payload), chop=chop)
        t.fail(1002)
    return body


for _sub, _ops in ((1, (3, 4, 5, 6, 7)), (2, (11, 12, 13, 14, 15))):
    _kind = "non-control" if _sub == 1 else "control"
    for _i, _opc in enumerate(_ops, 1):
        _pl = b"" if _i in (1, 3) else b"reserved opcode payload"
        _after = _i >= 3
        _chop = 1 if _i == 5 else None
        _d = "Send frame with reserved %s opcode = %d%s" % (
            _kind, _opc, " and non-empty payload" if _pl else "")
        if _after:
            _d = "Send small text message, echo, then " + _d[0].lower() + _d[1:] + \
                ", then ping%s" % (", octet-wise chops" if _chop else "")
        add("4.%d.%d" % (_sub, _i), _d + ": fail 1002", _c4(_opc, _pl, _after, _chop),
            texts=[HELLO])

# -- 5 Fragmentation ---------------------------------------------------------------------


def _c5_ctl_frag(op):
    def body(t):
        t.send(frame(op, b"fragment1", fin=False), frame(OP_CONT, b"fragment2"))
        t.fail(1002)
    return body


def _c5_text2(how, ping):
    def body(t):
        fr = [frame(OP_TEXT, b"fragment1", fin=False)]
        if ping:
            fr.append(frame(OP_PING, b"ping payload"))
        fr.append(frame(OP_CONT, b"fragment2"))
        if how == "once":
            t.send(*fr)
        elif how == "octet":
            t.send(*fr, chop=1)
        else:
            t.send_framewise(*fr, delay=0.05)
        if ping:
            t.expect(PONG(b"ping payload"), TEXT(b"fragment1fragment2"))
        else:
            t.expect(TEXT(b"fragment1fragment2"))
        t.close_ok()
    return body


def _c5_orphan_cont(fin, how):
    def body(t):
        fr = [frame(OP_CONT, b"non-continuation payload", fin=fin), frame(OP_TEXT, HELLO)]
        if how == "once":
            t.send(*fr)
        elif how == "octet":
            t.send(*fr, chop=1)
        else:
            t.send_framewise(*fr, delay=0.05)
        t.fail(1002)
    return body


def _c5_15(t):
    t.send(frame(OP_TEXT, b"fragment1", fin=False), frame(OP_CONT, b"fragment2"))
    t.expect(TEXT(b"fragment1fragment2"))
    t.send(frame(OP_CONT, b"fragment3", fin=False), frame(OP_TEXT, b"fragment4"))
    t.fail(1002)


def _c5_16_17(fin):
    def body(t):
        fr = []
        for _ in range(2):
            fr += [frame(OP_CONT, b"fragment1", fin=fin),
                   frame(OP_TEXT, b"fragment2", fin=False),
                   frame(OP_CONT, b"fragment3")]
        t.send(*fr)
        t.fail(1002)
    return body


def _c5_18(t):
    t.send(frame(OP_TEXT, b"fragment1", fin=False), frame(OP_TEXT, b"fragment2"))
    t.fail(1002)


def _c5_19(chop):
    def body(t):
        first = [frame(OP_TEXT, b"fragment1", fin=False),
                 frame(OP_CONT, b"fragment2", fin=False),
                 frame(OP_PING, b"pongme 1!"),
                 frame(OP_CONT, b"fragment3", fin=False)]
        second = [frame(OP_CONT, b"fragment4", fin=False),
                  frame(OP_PING, b"pongme 2!"),
                  frame(OP_CONT, b"fragment5")]
        if chop:
            t.send(*first, chop=chop)
        else:
            t.send_framewise(*first, delay=0.05)
        # the pong must not wait for the end of the fragmented message
        t.expect(PONG(b"pongme 1!"), timeout=1.0)
        t._idle(0.2)
        if chop:
            t.send(*second, chop=chop)
        else:
            t.send_framewise(*second, delay=0.05)
        t.expect(PONG(b"pongme 2!"),
                 TEXT(b"fragment1fragment2fragment3fragment4fragment5"))
        t.close_ok()
    return body


add("5.1", "Send ping fragmented into 2 fragments: fail 1002", _c5_ctl_frag(OP_PING))
add("5.2", "Send pong fragmented into 2 fragments: fail 1002", _c5_ctl_frag(OP_PONG))
_F = [b"fragment1", b"fragment2"]
add("5.3", "Send text message fragmented into 2 fragments", _c5_text2("once", False), texts=_F)
add("5.4", "Send text message fragmented into 2 fragments, octet-wise chops",
    _c5_text2("octet", False), texts=_F)
add("5.5", "Send text message fragmented into 2 fragments, one chop per frame",
    _c5_text2("frame", False), texts=_F)
add("5.6", "Send text message fragmented into 2 fragments, one ping in-between",
    _c5_text2("once", True), texts=_F)
add("5.7", "Send text message fragmented into 2 fragments, one ping in-between, octet-wise "
    "chops", _c5_text2("octet", True), texts=_F)
add("5.8", "Send text message fragmented into 2 fragments, one ping in-between, one chop "
    "per frame", _c5_text2("frame", True), texts=_F)
add("5.9", "Send unfragmented continuation frame (FIN = true, nothing to continue), then "
    "text message: fail 1002", _c5_orphan_cont(True, "once"), texts=[HELLO])
add("5.10", "Same as 5.9, octet-wise chops: fail 1002", _c5_orphan_cont(True, "octet"),
    texts=[HELLO])
add("5.11", "Same as 5.9, one chop per frame: fail 1002", _c5_orphan_cont(True, "frame"),
    texts=[HELLO])
add("5.12", "Send continuation frame with FIN = false (nothing to continue), then text "
    "message: fail 1002", _c5_orphan_cont(False, "once"), texts=[HELLO])
add("5.13", "Same as 5.12, octet-wise chops: fail 1002", _c5_orphan_cont(False, "octet"),
    texts=[HELLO])
add("5.14", "Same as 5.12, one chop per frame: fail 1002", _c5_orphan_cont(False, "frame"),
    texts=[HELLO])
add("5.15", "Send text message fragmented into 2 fragments (echoed), then continuation "
    "FIN = false with nothing to continue, then text: fail 1002", _c5_15,
    texts=_F + [b"fragment3", b"fragment4"])
add("5.16", "Repeated 2x: continuation FIN = false (nothing to continue), then text message "
    "in 2 fragments: fail 1002", _c5_16_17(False),
    texts=[b"fragment1", b"fragment2", b"fragment3"])
add("5.17", "Repeated 2x: continuation FIN = true (nothing to continue), then text message "
    "in 2 fragments: fail 1002", _c5_16_17(True),
    texts=[b"fragment1", b"fragment2", b"fragment3"])
add("5.18", "Send text message in 2 fragments with both frame opcodes text: fail 1002",
    _c5_18, texts=_F)
_F5 = [b"fragment%d" % i for i in range(1, 6)]
add("5.19", "Send text message in 5 fragments with 2 pings in-between, frame-wise with a "
    "pause: each pong arrives while the message is still open, then the message",
    _c5_19(None), texts=_F5)
add("5.20", "Same as 5.19, sent in octet-wise chops", _c5_19(1), texts=_F5)

# -- 6 UTF-8 handling --------------------------------------------------------------------
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
HELLO_UTF8 = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!".encode("utf-8")
INVALID_EDITED = KOSME + b"\xed\xa0\x80" + b"edited"


def _echo_frames(frames_, payload, chop=None):
    def body(t):
        t.send(*frames_, chop=chop)
        t.expect(TEXT(payload))
        t.close_ok()
    return body


def _fail_frames(frames_, code, chop=None):
    def body(t):
        t.send(*frames_, chop=chop)
        t.fail(code)
    return body


add("6.1.1", "Send text message of length 0", _echo_frames([frame(OP_TEXT, b"")], b""),
    texts=[b""])
add("6.1.2", "Send fragmented text message, 3 fragments each of length 0",
    _echo_frames(frames_from_parts(OP_TEXT, [b"", b"", b""]), b""), texts=[b""])
add("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0, middle "
    "non-empty", _echo_frames(frames_from_parts(OP_TEXT, [b"", b"middle frame payload", b""]),
                              b"middle frame payload"), texts=[b"middle frame payload"])
add("6.2.1", "Send valid UTF-8 text message in one fragment",
    _echo_frames([frame(OP_TEXT, HELLO_UTF8)], HELLO_UTF8), texts=[HELLO_UTF8])
add("6.2.2", "Send valid UTF-8 text message in two fragments, split on a code point boundary",
    _echo_frames(frames_from_parts(OP_TEXT, [HELLO_UTF8[:12], HELLO_UTF8[12:]]), HELLO_UTF8),
    texts=[HELLO_UTF8])
add("6.2.3", "Send valid UTF-8 text message in fragments of 1 octet (frames ending inside "
    "code points)", _echo_frames(frames_from_parts(OP_TEXT, chopped(HELLO_UTF8, 1)),
                                 HELLO_UTF8), texts=[HELLO_UTF8])
add("6.2.4", "Send valid UTF-8 text message (kosme) in fragments of 1 octet",
    _echo_frames(frames_from_parts(OP_TEXT, chopped(KOSME, 1)), KOSME), texts=[KOSME])
add("6.3.1", "Send invalid UTF-8 text message unfragmented: fail 1007",
    _fail_frames([frame(OP_TEXT, INVALID_EDITED)], 1007), texts=[INVALID_EDITED])
add("6.3.2", "Send invalid UTF-8 text message in fragments of 1 octet: fail 1007",
    _fail_frames(frames_from_parts(OP_TEXT, chopped(INVALID_EDITED, 1)), 1007),
    texts=[INVALID_EDITED])


def _failfast(p1, p2, p3, as_frames):
    """Fail-fast: the Close 1007 must arrive after the invalid part and before we send the
    rest (we wait up to T_FAILFAST for it)."""
    def body(t):
        if as_frames:
            c1 = frame(OP_TEXT, p1, fin=False)
            c2 = frame(OP_CONT, p2, fin=False)
            c3 = frame(OP_CONT, p3)
        else:
            whole = frame(OP_TEXT, p1 + p2 + p3)
            h = len(whole) - len(p1 + p2 + p3)
            c1, c2, c3 = whole[:h + len(p1)], whole[h + len(p1):h + len(p1) + len(p2)], \
                whole[h + len(p1) + len(p2):]
        t.send(c1)
        t.quiet(0.1)  # a valid prefix must not fail
        t.send(c2)
        ev = t.c.next_event(T_FAILFAST)
        if ev is None:
            t.send(c3)
            ev = t.c.next_event(T_CLOSE)
            raise CaseFailed("not fail-fast: nothing within %.1f s of the invalid octets; "
                             "after the rest was sent: %s" % (T_FAILFAST, describe(ev)))
        t.c.events.appendleft(ev)
        t.fail(1007)
    return body


add("6.4.1", "Send invalid UTF-8 text message in 3 fragments (frames), the 2nd holding the "
    "invalid U+110000: fail 1007 before the 3rd is sent",
    _failfast(KOSME, b"\xf4\x90\x80\x80", b"edited", True), texts=[KOSME])
add("6.4.2", "Send invalid UTF-8 text message in 3 fragments (frames), the 2nd holding the "
    "first invalid octet: fail 1007 before the 3rd is sent",
    _failfast(KOSME + b"\xf4", b"\x90", b"\x80\x80edited", True), texts=[KOSME])
add("6.4.3", "Send invalid UTF-8 text message in one frame in 3 chops, the 2nd holding "
    "U+110000: fail 1007 before the 3rd chop is sent",
    _failfast(KOSME, b"\xf4\x90\x80\x80", b"edited", False), texts=[KOSME])
add("6.4.4", "Send invalid UTF-8 text message in one frame in 3 chops, the 2nd holding the "
    "first invalid octet: fail 1007 before the 3rd chop is sent",
    _failfast(KOSME + b"\xf4", b"\x90", b"\x80\x80edited", False), texts=[KOSME])


def utf8_sequences():
    """Markus Kuhn's UTF-8 decoder stress test, grouped as Autobahn 6.5-6.23:
    [(title, [(valid, bytes), ...]), ...]."""
    groups = []
    groups.append(("Some valid UTF-8 sequences", [
        (True, b"hello\x24world"), (True, b"hello\xc2\xa2world"),
        (True, b"hello\xe2\x82\xacworld"), (True, b"hello\xf0\xa4\xad\xa2world"),
        (True, KOSME)]))
    groups.append(("All prefixes of a valid UTF-8 string that contains multi-byte code points",
                   [(utf8_valid(KOSME[:i]), KOSME[:i]) for i in range(1, len(KOSME) + 1)]))
    groups.append(("First possible sequence of a certain length", [
        (True, b"\x00"), (True, b"\xc2\x80"), (True, b"\xe0\xa0\x80"),
        (True, b"\xf0\x90\x80\x80")]))
    groups.append(("First possible sequence length 5/6 (invalid codepoints)", [
        (False, b"\xf8\x88\x80\x80\x80"), (False, b"\xfc\x84\x80\x80\x80\x80")]))
    groups.append(("Last possible sequence of a certain length", [
        (True, b"\x7f"), (True, b"\xdf\xbf"), (True, b"\xef\xbf\xbf"),
        (True, b"\xf4\x8f\xbf\xbf")]))
    groups.append(("Last possible sequence length 4/5/6 (invalid codepoints)", [
        (False, b"\xf7\xbf\xbf\xbf"), (False, b"\xfb\xbf\xbf\xbf\xbf"),
        (False, b"\xfd\xbf\xbf\xbf\xbf\xbf")]))
    groups.append(("Other boundary conditions", [
        (True, b"\xed\x9f\xbf"), (True, b"\xee\x80\x80"), (True, b"\xef\xbf\xbd"),
        (True, b"\xf4\x8f\xbf\xbf"), (False, b"\xf4\x90\x80\x80")]))
    groups.append(("Unexpected continuation bytes", [
        (False, b"\x80"), (False, b"\xbf"), (False, b"\x80\xbf"), (False, b"\x80\xbf\x80"),
        (False, b"\x80\xbf\x80\xbf"), (False, b"\x80\xbf\x80\xbf\x80"),
        (False, b"\x80\xbf\x80\xbf\x80\xbf"), (False, bytes(range(0x80, 0xc0)))]))
    groups.append(("Lonely start characters", [
        (False, b"".join(bytes([i, 0x20]) for i in range(lo, hi + 1)))
        for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd))]))
    missing = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80",
               b"\xfc\x80\x80\x80\x80", b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf",
               b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    groups.append(("Sequences with last continuation byte missing",
                   [(False, k) for k in missing]))
    groups.append(("Concatenation of incomplete sequences", [(False, b"".join(missing))]))
    groups.append(("Impossible bytes", [
        (False, b"\xfe"), (False, b"\xff"), (False, b"\xfe\xfe\xff\xff")]))
    groups.append(("Examples of an overlong ASCII character", [
        (False, b"\xc0\xaf"), (False, b"\xe0\x80\xaf"), (False, b"\xf0\x80\x80\xaf"),
        (False, b"\xf8\x80\x80\x80\xaf"), (False, b"\xfc\x80\x80\x80\x80\xaf")]))
    groups.append(("Maximum overlong sequences", [
        (False, b"\xc1\xbf"), (False, b"\xe0\x9f\xbf"), (False, b"\xf0\x8f\xbf\xbf"),
        (False, b"\xf8\x87\xbf\xbf\xbf"), (False, b"\xfc\x83\xbf\xbf\xbf\xbf")]))
    groups.append(("Overlong representation of the NUL character", [
        (False, b"\xc0\x80"), (False, b"\xe0\x80\x80"), (False, b"\xf0\x80\x80\x80"),
        (False, b"\xf8\x80\x80\x80\x80"), (False, b"\xfc\x80\x80\x80\x80\x80")]))
    groups.append(("Single UTF-16 surrogates", [
        (False, b"\xed\xa0\x80"), (False, b"\xed\xad\xbf"), (False, b"\xed\xae\x80"),
        (False, b"\xed\xaf\xbf"), (False, b"\xed\xb0\x80"), (False, b"\xed\xbe\x80"),
        (False, b"\xed\xbf\xbf")]))
    groups.append(("Paired UTF-16 surrogates", [
        (False, b"\xed\xa0\x80\xed\xb0\x80"), (False, b"\xed\xa0\x80\xed\xbf\xbf"),
        (False, b"\xed\xad\xbf\xed\xb0\x80"), (False, b"\xed\xad\xbf\xed\xbf\xbf"),
        (False, b"\xed\xae\x80\xed\xb0\x80"), (False, b"\xed\xae\x80\xed\xbf\xbf"),
        (False, b"\xed\xaf\xbf\xed\xb0\x80"), (False, b"\xed\xaf\xbf\xed\xbf\xbf")]))
    nonchars = [(True, b"\xef\xbf\xbe"), (True, b"\xef\xbf\xbf")]
    for z1 in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4):
        for z2 in (0x8f, 0x9f, 0xaf, 0xbf):
            if z1 == 0xf4 and z2 != 0x8f:
                continue  # above U+10FFFF
            if z1 == 0xf0 and z2 == 0x8f:
                continue  # overlong
            for z3 in (0xbe, 0xbf):
                nonchars.append((True, bytes([z1, z2, 0xbf, z3])))
    groups.append(("Non-character code points (valid UTF-8)", nonchars))
    groups.append(("Unicode specials (i.e. replacement char)", [
        (True, b"\xef\xbf\xb9"), (True, b"\xef\xbf\xba"), (True, b"\xef\xbf\xbb"),
        (True, b"\xef\xbf\xbc"), (True, b"\xef\xbf\xbd"), (True, b"\xef\xbf\xbe"),
        (True, b"\xef\xbf\xbf")]))
    # sanity: our expectations agree with Python's strict decoder
    for title, seqs in groups:
        for valid, s in seqs:
            assert utf8_valid(s) == valid, (title, s)
    return groups


def split_code_points(p):
    """Split at every code point start (a byte that is not 10xxxxxx)."""
    parts, cur = [], bytearray()
    for b in p:
        if cur and (b & 0xC0) != 0x80:
            parts.append(bytes(cur))
            cur = bytearray()
        cur.append(b)
    if cur:
        parts.append(bytes(cur))
    return parts


def _c6_seq(valid, payload):
    """Three connections: the payload in one frame, in one frame per octet, and in one
    frame per code point; each echoed (valid) or failed with 1007 (invalid)."""
    variants = (("one frame", [frame(OP_TEXT, payload)]),
                ("one frame per octet", frames_from_parts(OP_TEXT, chopped(payload, 1))),
                ("one frame per code point",
                 frames_from_parts(OP_TEXT, split_code_points(payload))))

    def body(t):
        for i, (name, fr) in enumerate(variants):
            tt = t if i == 0 else t.ctx.reconnect(t)
            try:
                tt.send(*fr)
                if valid:
                    tt.expect(TEXT(payload))
                    tt.close_ok()
                else:
                    tt.fail(1007)
                if tt.c.violations:
                    raise CaseFailed("; ".join(tt.c.violations))
            except CaseFailed as e:
                raise CaseFailed("[%s] %s" % (name, e))
            finally:
                if tt is not t:
                    tt.c.close()
    return body


for _gi, (_title, _seqs) in enumerate(utf8_sequences(), 5):
    for _j, (_valid, _p) in enumerate(_seqs, 1):
        add("6.%d.%d" % (_gi, _j),
            "%s: %s payload 0x%s (one frame, per octet, per code point)%s"
            % (_title, "valid" if _valid else "invalid", _p.hex() if len(_p) <= 24 else
               _p[:24].hex() + "...", "" if _valid else ": fail 1007"),
            _c6_seq(_valid, _p), texts=[_p])

# -- 7 Close handling --------------------------------------------------------------------


def _c7_1_1(t):
    t.send(frame(OP_TEXT, b"Hello World!"))
    t.expect(TEXT(b"Hello World!"))
    t.close_ok()


def _c7_1_2(t):
    t.send(close_frame(1000), close_frame(1000))
    t.c.close_sent = True
    t.close_ok(send=False)


def _c7_1_3(t):
    t.send(close_frame(1000), frame(OP_PING, b"Hello World!"))
    t.c.close_sent = True
    t.close_ok(send=False)


def _c7_1_4(t):
    t.send(close_frame(1000), frame(OP_TEXT, b"Hello World!"))
    t.c.close_sent = True
    t.close_ok(send=False)


def _c7_1_5(t):
    t.send(frame(OP_TEXT, b"fragment1", fin=False), close_frame(1000),
           frame(OP_CONT, b"fragment2"))
    t.c.close_sent = True
    t.close_ok(send=False)


def _c7_1_6(t):
    big = make_text(256 * KIB)
    sent = [TEXT(big), TEXT(b"Hello World!")]
    t.send(frame(OP_TEXT, big), frame(OP_TEXT, b"Hello World!"), close_frame(1000),
           frame(OP_PING, b""))
    t.c.close_sent = True
    got = []
    deadline = time.monotonic() + echo_timeout(len(big)) + T_CLOSE
    while True:
        ev = t.c.next_event(max(0.0, deadline - time.monotonic()))
        if ev is None or ev[0] != "close":
            if ev is not None and len(got) < len(sent) and ev == sent[len(got)]:
                got.append(ev)
                continue
            raise CaseFailed("expected (a prefix of) the echoes, then Close 1000; got %s "
                             "after %d echoes%s" % (describe(ev), len(got), t._why()))
        if ev[1] != 1000:
            raise CaseFailed("expected Close 1000, got %s" % describe(ev))
        break
    t.notes.append("%d of 2 messages echoed before the close" % len(got))
    t.expect_eof()


add("7.1.1", "Send a message followed by a close frame: echo, then Close 1000", _c7_1_1,
    texts=[b"Hello World!"])
add("7.1.2", "Send two close frames: Close 1000, the second ignored", _c7_1_2)
add("7.1.3", "Send a ping after the close frame: Close 1000, no pong", _c7_1_3)
add("7.1.4", "Send a text message after the close frame: Close 1000, no echo", _c7_1_4,
    texts=[b"Hello World!"])
add("7.1.5", "Send a message fragment, a close frame, then the last fragment: Close 1000, "
    "no echo", _c7_1_5, texts=[b"fragment1", b"fragment2"])
add("7.1.6", "Send a 256K message, a small message, a close frame, then a ping: echoes (a "
    "prefix), Close 1000, no pong", _c7_1_6, texts=[b"BAsd7&jh23", b"Hello World!"])


def _c7_close(code, reason, expect):
    def body(t):
        t.close_ok(code, reason, expect=expect)
    return body


def _c7_close_raw(payload, expect_fail_code):
    def body(t):
        t.send(frame(OP_CLOSE, payload))
        t.c.close_sent = True
        t.fail(expect_fail_code, reply=False)
    return body


add("7.3.1", "Send close with payload length 0: server answers Close (no code or 1000)",
    _c7_close(None, b"", (None, 1000)))
add("7.3.2", "Send close with payload length 1: fail 1002", _c7_close_raw(b"0", 1002))
add("7.3.3", "Send close with payload length 2 (code 1000, no reason): Close 1000",
    _c7_close(1000, b"", (1000,)))
add("7.3.4", "Send close with code 1000 and a reason: Close 1000",
    _c7_close(1000, b"Hello World!", (1000,)))
add("7.3.5", "Send close with code 1000 and a 123-byte reason: Close 1000",
    _c7_close(1000, b"*" * 123, (1000,)))
add("7.3.6", "Send close with code 1000 and a 124-byte reason (126-byte control frame): "
    "fail 1002", _c7_close_raw(close_payload(1000, b"*" * 124), 1002))
add("7.5.1", "Send close with code 1000 and an invalid UTF-8 reason: fail 1007",
    _c7_close_raw(close_payload(1000, INVALID_EDITED), 1007))
for _i, _code in enumerate((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000,
                            3999, 4000, 4999), 1):
    add("7.7.%d" % _i, "Send close with valid close code %d: Close %d echoed" % (_code, _code),
        _c7_close(_code, b"", (_code,)))
# Autobahn's older 7.9 list; 1012-1014 are registered (IANA) and therefore valid here.
for _i, _code in enumerate((0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100,
                            2000, 2999), 1):
    if close_code_valid(_code):
        add("7.9.%d" % _i, "Send close with close code %d (registered, valid): Close %d echoed"
            % (_code, _code), _c7_close(_code, b"", (_code,)))
    else:
        add("7.9.%d" % _i, "Send close with invalid close code %d: fail 1002" % _code,
            _c7_close_raw(close_payload(_code), 1002))
add("7.13.1", "Send close with close code 5000: fail 1002",
    _c7_close_raw(close_payload(5000), 1002))
add("7.13.2", "Send close with close code 65535: fail 1002",
    _c7_close_raw(close_payload(65535), 1002))

# -- 9 Limits/performance ----------------------------------------------------------------


def _c9_big(op, size, frag=None, chop=None):
    def body(t):
        p = make_text(size) if op == OP_TEXT else make_binary(size)
        fr = fragments(op, p, frag) if frag else [frame(op, p)]
        if size > t.ctx.max_message:
            t.send(*fr, chop=chop)
            t.fail(1009)
            t.notes.append("%d bytes is over --max-message %d: Close 1009 as required"
                           % (size, t.ctx.max_message))
            return
        t.send(*fr, chop=chop)
        t.expect(TEXT(p) if op == OP_TEXT else BIN(p))
        t.close_ok()
    return body


def _c9_many(op, size, count):
    def body(t):
        p = (b"*" if op == OP_TEXT else b"\xfe") * size
        want = TEXT(p) if op == OP_TEXT else BIN(p)
        f = frame(op, p)
        start = time.monotonic()
        for i in range(count):
            t.send(f)
            ev = t.c.next_event(T_ECHO)
            if ev != want:
                raise CaseFailed("message %d of %d: expected %s, got %s%s"
                                 % (i + 1, count, describe(want), describe(ev), t._why()))
        t.notes.append("%d round trips in %.2f s" % (count, time.monotonic() - start))
        t.close_ok()
    return body


_SIZES = (64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB, 16 * MIB)
_FRAGS = (64, 256, 1 * KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB)
_CHOPS = (64, 128, 256, 512, 1024, 2048)
_MANY = (0, 16, 64, 256, 1024, 4096)


def _sz(n):
    return "%dM" % (n // MIB) if n >= MIB and n % MIB == 0 else "%dK" % (n // KIB) \
        if n >= KIB and n % KIB == 0 else str(n)


for _sub, _op, _kind in ((1, OP_TEXT, "text"), (2, OP_BINARY, "binary")):
    for _i, _n in enumerate(_SIZES, 1):
        add("9.%d.%d" % (_sub, _i), "Send %s message of %s" % (_kind, _sz(_n)),
            _c9_big(_op, _n), texts=[b"BAsd7&jh23"] if _op == OP_TEXT else (),
            binary=_op == OP_BINARY)
for _sub, _op, _kind in ((3, OP_TEXT, "text"), (4, OP_BINARY, "binary")):
    for _i, _f in enumerate(_FRAGS, 1):
        add("9.%d.%d" % (_sub, _i), "Send fragmented %s message of 4M in frames of %s"
            % (_kind, _sz(_f)), _c9_big(_op, 4 * MIB, frag=_f),
            texts=[b"BAsd7&jh23"] if _op == OP_TEXT else (), binary=_op == OP_BINARY)
for _sub, _op, _kind in ((5, OP_TEXT, "text"), (6, OP_BINARY, "binary")):
    for _i, _c in enumerate(_CHOPS, 1):
        add("9.%d.%d" % (_sub, _i), "Send %s message of 1M in chops of %d octets"
            % (_kind, _c), _c9_big(_op, 1 * MIB, chop=_c),
            texts=[b"BAsd7&jh23"] if _op == OP_TEXT else (), binary=_op == OP_BINARY)
for _sub, _op, _kind in ((7, OP_TEXT, "text"), (8, OP_BINARY, "binary")):
    for _i, _s in enumerate(_MANY, 1):
        add("9.%d.%d" % (_sub, _i), "Send 1000 %s messages of %d octets, one at a time "
            "(round trip), all echoed in order" % (_kind, _s), _c9_many(_op, _s, 1000),
            texts=[b"*"] if _op == OP_TEXT else (), binary=_op == OP_BINARY)

# -- 10 Misc -----------------------------------------------------------------------------


def _c10_1_1(t):
    p = make_text(64 * KIB)
    t.send(*fragments(OP_TEXT, p, 1300))
    t.expect(TEXT(p))
    t.close_ok()


add("10.1.1", "Send text message of 64K auto-fragmented into frames of 1300 octets",
    _c10_1_1, texts=[b"BAsd7&jh23"])

# -- 12/13 permessage-deflate (RFC 7692) --------------------------------------------------
# Autobahn's 12.* (compressed echo) and 13.* (parameter negotiation) in spirit. Every
# message we send is compressed with zlib (RSV1 on its first frame only); every
# compressed server message is inflated with exactly the window and context rules the
# server agreed to, so a server that overstepped them fails. wsinetd compresses what it
# sends from --deflate-min-size (default 1 KiB) on: the cases check that too.
PMD = "permessage-deflate; client_max_window_bits"
SERVER_MIN_SIZE = 1024
JSONISH = b'{"id":%d,"name":"sensor-%d","values":[1.5,2.25,3.125],"ok":true,"tags":["a","b"]} '


def payload_for(kind, size, i):
    if kind == "text":
        pat = b"BAsd7&jh23 message %d " % i
        return (pat * (size // len(pat) + 1))[:size]
    if kind == "json":
        return (b"".join(JSONISH % (i + k, k) for k in range(size // 60 + 2)))[:size]
    if kind == "binary":
        return bytes((b * (i + 1)) & 0xFF for b in make_binary(size)) if size <= 4096 \
            else make_binary(size)
    return os.urandom(size)  # "random": incompressible


def cframes(t, op, payload, frag=None, compress=True, fresh=False):
    """A message as we send it on a deflate connection: compressed (RSV1 on the first
    frame only, RFC 7692 6) or plain; frag: frames of at most that many payload bytes."""
    data = t.c.deflate(payload, fresh) if compress else bytes(payload)
    rsv = 4 if compress else 0
    if not frag or len(data) <= frag:
        return [frame(op, data, rsv=rsv)]
    out, pos = [], 0
    while pos < len(data):
        chunk = data[pos:pos + frag]
        out.append(frame(op if pos == 0 else OP_CONT, chunk, fin=pos + len(chunk) >= len(data),
                         rsv=rsv if pos == 0 else 0))
        pos += len(chunk)
    return out


def need_pmd(t, answer=None):
    if answer is not None and t.c.ext_answer != [answer]:
        raise CaseFailed("handshake: offered %r, expected the answer %r, got %r"
                         % (t.c.offer, answer, t.c.ext_answer))
    if t.c.pmd is None:
        raise CaseFailed("permessage-deflate not negotiated: offered %r, answer %r"
                         % (t.c.offer, t.c.ext_answer))


def _pmd_echo(t, msgs, frag=None, compress=True):
    """Echo each (op, payload) in turn; then the count of compressed echoes must match
    what wsinetd compresses (payload >= 1 KiB)."""
    before = t.c.compressed_in
    for i, (op, p) in enumerate(msgs):
        t.send(*cframes(t, op, p, frag, compress=compress(i) if callable(compress) else compress))
        want = TEXT(p) if op == OP_TEXT else BIN(p)
        ev = t.c.next_event(echo_timeout(len(p)))
        if ev != want:
            raise CaseFailed("message %d of %d (%d bytes): expected %s, got %s%s"
                             % (i + 1, len(msgs), len(p), describe(want), describe(ev), t._why()))
    want_c = sum(1 for _, p in msgs if len(p) >= SERVER_MIN_SIZE)
    got_c = t.c.compressed_in - before
    if got_c != want_c:
        raise CaseFailed("%d of %d echoes came compressed; expected %d (those of 1 KiB or more)"
                         % (got_c, len(msgs), want_c))


def _c12_echo(op, kind, size, count, frag=None):
    def body(t):
        need_pmd(t)
        _pmd_echo(t, [(op, payload_for(kind, size, i)) for i in range(count)], frag)
        t.notes.append("%d compressed round trips of %d bytes" % (count, size))
        t.close_ok()
    return body


_SZ12 = (16, 64, 256, 1 * KIB, 4 * KIB, 8 * KIB, 16 * KIB, 32 * KIB, 64 * KIB, 128 * KIB,
         256 * KIB, 512 * KIB)


def _count12(n):
    return 100 if n <= 4 * KIB else 20 if n <= 64 * KIB else 4


for _sub, _op, _kind, _what in ((1, OP_TEXT, "text", "text"), (2, OP_BINARY, "binary", "binary"),
                                (3, OP_TEXT, "json", "JSON-like text"),
                                (4, OP_BINARY, "random", "incompressible binary")):
    for _i, _n in enumerate(_SZ12, 1):
        add("12.%d.%d" % (_sub, _i), "Echo %d compressed %s messages of %s, context takeover"
            % (_count12(_n), _what, _sz(_n)), _c12_echo(_op, _kind, _n, _count12(_n)),
            texts=[b"BAsd7&jh23"] if _op == OP_TEXT else (), binary=_op == OP_BINARY, offer=PMD)
for _i, _f in enumerate((1, 16, 64, 256, 1 * KIB, 4 * KIB), 1):
    add("12.5.%d" % _i, "Echo 5 compressed text messages of 64K, each compressed payload in "
        "frames of %s (RSV1 on the first only)" % _sz(_f),
        _c12_echo(OP_TEXT, "json", 64 * KIB, 5, frag=_f), texts=[b"{"], offer=PMD)


def _c12_6(op, kind):
    def body(t):
        need_pmd(t)
        msgs = [(op, payload_for(kind, n, i)) for i, n in
                enumerate((2 * KIB, 100, 2 * KIB, 8 * KIB, 0, 2 * KIB, 3 * KIB, 1 * KIB))]
        # compressed, plain, compressed, plain...: the server's inflater keeps its
        # context across the plain ones (RFC 7692 6: uncompressed messages are allowed)
        _pmd_echo(t, msgs, compress=lambda i: i % 2 == 0)
        t.close_ok()
    return body


add("12.6.1", "Compressed and uncompressed text messages alternating on one connection",
    _c12_6(OP_TEXT, "text"), texts=[b"BAsd7&jh23"], offer=PMD)
add("12.6.2", "Compressed and uncompressed binary messages alternating on one connection",
    _c12_6(OP_BINARY, "binary"), binary=True, offer=PMD)


def _c12_7_bytes(raw, op, expect):
    """A hand-made compressed payload (RFC 7692 7.2.3 examples)."""
    def body(t):
        need_pmd(t)
        t.send(frame(op, raw, rsv=4))
        t.expect(TEXT(expect) if op == OP_TEXT else BIN(expect))
        t.close_ok()
    return body


def _c12_7_fail(make, code):
    def body(t):
        if t.c.offer is not None:
            need_pmd(t)
        t.send(*make(t))
        t.fail(code)
    return body


add("12.7.1", "RFC 7692 7.2.3.1: Hello in one compressed block",
    _c12_7_bytes(b"\xf2\x48\xcd\xc9\xc9\x07\x00", OP_TEXT, b"Hello"), texts=[b"Hello"], offer=PMD)
add("12.7.2", "RFC 7692 7.2.3.3: Hello in a stored (uncompressed) DEFLATE block",
    _c12_7_bytes(b"\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00", OP_TEXT, b"Hello"),
    texts=[b"Hello"], offer=PMD)
add("12.7.3", "RFC 7692 7.2.3.4: Hello in a block with BFINAL set",
    _c12_7_bytes(b"\xf3\x48\xcd\xc9\xc9\x07\x00\x00", OP_TEXT, b"Hello"), texts=[b"Hello"],
    offer=PMD)
add("12.7.4", "RFC 7692 7.2.3.5: Hello in two DEFLATE blocks",
    _c12_7_bytes(b"\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00", OP_TEXT, b"Hello"),
    texts=[b"Hello"], offer=PMD)
add("12.7.5", "RFC 7692 7.2.3.6: an empty compressed text message (one 00 byte)",
    _c12_7_bytes(b"\x00", OP_TEXT, b""), texts=[b""], offer=PMD)
add("12.7.6", "An empty compressed binary message (no payload at all)",
    _c12_7_bytes(b"", OP_BINARY, b""), binary=True, offer=PMD)
add("12.7.7", "RSV1 on a continuation frame: fail 1002",
    _c12_7_fail(lambda t: [frame(OP_TEXT, t.c.deflate(b"Hello"), fin=False, rsv=4),
                           frame(OP_CONT, b"", rsv=4)], 1002), texts=[b"Hello"], offer=PMD)
add("12.7.8", "RSV1 on a ping: fail 1002",
    _c12_7_fail(lambda t: [frame(OP_PING, b"", rsv=4)], 1002), offer=PMD)
add("12.7.9", "RSV1 on a close: fail 1002",
    _c12_7_fail(lambda t: [frame(OP_CLOSE, close_payload(1000), rsv=4)], 1002), offer=PMD)
add("12.7.10", "RSV1 without permessage-deflate negotiated: fail 1002",
    _c12_7_fail(lambda t: [frame(OP_TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00", rsv=4)], 1002))
add("12.7.11", "Corrupt DEFLATE data (reserved block type): fail 1007",
    _c12_7_fail(lambda t: [frame(OP_TEXT, b"\xff\xff\xff\xff", rsv=4)], 1007), offer=PMD)
add("12.7.12", "Compressed message ending inside a DEFLATE block: fail 1007",
    _c12_7_fail(lambda t: [frame(OP_TEXT, b"\xf2\x48\xcd", rsv=4)], 1007), offer=PMD)
add("12.7.13", "A back-reference to data never sent: fail 1007",
    _c12_7_fail(lambda t: [frame(OP_TEXT, b"\xf2\x00\x11\x00\x00", rsv=4)], 1007), offer=PMD)
add("12.7.14", "Compressed text that inflates to invalid UTF-8: fail 1007",
    _c12_7_fail(lambda t: cframes(t, OP_TEXT, b"valid so far " * 100 + INVALID_EDITED), 1007),
    texts=[b"x"], offer=PMD)
add("12.7.15", "Compressed text that inflates to a truncated UTF-8 sequence: fail 1007",
    _c12_7_fail(lambda t: cframes(t, OP_TEXT, b"abc" * 500 + b"\xce"), 1007), texts=[b"x"],
    offer=PMD)


def _c12_bomb(t):
    need_pmd(t)
    n = t.ctx.max_message + 1
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = b"".join(co.compress(b"a" * MIB) for _ in range(n // MIB)) + co.compress(
        b"a" * (n % MIB)) + co.flush(zlib.Z_SYNC_FLUSH)
    t.send(frame(OP_TEXT, data[:-4], rsv=4))
    t.fail(1009)
    t.notes.append("%d compressed bytes inflating to %d (one over --max-message): Close 1009"
                   % (len(data) - 4, n))


add("12.7.16", "A compressed message inflating one byte past --max-message: fail 1009",
    _c12_bomb, texts=[b"a"], offer=PMD)


def _c13(answer, fresh_each=False):
    def body(t):
        need_pmd(t, answer)
        sizes = (2 * KIB, 64, 8 * KIB, 1 * KIB, 32 * KIB, 3 * KIB)
        msgs = []
        for rep in range(3):  # the same content again: context takeover pays off
            for i, n in enumerate(sizes):
                msgs.append((OP_TEXT if i % 2 == 0 else OP_BINARY,
                             payload_for("json" if i % 2 == 0 else "binary", n, i)))
        _pmd_echo(t, msgs, compress=True)
        t.notes.append("agreed: %s" % t.c.pmd["answer"])
        t.close_ok()
    return body


def _c13_none(t):
    """A declined offer: no Sec-WebSocket-Extensions, plain frames only, RSV1 is 1002."""
    if t.c.ext_answer is not None:
        raise CaseFailed("handshake: offered %r, expected no extension, got %r"
                         % (t.c.offer, t.c.ext_answer))
    p = make_text(4 * KIB)
    t.send(frame(OP_TEXT, p))
    t.expect(TEXT(p))
    t.send(frame(OP_TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00", rsv=4))
    t.fail(1002)


_N13 = [
    ("13.1.1", "permessage-deflate", "permessage-deflate"),
    ("13.1.2", "permessage-deflate; client_max_window_bits", "permessage-deflate"),
    ("13.2.1", "permessage-deflate; client_no_context_takeover",
     "permessage-deflate; client_no_context_takeover"),
    ("13.2.2", "permessage-deflate; server_no_context_takeover",
     "permessage-deflate; server_no_context_takeover"),
    ("13.2.3", "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
]
_N13 += [("13.3.%d" % (w - 8), "permessage-deflate; server_max_window_bits=%d" % w,
          "permessage-deflate; server_max_window_bits=%d" % w) for w in range(9, 16)]
_N13 += [("13.4.%d" % (w - 8), "permessage-deflate; client_max_window_bits=%d" % w,
          "permessage-deflate; client_max_window_bits=%d" % w) for w in range(9, 16)]
_N13 += [("13.5.%d" % i, "permessage-deflate; server_no_context_takeover; "
          "client_no_context_takeover; server_max_window_bits=%d; client_max_window_bits=%d"
          % (w, w), "permessage-deflate; server_no_context_takeover; client_no_context_takeover;"
          " server_max_window_bits=%d; client_max_window_bits=%d" % (w, w))
         for i, w in enumerate((9, 12, 15), 1)]
_N13 += [
    ("13.6.1", "permessage-deflate; server_max_window_bits=8, permessage-deflate; "
     "server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9"),
    ("13.6.2", "permessage-deflate; unknown_parameter, permessage-deflate",
     "permessage-deflate"),
    ("13.6.3", "x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover",
     "permessage-deflate; client_no_context_takeover"),
    ("13.6.4", 'permessage-deflate; client_max_window_bits="10"',
     "permessage-deflate; client_max_window_bits=10"),
]
for _cid, _offer, _answer in _N13:
    add(_cid, "Offer [%s]: answer [%s], then 18 compressed echoes" % (_offer, _answer),
        _c13(_answer), texts=[b"{"], binary=True, offer=_offer)
for _cid, _offer in (("13.7.1", "permessage-deflate; server_max_window_bits=8"),
                     ("13.7.2", "permessage-deflate; server_no_context_takeover; "
                                "server_no_context_takeover"),
                     ("13.7.3", "permessage-deflate; server_max_window_bits"),
                     ("13.7.4", "permessage-deflate; client_max_window_bits=16"),
                     ("13.7.5", "permessage-deflate; bogus=1")):
    add(_cid, "Unacceptable offer [%s]: declined, connection runs uncompressed" % _offer,
        _c13_none, texts=[b"BAsd7&jh23"], offer=_offer)


# ---------------------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------------------

Result = collections.namedtuple("Result", "case verdict detail secs ports")
Result.__new__.__defaults__ = ((),)


class Ctx:
    def __init__(self, host, port, path, mode, max_message):
        self.host, self.port, self.path = host, port, path
        self.mode = mode
        self.max_message = max_message

    def connect(self, offer=None):
        return T(Conn(self.host, self.port, self.path, offer=offer), self)

    def reconnect(self, t):
        tt = self.connect()
        tt.notes = t.notes
        t.ports.append(tt.c.local_port)
        tt.ports = t.ports
        return tt


def run_case(ctx, case):
    if case.skip:
        return Result(case, "SKIP", case.skip, 0.0)
    if ctx.mode == "lines" and not case.lines_ok:
        return Result(case, "SKIP", "binary message or newline in text: not for lines mode",
                      0.0)
    start = time.monotonic()
    t = None
    try:
        t = ctx.connect(case.offer)
        case.fn(t)
        if t.c.violations:
            raise CaseFailed("server protocol violation: " + "; ".join(t.c.violations[:5]))
        verdict, detail = "OK", "; ".join(t.notes)
    except CaseFailed as e:
        verdict, detail = "FAILED", str(e)
        if t is not None and t.c.violations and "violation" not in detail:
            detail += " [server protocol violation: %s]" % "; ".join(t.c.violations[:3])
    except (OSError, socket.timeout) as e:
        verdict, detail = "FAILED", "socket error: %s" % e
    except Exception as e:  # a bug in a case must not stop the run
        import traceback
        verdict, detail = "FAILED", "internal error: %s\n%s" % (e, traceback.format_exc())
    finally:
        if t is not None:
            t.c.close()
    return Result(case, verdict, detail, time.monotonic() - start,
                  tuple(t.ports) if t is not None else ())


def select_cases(patterns):
    if not patterns:
        return list(CASES)
    pats = [p.strip() for p in patterns.split(",") if p.strip()]
    out = []
    for c in CASES:
        for p in pats:
            if fnmatch.fnmatchcase(c.id, p) or c.id == p or (
                    p.endswith(".*") and c.id.startswith(p[:-1])):
                out.append(c)
                break
    return out


def run(url, mode, patterns=None, max_message=None, jobs=1, budget=None, cases=None):
    """Run the selected cases; yields Result in catalogue order."""
    u = urlsplit(url)
    if u.scheme != "ws" or not u.hostname:
        raise ValueError("url must be ws://HOST:PORT/PATH")
    if max_message is None:
        max_message = 16 * MIB if mode == "json" else 1 * MIB
    ctx = Ctx(u.hostname, u.port or 80, u.path or "/", mode, max_message)
    todo = cases if cases is not None else select_cases(patterns)
    t0 = time.monotonic()

    def one(case):
        if budget is not None and time.monotonic() - t0 > budget and not case.skip:
            return Result(case, "FAILED", "not run: time budget of %.0f s exhausted" % budget,
                          0.0)
        return run_case(ctx, case)

    if jobs <= 1:
        for c in todo:
            yield one(c)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = [ex.submit(one, c) for c in todo]
        for f in futs:
            yield f.result()


def parse_size(s):
    s = s.strip()
    mult = 1
    if s[-1:].upper() in ("K", "M", "G"):
        mult = {"K": KIB, "M": MIB, "G": 1024 * MIB}[s[-1].upper()]
        s = s[:-1]
    return int(s) * mult


def main(argv=None):
    ap = argparse.ArgumentParser(description="Autobahn-style RFC 6455 conformance cases "
                                 "against a wsinetd echo endpoint (cat).")
    ap.add_argument("--url", required=False, help="ws://127.0.0.1:PORT/")
    ap.add_argument("--mode", choices=("json", "lines"), default="json",
                    help="json: wsinetd --json cat (text and binary); lines: wsinetd cat "
                         "(text cases only)")
    ap.add_argument("--cases", default=None, help="comma-separated patterns, e.g. 1.*,2.*,7.7.1")
    ap.add_argument("--max-message", default=None,
                    help="the server's --max-message (default 16M in json mode, 1M in lines "
                         "mode): bigger messages must be answered with Close 1009")
    ap.add_argument("--jobs", type=int, default=1, help="cases run in parallel")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds; cases not started by then fail as not run")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="details for OK cases too")
    a = ap.parse_args(argv)
    sel = select_cases(a.cases)
    if a.list:
        for c in sel:
            print("%-8s %s%s" % (c.id, c.desc, "" if c.lines_ok else "  [json only]"))
        print("%d cases" % len(sel))
        return 0
    if not a.url:
        ap.error("--url is required")
    mm = parse_size(a.max_message) if a.max_message else None
    counts = collections.Counter()
    t0 = time.monotonic()
    for r in run(a.url, a.mode, max_message=mm, jobs=a.jobs, budget=a.budget, cases=sel):
        counts[r.verdict] += 1
        line = "%-8s %-7s %s" % (r.case.id, r.verdict, r.case.desc)
        if r.detail and (r.verdict != "OK" or a.verbose):
            line += "  -- " + r.detail
        if r.verdict != "SKIP" and (a.verbose or r.secs > 1.0):
            line += "  (%.2f s)" % r.secs
        print(line, flush=True)
    total = sum(counts.values())
    print("summary: %d cases, %d OK, %d FAILED, %d SKIPPED (%s mode, %.1f s)"
          % (total, counts["OK"], counts["FAILED"], counts["SKIP"], a.mode,
             time.monotonic() - t0))
    return 0 if counts["FAILED"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
