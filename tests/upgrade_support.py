"""Template repositories with several tagged versions, for the `copier update` tests (tests/test_upgrades.py).

Two sources of versions:
- released versions, rebuilt from this repository's own history: hooks/data/releases.json maps each version to
  the commit it was tagged at (null: not tagged yet, the working tree is that version). Tags need not be in the
  clone, the commits must be: a shallow clone fails with a message saying how to fetch them.
- synthetic versions, made from the working tree by a mutation (an older default, a renamed answer and the
  `_migrations` step that carries it over), so that an update has real template changes to bring, and a
  migration something real to migrate.

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


def renamed_answer(template: Path) -> None:
    """A version whose answer `env_branch_prefix` is called `branch_prefix` (copier.yml, hooks and template)."""
    changed = substitute(template / "copier.yml", [(r"env_branch_prefix", "branch_prefix")])
    changed += substitute(template / "hooks", [(r"env_branch_prefix", "branch_prefix")])
    changed += substitute(template / "template", [(r"env_branch_prefix", "branch_prefix")])
    assert changed >= 2, "env_branch_prefix is no longer an answer"


def documented_migration() -> str:
    """The `_migrations` entry docs/upgrading.md shows a release adding (its yaml block), as written there."""
    found = re.search(r"```yaml\n(_migrations:\n.*?)```", (ROOT / "docs" / "upgrading.md").read_text(), re.S)
    assert found, "docs/upgrading.md shows no `_migrations:` yaml block"
    return found.group(1)


# The step a release renaming env_branch_prefix would write: a few lines, the answers file copier passes.
RENAME_ANSWER_STEP = """\
import os
import sys
from pathlib import Path

import yaml

answers_file = Path(sys.argv[1])
answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
print(f"nimbus {os.environ['VERSION_PEP440_CURRENT']} migration ({os.environ['STAGE']}, "
      f"{os.environ['VERSION_PEP440_FROM']} -> {os.environ['VERSION_PEP440_TO']}): env_branch_prefix is branch_prefix")
if "env_branch_prefix" in answers:
    answers["branch_prefix"] = answers.pop("env_branch_prefix")
    answers_file.write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
"""


def renamed_answer_with_migration(template: Path) -> None:
    """renamed_answer, carried over by the documented `_migrations` entry and its script in hooks/."""
    renamed_answer(template)
    entry = documented_migration()
    script = re.search(r"\}\}/(hooks/[\w.]+\.py)", entry)
    assert script, "the documented `_migrations` command runs no script in hooks/"
    (template / script.group(1)).write_text(RENAME_ANSWER_STEP, encoding="utf-8")
    config = template / "copier.yml"
    text = config.read_text(encoding="utf-8")
    assert "\n_migrations:" not in text, "copier.yml already has a `_migrations` list: add to it"
    config.write_text(text.rstrip("\n") + "\n\n" + entry, encoding="utf-8")


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
