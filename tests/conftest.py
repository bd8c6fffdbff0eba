"""Shared fixtures: a tagged git copy of the template and cached renders of answer sets.

Git runs with the isolated configuration of pytest-gitconfig (author "Pytest <pytest@local.dev>"),
which pytest-copier also installs into plumbum's environment, the one copier runs tasks with.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from copier import run_copy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import matrix  # noqa: E402

# What a template release consists of (everything else in this repo is tooling).
TEMPLATE_PATHS = ["copier.yml", "hooks", "template"]
# The repository token of test projects (a new project draws a random one; tests need stable names).
TEST_TOKEN = "tok3n1"
TEST_VERSION = "99.99.99"


# Where tools/test.sh installs each command-line tool the tests use (checkov has a venv of its own).
TOOL_LOCATIONS = {"checkov": ROOT / ".venv-checkov" / "bin" / "checkov"}


def tool(name: str) -> str:
    """The path of a command-line tool; a missing tool fails the test (a skip would prove nothing)."""
    candidates = [TOOL_LOCATIONS.get(name), Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate and candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `bash tools/test.sh`, which installs every tool the tests use")
    return found


@pytest.fixture(scope="session")
def terraform_binary() -> str:
    """The real terraform (a prerequisite of the suite): a test that needs it fails, never skips, without it."""
    return tool("terraform")


def run_terraform(
    folder: Path, *args: str, input: str | None = None, check: bool = True, timeout: int = 300
) -> subprocess.CompletedProcess:
    """The real terraform in `folder`, offline: no CLI configuration, no version check, no prompts, nothing from the
    machine's environment. With `check`, a failure is an AssertionError showing terraform's output."""
    terraform = tool("terraform")
    env = {"TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
           "PATH": str(Path(terraform).parent)}  # fmt: skip
    result = subprocess.run(
        [terraform, *args], cwd=folder, input=input, capture_output=True, text=True, timeout=timeout, env=env
    )
    assert not check or result.returncode == 0, result.stdout + result.stderr
    return result


def checkov(directory: Path, *, timeout: int) -> list[dict]:
    """checkov 3, offline, over every Terraform file below `directory`: its JSON reports (one per framework run)."""
    command = [tool("checkov"), "-d", str(directory), "--framework", "terraform", "--skip-download", "--compact"]
    result = subprocess.run(
        [*command, "--output", "json"], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def checkov_results(reports: list[dict], outcome: str) -> list[dict]:
    """The `failed` or `skipped` checks of every report."""
    return [check for entry in reports for check in entry["results"][f"{outcome}_checks"]]


CHECKOV_SKIP = re.compile(r"#checkov:skip=([A-Z0-9_]+):(.*)")


def applied_checkov_skips(reports: list[dict]) -> set[tuple[str, str]]:
    """(check, `type.name`) of every skip checkov applied, whichever module instance the resource is in."""
    return {
        (check["check_id"], ".".join(check["resource"].split(".")[-2:]))
        for check in checkov_results(reports, "skipped")
    }


def declared_checkov_skips(main_files: list[Path]) -> set[tuple[str, str]]:
    """(check, `type.name`) of every inline `#checkov:skip` in these files, by the resource block it sits in."""
    declared = set()
    for path in main_files:
        resource = None
        for line in path.read_text(encoding="utf-8").splitlines():
            header = re.match(r'resource "(\w+)" "(\w+)"', line)
            resource = f"{header.group(1)}.{header.group(2)}" if header else resource
            skip = CHECKOV_SKIP.search(line)
            if skip:
                declared.add((skip.group(1), resource))
    return declared


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


TEMPLATE_MODULES = ROOT / "template" / "terraform" / "modules"


def template_module_folder(module: str) -> Path:
    """A module's folder in the template: `<module>` when always rendered (the shared modules), else named so that
    copier renders it only when nimbus.modules.<module> is true."""
    plain = TEMPLATE_MODULES / module
    return plain if plain.is_dir() else TEMPLATE_MODULES / f"{{% if nimbus.modules.{module} %}}{module}{{% endif %}}"


def module_of_folder(folder_name: str) -> str:
    """The module a template folder holds: `{% if nimbus.modules.redis %}redis{% endif %}` -> `redis`."""
    return re.sub(r"\{%.*?%\}", "", folder_name)


def module_readme(module: str) -> str:
    """The module's documentation as a user reads it: the README.md in its folder (copied verbatim)."""
    return (template_module_folder(module) / "README.md").read_text(encoding="utf-8")


def make_template_repo(destination: Path, version: str = TEST_VERSION) -> Path:
    """Copy the template into a git repository with one commit tagged `version`."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in TEMPLATE_PATHS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination / name)
    git("init", "--quiet", "--initial-branch=main", cwd=destination)
    git("add", "--all", cwd=destination)
    git("commit", "--quiet", "--no-verify", "-m", f"nimbus {version}", cwd=destination)
    git("tag", version, cwd=destination)
    return destination


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory, default_gitconfig) -> Path:
    # default_gitconfig (pytest-gitconfig, via pytest-copier) isolates git from the machine's own settings
    return make_template_repo(tmp_path_factory.mktemp("template"))


def render(
    template: Path, destination: Path, answers: dict, *, tasks: bool = False, token: str | None = TEST_TOKEN, **options
) -> Path:
    """Render `answers` with copier exactly as `copier copy --trust --defaults --data ...` would. The repository
    token is TEST_TOKEN unless `answers` gives one (token=None: copier draws a random one, as for a user)."""
    run_copy(
        str(template),
        destination,
        data={"repository_token": token, **answers} if token else answers,
        defaults=True,
        unsafe=True,
        quiet=True,
        skip_tasks=not tasks,
        **options,
    )
    return destination


class RenderCache:
    """Renders each answer set once per test session (per xdist worker) and hands out the same folder."""

    def __init__(self, template: Path, base: Path):
        self.template, self.base, self.done = template, base, {}

    def __call__(self, name: str) -> Path:
        if name not in self.done:
            self.done[name] = render(self.template, self.base / name, ANSWER_SETS[name])
        return self.done[name]


ANSWER_SETS = matrix.all_answer_sets()


@pytest.fixture(scope="session")
def rendered(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> RenderCache:
    """`rendered(name)` is the project rendered from `ANSWER_SETS[name]` (tasks skipped: no git init)."""
    return RenderCache(template_repo, tmp_path_factory.mktemp("rendered"))
