"""Template repositories with several tagged versions, for the `copier update` tests (tests/test_upgrades.py).

Two sources of versions:
- released versions, rebuilt from this repository's own history: hooks/data/releases.json maps each version to
  the commit it was tagged at (null: not tagged yet, the working tree is that version). Tags need not be in the
  clone, the commits must be: a shallow clone fails with a message saying how to fetch them.
- synthetic versions, made from the working tree by a mutation (an older layout, an older default), so that
  an update has real template changes to bring, and a migration something real to migrate.

Every version is written into one git repository, committed and tagged, in version order: what copier reads
from a real template repository.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import yaml
from packaging.version import Version

from conftest import ROOT, TEMPLATE_PATHS, git

RELEASES_FILE = ROOT / "hooks" / "data" / "releases.json"
MIGRATIONS_FILE = Path("hooks") / "data" / "migrations.json"
JINJA = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)
CONFLICT_MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")

Mutation = Callable[[Path], None]


# --------------------------------------------------------------------------------------------------------
# Versions and repositories
# --------------------------------------------------------------------------------------------------------


def releases() -> dict[str, str | None]:
    """Released versions -> the commit each was tagged at (None: the working tree), oldest first."""
    recorded = json.loads(RELEASES_FILE.read_text(encoding="utf-8"))["releases"]
    return dict(sorted(recorded.items(), key=lambda item: Version(item[0])))


def require_commit(commit: str, version: str) -> None:
    found = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True)
    if found.returncode != 0:
        raise AssertionError(
            f"release {version} was tagged at commit {commit}, which this clone does not have "
            "(a shallow clone?). Fetch the full history: `git fetch --unshallow` "
            "(GitHub Actions: actions/checkout with fetch-depth: 0)."
        )


def extract(source_repo: Path, commit: str, destination: Path) -> None:
    """Write the template files (TEMPLATE_PATHS) of `commit` in `source_repo` into `destination`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", *TEMPLATE_PATHS],
        cwd=source_repo,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")


class TemplateHistory:
    """A template git repository receiving one tagged commit per version, oldest first."""

    def __init__(self, path: Path, snapshot: Path):
        # snapshot: a git repository whose HEAD holds the working tree's template (conftest's template_repo)
        self.path, self.snapshot, self.versions = path, snapshot, []
        path.mkdir(parents=True)
        git("init", "--quiet", "--initial-branch=main", cwd=path)

    def add(self, version: str, commit: str | None = None, *mutations: Mutation) -> TemplateHistory:
        """Tag `version`: the template at `commit` of this repository (None: the working tree), then `mutations`."""
        if self.versions:
            assert Version(version) > Version(self.versions[-1]), "add versions oldest first"
        for name in TEMPLATE_PATHS:
            target = self.path / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        if commit is None:
            extract(self.snapshot, "HEAD", self.path)
        else:
            require_commit(commit, version)
            extract(ROOT, commit, self.path)
        for mutate in mutations:
            mutate(self.path)
        git("add", "--all", cwd=self.path)
        git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", f"nimbus {version}", cwd=self.path)
        git("tag", version, cwd=self.path)
        self.versions.append(version)
        return self


# --------------------------------------------------------------------------------------------------------
# Mutations: how a synthetic version differs from the working tree
# --------------------------------------------------------------------------------------------------------


def module_folder(template: Path, module: str) -> Path:
    """template/terraform/modules/<folder whose name, Jinja removed, is `module`>."""
    modules = template / "template" / "terraform" / "modules"
    for folder in modules.iterdir():
        if JINJA.sub("", folder.name).strip() == module:
            return folder
    raise AssertionError(f"the template has no terraform/modules/{module} folder")


def text_files(root: Path):
    for path in [root] if root.is_file() else sorted(root.rglob("*")):
        if path.is_file():
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def substitute(root: Path, replacements: list[tuple[str, str]]) -> int:
    """Regex replacements in every text file under `root`; the number of files changed."""
    changed = 0
    for path, text in text_files(root):
        new = text
        for pattern, replacement in replacements:
            new = re.sub(pattern, replacement, new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    return changed


def old_module_layout(template: Path) -> None:
    """Version 0.0.1's layout: the log_analytics module was called `monitoring`, its workspace `workspace`."""
    folder = module_folder(template, "log_analytics")
    name = folder.name
    renamed = folder.with_name(
        name.replace("}log_analytics{", "}monitoring{") if "}log_analytics{" in name else "monitoring"
    )
    folder.rename(renamed)
    inside = substitute(
        renamed,
        [
            (r'"azurerm_log_analytics_workspace" "this"', '"azurerm_log_analytics_workspace" "workspace"'),
            (r"azurerm_log_analytics_workspace\.this\b", "azurerm_log_analytics_workspace.workspace"),
        ],
    )
    assert inside, "the log_analytics module no longer declares azurerm_log_analytics_workspace.this"
    outside = substitute(
        template / "template",
        [
            (r'module "log_analytics"', 'module "monitoring"'),
            (r"modules/log_analytics\b", "modules/monitoring"),
            (r"module\.log_analytics\.", "module.monitoring."),
        ],
    )
    assert outside, "no root Terraform file calls the log_analytics module"


def old_answer_name(template: Path) -> None:
    """Version 0.0.1's answers: `env_branch_prefix` was called `branch_prefix`."""
    changed = substitute(template / "copier.yml", [(r"env_branch_prefix", "branch_prefix")])
    changed += substitute(template / "hooks", [(r"env_branch_prefix", "branch_prefix")])
    changed += substitute(template / "template", [(r"env_branch_prefix", "branch_prefix")])
    assert changed >= 2, "env_branch_prefix is no longer an answer"


def first_numeric_default(path: Path) -> re.Match:
    match = re.search(r"^(\s*default\s*=\s*)(-?\d+)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path} has no numeric variable default"
    return match


def set_first_numeric_default(path: Path, value: int) -> tuple[int, int]:
    """Change the first `default = <number>` of a variables.tf; returns (line number, old value)."""
    text = path.read_text(encoding="utf-8")
    match = first_numeric_default(path)
    path.write_text(text[: match.start(2)] + str(value) + text[match.end(2) :], encoding="utf-8")
    return text[: match.start()].count("\n"), int(match.group(2))


def older_template(template: Path) -> None:
    """What 0.0.1 and 0.0.2 lack compared with the working tree (the template changes an update brings):
    log_analytics/variables.tf has its last variable missing and its first numeric default one higher,
    and terraform/moved.tf does not exist yet."""
    variables = module_folder(template, "log_analytics") / "variables.tf"
    text = variables.read_text(encoding="utf-8")
    last = text.rfind('\nvariable "')
    assert last > 0, f"{variables} has fewer than two variables"
    variables.write_text(text[: last + 1], encoding="utf-8")
    match = first_numeric_default(variables)
    set_first_numeric_default(variables, int(match.group(2)) + 1)
    (template / "template" / "terraform" / "moved.tf.jinja").unlink()


def register_migration(**migration) -> Mutation:
    """Add a migration to the version's registry (hooks/data/migrations.json), as a release would."""

    def mutate(template: Path) -> None:
        path = template / MIGRATIONS_FILE
        registry = json.loads(path.read_text(encoding="utf-8"))
        registry["migrations"].append(migration)
        path.write_text(json.dumps(registry, indent=2) + "\n", encoding="utf-8")

    return mutate


def last_variable_name(path: Path) -> str:
    return re.findall(r'^variable "([^"]+)"', path.read_text(encoding="utf-8"), re.MULTILINE)[-1]


# --------------------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------------------


def commit_all(project: Path, message: str) -> None:
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--no-verify", "-m", message, cwd=project)


def init_project(project: Path) -> None:
    """What the post-copy task does for a fresh project (the tests render with tasks skipped)."""
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "Generate project with nimbus")


def recorded(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def tree(project: Path, ignore: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file of a project (not .git) and its content."""
    files = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and ".git" not in relative.parts and str(relative) not in ignore:
            files[str(relative)] = path.read_bytes()
    return files


def files_with_conflicts(project: Path) -> list[str]:
    return sorted(
        name
        for name, content in tree(project).items()
        if any(marker.encode() in content for marker in CONFLICT_MARKERS)
    )


def rejects(project: Path) -> list[str]:
    return sorted(name for name in tree(project) if name.endswith(".rej"))
