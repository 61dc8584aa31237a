// The few pieces of the Actions toolkit this action needs, written against the runner's file
// protocol with node built-ins only: inputs from INPUT_* variables, outputs and state appended
// to the files GITHUB_OUTPUT and GITHUB_STATE name, workflow commands on stdout.
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");

/** An input as the runner passes it (INPUT_ plus the name upper-cased, spaces as '_'). */
function input(name, fallback = "") {
  const value = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
  return value === undefined || value.trim() === "" ? fallback : value.trim();
}

/** A true/false input; anything else is an error naming the input. */
function booleanInput(name, fallback) {
  const value = input(name, String(fallback)).toLowerCase();
  if (value === "true") return true;
  if (value === "false") return false;
  throw new Error(`input ${name}: expected true or false, got ${JSON.stringify(value)}`);
}

/** Non-empty lines of a multi-line input, trimmed; '#' starts a comment line. */
function listInput(name) {
  return input(name)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** Appends `name<<DELIM\nvalue\nDELIM` to the file the variable `fileVar` names. */
function appendKeyValue(fileVar, name, value) {
  const file = process.env[fileVar];
  if (!file) throw new Error(`${fileVar} is not set: not running under an Actions runner`);
  const delimiter = `vigil_${crypto.randomBytes(8).toString("hex")}`;
  fs.appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

const setOutput = (name, value) => appendKeyValue("GITHUB_OUTPUT", name, String(value));
const saveState = (name, value) => appendKeyValue("GITHUB_STATE", name, String(value));
/** A variable every later step of the job sees. */
const exportVariable = (name, value) => appendKeyValue("GITHUB_ENV", name, String(value));
/** State the main step saved, as the runner hands it to the post step. */
const state = (name) => process.env[`STATE_${name}`] || "";

function escapeData(s) {
  return String(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** `::error::message` and friends. */
function command(level, message) {
  process.stdout.write(`::${level}::${escapeData(message)}\n`);
}

module.exports = { input, booleanInput, listInput, setOutput, saveState, exportVariable, state, command };
