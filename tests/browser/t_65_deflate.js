#!/usr/bin/env node
// permessage-deflate in a real browser: Debian's chromium (driven by npm playwright-core,
// never a downloaded browser) connects to `wsinetd --json cat` from the endpoint's own
// origin; the page must see
// "permessage-deflate" in ws.extensions, a 20 KB text and a 20 KB binary message must come
// back unchanged (both ways compressed), and the access line must say deflate=on with
// bytes saved. Prints TAP. Every process it starts is killed by PID at the end.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const net = require("net");
const { spawn } = require("child_process");

const REPO = path.resolve(__dirname, "..", "..");
const BIN = process.env.WSINETD || path.join(REPO, "wsinetd");
const CHROMIUM = "/usr/bin/chromium";
const FILE_TIMEOUT_MS = 90000;

let n = 0, failed = 0;
function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? "ok" : "not ok"} ${n} - ${name.replace(/[\r\n#]/g, " ")}`);
  if (!cond && diag !== undefined)
    for (const l of String(diag).split("\n").slice(0, 40)) console.log("#   " + l);
  return cond;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server = null, context = null;
const tmpdirs = [];

function killAll() {
  if (server) {
    try { process.kill(-server.pid, "SIGKILL"); } catch (e) { /* gone */ }
  }
  for (const d of tmpdirs) fs.rmSync(d, { recursive: true, force: true });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
}

function isListening(port) {
  // /proc/net/tcp: no probe connection, so the server logs nothing for it
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return fs.readFileSync("/proc/net/tcp", "utf8").split("\n")
    .some((l) => { const f = l.trim().split(/\s+/); return f[1] === want && f[3] === "0A"; });
}

async function main() {
  if (!ok(fs.existsSync(CHROMIUM), "Debian chromium at /usr/bin/chromium")) return;
  const { chromium } = require(path.join(REPO, "tests", "node", "node_modules", "playwright-core"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wsinetd-deflate-browser-"));
  tmpdirs.push(dir);
  const log = path.join(dir, "server.stderr");
  const port = await freePort();
  const fd = fs.openSync(log, "w");
  server = spawn(BIN, [`--port=${port}`, "--address=127.0.0.1", "--json", "cat"],
                 { stdio: ["ignore", "ignore", fd], detached: true,
                   env: { PATH: process.env.PATH || "/usr/bin:/bin" } });
  fs.closeSync(fd);
  for (let i = 0; i < 200 && !isListening(port); i++) await sleep(25);

  context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
    timeout: 30000,
  });
  const page = context.pages()[0] || (await context.newPage());
  // Be on the endpoint's own origin (its plain-HTTP answer, a 426 page): wsinetd's
  // default Origin policy is same-origin with Host.
  await page.goto(`http://127.0.0.1:${port}/`, { timeout: 15000 }).catch(() => {});
  const res = await page.evaluate((url) => new Promise((resolve) => {
    const out = { extensions: null, text: false, binary: false, close: null, error: null };
    const text = "h\u00e9llo deflate ".repeat(1400);
    const bin = new Uint8Array(20000).map((_, i) => (i * 7) & 0x3f);
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    let got = 0;
    ws.onopen = () => { out.extensions = ws.extensions; ws.send(text); ws.send(bin); };
    ws.onmessage = (e) => {
      if (typeof e.data === "string") out.text = e.data === text;
      else {
        const b = new Uint8Array(e.data);
        out.binary = b.length === bin.length && b.every((v, i) => v === bin[i]);
      }
      if (++got === 2) ws.close(1000);
    };
    ws.onerror = () => { out.error = "error event"; };
    ws.onclose = (e) => { out.close = e.code; resolve(out); };
    setTimeout(() => { out.error = "timeout"; resolve(out); }, 15000);
  }), `ws://127.0.0.1:${port}/`);
  ok(/^permessage-deflate\b/.test(res.extensions || ""),
     `chromium negotiated permessage-deflate (ws.extensions = "${res.extensions}")`, JSON.stringify(res));
  ok(res.text && res.binary && res.close === 1000 && !res.error,
     "chromium: 20 KB text and binary echoed unchanged through compression, close 1000",
     JSON.stringify(res));
  let line = "";
  for (let i = 0; i < 100 && !line; i++) {
    line = fs.readFileSync(log, "utf8").split("\n").find((l) => / access peer=/.test(l)) || "";
    if (!line) await sleep(50);
  }
  const m = / deflate=(on|off) saved=(-?\d+)$/.exec(line);
  ok(m && m[1] === "on" && Number(m[2]) > 20000,
     "access line ends with deflate=on and bytes saved", line || fs.readFileSync(log, "utf8"));
}

const timer = setTimeout(() => {
  console.log(`not ok ${n + 1} - file timeout (${FILE_TIMEOUT_MS / 1000} s)`);
  console.log("Bail out! browser test exceeded its time");
  killAll();
  process.exit(1);
}, FILE_TIMEOUT_MS);

main()
  .catch((e) => ok(false, "raised: " + (e && e.message ? e.message.split("\n")[0] : e), e && e.stack))
  .then(async () => {
    if (context) await Promise.race([context.close().catch(() => {}), sleep(5000)]);
    killAll();
    clearTimeout(timer);
    console.log(`1..${n}`);
    process.exit(failed ? 1 : 0);
  });
