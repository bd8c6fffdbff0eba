"""Running tools (az, gh, git) and the GitHub Actions plumbing (step outputs)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .naming import Failed, PROJECT_ROOT, Refused


INSTALL_HINTS = {
    "az": "install the Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli",
    "gh": "install the GitHub CLI: https://cli.github.com",
    "terraform": "install Terraform (>= 1.9): https://developer.hashicorp.com/terraform/install",
    "git": "install git: https://git-scm.com/downloads",
}


def require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise Failed(f"{tool} is not on PATH: {INSTALL_HINTS.get(tool, 'install it')}")
    return path


def show_command(command: Sequence[str]) -> None:
    """Every command that touches Azure, GitHub or state is echoed (stderr keeps stdout parseable)."""
    print("+ " + " ".join(shlex.quote(str(part)) for part in command), file=sys.stderr, flush=True)


def argv(template: str, **values) -> list[str]:
    """A command from a readable template: split on spaces FIRST, then each {name} token becomes its value as one
    argument, so a value with spaces (a role name, JSON) is never split and never interpreted by a shell."""
    return [values[token[1:-1]] if re.fullmatch(r"\{\w+\}", token) else token for token in template.split()]


def run(
    command: Sequence[str],
    *,
    capture: bool = False,
    echo: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
) -> subprocess.CompletedProcess:
    require(command[0])
    if echo:
        show_command(command)
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        text=True,
        capture_output=capture,
        stdin=subprocess.DEVNULL if capture else None,
    )


def checked(command: Sequence[str], what: str, **options) -> subprocess.CompletedProcess:
    result = run(command, capture=True, **options)
    if result.returncode != 0:
        raise Failed(f"{what} failed ({command[0]} exit {result.returncode}): {last_line(result.stderr)}")
    return result


def last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"


def not_found(result: subprocess.CompletedProcess) -> bool:
    """az answers exit 3 (ResourceNotFound...) and gh "HTTP 404" for things that do not exist."""
    text = (result.stderr or "") + (result.stdout or "")
    return result.returncode == 3 or "NotFound" in text or "HTTP 404" in text or "Not Found" in text


def json_of(result: subprocess.CompletedProcess, what: str) -> Any:
    try:
        return json.loads(result.stdout or "null")
    except ValueError:
        raise Failed(f"{what} did not print JSON: {last_line(result.stdout)}") from None


def azure_account() -> dict:
    """The Azure CLI's current account; the one-line 'run az login' error when it has none."""
    result = run(["az", "account", "show", "--output", "json"], capture=True, echo=False)
    if result.returncode != 0:
        raise Failed(
            "the Azure CLI is not logged in: run az login (then az account set --subscription <id> to pick the "
            f"subscription); az said: {last_line(result.stderr)}"
        )
    return json_of(result, "az account show")


def subscription_id(given: str | None = None, *, required: bool = True) -> str | None:
    """--subscription, else ARM_SUBSCRIPTION_ID (CI), else the Azure CLI's current subscription (laptops)."""
    value = given or os.environ.get("ARM_SUBSCRIPTION_ID")
    if value:
        return value
    if not required:
        return None
    return azure_account()["id"]


def github_output_path(flag: str | bool | None) -> Path | None:
    if not flag:
        return None
    path = flag if isinstance(flag, str) else os.environ.get("GITHUB_OUTPUT")
    if not path:
        raise Refused("--github-output needs a file: pass --github-output FILE or set GITHUB_OUTPUT")
    return Path(path)


def write_github_output(path: Path | None, values: Mapping[str, Any]) -> None:
    """key=value lines as GitHub Actions reads them; multi-line values use a random heredoc delimiter so no value
    can end the block early and inject other outputs."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as handle:
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif value is None:
                text = ""
            elif isinstance(value, (dict, list)):
                text = json.dumps(value, separators=(",", ":"))
            else:
                text = str(value)
            if "\n" in text or "\r" in text:
                delimiter = f"NIMBUS_{uuid.uuid4().hex}"
                handle.write(f"{key}<<{delimiter}\n{text}\n{delimiter}\n")
            else:
                handle.write(f"{key}={text}\n")


def git_output(*args: str) -> str:
    if not shutil.which("git"):
        return ""
    result = run(["git", *args], capture=True, echo=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def github_repository(given: str | None) -> str:
    if not given:
        remote = run(["git", "remote", "get-url", "origin"], capture=True, echo=False) if shutil.which("git") else None
        url = remote.stdout.strip() if remote and remote.returncode == 0 else ""
        match = re.search(r"github\.com[:/]([^/\s]+/[^/\s]+?)(?:\.git)?/?$", url)
        if not match:
            raise Refused("setup needs the GitHub repository: pass --github-repo OWNER/REPO (or add the remote origin)")
        given = match.group(1)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", given):
        raise Refused(f"refused --github-repo {given!r}: expected OWNER/REPO")
    return given
