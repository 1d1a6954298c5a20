#!/usr/bin/env node
// deflate_client.js - npm `ws` with permessage-deflate against an echo endpoint
// (wsinetd --json cat) for tests/integration/t_65_deflate.py.
//
//   node deflate_client.js URL PMD_OPTIONS_JSON SIZES_JSON
//
// PMD_OPTIONS_JSON is ws's perMessageDeflate object (serverNoContextTakeover,
// clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits; threshold is forced
// to 0 so that every message we send is compressed). For each size in SIZES_JSON one text
// and one binary message of that size are sent, one at a time, and each echo must be
// identical. Prints one JSON line:
//   {"extensions": "<Sec-WebSocket-Extensions answer>", "echoed": N, "mismatch": [...],
//    "close": CODE, "error": "..."}
'use strict';
const WebSocket = require('ws');

const [url, optsJson, sizesJson] = process.argv.slice(2);
const pmd = Object.assign(JSON.parse(optsJson || '{}'), { threshold: 0 });
const sizes = JSON.parse(sizesJson || '[10, 1000, 5000, 70000]');
const result = { extensions: null, echoed: 0, mismatch: [], close: null };
const done = (code) => process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(code));
const timer = setTimeout(() => { result.error = 'timeout'; done(3); },
  Number(process.env.WS_CLIENT_TIMEOUT_MS || 15000));

function payload(n, i, binary) {
  const pat = binary ? Buffer.from([0, 1, 2, 3, 250, 251, 252, i & 255]) :
    Buffer.from(`{"n":${i},"text":"h\u00e9llo w\u00f6rld"} `);
  const b = Buffer.alloc(n);
  for (let k = 0; k < n; k += pat.length) pat.copy(b, k, 0, Math.min(pat.length, n - k));
  if (!binary) {
    // keep text valid UTF-8: cut back to a code point boundary, pad with ASCII
    let s = b.toString('utf8').replace(/\ufffd/g, 'x');
    let bb = Buffer.from(s, 'utf8').subarray(0, n);
    s = bb.toString('utf8').replace(/\ufffd/g, '');
    return s + 'x'.repeat(n - Buffer.byteLength(s));
  }
  return b;
}

const ws = new WebSocket(url, { perMessageDeflate: pmd });
ws.on('upgrade', (res) => { result.extensions = res.headers['sec-websocket-extensions'] || null; });
const queue = [];
sizes.forEach((n, i) => { queue.push(payload(n, i, false)); queue.push(payload(n, i, true)); });
let want = null;
function next() {
  if (queue.length === 0) { ws.close(1000); return; }
  want = queue.shift();
  ws.send(want, { binary: Buffer.isBuffer(want), compress: true });
}
ws.on('open', next);
ws.on('message', (data, isBinary) => {
  const same = Buffer.isBuffer(want) ? (isBinary && Buffer.compare(Buffer.from(data), want) === 0)
    : (!isBinary && data.toString('utf8') === want);
  if (same) result.echoed++;
  else result.mismatch.push({ sent: Buffer.byteLength(want), got: data.length, isBinary });
  next();
});
ws.on('error', (e) => { result.error = String(e && e.message); });
ws.on('close', (code) => { clearTimeout(timer); result.close = code; done(0); });
