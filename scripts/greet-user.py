#!/usr/bin/python3
"""greet-user.py - the seed example: an authenticated endpoint that speaks msgpack or JSON.

Run it in wsinetd's JSON mode with the two subprotocols, msgpack preferred:

    ./wsinetd --port=8080 --address=127.0.0.1 --json --protocol=msgpack,json \
        --origin=http://localhost:8080 --jwt-key=secret.key --auth-query=token \
        scripts/greet-user.py

wsinetd has already checked the Origin and the token before this starts: the user is
$REMOTE_USER (the token's "sub"), the claims are $WS_AUTH_CLAIMS, and the subprotocol
the client got is $WS_PROTOCOL. It greets the user, then answers each message with a
small object: msgpack clients get binary messages, JSON clients text messages."""
import base64
import json
import os
import struct
import sys

USER = os.environ.get("REMOTE_USER", "")
PROTO = os.environ.get("WS_PROTOCOL", "") or "json"


def msgpack(v):
    """Just enough MessagePack (maps, arrays, strings, ints, bools, nil) for this demo."""
    if v is None:
        return b"\xc0"
    if v is True or v is False:
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        return (b"\xd9" + bytes([len(b)]) if len(b) < 256 else b"\xda" + struct.pack(">H", len(b))) + b
    if isinstance(v, (list, tuple)):
        return bytes([0x90 | len(v)]) + b"".join(msgpack(x) for x in v)
    if isinstance(v, dict):
        return bytes([0x80 | len(v)]) + b"".join(msgpack(k) + msgpack(x) for k, x in v.items())
    raise TypeError(type(v))


def send(obj):
    """One message out, in wsinetd's --json line format."""
    if PROTO == "msgpack":
        line = {"type": "binary", "data": base64.b64encode(msgpack(obj)).decode()}
    else:
        line = {"type": "text", "data": json.dumps(obj, separators=(",", ":"))}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


send({"hello": USER, "protocol": PROTO})
for raw in sys.stdin:
    try:
        msg = json.loads(raw)
    except ValueError:
        continue
    if msg.get("type") == "text":
        send({"user": USER, "you_sent": msg.get("data", "")})
    else:
        send({"user": USER, "bytes": len(base64.b64decode(msg.get("data", "")))})
