// The action's main step: get vigil, start its daemon over the whole job (the runner's process
// tree), and return once it is armed. A failure to arm fails the step unless allow-degraded.
"use strict";

const path = require("node:path");
const runner = require("./runner");
const { resolveBinary } = require("./binary");
const { stateDir, runVigil } = require("./vigil");

/** `vigil start` arguments from the inputs. */
function startArgs(dir) {
  const args = ["start", "--state", dir, "--fail-on", runner.input("fail-on", "medium")];
  // This process's parent is the runner's worker: every later step runs under it.
  args.push("--watch-pid", String(process.ppid));
  for (const d of runner.listInput("signatures-dir")) args.push("--signatures", d);
  for (const p of runner.listInput("plugins")) args.push("--plugin", p);
  for (const c of runner.listInput("config")) args.push("--config", c);
  for (const line of runner.listInput("egress-allow")) {
    for (const pattern of line.split(",").map((p) => p.trim()).filter(Boolean)) {
      args.push("--egress-allow", pattern);
    }
  }
  return args;
}

async function main() {
  const dir = stateDir();
  const allowDegraded = runner.booleanInput("allow-degraded", false);
  runner.saveState("state-dir", dir);
  runner.setOutput("status", "down");
  runner.setOutput("sarif-file", runner.input("sarif-file", path.join(dir, "vigil.sarif")));
  runner.setOutput("findings-file", runner.input("findings-file", path.join(dir, "vigil-findings.jsonl")));
  try {
    const binary = await resolveBinary({
      vigilPath: runner.input("vigil-path"),
      version: runner.input("version"),
      actionPath: process.env.GITHUB_ACTION_PATH || path.resolve(__dirname, ".."),
      downloadDir: path.join(dir, "bin"),
      log: (m) => console.log(`vigil: ${m}`),
    });
    runner.saveState("vigil-path", binary);
    // For a last step that stops Vigil itself, to upload the SARIF within the job.
    runner.exportVariable("VIGIL_BIN", binary);
    runner.exportVariable("VIGIL_STATE_DIR", dir);
    // vigil bounds its own wait for the daemon (60 s); this only guards against a hang.
    const started = runVigil(binary, startArgs(dir), 180000);
    process.stdout.write(started.stdout);
    if (started.status !== 0) throw new Error(`vigil start exited ${started.status}`);
    runner.setOutput("status", "armed");
  } catch (e) {
    const message = `Vigil could not start, so this job is not watched: ${e.message}`;
    if (allowDegraded) {
      runner.command("warning", `${message} (allow-degraded: continuing)`);
    } else {
      runner.command("error", message);
      process.exitCode = 1;
    }
  }
}

// Bad input or a bug here must fail the step with a message, never pass silently.
Promise.resolve()
  .then(main)
  .catch((e) => {
    runner.command("error", `Vigil: ${e.message}`);
    process.exitCode = 1;
  });
