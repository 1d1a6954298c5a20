#!/usr/bin/env node
// permessage-deflate in a real browser: Debian's chromium (driven by npm playwright-core,
// never a downloaded browser) connects to `wsinetd --json cat` from the endpoint's own
// origin; the page must see
// "permessage-deflate" in ws.extensions, a 20 KB text and a 20 KB binary message must come
// back unchanged (both ways compressed), and the access line must say deflate=on with
// bytes saved. Prints TAP. Every process it starts is killed by PID at the end.
"use strict";
const fs = require("fs");
const path = require("path");
const { BIN, CHROMIUM, ok, sleep, tmpdir, startWsinetd, launchChromium, run } =
  require("./blib.js");

const FILE_TIMEOUT_MS = 90000;

async function main() {
  if (!ok(fs.existsSync(CHROMIUM), "Debian chromium at /usr/bin/chromium")) return;
  if (!ok(fs.existsSync(BIN), `wsinetd at ${BIN}`)) return;
  const dir = tmpdir("wsinetd-deflate-browser-");
  const log = path.join(dir, "server.stderr");
  const { port } = await startWsinetd(["--json", "cat"], log);
  const context = await launchChromium(path.join(dir, "profile"));
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

run(main, FILE_TIMEOUT_MS);
