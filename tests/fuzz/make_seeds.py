#!/usr/bin/python3
"""make_seeds.py - (re)write the small, meaningful seed inputs in tests/fuzz/corpus/<target>/.

Each seed is named after what it is (seed-*). Regression inputs (crashes found and fixed)
are added by hand as regress-* and are never touched by this script. Deterministic: the
same files every run. The layout of each input (leading config bytes) is described at
the top of tests/fuzz/fuzz_<target>.c."""
import base64
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from wslib import encode_frame  # noqa: E402
CORPUS = os.path.join(HERE, "corpus")
MASK = b"\x37\xfa\x21\x3d"


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def req(path="/", headers=None, method="GET", version="HTTP/1.1", eol="\r\n"):
    h = headers if headers is not None else [
        ("Host", "example.com:8080"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
    return (method + " " + path + " " + version + eol +
            "".join("%s: %s%s" % (k, v, eol) for k, v in h) + eol)


def frame(op, payload=b"", fin=True, rsv=0, mask=MASK, length=None):
    """A frame with a fixed mask key (mask=None: unmasked), so seeds do not change."""
    return encode_frame(op, payload, fin=fin, mask=bool(mask), rsv=rsv, mask_key=mask,
                        length=length)


def main():
    std = req()
    # http_req: byte 0 = max_headers selector (0x80: the default 100)
    write("http_req", "rfc6455-example", b"\x80" + std.encode())
    write("http_req", "bare-lf", b"\x80" + req(eol="\n").encode())
    write("http_req", "http10-query", b"\x80" + req("/chat?x=1&y=%20", version="HTTP/1.0").encode())
    write("http_req", "obs-fold", b"\x80" + b"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n")
    write("http_req", "five-headers-max4", b"\x00" + std.encode())
    write("http_req", "obs-text-value", b"\x80" + b"GET / HTTP/1.1\r\nX: caf\xe9 \t\r\n\r\n")
    write("http_req", "incomplete", b"\x80" + std.encode()[:-3])
    # handshake: byte 0 = protocols/require, byte 1 = extra headers
    write("handshake", "ok", b"\x04\x03" + std.encode())
    write("handshake", "subprotocol", b"\x08\x02" + req(headers=[
        ("Host", "h"), ("Upgrade", "WebSocket"), ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="), ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Protocol", "chat.v1, chat.v2"), ("Sec-WebSocket-Protocol", "mqtt")]).encode())
    write("handshake", "require-none-offered", b"\x1c\x00" + std.encode())
    write("handshake", "plain-http", b"\x00\x00" + req(headers=[("Host", "h")]).encode())
    write("handshake", "post", b"\x00\x00" + req(method="POST").encode())
    write("handshake", "version-8", b"\x00\x00" + std.replace("Version: 13", "Version: 8").encode())
    write("handshake", "bad-key", b"\x00\x00" + std.replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ").encode())
    write("handshake", "two-hosts", b"\x00\x00" + std.replace("Host:", "Host: x\r\nHost:").encode())
    # msg: byte 0 = cfg (max_message index | 8 allow_rsv1), 4 bytes split seed, stream
    cfg = b"\x05"
    seed = b"\x01\x02\x03\x04"
    write("msg", "text-hello", cfg + seed + frame(1, "Hello"))
    write("msg", "fragmented-with-ping", cfg + seed + frame(1, "Hel", fin=False) +
          frame(9, "p") + frame(0, "lo", fin=False) + frame(0, "!") + frame(8, struct.pack("!H", 1000) + b"bye"))
    write("msg", "binary-16bit-len", cfg + seed + frame(2, bytes(range(256)) * 2))
    write("msg", "utf8-split-across-fragments", cfg + seed + frame(1, b"\xe2\x82", fin=False) + frame(0, b"\xac"))
    write("msg", "invalid-utf8", cfg + seed + frame(1, b"a\xc0\xaf"))
    write("msg", "unmasked", cfg + seed + frame(1, "x", mask=None))
    write("msg", "close-1005", cfg + seed + frame(8))
    write("msg", "close-bad-code", cfg + seed + frame(8, struct.pack("!H", 1004)))
    write("msg", "rsv1-compressed", b"\x0d" + seed + frame(1, b"\xf2\x48\x05\x00", rsv=4))
    write("msg", "too-big-64bit", b"\x03" + seed + frame(2, b"", length=1 << 40)[:14])
    write("msg", "nonminimal-length", cfg + seed + b"\x81\xfe\x00\x05" + MASK + b"abcde")
    write("msg", "pong-empty-text", cfg + seed + frame(10, "") + frame(1, ""))
    # utf8: 4 bytes split seed, text
    write("utf8", "ascii", seed + b"hello, world")
    write("utf8", "multibyte", seed + "h\u00e9\u20ac\U0001f600\U0010ffff".encode())
    write("utf8", "surrogate", seed + b"\xed\xa0\x80")
    write("utf8", "overlong", seed + b"\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf")
    write("utf8", "above-10ffff", seed + b"\xf4\x90\x80\x80")
    write("utf8", "truncated", seed + b"abc\xe2\x82")
    write("utf8", "kuhn-boundaries", seed + b"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf")
    # cgienv: byte 0 flags (1 raw headers, 2 pass_authorization, 4 https, ...)
    write("cgienv", "parsed", b"\x18" + req(headers=[
        ("Host", "example.com:8080"), ("X-Foo", "1"), ("x-foo", "2"), ("X_Foo", "spoof"),
        ("Proxy", "http://evil/"), ("Authorization", "Bearer t"), ("Cookie", "a=1"),
        ("Cookie", "b=2"), ("Server-Software", "x")]).encode())
    write("cgienv", "raw-crlf", b"\x01" + b"X-A\x00v\r\nINJECTED=1\x00Host\x00h\x00X-B\x00ok")
    write("cgienv", "raw-authorization", b"\x03" + b"Authorization\x00Basic x\x00Proxy\x00p")
    write("cgienv", "small-arena", b"\x80" + std.encode())
    write("cgienv", "passenv-host", b"\x38" + std.encode())
    # jsonmode: byte 0 flags (1: small payload cap), then the line
    for name, obj in (("text", {"type": "text", "data": "h\u00e9llo"}),
                      ("binary", {"type": "binary", "data": base64.b64encode(b"\x00\xff").decode()}),
                      ("close", {"type": "close", "code": 4000, "reason": "done"}),
                      ("close-bad-code", {"type": "close", "code": 1006}),
                      ("unknown-type", {"type": "ping", "data": ""})):
        write("jsonmode", name, b"\x00" + json.dumps(obj).encode())
    write("jsonmode", "duplicate-key", b"\x00" + b'{"type":"text","type":"binary","data":"x"}')
    write("jsonmode", "nul-escape", b"\x00" + b'{"type":"text","data":"a\\u0000b"}\r')
    write("jsonmode", "small-cap", b"\x09" + b'{"type":"text","data":"0123456789"}')
    write("jsonmode", "bad-base64", b"\x00" + b'{"type":"binary","data":"AB=="}')
    # b64
    write("b64", "key", b"dGhlIHNhbXBsZSBub25jZQ==")
    write("b64", "one-pad", b"AAE=")
    write("b64", "url", b"eyJhbGciOiJIUzI1NiJ9")
    write("b64", "nonzero-bits", b"AB==")
    # config: byte 0 (odd: no PROGRAM on the command line), then the file
    write("config", "full", b"\x00" + json.dumps({
        "protocol": ["chat.v2", "chat.v1"], "max-message": "4M", "passenv": ["HOME", "TERM"],
        "header": ["X-A: b"], "trust-proxy": ["10.0.0.0/8", "::1"], "json": True,
        "ping-interval": 0, "loglevel": "error"}).encode())
    write("config", "program", b"\x01" + b'{"program": ["/bin/echo", "x"], "binary": "yes"}')
    write("config", "program-path-lookup", b"\x01" + b'{"program": ["true"]}')
    write("config", "duplicate", b"\x00" + b'{"port": "80", "port": "81"}')
    write("config", "bad-types", b"\x00" + b'{"maxforks": -1, "handoff": 1}')
    write("config", "address-without-port", b"\x00" + b'{"address": ["127.0.0.1"]}')
    # cookie: byte 0 = name selector (0x80: name from the first line), Cookie values per line
    write("cookie", "simple", b"\x00" + b"a=1; token=secret; b=\"q\"")
    write("cookie", "two-headers", b"\x00" + b"token=1\ntoken=2; x=3;;  token = 4 ")
    write("cookie", "query", b"\x00" + b"x=1&token=a%20b&to%6Ben=c+d&token=%zz")
    write("cookie", "name-line", b"\x80" + b"sid\nsid=1;sid=2\nother=sid")
    # pmd: byte 0 = window bits index | 0x80 no_context_takeover, then header values
    write("pmd", "chrome", b"\x06" + b"permessage-deflate; client_max_window_bits")
    write("pmd", "firefox", b"\x06" + b"permessage-deflate")
    write("pmd", "params", b"\x83" + b"permessage-deflate; server_max_window_bits=10; client_max_window_bits=\"12\"; server_no_context_takeover, permessage-deflate")
    write("pmd", "bad-then-good", b"\x06" + b"x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=08\npermessage-deflate; client_no_context_takeover")
    write("pmd", "window-8", b"\x06" + b"permessage-deflate; server_max_window_bits=8")

    # inflate: byte 0 params, 4 bytes seed, then messages (2-byte LE length + payload)
    def raw(data, bits=15):
        c = zlib.compressobj(6, zlib.DEFLATED, -bits)
        out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]

    def msgs(*ms):
        return b"".join(struct.pack("<H", len(m)) + m for m in ms)

    write("inflate", "hello", b"\x67" + seed + msgs(raw(b"Hello")))
    write("inflate", "rfc7692-examples", b"\x67" + seed + msgs(
        bytes.fromhex("f248cdc9c90700"), bytes.fromhex("f248cdc9c90700"),
        bytes.fromhex("f2480500"), bytes.fromhex("00"),
        bytes.fromhex("f248cdc9c90700") + b"\x00"))
    write("inflate", "bfinal-block", b"\x67" + seed + msgs(bytes.fromhex("f348cdc9c90700") + b"\x00"))
    write("inflate", "bomb", b"\x47" + seed + msgs(raw(b"\x00" * 60000)))
    write("inflate", "corrupt", b"\x67" + seed + msgs(b"\xff\xff\xff\xff"))
    write("inflate", "no-context-takeover", b"\x6f" + seed + msgs(raw(b"abcabc"), raw(b"abcabc")))
    write("inflate", "small-window", b"\x60" + seed + msgs(raw(b"xyz" * 300, 9)))

    # jwt: byte 0 = policy flags (1 all HS*, 2 leeway, 4 issuer, 8 audiences, 0x30 HS384/512),
    # byte 1 = check (0 raw token, 1 claims signed by the harness, 2 key file bytes)
    now = 1700000000
    write("jwt", "claims-valid", b"\x00\x01" + json.dumps({"sub": "alice", "exp": now + 3600}).encode())
    write("jwt", "claims-expired", b"\x00\x01" + json.dumps({"sub": "a", "exp": now - 1}).encode())
    write("jwt", "claims-leeway-nbf", b"\x02\x01" + json.dumps({"exp": now + 30, "nbf": now + 30}).encode())
    write("jwt", "claims-iss-aud", b"\x0d\x01" + json.dumps({"exp": now + 9, "iss": "https://issuer.example",
                                                                  "aud": ["x", "wsinetd"]}).encode())
    write("jwt", "claims-hs512-dupkey", b"\x21\x01" + b'{"exp": 1800000000, "exp": 1}')
    write("jwt", "claims-sub-control", b"\x00\x01" + b'{"exp": 1800000000, "sub": "a\\u000ab"}')
    write("jwt", "raw-token", b"\x00\x00" + b"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4MDAwMDAwMDB9.c2lnbmF0dXJl")
    write("jwt", "raw-none", b"\x00\x00" + b"eyJhbGciOiJub25lIn0.eyJleHAiOjE4MDAwMDAwMDB9.")
    write("jwt", "key-secret", b"\x00\x02" + b"a-long-enough-shared-secret-for-hs256!!\n")
    write("jwt", "key-short", b"\x00\x02" + b"short\r\n")
    write("jwt", "key-pem-garbage", b"\x00\x02" + b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ==\n-----END PUBLIC KEY-----\n")

    # origin: byte 0 = policy (bits pick allowlist entries, 0x40 sameorigin),
    # then "origin\nhost\nentry"
    write("origin", "same-origin", b"\x00https://example.com\nexample.com\nhttps://example.com")
    write("origin", "exact-port", b"\x01https://EXAMPLE.com:443\nexample.com:443\nexample.com")
    write("origin", "wildcard", b"\x02https://a.b.example.org:8443\nx\n*.example.org:8443")
    write("origin", "null-star", b"\x10null\nh\nnull")
    write("origin", "ipv6", b"\x20http://[::1]:8080\n[::1]:8080\nhttp://[::1]:8080")
    write("origin", "path-userinfo", b"\x3fhttps://u@example.com/x\nexample.com\n*")

    # urlpath: the request path
    for name, pth in (("plain", "/chat/room1"), ("folder", "/static/"), ("dots", "/a/./b//c/"),
                      ("dotdot", "/a/../etc/passwd"), ("encoded-dotdot", "/%2e%2E/x"),
                      ("encoded-slash", "/a%2fb"), ("percent-literal", "/100%25/x"),
                      ("hidden", "/.git/config"), ("nul", "/a%00b"), ("bad-escape", "/a%zz")):
        write("urlpath", name, pth)

    # cgiresp: a CGI script's output (header block, then body)
    write("cgiresp", "content-type", "Content-Type: text/plain\n\nhello")
    write("cgiresp", "status-crlf", "Status: 404 Not Found\r\nContent-Type: text/html\r\nX-A: b\r\n\r\n")
    write("cgiresp", "location", "Location: /elsewhere\n\n")
    write("cgiresp", "hop-by-hop", "Connection: close\nTransfer-Encoding: chunked\nContent-Type: a/b\n\n")
    write("cgiresp", "bad-status", "Status: 99 x\n\n")
    write("cgiresp", "split-attempt", "X-A: v\rInjected: 1\n\n")


if __name__ == "__main__":
    main()
