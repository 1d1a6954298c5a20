#!/usr/bin/env node
// bench/deflate.js - messages/s through an echo endpoint (wsinetd cat) with
// permessage-deflate on or off, for bench/run.py. The client is npm `ws` (tests/node), not
// bench/wsbench.c, which stays libc + OpenSSL only (no zlib).
//
//   node bench/deflate.js URL on|off SIZE COUNT [WINDOW] [TIMEOUT_S]
//
// One connection. `on`: perMessageDeflate offered with threshold 0, so every message we
// send is compressed (the server must also be run with --deflate-min-size at or below
// SIZE for its echoes to be compressed); `off`: no extension offered. COUNT text messages
// of SIZE bytes of JSON-like ASCII (one line each, no '\n', every one different: it starts
// with its sequence number) are pipelined with at most WINDOW (default 16) unanswered;
// every echo must be byte-identical to what was sent, in order. Bounded: COUNT messages,
// and TIMEOUT_S (default 60) seconds in all. Prints one JSON line:
//   {"msgs_per_s", "mb_per_s" (payload, one way, 1e6 bytes), "deflate", "ws_extensions",
//    "size", "messages", "seconds", "compressed_out", "compressed_in",
//    "wire_out", "wire_in" (TCP bytes, handshake included), "client_cpu_us" (this process's
//    user + system CPU per message while the messages flowed), "error"?}
// Exit status: 0 all echoed and (with `on`) every message compressed both ways, 1 not.
'use strict';
const path = require('path');
const wsdir = path.join(__dirname, '..', 'tests', 'node', 'node_modules', 'ws');
const WebSocket = require(wsdir);
const Receiver = require(path.join(wsdir, 'lib', 'receiver.js'));
const Sender = require(path.join(wsdir, 'lib', 'sender.js'));

const [url, mode, sizeArg, countArg, windowArg, timeoutArg] = process.argv.slice(2);
if (!url || (mode !== 'on' && mode !== 'off') || !sizeArg || !countArg) {
  process.stderr.write('usage: deflate.js URL on|off SIZE COUNT [WINDOW] [TIMEOUT_S]\n');
  process.exit(2);
}
const SIZE = Number(sizeArg);
const COUNT = Number(countArg);
const WINDOW = Number(windowArg || 16);
const TIMEOUT_S = Number(timeoutArg || 60);
if (!(SIZE >= 32 && COUNT >= 1 && WINDOW >= 1 && TIMEOUT_S > 0)) {
  process.stderr.write('deflate.js: SIZE >= 32, COUNT >= 1, WINDOW >= 1, TIMEOUT_S > 0\n');
  process.exit(2);
}

// Count compressed frames each way: ws decompresses a message only when its RSV1 was set,
// and compresses one only when the extension is on and the message passes the threshold.
let compressedIn = 0, compressedOut = 0;
const origDecompress = Receiver.prototype.decompress;
Receiver.prototype.decompress = function (data, cb) {
  if (this._fin) compressedIn++;
  return origDecompress.call(this, data, cb);
};
const origDispatch = Sender.prototype.dispatch;
Sender.prototype.dispatch = function (data, compress, options, cb) {
  if (compress && options.opcode !== 8 && options.opcode !== 9 && options.opcode !== 10) compressedOut++;
  return origDispatch.call(this, data, compress, options, cb);
};

// JSON-like lines, as a chat or telemetry stream would carry: the same keys every time,
// values that vary (a fixed-seed LCG, so every run sends the same bytes).
let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const events = ['update', 'insert', 'delete', 'ping', 'presence', 'typing'];
function record() {
  return `{"user":"${users[rnd(users.length)]}","event":"${events[rnd(events.length)]}",` +
    `"ts":${1700000000000 + rnd(100000000)},"x":${rnd(10000) / 100},"y":${rnd(10000) / 100},` +
    `"tags":["t${rnd(50)}","t${rnd(50)}"],"ok":${rnd(2) ? 'true' : 'false'}}`;
}
// 64 bodies, each long enough for any SIZE; message i = its sequence number + body i%64,
// cut to SIZE bytes (pure ASCII, so bytes = characters).
const BODIES = [];
for (let b = 0; b < 64; b++) {
  let s = '';
  while (s.length < SIZE) s += (s ? ',' : '[') + record();
  BODIES.push(s);
}
function message(i) {
  const head = `{"seq":${i},"data":`;
  return (head + BODIES[i % BODIES.length]).slice(0, SIZE);
}

const result = { msgs_per_s: 0, mb_per_s: 0, deflate: mode === 'on', ws_extensions: null,
  size: SIZE, messages: 0, seconds: 0, compressed_out: 0, compressed_in: 0,
  wire_out: 0, wire_in: 0, client_cpu_us: 0 };
let finished = false;
let ws = null;
function finish(err) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  if (err) result.error = err;
  result.compressed_out = compressedOut;
  result.compressed_in = compressedIn;
  if (ws && ws._socket) {
    result.wire_out = ws._socket.bytesWritten;
    result.wire_in = ws._socket.bytesRead;
  }
  if (!result.error && mode === 'on' &&
      (compressedOut < COUNT || compressedIn < COUNT)) {
    result.error = `not every message compressed: out ${compressedOut}, in ${compressedIn} of ${COUNT}`;
  }
  if (!result.error && mode === 'off' && (compressedOut || compressedIn || result.ws_extensions)) {
    result.error = 'compression in use with deflate off';
  }
  const code = result.error ? 1 : 0;
  try { if (ws) ws.terminate(); } catch (e) { /* already gone */ }
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(code));
}
const timer = setTimeout(() => finish(`timeout after ${TIMEOUT_S} s, ${result.messages} echoed`),
  TIMEOUT_S * 1000);

ws = new WebSocket(url, {
  perMessageDeflate: mode === 'on' ? { threshold: 0 } : false,
  handshakeTimeout: Math.min(10000, TIMEOUT_S * 1000),
  maxPayload: SIZE + 1024,
});
ws.on('upgrade', (res) => { result.ws_extensions = res.headers['sec-websocket-extensions'] || null; });

let sent = 0, got = 0, t0 = 0, cpu0 = null;
function pump() {
  while (sent < COUNT && sent - got < WINDOW) ws.send(message(sent++), { binary: false });
}
ws.on('open', () => {
  if (mode === 'on' && !/permessage-deflate/.test(result.ws_extensions || '')) {
    finish(`permessage-deflate not accepted: ${result.ws_extensions}`);
    return;
  }
  cpu0 = process.cpuUsage();
  t0 = process.hrtime.bigint();
  pump();
});
ws.on('message', (data, isBinary) => {
  if (finished) return;
  const want = Buffer.from(message(got), 'latin1');
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  if (isBinary || !buf.equals(want)) {
    finish(`echo ${got} differs: sent ${want.length} bytes, got ${buf.length}` +
      `${isBinary ? ' (binary)' : ''}`);
    return;
  }
  got++;
  result.messages = got;
  if (got === COUNT) {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    result.client_cpu_us = Math.round((cpu.user + cpu.system) / COUNT * 10) / 10;
    result.seconds = Math.round(secs * 1000) / 1000;
    result.msgs_per_s = Math.round(COUNT / secs * 10) / 10;
    result.mb_per_s = Math.round(COUNT * SIZE / secs / 1e6 * 100) / 100;
    finish(null);
    return;
  }
  pump();
});
ws.on('error', (e) => finish(String(e && e.message)));
ws.on('close', (code) => finish(`closed (${code}) after ${got} of ${COUNT} echoes`));
