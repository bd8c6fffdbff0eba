"""Shared plumbing of the fake `az`, `gh`, `terraform` and `docker` executables used by the GitOps tests.

Each fake appends one JSON line per call to the file named by NIMBUS_FAKE_LOG ({"tool", "argv", "cwd", "env"}) and
answers from the JSON file named by NIMBUS_FAKE_STATE (what exists in the fake Azure / GitHub), the way the real
tool answers: JSON on stdout, errors on stderr, the real tool's exit codes. An unknown command exits 64, so a
test notices a call it did not expect instead of getting a silent success.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

UNKNOWN = 64


def record(tool: str) -> list[str]:
    argv = sys.argv[1:]
    log = os.environ.get("NIMBUS_FAKE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            # The variables that steer the tools (never a token: the fakes get none).
            env = {
                key: value for key, value in os.environ.items() if key.startswith(("ARM_", "TF_VAR_", "NIMBUS_STATE_"))
            }
            handle.write(json.dumps({"tool": tool, "argv": argv, "cwd": os.getcwd(), "env": env}) + "\n")
    return argv


def note(tool: str, **fields) -> None:
    """An extra log entry (e.g. the body of a comment) for tests to read."""
    log = os.environ.get("NIMBUS_FAKE_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"tool": tool, "argv": [], **fields}) + "\n")


def state(section: str) -> dict:
    path = os.environ.get("NIMBUS_FAKE_STATE")
    if not path or not Path(path).exists():
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8")).get(section, {})


def update_state(section: str, key: str, value) -> None:
    """Change what exists (e.g. a firewall rule added), for the next call to see."""
    path = os.environ.get("NIMBUS_FAKE_STATE")
    if not path:
        return
    whole = json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else {}
    whole.setdefault(section, {})[key] = value
    Path(path).write_text(json.dumps(whole), encoding="utf-8")


def option(argv: list[str], *names: str, default=None):
    """The value after --name (or --name=value)."""
    for index, item in enumerate(argv):
        for name in names:
            if item == name and index + 1 < len(argv):
                return argv[index + 1]
            if item.startswith(name + "="):
                return item[len(name) + 1 :]
    return default


def words(argv: list[str]) -> list[str]:
    """The command words before the first option: ['storage', 'account', 'show']."""
    found = []
    for item in argv:
        if item.startswith("-"):
            break
        found.append(item)
    return found


def answer(value) -> None:
    print(json.dumps(value))
    sys.exit(0)


def fail(code: int, message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(code)
