#!/usr/bin/python3
"""permessage-deflate (RFC 7692) end to end: npm ws with perMessageDeflate in each
parameter combination, Debian's python3-websockets (compression on by default, and with
every parameter), the server options, WS_EXTENSIONS, the access log, and a decompression
bomb that must end with 1009 while the handler's memory stays bounded.

The negotiation and the frame-level rules (RSV1 placement, fragments, corrupt data,
windows, context takeover) are checked case by case in conformance.py 12.*/13.*."""
import os, sys, zlib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import *  # noqa

NODE_DEFLATE = os.path.join(REPO, "tests", "node", "deflate_client.js")
SIZES = [0, 10, 1000, 1024, 5000, 70000, 300000]
# The bomb: the handler's peak RSS (VmHWM) must stay under this while a message that
# inflates to 64 MiB is refused at --max-message=1M. Measured: ~6.0 MiB idle, ~7.3 MiB
# peak. Not checked against a sanitizer build (its shadow memory makes RSS meaningless).
BOMB_RSS_BOUND_KB = 16 * 1024


def access_lines(text):
    return [l for l in text.splitlines() if re.search(r"\baccess\b", l) and "peer=" in l]


def expected_answer(offer):
    """wsinetd's answer (default options) to a ws-style offer dict."""
    a = "permessage-deflate"
    if offer.get("serverNoContextTakeover"):
        a += "; server_no_context_takeover"
    if offer.get("clientNoContextTakeover"):
        a += "; client_no_context_takeover"
    s = offer.get("serverMaxWindowBits")
    if isinstance(s, int) and not isinstance(s, bool):
        a += "; server_max_window_bits=%d" % s
    c = offer.get("clientMaxWindowBits", True)
    if isinstance(c, int) and not isinstance(c, bool):
        a += "; client_max_window_bits=%d" % c
    return a


def node_deflate(url, opts, sizes=SIZES, timeout=20.0):
    p = subprocess.Popen(["node", NODE_DEFLATE, url, json.dumps(opts), json.dumps(sizes)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=os.path.dirname(NODE_DEFLATE),
                         env=dict(os.environ, WS_CLIENT_TIMEOUT_MS=str(int(timeout * 1000))),
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout + 5)
    except subprocess.TimeoutExpired:
        kill_pid(p.pid)
        out, err = p.communicate()
    try:
        return json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "no result: %r %r" % (out[-300:], err[-500:])}


def raw_offer(port, offer, path="/"):
    c = RawClient(port)
    h = std_headers(port)
    if offer is not None:
        h.append(("Sec-WebSocket-Extensions", offer))
    r = c.handshake(path, headers=h)
    return c, r


def pmd_compress(payload, bits=15, co=None):
    co = co or zlib.compressobj(6, zlib.DEFLATED, -bits)
    d = co.compress(payload) + co.flush(zlib.Z_SYNC_FLUSH)
    return d[:-4]


@test
def node_ws_every_combination():
    s = Server(["--json", "cat"], mode="listen")
    try:
        combos = []
        for snct in (False, True):
            for cnct in (False, True):
                for win in ({}, {"serverMaxWindowBits": 10, "clientMaxWindowBits": 10},
                            {"serverMaxWindowBits": 15, "clientMaxWindowBits": 9},
                            {"serverMaxWindowBits": 9}):
                    o = dict(win)
                    if snct:
                        o["serverNoContextTakeover"] = True
                    if cnct:
                        o["clientNoContextTakeover"] = True
                    combos.append(o)
        for o in combos:
            res = node_deflate(s.url(), o)
            name = json.dumps(o, sort_keys=True)
            T.eq(res.get("extensions"), expected_answer(o), "ws %s: negotiated" % name)
            T.ok(res.get("echoed") == 2 * len(SIZES) and not res.get("mismatch") and
                 res.get("close") == 1000 and not res.get("error"),
                 "ws %s: %d text+binary messages (0 B..300 KB) echoed exactly" % (name, 2 * len(SIZES)),
                 res)
        wait_until(lambda: len(access_lines(s.stderr())) >= len(combos), 5)
        lines = access_lines(s.stderr())
        T.ok(len(lines) == len(combos) and all(re.search(r" deflate=on saved=\d+$", l) and
                                                int(l.rsplit("=", 1)[1]) > 100000 for l in lines),
             "every access line ends with deflate=on saved=N (N > 100000 both ways)",
             "\n".join(lines[-5:]))
    finally:
        s.stop()


def py_echo(url, compression="deflate", extensions=None):
    """python3-websockets: echo text and binary of SIZES; returns (answer, ok, detail)."""
    import asyncio
    import websockets

    async def run():
        kw = {"max_size": None, "ping_interval": None, "open_timeout": 10, "close_timeout": 5}
        if extensions is not None:
            kw["extensions"] = extensions
            kw["compression"] = None
        else:
            kw["compression"] = compression
        async with websockets.connect(url, **kw) as ws:
            answer = ws.response_headers.get("Sec-WebSocket-Extensions")
            for i, n in enumerate(SIZES):
                t = ("h\u00e9llo %d " % i * (n // 8 + 1)).encode()[:n].decode("utf-8", "ignore")
                b = bytes((k * 7 + i) & 0xFF for k in range(min(n, 4096))) * (n // 4096 + 1)
                b = b[:n]
                for m in (t, b):
                    await ws.send(m)
                    got = await asyncio.wait_for(ws.recv(), 10)
                    if got != m:
                        return answer, False, "size %d %s differs" % (n, type(m).__name__)
            return answer, True, ""

    try:
        return asyncio.run(asyncio.wait_for(run(), 40))
    except Exception as e:  # noqa
        return None, False, "%s: %s" % (type(e).__name__, e)


@test
def python_websockets():
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory as F
    s = Server(["--json", "cat"], mode="inetd")
    try:
        ans, ok_, det = py_echo(s.url())
        T.eq(ans, "permessage-deflate", "python3-websockets default offer accepted")
        T.ok(ok_, "python3-websockets (compression on by default): text and binary echoed", det)
        for kw, want in (
                (dict(server_no_context_takeover=True, client_no_context_takeover=True),
                 "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
                (dict(server_max_window_bits=11, client_max_window_bits=12),
                 "permessage-deflate; server_max_window_bits=11; client_max_window_bits=12"),
                (dict(server_max_window_bits=9, client_max_window_bits=9,
                      client_no_context_takeover=True),
                 "permessage-deflate; client_no_context_takeover; server_max_window_bits=9; "
                 "client_max_window_bits=9"),
                (dict(client_max_window_bits=True), "permessage-deflate")):
            ans, ok_, det = py_echo(s.url(), extensions=[F(**kw)])
            T.eq(ans, want, "python3-websockets %s: negotiated" % kw)
            T.ok(ok_, "python3-websockets %s: echoed" % kw, det)
    finally:
        s.stop()


@test
def options():
    # --deflate=off: never answered; RSV1 is then a protocol error
    s = Server(["--deflate=off", "cat"], mode="inetd")
    try:
        c, r = raw_offer(s.port, "permessage-deflate")
        T.eq((r.status, r.header("sec-websocket-extensions")), (101, None),
             "--deflate=off: offer ignored")
        c.send_frame(OP_TEXT, pmd_compress(b"Hello"), rsv=4)
        m = c.recv_message(5)
        T.eq(m[:2], ("close", 1002), "--deflate=off: RSV1 → 1002")
        c.close()
    finally:
        s.stop()
    for args, offer, want in (
            (["--deflate-window-bits=10"], "permessage-deflate; client_max_window_bits",
             "permessage-deflate; server_max_window_bits=10; client_max_window_bits=10"),
            (["--deflate-window-bits=12"], "permessage-deflate; server_max_window_bits=14",
             "permessage-deflate; server_max_window_bits=12"),
            (["--deflate-no-context-takeover"], "permessage-deflate",
             "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
            (["--deflate=on"], "permessage-deflate; server_max_window_bits=8", None),
            ([], "x-webkit-deflate-frame", None),
            ([], None, None)):
        s = Server(args + ["--json", "cat"], mode="inetd")
        try:
            c, r = raw_offer(s.port, offer)
            T.eq(r.header("sec-websocket-extensions"), want, "%s offer %r → %r" % (args, offer, want))
            c.close()
        finally:
            s.stop()
    # --deflate-min-size and --deflate-level: what goes out compressed, and that it inflates
    for args, sizes in (([], {1023: 0, 1024: 4, 5000: 4}),
                        (["--deflate-min-size=100"], {99: 0, 100: 4, 3: 0}),
                        (["--deflate-min-size=0", "--deflate-level=0"], {1: 4, 0: 0, 60000: 4}),
                        (["--deflate-level=9", "--deflate-window-bits=9",
                          "--deflate-no-context-takeover"], {50000: 4, 2000: 4})):
        s = Server(args + ["--binary", "cat"], mode="inetd")
        try:
            c, r = raw_offer(s.port, "permessage-deflate")
            ans = r.header("sec-websocket-extensions") or ""
            bits = int(re.search(r"server_max_window_bits=(\d+)", ans).group(1)) \
                if "server_max_window_bits" in ans else 15
            good = []
            dec = zlib.decompressobj(wbits=-bits)
            for n, rsv in sizes.items():
                p = (b"abcdefgh" * (n // 8 + 1))[:n]
                c.send_frame(OP_BIN, p)
                if n == 0:
                    good.append(True)  # --binary: an empty message is not written
                    continue
                f = c.recv_frame(5)
                if "no_context_takeover" in ans:
                    dec = zlib.decompressobj(wbits=-bits)
                body = dec.decompress(f.payload + b"\x00\x00\xff\xff") if f.rsv == 4 else f.payload
                good.append(f.rsv == rsv and body == p)
                if not good[-1]:
                    T.diag("%s size %d: rsv %d (want %d), %d bytes" % (args, n, f.rsv, rsv, len(body)))
            T.ok(all(good), "%s: compressed exactly from the minimum size on, and inflates"
                 % (args or "defaults"))
            c.send_close(1000)
            c.close()
        finally:
            s.stop()


@test
def ws_extensions_env_and_log():
    prog = ["/bin/sh", "-c", 'echo "ext=[$WS_EXTENSIONS]"; exec cat']
    s = Server(prog, mode="inetd")
    try:
        for offer, want in (("permessage-deflate; client_no_context_takeover",
                             "permessage-deflate; client_no_context_takeover"),
                            (None, ""), ("foo, bar", "")):
            c, r = raw_offer(s.port, offer)
            f = c.recv_frame(5)
            T.eq(f.payload, ("ext=[%s]" % want).encode(), "WS_EXTENSIONS for offer %r" % offer)
            c.send_close(1000)
            c.wait_eof(5)
            c.close()
        wait_until(lambda: len(access_lines(s.stderr())) >= 3 and not s.handlers(), 5)
        lines = access_lines(s.stderr())
        T.ok(len(lines) == 3 and re.search(r"exit=\d+ deflate=on saved=-?\d+$", lines[0]) and
             re.search(r"exit=\d+ deflate=off saved=0$", lines[1]) and
             lines[2].endswith("deflate=off saved=0"),
             "access line: deflate=on|off saved=N appended after exit=", "\n".join(lines))
    finally:
        s.stop()
    # handoff: the program speaks frames itself; nothing is negotiated for it
    s = Server(["--handoff", "/bin/sh", "-c", 'printf "\\201\\003[%s]" "$WS_EXTENSIONS"; sleep 1'],
               mode="inetd")
    try:
        c, r = raw_offer(s.port, "permessage-deflate")
        T.eq(r.header("sec-websocket-extensions"), None, "--handoff: no extension negotiated")
        c.close()
    finally:
        s.stop()


@test
def backpressure_per_message():
    # One write carrying 20 messages that each inflate to 900 000 bytes (< --max-message)
    # for a program that does not read for 2 s: the handler must hold the rest back at a
    # message boundary, not inflate them all into its queue and fail with 1009.
    s = Server(["--", "sh", "-c", "sleep 2; head -n 20 | wc -l"], mode="inetd")
    try:
        c, r = raw_offer(s.port, "permessage-deflate; client_no_context_takeover")
        T.eq(r.status, 101, "backpressure: deflate negotiated")
        co_msgs = [pmd_compress(b"a" * 900000) for _ in range(20)]
        c.send(b"".join(encode_frame(OP_TEXT, d, rsv=4) for d in co_msgs))
        m = c.recv_message(30)
        T.eq(m[:2], (OP_TEXT, b"20"), "backpressure: all 20 inflated messages reached the "
             "slow program (no spurious 1009)")
        c.close()
    finally:
        s.stop()


def bomb_case(args, frames_of, label):
    s = Server(args, mode="inetd")
    try:
        c, r = raw_offer(s.port, "permessage-deflate")
        pid = s.wait_handler(5)
        base = vmrss_kb(pid) if pid else None
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        chunk = b"\0" * (1 << 20)
        data = b"".join(co.compress(chunk) for _ in range(64)) + co.flush(zlib.Z_SYNC_FLUSH)
        data = data[:-4]
        if frames_of:
            parts = [data[i:i + frames_of] for i in range(0, len(data), frames_of)]
            c.send(b"".join(encode_frame(OP_TEXT if i == 0 else OP_CONT, p, fin=i == len(parts) - 1,
                                         rsv=4 if i == 0 else 0) for i, p in enumerate(parts)))
        else:
            c.send_frame(OP_TEXT, data, rsv=4)
        hwm = [None]

        def peak():
            v = status_kb(pid, "VmHWM")
            if v is not None:
                hwm[0] = v
            return hwm[0]
        m = None
        try:
            m = c.recv_message(10)
        except Exception as e:  # noqa
            m = ("error", str(e))
        peak()
        T.eq(m[:2], ("close", 1009), "%s: %d compressed bytes inflating to 64 MiB → Close 1009"
             % (label, len(data)))
        T.ok(hwm[0] is not None and (hwm[0] < BOMB_RSS_BOUND_KB or "asan" in BIN),
             "%s: handler peak RSS %s KiB (idle %s KiB) under %d KiB" % (label, hwm[0], base,
                                                                     BOMB_RSS_BOUND_KB))
        c.send_close(1009)
        c.wait_eof(5)
        c.close()
    finally:
        s.stop()


@test
def decompression_bomb():
    bomb_case(["--max-message=1M", "cat"], None, "lines, one frame")
    bomb_case(["--max-message=1M", "--json", "cat"], 1000, "json, 1000-byte fragments")
    # exactly at the limit is fine: 1 MiB of text inflates and is echoed
    s = Server(["--max-message=1M", "--binary", "cat"], mode="inetd")
    try:
        c, r = raw_offer(s.port, "permessage-deflate")
        p = b"a" * (1 << 20)
        c.send_frame(OP_BIN, pmd_compress(p), rsv=4)
        got = b""
        dec = zlib.decompressobj(wbits=-15)  # --binary echoes it in 64 KiB messages
        while len(got) < len(p):
            f = c.recv_frame(5)
            if f.opcode == OP_CLOSE:
                break
            got += dec.decompress(f.payload + b"\x00\x00\xff\xff") if f.rsv == 4 else f.payload
        T.eq(len(got), len(p), "a message of exactly --max-message after inflating is delivered")
        c.close()
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
