"""VGL-0100 - an interpreter spawning a shell (ATT&CK T1059).

Fires when a shell (sh, bash, dash, zsh, ...) starts in a process whose parent is a script
interpreter (python, node, perl, ruby, php): injected code does that to run the commands it
came with. Build tools do it honestly too (npm runs its scripts with `sh -c`), so severity low:
worth a look, not proof. The `interpreters` setting narrows or widens the list.

Built with componentize-py against wit/signature.wit: `make python-signatures`.
"""

from wit_world import exports
from wit_world.imports import host
from wit_world.imports.types import (
    ConfigKey, EventData_Exec, EventKind, Finding, LogLevel, Metadata, Severity,
)
from componentize_py_types import Err

SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"}
INTERPRETERS = {"python", "node", "nodejs", "perl", "ruby", "php"}


def program(path: str) -> str:
    """`/usr/bin/python3.11` -> `python`: the base name without its version."""
    return path.rsplit("/", 1)[-1].rstrip("0123456789.")


class Detector(exports.Detector):
    interpreters = INTERPRETERS

    def describe(self) -> Metadata:
        return Metadata(
            id="VGL-0100",
            name="Interpreter spawning a shell",
            version="1.0.0",
            description="A script interpreter (Python, Node.js, Perl, Ruby, PHP) started a shell.",
            severity=Severity.LOW,
            mitre=["T1059"],
            tags=["python-signature"],
            events=[EventKind.EXEC],
            config_keys=[ConfigKey(
                name="interpreters",
                description="comma-separated interpreter names to watch "
                            "(default: " + ",".join(sorted(INTERPRETERS)) + ")",
            )],
        )

    def configure(self, settings) -> None:
        for key, value in settings:
            names = {n.strip() for n in value.split(",") if n.strip()}
            if not names:
                raise Err(f"{key}: give at least one interpreter name")
            self.interpreters = names

    def on_event(self, event) -> list:
        try:
            return self.judge(event)
        except Exception as e:
            # Built with --stub-wasi there is no stderr for a traceback: tell Vigil's log.
            host.log(LogLevel.ERROR, f"{type(e).__name__}: {e}")
            raise

    def judge(self, event) -> list:
        data = event.data
        if not isinstance(data, EventData_Exec):
            return []
        shell = program(data.value.filename)
        if shell not in SHELLS:
            return []
        parents = host.ancestry(event.process.pid)
        if not parents:
            return []
        parent = parents[0]
        interpreter = program(parent.exe or parent.comm)
        if interpreter not in self.interpreters:
            return []
        return [Finding(
            summary=f"{parent.comm} (pid {parent.pid}) started the shell {data.value.filename}",
            severity=None,
            evidence=[
                ("interpreter", parent.exe or parent.comm),
                ("interpreter_pid", str(parent.pid)),
                ("interpreter_argv", " ".join(parent.argv)),
                ("shell", data.value.filename),
                ("shell_argv", " ".join(data.value.argv)),
            ],
        )]
