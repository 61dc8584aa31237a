// A simulated Actions runner for the tests: the test process plays Runner.Worker. It runs the
// action's main and post entry points and the job's steps as its children, with the runner's
// files (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_STEP_SUMMARY) in a temp directory,
// inputs as INPUT_* variables, and GITHUB_ACTION naming each step.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");

const REPO = path.resolve(__dirname, "..", "..");
const VIGIL = process.env.VIGIL_BIN || path.join(REPO, "target", "release", "vigil");

/** Parses `name<<DELIM ... DELIM` and `name=value` entries of a runner file. */
function parseRunnerFile(file) {
  const out = {};
  const lines = fs.readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      out[heredoc[1]] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (lines[i].includes("=")) {
      const at = lines[i].indexOf("=");
      out[lines[i].slice(0, at)] = lines[i].slice(at + 1);
    }
  }
  return out;
}

/** Runs a command to completion without blocking this process (it may serve listeners). */
function run(file, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code === null ? 128 : code, signal, stdout, stderr }));
  });
}

class SimulatedRunner {
  constructor(name, inputs) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-action-${name}-`));
    this.temp = path.join(this.dir, "runner-temp");
    fs.mkdirSync(this.temp);
    this.files = {};
    for (const f of ["GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"]) {
      this.files[f] = path.join(this.dir, f.toLowerCase());
      fs.writeFileSync(this.files[f], "");
    }
    this.inputs = {};
    for (const [k, v] of Object.entries(inputs)) this.inputs[`INPUT_${k.toUpperCase()}`] = v;
    this.steps = 0;
    this.log = [];
  }

  /** The environment every step of the job gets, with what earlier steps put in GITHUB_ENV. */
  env(action, extra = {}) {
    return {
      ...process.env,
      ...parseRunnerFile(this.files.GITHUB_ENV),
      GITHUB_ACTIONS: "true",
      GITHUB_JOB: "build",
      GITHUB_RUN_ID: "4242",
      GITHUB_WORKFLOW: "ci",
      GITHUB_WORKFLOW_REF: "acme/app/.github/workflows/ci.yml@refs/heads/main",
      GITHUB_ACTION: action,
      GITHUB_ACTION_PATH: REPO,
      RUNNER_TEMP: this.temp,
      ...this.files,
      ...extra,
    };
  }

  async record(what, result) {
    this.log.push(`--- ${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  /** The action's main entry point, as the step `vigil`. */
  async main(extra = {}) {
    const env = this.env("vigil", { ...this.inputs, ...extra });
    return this.record("main", await run(process.execPath, [path.join(REPO, "action", "main.js")], { env }));
  }

  /** A `run:` step of the job: `bash -c SCRIPT` in the repository. */
  async step(script) {
    this.steps += 1;
    const env = this.env(`__run_${this.steps}`);
    return this.record(`step __run_${this.steps}`, await run("bash", ["-c", script], { env, cwd: REPO }));
  }

  /** The post entry point, with the state main saved. */
  async post(extra = {}) {
    const state = {};
    for (const [k, v] of Object.entries(parseRunnerFile(this.files.GITHUB_STATE))) state[`STATE_${k}`] = v;
    const env = this.env("vigil", { ...this.inputs, ...state, ...extra });
    return this.record("post", await run(process.execPath, [path.join(REPO, "action", "post.js")], { env }));
  }

  outputs() {
    return parseRunnerFile(this.files.GITHUB_OUTPUT);
  }

  summary() {
    return fs.readFileSync(this.files.GITHUB_STEP_SUMMARY, "utf8");
  }

  /** The daemon's pid, from the state directory. */
  daemonPid() {
    return Number(fs.readFileSync(path.join(this.temp, "vigil", "vigil.pid"), "utf8").split(" ")[0]);
  }

  transcript() {
    return this.log.join("\n");
  }
}

/** Kernel tests need root; under CI, not being root is a failure, not a skip. */
function privileged() {
  const root = process.getuid() === 0;
  if (!root && process.env.CI) throw new Error("CI is set but the action tests are not running as root");
  return root;
}

/** Validates SARIF against the published 2.1.0 schema (scripts/sarif-schema.sh fetches it). */
async function sarifErrors(file) {
  const schema = path.join(REPO, "target", "sarif", "sarif-schema-2.1.0.json");
  const fetched = await run(path.join(REPO, "scripts", "sarif-schema.sh"), [schema], {});
  if (fetched.code !== 0) throw new Error(`sarif-schema.sh failed: ${fetched.stderr}`);
  const checked = await run("python3", [path.join(REPO, "tests", "e2e", "validate_sarif.py"), schema, file], {});
  return checked.code === 0 ? null : checked.stdout + checked.stderr;
}

module.exports = { SimulatedRunner, REPO, VIGIL, privileged, sarifErrors, run };
