"""`terraform fmt -check`, run by the real Terraform (a prerequisite of the suite: see README.md).

    check_fmt(path)   # [] when terraform fmt would change nothing in the file or folder (recursively)

Each problem is `file:line: fmt: terraform fmt would change this line (...)`, the first line of each hunk of
`terraform fmt -diff`, with `file` as given (relative paths stay relative to `relative_to`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

FAKES = Path(__file__).resolve().parent.parent / "fakes"
MISSING = "terraform is not installed: install Terraform >= 1.9 (https://developer.hashicorp.com/terraform/install)"


@cache
def terraform_binary() -> str:
    """The real terraform: $TERRAFORM, else the first on PATH that is not one of tests/fakes."""
    explicit = os.environ.get("TERRAFORM")
    if explicit:
        return explicit
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if directory and Path(directory).resolve() != FAKES.resolve():
            found = shutil.which("terraform", path=directory)
            if found:
                return found
    raise RuntimeError(MISSING)


_FILE = re.compile(r"^--- old/(.+)$")
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")


def check_fmt(path: Path, relative_to: Path | None = None) -> list[str]:
    """What `terraform fmt -check` reports for a .tf file or a folder (recursively), one problem per hunk."""
    path = Path(path)
    target = path if path.is_dir() else path.parent
    command = [terraform_binary(), "fmt", "-check", "-diff", "-no-color"]
    command += ["-recursive", "."] if path.is_dir() else [path.name]
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run(command, cwd=target, capture_output=True, text=True, env=env, check=False)
    if result.returncode not in (0, 3):
        return [f"{path}:1: fmt: {line}" for line in result.stderr.strip().splitlines()[:1]] or [
            f"{path}:1: fmt: terraform fmt failed (exit {result.returncode})"
        ]
    base = Path(relative_to) if relative_to else None
    problems, current, old_line, reported = [], None, 0, True
    for line in result.stdout.splitlines():
        named = _FILE.match(line)
        if named:
            current = target / named.group(1)
            if base is not None:
                current = current.resolve().relative_to(base.resolve())
            continue
        hunk = _HUNK.match(line)
        if hunk:
            old_line, reported = int(hunk.group(1)), False
            continue
        if current is None or line.startswith("+++"):
            continue
        if line[:1] in "-+" and not reported:
            reported = True
            problems.append(f"{current}:{old_line}: fmt: terraform fmt would change this line (run terraform fmt)")
        if line[:1] in " -":
            old_line += 1
    return problems
