// Getting the vigil binary: a local path, or a release checked against the action's pinned
// sha256 (served here from loopback, since there are no releases yet and no download is
// possible from this machine).
"use strict";

const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { test } = require("node:test");
const { resolveBinary, RELEASES } = require("../binary");

const log = () => {};

async function serve(bytes) {
  const server = http.createServer((req, res) => res.end(bytes));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

test("the release table is empty until Vigil has releases", () => {
  assert.deepEqual(RELEASES, {});
});

test("vigil-path must be an executable file", async () => {
  await assert.rejects(
    resolveBinary({ vigilPath: "/nonexistent/vigil", log }),
    /input vigil-path: \/nonexistent\/vigil is not an executable file \(ENOENT\)/,
  );
  assert.equal(await resolveBinary({ vigilPath: "/bin/sh", log }), "/bin/sh");
});

test("a release is downloaded and kept only when its sha256 matches the pin", async (t) => {
  const bytes = Buffer.from("#!/bin/sh\necho vigil\n");
  const server = await serve(bytes);
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address().port}/vigil`;
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  const downloadDir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-dl-"));
  const releases = { "9.9.9": { x64: { url, sha256 } } };
  const file = await resolveBinary({ releases, arch: "x64", downloadDir, log });
  assert.equal(file, path.join(downloadDir, "9.9.9", "vigil"));
  assert.deepEqual(fs.readFileSync(file), bytes);
  fs.accessSync(file, fs.constants.X_OK);

  const wrong = "0".repeat(64);
  await assert.rejects(
    resolveBinary({ releases: { "9.9.9": { x64: { url, sha256: wrong } } }, arch: "x64", downloadDir, log }),
    new RegExp(`sha256 is ${sha256}, but the action pins ${wrong}; refusing it`),
  );
});

test("plain HTTP is refused off loopback", async () => {
  const releases = { "1.0.0": { x64: { url: "http://example.com/vigil", sha256: "0".repeat(64) } } };
  await assert.rejects(
    resolveBinary({ releases, arch: "x64", downloadDir: os.tmpdir(), log }),
    /only https:\/\/ downloads are allowed/,
  );
});

test("an architecture without a release falls back to building from source", async () => {
  const releases = { "1.0.0": { arm64: { url: "https://example.invalid/vigil", sha256: "0".repeat(64) } } };
  const messages = [];
  await assert.rejects(
    resolveBinary({ releases, arch: "x64", downloadDir: os.tmpdir(), log: (m) => messages.push(m) }),
    /GITHUB_ACTION_PATH is not set/,
  );
  assert.deepEqual(messages, ["no released vigil 1.0.0 for x64 in this action's table"]);
});
