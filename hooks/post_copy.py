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
# copy (the common case) only runs git, and this task's start-up is part of every `copier copy`. Run as a
# script (copier's `_tasks`), hooks/ is sys.path[0], so `import answers` finds the sibling like everywhere else.

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "template"
SUFFIX = ".jinja"
ANSWERS_FILE = ".copier-answers.yml"
FALLBACK_AUTHOR = {"user.name": "nimbus", "user.email": "nimbus@users.noreply.github.com"}
# Paths copier never copies from a template (its default _exclude).
IGNORED_PARTS = {"__pycache__", ".git", ".DS_Store", ".svn"}


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


def skip_if_exists_patterns() -> list[str]:
    """copier.yml's `_skip_if_exists` as plain paths: files a team may already have, which nimbus never overwrites.

    Entries written `{{ nimbus_keep_theirs('README.md') }}` stand for their path (kept when the team's copy
    lacks the nimbus:generated marker, see hooks/extensions.py).
    """
    import yaml

    config = yaml.safe_load((TEMPLATE_DIR.parent / "copier.yml").read_text(encoding="utf-8"))
    patterns = []
    for entry in config.get("_skip_if_exists") or []:
        owned = re.search(r"nimbus_keep_theirs\('([^']+)'\)", entry)
        patterns.append(owned.group(1) if owned else entry)
    return patterns


def report_existing_repository(answers: dict, answers_file: str = ANSWERS_FILE) -> None:
    top = Path(git("rev-parse", "--show-toplevel").stdout.strip())
    here = Path.cwd().resolve()
    skipped = skip_if_exists_patterns()
    added, changed, kept = [], [], []
    for path in rendered_paths(answers, answers_file):
        status = git("status", "--porcelain", "--untracked-files=all", "--", path).stdout
        if status.startswith("??"):
            added.append(path)
        elif status.strip():
            changed.append(path)
        elif any(fnmatch(path, pattern) for pattern in skipped) and Path(path).is_file():
            kept.append(path)  # tracked, unchanged, and one copier does not overwrite: the team's own file
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
