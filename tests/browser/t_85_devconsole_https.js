#!/usr/bin/env node
// The dev console over https in headless Debian chromium (npm playwright-core): wsinetd
// --ssl --devconsole with a throw-away certificate made here by the openssl command line;
// chromium trusts exactly that certificate (--ignore-certificate-errors-spki-list with its
// key's hash). The page must load over https, connect with wss:// to the same endpoint,
// and talk to scripts/greeter.sh. Prints TAP; every process it starts is killed by PID.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const { BIN, CHROMIUM, ok, tmpdir, startWsinetd, launchChromium, run } = require("./blib.js");

const FILE_TIMEOUT_MS = 120000;
const tmp = tmpdir("wsinetd-https-");

function openssl(...args) {
  return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"], timeout: 30000 });
}

async function main() {
  if (!ok(fs.existsSync(CHROMIUM), "Debian chromium at /usr/bin/chromium")) return;
  if (!ok(fs.existsSync(BIN), `wsinetd at ${BIN}`)) return;

  const cert = path.join(tmp, "cert.pem"), key = path.join(tmp, "key.pem");
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
          "-keyout", key, "-out", cert);
  // base64(SHA-256(SubjectPublicKeyInfo)): the one certificate chromium will accept.
  const spki = openssl("pkey", "-in", key, "-pubout", "-outform", "DER");
  const pin = require("crypto").createHash("sha256").update(spki).digest("base64");

  const { port } = await startWsinetd(["--ssl", `--sslcert=${cert}`, `--sslkey=${key}`,
                                       "--devconsole", path.join("scripts", "greeter.sh")],
                                      path.join(tmp, "server.stderr"));
  const context = await launchChromium(path.join(tmp, "profile"),
                                       [`--ignore-certificate-errors-spki-list=${pin}`]);
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

run(main, FILE_TIMEOUT_MS);
