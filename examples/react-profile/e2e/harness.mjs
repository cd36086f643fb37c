// What the browser test runs against, each piece started here and stopped
// by stopAll() whatever happened: a fresh Postgres database, the real Go
// server built from ../../server, and a static server for the built app.
import { spawn, execFile } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { promisify } from "node:util";
import net from "node:net";
import path from "node:path";

const run = promisify(execFile);
const cleanups = [];

/** onStop registers fn to run (last registered first) in stopAll. */
export function onStop(fn) {
  cleanups.push(fn);
}

/** stopAll undoes everything started, reporting but not stopping at failures. */
export async function stopAll() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      console.error(`e2e cleanup: ${err?.message ?? err}`);
    }
  }
}

/** freePort asks the kernel for a TCP port nobody listens on. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** sh runs a command, failing with its output when it exits non-zero. */
export async function sh(cmd, args, opts = {}) {
  try {
    return await run(cmd, args, { maxBuffer: 32 << 20, ...opts });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${err.code}):\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
}

const PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-d", "postgres"];

/** createDatabase makes a database of its own on 127.0.0.1:5432 and drops it at stopAll. */
export async function createDatabase() {
  const name = `mediagraph_e2e_${process.pid}_${Date.now().toString(36)}`;
  await sh("psql", [...PG, "-c", `CREATE DATABASE ${name}`]).catch((err) => {
    throw new Error(`cannot create a database on 127.0.0.1:5432 as postgres (is PostgreSQL running, with psql installed?)\n${err.message}`);
  });
  onStop(() => sh("psql", [...PG, "-c", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]));
  return `postgres://postgres@127.0.0.1:5432/${name}?sslmode=disable`;
}

/**
 * startServer starts the Go server binary with env and waits for /readyz;
 * its output goes to logFile. Stopped with SIGTERM (then SIGKILL) at stopAll.
 */
export async function startServer(bin, env, port, logFile) {
  const log = createWriteStream(logFile);
  const child = spawn(bin, [], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  onStop(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  });
  let gone = null;
  exited.then((e) => (gone = e));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error(`the server exited (${gone.code ?? gone.signal}) before it was ready; see ${logFile}:\n${await tail(logFile)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server was not ready within 60s; see ${logFile}:\n${await tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** tail is the end of a log file, for failure messages. */
export async function tail(file, lines = 30) {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** serveStatic serves dir on 127.0.0.1:port (index.html for unknown paths, as an SPA wants). */
export async function serveStatic(dir, port) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    let file = path.join(dir, path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, ""));
    if (!file.startsWith(dir)) file = path.join(dir, "index.html");
    const info = await stat(file).catch(() => null);
    if (!info || info.isDirectory()) file = path.join(dir, "index.html");
    res.setHeader("Content-Type", TYPES[path.extname(file)] ?? "application/octet-stream");
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  onStop(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${port}`;
}
