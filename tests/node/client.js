#!/usr/bin/env node
// client.js - npm `ws` client for wsinetd's integration tests.
//
//   node client.js URL ACTIONS_JSON [PROTOCOL,PROTOCOL...]
//
// ACTIONS_JSON is a list run in order once the connection is open:
//   {"send": "text"}           send a text message
//   {"sendBinary": "<base64>"} send a binary message
//   {"wait": N}                wait until N messages have been received in total
//   {"close": CODE, "reason": "..."}  start the close handshake
//   {"terminate": true}        drop the TCP connection without a close frame
//   {"sleep": MS}              pause
// After the actions the client waits for the connection to close.
// Output, one JSON object per line on stdout:
//   {"event":"open","protocol":"..."}
//   {"event":"message","type":"text"|"binary","data":"..." (base64 for binary)}
//   {"event":"close","code":N,"reason":"..."}
//   {"event":"http","status":N}       the server refused the upgrade
//   {"event":"error","message":"..."}
//   {"event":"timeout"}               WS_CLIENT_TIMEOUT_MS (default 10000) elapsed
// Environment: WS_CLIENT_HEADERS (JSON object of extra request headers),
//   WS_CLIENT_DEFLATE=0 to not offer permessage-deflate.
'use strict';
const WebSocket = require('ws');

const [url, actionsJson, protos] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: client.js URL ACTIONS_JSON [PROTOCOLS]\n');
  process.exit(2);
}
const actions = JSON.parse(actionsJson || '[]');
const out = (o, cb) => process.stdout.write(JSON.stringify(o) + '\n', cb);
// Exit only once everything written to stdout has been flushed (a pipe may be full).
const finish = (o, code) => out(o, () => process.exit(code));
const limitMs = Number(process.env.WS_CLIENT_TIMEOUT_MS || 10000);
const timer = setTimeout(() => finish({ event: 'timeout' }, 3), limitMs);

const opts = { perMessageDeflate: process.env.WS_CLIENT_DEFLATE !== '0', handshakeTimeout: limitMs };
if (process.env.WS_CLIENT_HEADERS) opts.headers = JSON.parse(process.env.WS_CLIENT_HEADERS);
const ws = new WebSocket(url, protos ? protos.split(',') : [], opts);

let received = 0;
let wake = null;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const waitFor = (n) => new Promise((resolve) => {
  const check = () => {
    if (received >= n || ws.readyState >= WebSocket.CLOSING) {
      wake = null;
      resolve();
    } else {
      wake = check;
    }
  };
  check();
});

ws.on('unexpected-response', (req, res) => {
  clearTimeout(timer);
  req.destroy();
  finish({ event: 'http', status: res.statusCode }, 0);
});
ws.on('open', async () => {
  out({ event: 'open', protocol: ws.protocol });
  for (const a of actions) {
    if (ws.readyState !== WebSocket.OPEN) break;
    if ('send' in a) ws.send(a.send);
    else if ('sendBinary' in a) ws.send(Buffer.from(a.sendBinary, 'base64'), { binary: true });
    else if ('wait' in a) await waitFor(a.wait);
    else if ('close' in a) ws.close(a.close, a.reason || '');
    else if ('terminate' in a) { ws.terminate(); }
    else if ('sleep' in a) await sleep(a.sleep);
  }
});
ws.on('message', (data, isBinary) => {
  received++;
  if (isBinary) out({ event: 'message', type: 'binary', data: Buffer.from(data).toString('base64') });
  else out({ event: 'message', type: 'text', data: data.toString('utf8') });
  if (wake) wake();
});
ws.on('error', (e) => out({ event: 'error', message: String(e && e.message) }));
ws.on('close', (code, reason) => {
  if (wake) wake();
  clearTimeout(timer);
  finish({ event: 'close', code, reason: reason.toString('utf8') }, 0);
});
