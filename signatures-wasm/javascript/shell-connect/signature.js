// VGL-0101 - a shell opened a network connection (ATT&CK T1059.004).
//
// Fires when a shell (sh, bash, dash, zsh, ...) itself connects to an internet address: bash's
// /dev/tcp redirections and the reverse-shell and exfiltration one-liners built on them. Shells
// leave networking to the programs they run (curl, git, ...), so this is rarely honest.
//
// Built with jco componentize (componentize-js) against wit/signature.wit:
// `make js-signatures`.

import { log } from "vigil:signature/host@1.1.0";

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"]);
const EINPROGRESS = 115n;
const program = (path) => path.slice(path.lastIndexOf("/") + 1);

export const detector = {
  describe() {
    return {
      id: "VGL-0101",
      name: "Shell opened a network connection",
      version: "1.0.0",
      description:
        "A shell connected to an internet address itself, as reverse shells and " +
        "exfiltration one-liners (bash /dev/tcp) do.",
      severity: "medium",
      mitre: ["T1059.004"],
      tags: ["javascript-signature"],
      events: ["connect"],
      configKeys: [],
    };
  },

  configure(_settings) {},

  onEvent(event) {
    try {
      return judge(event);
    } catch (e) {
      // Built without stdio there is no stderr for the error: tell Vigil's log.
      log("error", String(e));
      throw e;
    }
  },
};

function judge({ process, data }) {
  if (data.tag !== "connect" || data.val.address.tag !== "inet") return [];
  const { address, result, fd } = data.val;
  if (result !== 0n && result !== -EINPROGRESS) return [];
  const shell = SHELLS.has(program(process.exe)) ? program(process.exe) : process.comm;
  if (!SHELLS.has(shell)) return [];
  const remote = `${address.val.ip}:${address.val.port}`;
  return [
    {
      summary: `${process.comm} (pid ${process.pid}) connected to ${remote}`,
      severity: undefined,
      evidence: [
        ["remote", remote],
        ["fd", String(fd)],
        ["shell", process.exe],
        ["argv", process.argv.join(" ")],
      ],
    },
  ];
}
