#!/usr/bin/env node
// The dev console over https in headless Debian chromium (npm playwright-core): wsinetd
// --ssl --devconsole with a throw-away certificate made here by the openssl command line;
// chromium trusts exactly that certificate (--ignore-certificate-errors-spki-list with its
// key's hash). The page must load over https, connect with wss:// to the same endpoint,
// and talk to scripts/greeter.sh. Prints TAP; every process it starts is killed by PID.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const net = require("net");
const { spawn, execFileSync } = require("child_process");

const REPO = path.resolve(__dirname, "..", "..");
const BIN = process.env.WSINETD || path.join(REPO, "wsinetd");
const CHROMIUM = "/usr/bin/chromium";
const FILE_TIMEOUT_MS = 120000;

let n = 0, failed = 0;
function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? "ok" : "not ok"} ${n} - ${name.replace(/[\r\n#]/g, " ")}`);
  if (!cond && diag !== undefined)
    for (const l of String(diag).split("\n").slice(0, 40)) console.log("#   " + l);
  return cond;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wsinetd-https-"));
let server = null, context = null;

function descendants(pid) {
  const kids = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch (e) { /* gone */ }
  }
  const out = [], todo = [pid];
  while (todo.length && out.length < 5000)
    for (const k of kids.get(todo.pop()) || []) { out.push(k); todo.push(k); }
  return out;
}

async function cleanup() {
  if (context) {
    const c = context;
    context = null;
    await Promise.race([c.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  }
  if (server) {
    try { process.kill(-server.pid, "SIGKILL"); } catch (e) { /* gone */ }
  }
  for (const pid of descendants(process.pid)) {
    try { process.kill(pid, "SIGKILL"); } catch (e) { /* gone */ }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
  });
}

function openssl(...args) {
  return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"], timeout: 30000 });
}

async function main() {
  if (!ok(fs.existsSync(CHROMIUM), "Debian chromium at /usr/bin/chromium")) return;
  if (!ok(fs.existsSync(BIN), `wsinetd at ${BIN}`)) return;
  const { chromium } = require(path.join(REPO, "tests", "node", "node_modules", "playwright-core"));

  const cert = path.join(tmp, "cert.pem"), key = path.join(tmp, "key.pem");
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
          "-keyout", key, "-out", cert);
  // base64(SHA-256(SubjectPublicKeyInfo)): the one certificate chromium will accept.
  const spki = openssl("pkey", "-in", key, "-pubout", "-outform", "DER");
  const pin = require("crypto").createHash("sha256").update(spki).digest("base64");

  const port = await freePort();
  const log = path.join(tmp, "server.stderr");
  const fd = fs.openSync(log, "w");
  server = spawn(BIN, [`--port=${port}`, "--address=127.0.0.1", "--ssl", `--sslcert=${cert}`,
                       `--sslkey=${key}`, "--devconsole", path.join("scripts", "greeter.sh")],
                 { stdio: ["ignore", "ignore", fd], detached: true, cwd: REPO,
                   env: { PATH: process.env.PATH || "/usr/bin:/bin" } });
  fs.closeSync(fd);
  for (let i = 0; i < 200 && !(await canConnect(port)); i++) await sleep(25);

  const profile = path.join(tmp, "profile");
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           `--ignore-certificate-errors-spki-list=${pin}`],
    timeout: 30000,
  });
  const page = context.pages()[0] || (await context.newPage());
  const sockets = [];
  page.on("websocket", (w) => sockets.push(w.url()));

  const url = `https://localhost:${port}/`;
  const resp = await page.goto(url, { waitUntil: "load", timeout: 15000 }).catch((e) => e);
  ok(resp && typeof resp.status === "function" && resp.status() === 200,
     "the console page loads over https", String(resp));
  ok((await page.title()) === "wsinetd dev console", "it is the dev console");
  const sec = await page.evaluate(() => window.isSecureContext);
  ok(sec === true, "a secure context (the certificate was accepted)");
  await page.click("#connect");
  try {
    await page.waitForFunction(() => [...document.querySelectorAll("#log .event .m")]
      .some((m) => m.textContent.startsWith("open;")), null, { timeout: 10000 });
    ok(true, "connected");
  } catch (e) {
    ok(false, "connected", await page.evaluate(() => document.getElementById("log").textContent));
  }
  ok(sockets.length === 1 && sockets[0].startsWith(`wss://localhost:${port}/`),
     "the page's WebSocket is wss:// to its own endpoint", sockets.join(" "));
  await page.fill("#message", "hi");
  await page.press("#message", "Enter");
  try {
    await page.waitForFunction(() => document.getElementById("log").textContent.includes("Hey there"),
                               null, { timeout: 10000 });
    ok(true, "sent hi over wss, Hey there on the page");
  } catch (e) {
    ok(false, "sent hi over wss, Hey there on the page",
       await page.evaluate(() => document.getElementById("log").textContent));
  }
}

const guard = setTimeout(async () => {
  console.log(`not ok ${n + 1} - file timeout`);
  console.log(`1..${n + 1}`);
  await cleanup();
  process.exit(1);
}, FILE_TIMEOUT_MS);

main().catch((e) => ok(false, "raised: " + e.message, e.stack)).finally(async () => {
  clearTimeout(guard);
  await cleanup();
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
});
