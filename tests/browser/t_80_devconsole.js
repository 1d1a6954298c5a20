#!/usr/bin/env node
// The dev console in a real browser: Debian's chromium driven by npm playwright-core
// (never a downloaded browser). Opens the console of scripts/greeter.sh, connects, sends
// "hi" and waits for "Hey there"; sees the close code when scripts/env.sh exits; sends
// binary to scripts/json.sh in --json mode; checks the page made no request but to its
// own endpoint (browser side and server log); checks it fits a phone's width; saves
// screenshots under build/test-output/browser/t_80_devconsole/ (and docs/devconsole.png,
// the README's, when WSINETD_UPDATE_DOCS=1: `make screenshot`). Prints TAP. Every process it starts is killed by PID at the end.
"use strict";
const fs = require("fs");
const path = require("path");
const { REPO, BIN, CHROMIUM, ok, sleep, tmpdir, startWsinetd, launchChromium, cleanup, run } =
  require("./blib.js");

const OUT = path.join(REPO, "build", "test-output", "browser", "t_80_devconsole");
const FILE_TIMEOUT_MS = 150000;

// Each server's stderr goes under OUT, kept after the run for a look.
let nservers = 0;
const startServer = (args) => startWsinetd(args, path.join(OUT, `server-${++nservers}.stderr`));

function stopServer(s) {
  try { process.kill(-s.proc.pid, "SIGTERM"); } catch (e) { /* gone */ }
}

async function logText(page) {
  return page.evaluate(() => document.getElementById("log").textContent);
}

async function waitLog(page, text, what, timeout = 10000) {
  try {
    await page.waitForFunction((t) => document.getElementById("log").textContent.includes(t), text,
                               { timeout });
    return ok(true, what);
  } catch (e) {
    return ok(false, what, (await logText(page).catch(() => "?")).slice(-1500));
  }
}

async function sendText(page, text, mode = "text") {
  await page.selectOption("#mode", mode);
  await page.fill("#message", text);
  await page.press("#message", "Enter");
}

async function connect(page, url, what) {
  await page.goto(url, { waitUntil: "load", timeout: 15000 });
  ok((await page.title()) === "wsinetd dev console", `${what}: the console page loaded`);
  await page.click("#connect");
  try {
    // (the open event is in the log even when the script ends the connection at once)
    await page.waitForFunction(() => [...document.querySelectorAll("#log .event .m")]
                                 .some((m) => m.textContent.startsWith("open;")), null, { timeout: 10000 });
    return ok(true, `${what}: connected`);
  } catch (e) {
    return ok(false, `${what}: connected`, await logText(page).catch(() => "?"));
  }
}

// Paths of every request the server logged (access lines); "/" only, for our tests.
function loggedPaths(s) {
  const text = fs.readFileSync(s.log, "utf8");
  return [...text.matchAll(/ path=(\S+)/g)].map((m) => m[1]);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  if (!ok(fs.existsSync(CHROMIUM), "Debian chromium at /usr/bin/chromium (scripts/install-deps installs it)"))
    return;
  if (!ok(fs.existsSync(BIN), `wsinetd at ${BIN}`)) return;

  const greeter = await startServer(["--devconsole", path.join("scripts", "greeter.sh")]);
  const envsrv = await startServer(["--devconsole", path.join("scripts", "env.sh")]);
  const jsonsrv = await startServer(["--devconsole", "--json", path.join("scripts", "json.sh")]);

  const context = await launchChromium(tmpdir("wsinetd-chromium-"), [],
                                       { viewport: { width: 1000, height: 720 },
                                         deviceScaleFactor: 1 });
  const requests = [], sockets = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = context.pages()[0] || (await context.newPage());
  page.on("websocket", (w) => sockets.push(w.url()));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  // 1. greeter: hi -> Hey there
  const gurl = `http://127.0.0.1:${greeter.port}/`;
  if (await connect(page, gurl, "greeter")) {
    const proto = await page.textContent("#protocol");
    ok(proto === "none", "greeter: negotiated protocol shown (none)", proto);
    ok((await page.textContent("#extensions")) !== "–", "greeter: extensions shown");
    await sendText(page, "hi");
    await waitLog(page, "Hey there", "greeter: sent hi, Hey there on the page");
    await sendText(page, "hello");
    await waitLog(page, "Heya!", "greeter: sent hello, Heya! on the page");
    await sendText(page, "xyzzy");
    await waitLog(page, "Nothing happens.", "greeter: xyzzy");
    const entries = await page.$$eval("#log .entry .t", (ts) => ts.map((t) => t.textContent));
    ok(entries.length >= 6 && entries.every((t) => /^\d\d:\d\d:\d\d\.\d\d\d$/.test(t)),
       "every log entry is timestamped", entries.join(" "));
    const shot = path.join(OUT, "devconsole.png");
    await page.screenshot({ path: shot });
    // The README's picture is this screenshot; `make screenshot` refreshes it on purpose
    // (a test run must not leave the checkout modified).
    if (process.env.WSINETD_UPDATE_DOCS === "1")
        fs.copyFileSync(shot, path.join(REPO, "docs", "devconsole.png"));
    ok(fs.statSync(shot).size > 5000, "screenshot saved");

    // phone width
    await page.setViewportSize({ width: 390, height: 844 });
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    ok(fits, "fits a phone's width (no horizontal scrolling at 390 px)");
    await page.screenshot({ path: path.join(OUT, "devconsole-phone.png") });
    await page.setViewportSize({ width: 1000, height: 720 });

    await page.click("#disconnect");
    try {
      await page.waitForFunction(() => document.getElementById("close-info").textContent.startsWith("1000"),
                                 null, { timeout: 5000 });
      ok(true, "greeter: Disconnect closes with 1000, shown");
    } catch (e) {
      ok(false, "greeter: Disconnect closes with 1000, shown", await page.textContent("#close-info"));
    }
  }

  // 2. env.sh exits: the close code is shown
  const eurl = `http://127.0.0.1:${envsrv.port}/`;
  if (await connect(page, eurl, "env")) {
    await waitLog(page, "SCRIPT_NAME=/", "env: the environment arrives, one variable per message");
    try {
      await page.waitForFunction(() => document.getElementById("close-info").textContent.startsWith("1000"),
                                 null, { timeout: 10000 });
      ok(true, "env: the script exited, close code 1000 shown");
    } catch (e) {
      ok(false, "env: the script exited, close code 1000 shown", await page.textContent("#close-info"));
    }
    ok((await page.textContent("#state")) === "closed", "env: state closed");
    await waitLog(page, "closed: code 1000", "env: the close is in the log");
  }

  // 3. json.sh in --json mode: binary and text
  const jurl = `http://127.0.0.1:${jsonsrv.port}/`;
  if (await connect(page, jurl, "json")) {
    await sendText(page, "01 02 ff", "hex");
    await waitLog(page, "binary: 3 bytes: 01 02 ff", "json: binary sent, the script describes it");
    await waitLog(page, "3 bytes: ff 02 01", "json: binary answer (bytes reversed) shown");
    const kinds = await page.$$eval("#log .recv .kind", (ks) => ks.map((k) => k.textContent));
    ok(kinds.includes("binary") && kinds.includes("text"), "json: received text and binary, labelled", kinds);
    await sendText(page, "bye", "text");
    try {
      await page.waitForFunction(() => /^4000.*bye/.test(document.getElementById("close-info").textContent),
                                 null, { timeout: 10000 });
      ok(true, "json: close code 4000 and reason shown");
    } catch (e) {
      ok(false, "json: close code 4000 and reason shown", await page.textContent("#close-info"));
    }
    await page.screenshot({ path: path.join(OUT, "devconsole-json.png") });
  }

  // 4. nothing but the endpoints themselves
  const allowedHttp = new Set([gurl, eurl, jurl]);
  const allowedWs = new Set([gurl, eurl, jurl].map((u) => u.replace(/^http:/, "ws:")));
  const bad = requests.filter((u) => !allowedHttp.has(u)).concat(sockets.filter((u) => !allowedWs.has(u)));
  ok(bad.length === 0 && requests.length === 3 && sockets.length === 3,
     "the page requested nothing but its own URL (3 pages, 3 WebSockets)",
     JSON.stringify({ requests, sockets }));
  ok(errors.length === 0, "no JavaScript errors", errors.join("\n"));

  await cleanup();
  for (const s of [greeter, envsrv, jsonsrv]) stopServer(s);
  await sleep(200);
  for (const s of [greeter, envsrv, jsonsrv]) {
    const paths = loggedPaths(s);
    ok(paths.length >= 2 && paths.every((p) => p === "/"),
       `server ${s.port}: every request it saw was for the endpoint /`, paths.join(" "));
  }
}

run(main, FILE_TIMEOUT_MS);
