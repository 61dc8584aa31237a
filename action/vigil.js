// Running the vigil binary from the action: as root directly, otherwise through `sudo -E`
// (loading eBPF needs root), and where its state directory lives.
"use strict";

const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

/** The daemon's state directory for this job. */
function stateDir() {
  return path.join(process.env.RUNNER_TEMP || os.tmpdir(), "vigil");
}

/**
 * Runs `vigil ARGS`; stderr goes to the step's log, stdout is returned (annotations).
 * `timeoutMs` bounds it so a step never hangs, whatever vigil does.
 */
function runVigil(binary, args, timeoutMs) {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const [file, argv] = root ? [binary, args] : ["sudo", ["-E", binary, ...args]];
  const result = spawnSync(file, argv, {
    stdio: ["ignore", "pipe", "inherit"],
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (result.error) {
    const why = result.error.code === "ETIMEDOUT" ? `did not finish within ${timeoutMs / 1000} s` : result.error.message;
    throw new Error(`${file} ${argv.join(" ")}: ${why}`);
  }
  return { status: result.status === null ? -1 : result.status, stdout: result.stdout || "" };
}

/** vigil's exit statuses (see `vigil --help`). */
const EXIT_FINDING = 86;
const EXIT_VIGIL_ERROR = 87;

module.exports = { stateDir, runVigil, EXIT_FINDING, EXIT_VIGIL_ERROR };
