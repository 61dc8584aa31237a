// The action's post step: stop the daemon, publish the summary and annotations, set the
// outputs, and fail the job on findings at or above fail-on, or when Vigil was down or
// degraded (unless allow-degraded).
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const runner = require("./runner");
const { stateDir, runVigil, EXIT_FINDING, EXIT_VIGIL_ERROR } = require("./vigil");

function post() {
  const dir = runner.state("state-dir") || stateDir();
  const binary = runner.state("vigil-path");
  const sarif = runner.input("sarif-file", path.join(dir, "vigil.sarif"));
  const findings = runner.input("findings-file", path.join(dir, "vigil-findings.jsonl"));
  const summary = path.join(dir, "summary.md");
  const allowDegraded = runner.booleanInput("allow-degraded", false);
  runner.setOutput("sarif-file", sarif);
  runner.setOutput("findings-file", findings);
  if (!binary) {
    runner.setOutput("status", "down");
    runner.setOutput("findings-count", 0);
    const message = "Vigil was down: the main step never got a vigil binary, so this job was not watched";
    if (allowDegraded) {
      runner.command("warning", message);
    } else {
      runner.command("error", message);
      process.exitCode = 1;
    }
    return;
  }
  const args = ["stop", "--state", dir, "--summary", summary, "--sarif", sarif, "--findings", findings, "--annotations"];
  if (allowDegraded) args.push("--allow-degraded");
  let stopped;
  try {
    stopped = runVigil(binary, args, 180000);
  } catch (e) {
    runner.command("error", `Vigil could not stop: ${e.message}`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(stopped.stdout);
  if (process.env.GITHUB_STEP_SUMMARY && fs.existsSync(summary)) {
    fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, fs.readFileSync(summary));
  }
  let result = { status: "down", findings: 0, failing: 0 };
  try {
    result = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8"));
  } catch (e) {
    runner.command("error", `vigil stop left no result: ${e.message}`);
  }
  runner.setOutput("status", result.status);
  runner.setOutput("findings-count", result.findings);
  if (stopped.status === EXIT_FINDING) {
    runner.command("error", `Vigil: ${result.failing} finding(s) at or above fail-on; see the job summary`);
    process.exitCode = 1;
  } else if (stopped.status === EXIT_VIGIL_ERROR) {
    runner.command("error", `Vigil was ${result.status}: this job was not fully watched; see the job summary`);
    process.exitCode = 1;
  } else if (stopped.status !== 0) {
    runner.command("error", `vigil stop exited ${stopped.status}`);
    process.exitCode = 1;
  } else if (result.status !== "armed") {
    runner.command("warning", `Vigil was ${result.status} (allow-degraded)`);
  }
}

// Bad input or a bug here must fail the step with a message, never pass silently.
Promise.resolve()
  .then(post)
  .catch((e) => {
    runner.command("error", `Vigil: ${e.message}`);
    process.exitCode = 1;
  });
