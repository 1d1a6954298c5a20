// blib.js - what the browser tests share: TAP output, free ports, wsinetd listeners in
// their own process groups, Debian's chromium through npm playwright-core (never a
// downloaded browser), and one run() that bounds the file in time and kills everything
// it started by PID (chromium forks a zygote tree: every descendant of ours goes too).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const net = require("net");
const { spawn } = require("child_process");

const REPO = path.resolve(__dirname, "..", "..");
const BIN = process.env.WSINETD || path.join(REPO, "wsinetd");
const CHROMIUM = "/usr/bin/chromium";
// Flags the machine needs (no sandbox as root; no background traffic to a closed network).
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                       "--disable-background-networking", "--disable-component-update",
                       "--disable-sync"];

const state = { n: 0, failed: 0, servers: [], tmpdirs: [], context: null };

function ok(cond, name, diag) {
  state.n++;
  if (!cond) state.failed++;
  console.log(`${cond ? "ok" : "not ok"} ${state.n} - ${name.replace(/[\r\n#]/g, " ")}`);
  if (!cond && diag !== undefined)
    for (const l of String(diag).split("\n").slice(0, 40)) console.log("#   " + l);
  return cond;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tmpdir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  state.tmpdirs.push(d);
  return d;
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

// From /proc/net/tcp: no probe connection, so the server logs nothing for it.
function isListening(port) {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return fs.readFileSync("/proc/net/tcp", "utf8").split("\n")
    .some((l) => { const f = l.trim().split(/\s+/); return f[1] === want && f[3] === "0A"; });
}

// wsinetd as a listener on 127.0.0.1 (its own process group), stderr to `log`.
async function startWsinetd(args, log) {
  const port = await freePort();
  const fd = fs.openSync(log, "w");
  const proc = spawn(BIN, [`--port=${port}`, "--address=127.0.0.1", ...args],
                     { stdio: ["ignore", "ignore", fd], detached: true, cwd: REPO,
                       env: { PATH: process.env.PATH || "/usr/bin:/bin" } });
  fs.closeSync(fd);
  const s = { proc, port, log };
  state.servers.push(s);
  for (let i = 0; i < 200 && !isListening(port); i++) await sleep(25);
  return s;
}

async function launchChromium(profile, extraArgs = [], options = {}) {
  const { chromium } = require(path.join(REPO, "tests", "node", "node_modules", "playwright-core"));
  state.context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30000, ...options,
  });
  return state.context;
}

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

function killAll() {
  for (const s of state.servers) {
    try { process.kill(-s.proc.pid, "SIGKILL"); } catch (e) { /* gone */ }
  }
  for (const pid of descendants(process.pid)) {
    try { process.kill(pid, "SIGKILL"); } catch (e) { /* gone */ }
  }
  for (const d of state.tmpdirs) fs.rmSync(d, { recursive: true, force: true });
}

async function cleanup() {
  if (state.context) {
    const c = state.context;
    state.context = null;
    await Promise.race([c.close().catch(() => {}), sleep(5000)]);
  }
  killAll();
}

// Run main() within timeoutMs, then clean up, print the plan and exit with the verdict.
function run(main, timeoutMs) {
  const timer = setTimeout(() => {
    console.log(`not ok ${state.n + 1} - file timeout (${timeoutMs / 1000} s)`);
    console.log("Bail out! browser test exceeded its time");
    killAll();
    process.exit(1);
  }, timeoutMs);
  Promise.resolve()
    .then(main)
    .catch((e) => ok(false, "raised: " + (e && e.message ? e.message.split("\n")[0] : e),
                     e && e.stack))
    .then(cleanup)
    .then(() => {
      clearTimeout(timer);
      console.log(`1..${state.n}`);
      process.exit(state.failed ? 1 : 0);
    });
}

module.exports = { REPO, BIN, CHROMIUM, ok, sleep, tmpdir, freePort, startWsinetd, cleanup,
                   launchChromium, run };
