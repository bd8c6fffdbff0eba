"""Post-copy task: make a fresh project a git repository, or report what nimbus added to an existing one.

Runs in the destination after `copier copy` (never on `copier update`, see `_tasks` in copier.yml).
- Fresh destination: `git init` on branch main and one commit holding every generated file.
- Destination inside an existing git work tree: nothing is initialised, staged or committed; the files
  nimbus wrote are listed with the command that commits them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

# The hooks' answers module, yaml and jinja2 are imported where an existing repository needs them: a fresh
# copy (the common case) only runs git, and this task's start-up is part of every `copier copy`. Those imports
# run later than the module's own import (hooks/extensions.py loads it with `_import_own`, which restores
# sys.path afterwards), so this module, alone among the hooks, keeps its folder on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "template"
SUFFIX = ".jinja"
ANSWERS_FILE = ".copier-answers.yml"
FALLBACK_AUTHOR = {"user.name": "nimbus", "user.email": "nimbus@users.noreply.github.com"}
# Paths copier never copies from a template (its default _exclude).
IGNORED_PARTS = {"__pycache__", ".git", ".DS_Store", ".svn"}
GENERATED_MARKER = "nimbus:generated"  # first line of the files nimbus renders that a team may have its own of
# First lines of such files as nimbus rendered them before they carried the marker: still nimbus's, so that
# `copier update` keeps them current.
UNMARKED_FIRST_LINES = {
    ".github/dependabot.yml": "# The workflows pin every action to a full version (vX.Y.Z): Dependabot proposes the",
}


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], check=check, capture_output=True, text=True)


def inside_work_tree() -> bool:
    """True when this folder belongs to an existing repository's work tree.

    A folder that repository ignores (say `my-app/` rendered inside a clone of the template) is not part of
    it: the project becomes a repository of its own.
    """
    result = git("rev-parse", "--is-inside-work-tree", check=False)
    if result.returncode != 0 or result.stdout.strip() != "true":
        return False
    return git("check-ignore", "--quiet", ".", check=False).returncode != 0


def rendered_paths(answers: dict, answers_file: str = ANSWERS_FILE) -> list[str]:
    """The project-relative paths the template renders for these answers.

    Mirrors copier's path rendering: each path part is a Jinja expression; an empty part drops the
    file; a `.jinja` suffix is removed.
    """
    import answers as nimbus_answers
    from jinja2 import Environment

    context = {**answers, "nimbus": nimbus_answers.derive(answers), "_copier_conf": {"answers_file": answers_file}}
    env = Environment()
    paths = []
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        relative = source.relative_to(TEMPLATE_DIR)
        if source.is_dir() or IGNORED_PARTS & set(relative.parts) or source.suffix in {".pyc", ".pyo"}:
            continue
        parts = [env.from_string(part).render(context) for part in relative.parts]
        parts[-1] = parts[-1].removesuffix(SUFFIX)  # `{% if x %}Dockerfile{% endif %}.jinja` can render to nothing
        if all(parts):
            paths.append(str(Path(*parts)))
    return paths


def commit_fresh_repository() -> None:
    git("init", "--initial-branch=main")
    # Every blob goes into one pack instead of a loose object each: the first commit holds every generated
    # file, and on slow disks creating ~60 objects/xx folders cost more than the rest of the commit.
    git("-c", "core.bigFileThreshold=1", "add", "--all")
    listed = git("config", "--get-regexp", r"^user\.(name|email)$", check=False).stdout.splitlines()
    configured = {key for key, _, value in (line.partition(" ") for line in listed) if value.strip()}
    identity: list[str] = []
    for key, fallback in FALLBACK_AUTHOR.items():
        if key not in configured:
            identity += ["-c", f"{key}={fallback}"]
    # --no-verify: the team's own hooks are not installed yet; this commit is exactly what nimbus rendered.
    # No automatic maintenance: a repository of one commit has nothing to pack, and spawning the check costs
    # as much as the commit (maintenance.auto since git 2.29, gc.auto before).
    quiet_maintenance = ["-c", "maintenance.auto=false", "-c", "gc.auto=0"]
    git(*identity, *quiet_maintenance, "commit", "--no-verify", "--quiet", "-m", "Generate project with nimbus")
    print("nimbus: created a git repository on branch main with one commit holding the generated files.")


def generated(path: Path, relative_path: str | None = None) -> bool:
    """A file nimbus rendered (the marker on its first line, or the first line an earlier version wrote without
    one), not the team's own."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        first_line = handle.readline()
    legacy = UNMARKED_FIRST_LINES.get(relative_path if relative_path is not None else str(path))
    return GENERATED_MARKER in first_line or bool(legacy and first_line.startswith(legacy))


def keep_theirs_entries() -> list[tuple[str, list[str]]]:
    """Files a team may already have, which nimbus never overwrites, as (path, other spellings): copier.yml's
    `_skip_if_exists` (entries written `{{ nimbus_keep_theirs('README.md') }}` stand for their path, kept when the
    team's copy lacks the nimbus:generated marker, see hooks/extensions.py) and, from `_exclude`, the other names
    under which the team's file keeps nimbus's out entirely (`nimbus_theirs_elsewhere(path, spelling...)`).
    """
    import yaml

    config = yaml.safe_load((TEMPLATE_DIR.parent / "copier.yml").read_text(encoding="utf-8"))
    spellings: dict[str, list[str]] = {}
    for entry in config.get("_exclude") or []:
        elsewhere = re.search(r"nimbus_theirs_elsewhere\(([^)]*)\)", entry)
        if elsewhere:
            path, *others = re.findall(r"'([^']+)'", elsewhere.group(1))
            spellings[path] = others
    entries = []
    for entry in config.get("_skip_if_exists") or []:
        owned = re.search(r"nimbus_keep_theirs\('([^']+)'\)", entry)
        path = owned.group(1) if owned else entry
        entries.append((path, spellings.get(path, [])))
    return entries


def skip_if_exists_patterns() -> list[str]:
    return [path for path, _ in keep_theirs_entries()]


def adoption_clashes(destination: Path, answers: dict, answers_file: str = ANSWERS_FILE) -> list[str]:
    """Files a first `copier copy` into `destination` would have to overwrite: the team's own, not in
    `_skip_if_exists`. copier stops at the first one it cannot ask about (non-interactive) with part of the
    project written, so the copy is refused before anything is (hooks/extensions.py, the gitops question)."""
    if (destination / answers_file).exists():
        return []  # nimbus was copied here before: copier's own conflict handling applies
    if not destination.is_dir() or not any(entry.name != ".git" for entry in destination.iterdir()):
        return []  # a new project: nothing to clash with (and no path rendering, which costs)
    paths = rendered_paths({"env_branch_prefix": "env-", **answers}, answers_file)  # the prefix names no path
    kept = skip_if_exists_patterns()
    return [
        path
        for path in paths
        if (destination / path).is_file() and not any(fnmatch(path, pattern) for pattern in kept)
    ]


def report_existing_repository(answers: dict, answers_file: str = ANSWERS_FILE) -> None:
    top = Path(git("rev-parse", "--show-toplevel").stdout.strip())
    here = Path.cwd().resolve()
    skipped = skip_if_exists_patterns()
    added, changed, kept = [], [], []
    for path in rendered_paths(answers, answers_file):
        status = git("status", "--porcelain", "--untracked-files=all", "--", path).stdout
        if any(fnmatch(path, pattern) for pattern in skipped) and Path(path).is_file() and not generated(Path(path)):
            kept.append(path)  # the team's own file (committed or not), which copier did not overwrite
        elif status.startswith("??"):
            added.append(path)
        elif status.strip():
            changed.append(path)
    for path, spellings in keep_theirs_entries():
        # The team's file under another name (dependabot.yaml): nimbus's was not written at all.
        kept += [other for other in spellings if Path(other).is_file() and not Path(path).is_file()]
    prefix = here.relative_to(top.resolve())
    shown = [str(prefix / path) if str(prefix) != "." else path for path in added + changed]
    print("nimbus: this folder is inside an existing git repository; nothing was staged or committed.")
    for path in added:
        print(f"  added:    {path}")
    for path in changed:
        print(f"  modified: {path}   (review with: git diff -- {path})")
    for path in kept:
        print(f"  kept:     {path}   (yours, left as it was; nimbus's version was not written)")
    if kept:
        print("Merge what nimbus's versions of the kept files add by hand: docs/adopting.md in the template says what.")
    if shown:
        print("Commit them when ready:")
        print(f"  git -C {top} add -- {' '.join(shown)} && git -C {top} commit -m 'Add nimbus'")
    else:
        print("  no file was added or modified.")


def main() -> int:
    # copier passes the answers file's path (`copier copy --answers-file`: a repository that already has a
    # .copier-answers.yml from another template renders nimbus's answers elsewhere) and the answers as JSON.
    answers_file = sys.argv[1] if len(sys.argv) > 1 else ANSWERS_FILE
    if inside_work_tree():
        answers = json.loads(sys.argv[2]) if len(sys.argv) > 2 else read_answers_file(answers_file)
        report_existing_repository(answers, answers_file)
    else:
        commit_fresh_repository()  # needs no answer: it commits whatever copier wrote
    return 0


def read_answers_file(answers_file: str) -> dict:
    """The answers of a hand-run task; copier's validators checked the JSON it passes, not a hand-edited file."""
    import answers as nimbus_answers
    import yaml

    answers = yaml.safe_load(Path(answers_file).read_text(encoding="utf-8"))
    problems = nimbus_answers.validate(answers)
    if problems:
        sys.exit("\n".join(problems))
    return answers


if __name__ == "__main__":
    os.environ.setdefault("GIT_TERMINAL_PROMPT", "0")
    sys.exit(main())
