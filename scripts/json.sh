#!/bin/sh
# A --json mode endpoint:  wsinetd --json scripts/json.sh
# Each message arrives as one JSON object per line ({"type":"text"|"binary","data":...},
# binary data in base64) and each line printed becomes a message:
#   text "bye"     -> {"type":"close","code":4000,"reason":"bye"} (closes with 4000)
#   other text     -> a text message describing it
#   binary         -> a text message describing it, then the bytes reversed as binary
exec /usr/bin/python3 -u -c '
import base64, json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    kind, data = m.get("type"), m.get("data", "")
    if kind == "text" and data == "bye":
        print(json.dumps({"type": "close", "code": 4000, "reason": "bye"}))
        break
    if kind == "text":
        out = [{"type": "text", "data": "text: %s (%d characters)" % (data, len(data))}]
    elif kind == "binary":
        b = base64.b64decode(data)
        out = [{"type": "text", "data": "binary: %d bytes: %s" % (len(b), b[:64].hex(" "))},
               {"type": "binary", "data": base64.b64encode(b[::-1]).decode()}]
    else:
        continue
    for o in out:
        print(json.dumps(o))
'
