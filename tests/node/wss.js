#!/usr/bin/env node
// wss.js - npm `ws` as a wss:// client that trusts only the given test CA
// (tests/integration/t_85_tls.py).
//
//   node wss.js URL CA_PEM [MESSAGE]
//
// Sends MESSAGE (default "hello") once open, waits for one message back, closes with
// 1000. Environment: WSS_SERVERNAME (SNI and certificate name; default: the URL's host),
// WSS_CERT/WSS_KEY (a client certificate), WSS_TIMEOUT_MS (default 10000).
// Output, one JSON object per line on stdout:
//   {"event":"open","alpn":"...","protocol":"TLSv1.3","authorized":true}
//   {"event":"message","data":"..."}
//   {"event":"close","code":N}
//   {"event":"error","message":"...","code":"..."}   (e.g. an untrusted certificate)
'use strict';
const fs = require('fs');
const WebSocket = require('ws');

const [url, caFile, message] = process.argv.slice(2);
if (!url || !caFile) {
  process.stderr.write('usage: wss.js URL CA_PEM [MESSAGE]\n');
  process.exit(2);
}
const out = (o, cb) => process.stdout.write(JSON.stringify(o) + '\n', cb);
const finish = (o, code) => out(o, () => process.exit(code));
const limitMs = Number(process.env.WSS_TIMEOUT_MS || 10000);
const timer = setTimeout(() => finish({ event: 'timeout' }, 3), limitMs);

const opts = { ca: fs.readFileSync(caFile), handshakeTimeout: limitMs, ALPNProtocols: ['http/1.1'] };
if (process.env.WSS_SERVERNAME) opts.servername = process.env.WSS_SERVERNAME;
if (process.env.WSS_CERT) opts.cert = fs.readFileSync(process.env.WSS_CERT);
if (process.env.WSS_KEY) opts.key = fs.readFileSync(process.env.WSS_KEY);
const ws = new WebSocket(url, [], opts);

ws.on('upgrade', (res) => {
  const s = res.socket;
  out({ event: 'open', alpn: s.alpnProtocol || null, protocol: s.getProtocol(), authorized: s.authorized });
});
ws.on('open', () => ws.send(message || 'hello'));
ws.on('message', (data) => {
  out({ event: 'message', data: data.toString('utf8') });
  ws.close(1000);
});
ws.on('unexpected-response', (req, res) => {
  clearTimeout(timer);
  req.destroy();
  finish({ event: 'http', status: res.statusCode }, 0);
});
ws.on('error', (e) => {
  clearTimeout(timer);
  finish({ event: 'error', message: String(e && e.message), code: e && e.code }, 0);
});
ws.on('close', (code) => {
  clearTimeout(timer);
  finish({ event: 'close', code }, 0);
});
