// Where the `vigil` binary comes from: the vigil-path input; else a release for this runner's
// architecture, checked against the sha256 kept below; else a build from this action's own
// source (`make build` in GITHUB_ACTION_PATH).
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

/**
 * Released binaries: { VERSION: { ARCH: { url, sha256 } } } with ARCH as node names it (x64,
 * arm64). Empty: Vigil has no release yet, so the action builds from source.
 */
const RELEASES = {};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Downloads `url` (HTTPS; plain HTTP on loopback only) and returns its bytes. */
async function download(url) {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname))) {
    throw new Error(`${url}: only https:// downloads are allowed (http:// on loopback only)`);
  }
  const response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(120000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Fetches the release `entry` into `dir`, refusing bytes whose sha256 differs. */
async function fetchRelease(entry, dir) {
  const bytes = await download(entry.url);
  const digest = crypto.createHash("sha256").update(bytes).digest("hex");
  if (digest !== entry.sha256.toLowerCase()) {
    throw new Error(`${entry.url}: sha256 is ${digest}, but the action pins ${entry.sha256}; refusing it`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "vigil");
  fs.writeFileSync(file, bytes, { mode: 0o755 });
  return file;
}

/** Builds vigil from the action's source with `make build`; returns the binary's path. */
function buildFromSource(actionPath, log) {
  log(`building vigil from source in ${actionPath} (make build)`);
  const made = spawnSync("make", ["build"], { cwd: actionPath, stdio: ["ignore", 2, 2] });
  if (made.error) throw new Error(`make build in ${actionPath}: ${made.error.message}`);
  if (made.status !== 0) throw new Error(`make build in ${actionPath} failed with status ${made.status}`);
  const target = process.env.CARGO_TARGET_DIR || path.join(actionPath, "target");
  const binary = path.resolve(actionPath, target, "release", "vigil");
  if (!fs.existsSync(binary)) throw new Error(`make build did not produce ${binary}`);
  return binary;
}

/**
 * The vigil binary to run. `options`: vigilPath and version (inputs), actionPath, downloadDir,
 * arch, releases (the table; tests pass their own), log.
 */
async function resolveBinary(options) {
  const { vigilPath, version, actionPath, downloadDir, log } = options;
  const releases = options.releases || RELEASES;
  const arch = options.arch || process.arch;
  if (vigilPath) {
    try {
      fs.accessSync(vigilPath, fs.constants.X_OK);
    } catch (e) {
      throw new Error(`input vigil-path: ${vigilPath} is not an executable file (${e.code})`);
    }
    return path.resolve(vigilPath);
  }
  const versions = Object.keys(releases);
  const wanted = version || versions[versions.length - 1];
  const entry = wanted && releases[wanted] && releases[wanted][arch];
  if (entry) {
    log(`downloading vigil ${wanted} for ${arch}`);
    return fetchRelease(entry, path.join(downloadDir, wanted));
  }
  log(
    wanted
      ? `no released vigil ${wanted} for ${arch} in this action's table`
      : "this action lists no released vigil binaries yet",
  );
  if (!actionPath) throw new Error("GITHUB_ACTION_PATH is not set: cannot build vigil from source");
  return buildFromSource(actionPath, log);
}

module.exports = { resolveBinary, RELEASES };
