"""Template migrations: the changes a plain `copier update` would get wrong, applied on the way through a version.

Copier runs this file twice per `copier update` (`_migrations` in copier.yml), in the project folder:

    python hooks/migrations.py before <from version> <to version> [--answers-file .copier-answers.yml]
    python hooks/migrations.py after  <from version> <to version> [--answers-file .copier-answers.yml]

The registry is hooks/data/migrations.json: a list of migrations, each keyed by the template version that
introduced it. An update from A to B applies every migration with A < version <= B, in version order.
A migration may:

- rename answers               "rename_answers": {"old_key": "new_key"}
- rename answer values         "answer_values": {"key": {"old value": "new value"}}   (multiselect items too)
- split an answer              "split_answers": [{"from": "old_key", "values": {"<old value>": {"new_a": 1, "new_b": 2}},
                                                  "keep": false}]
- move files or folders        "move": [{"from": "terraform/modules/monitoring", "to": "terraform/modules/log_analytics"}]
- move Terraform resources     "moved": [{"from": "module.monitoring.azurerm_x.y", "to": "module.log_analytics.azurerm_x.y"}]
                               (appended to terraform/moved.tf as `moved {}` blocks, so that no Azure resource is
                               destroyed and created again; a block whose `to` module the project does not render
                               is left out)

Stages (copier's update algorithm: render the old version, diff it with the project, render the new version,
apply the diff):
- before: answers are migrated in the answers file (copier reads it again before asking anything). For each
  move, the team's files under the old path and the old version's pristine render of them are saved under
  the git directory (`<git dir>/nimbus-migrations/`); the project itself is not touched.
- after: copier has rendered the new layout and deleted the old path's template files. Each saved file is
  merged three ways into its new path (the team's version, the old pristine version, the new template's
  version): the team's edits survive and conflict markers appear only where both sides changed the same
  lines. Files the team added under the old path move with it. Then the `moved {}` blocks are appended.

Both stages are idempotent: after a successful run nothing is left to do, and running `after` again changes
nothing (blocks already in moved.tf are not appended twice).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.version import Version

# Siblings are plain imports: run as a script (copier's `_migrations`), hooks/ is sys.path[0]; imported, by
# hooks/extensions.py (`_import_own`), hooks/ is on sys.path too.
import answers as nimbus_answers

REGISTRY = Path(__file__).parent / "data" / "migrations.json"
ANSWERS_FILE = ".copier-answers.yml"
ANSWERS_HEADER = "# Changes here will be overwritten by Copier; do not edit manually.\n"
MOVED_FILE = Path("terraform") / "moved.tf"
STATE = "nimbus-migrations"
CONFLICT_LABELS = ("before updating", "last update", "after updating")  # the labels copier's own merges use


@dataclass
class Migration:
    version: Version
    description: str
    rename_answers: dict[str, str] = field(default_factory=dict)
    answer_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    split_answers: list[dict[str, Any]] = field(default_factory=list)
    move: list[dict[str, str]] = field(default_factory=list)
    moved: list[dict[str, str]] = field(default_factory=list)


KNOWN_KEYS = {"version", "description", "rename_answers", "answer_values", "split_answers", "move", "moved"}


def load_registry(path: Path = REGISTRY) -> list[Migration]:
    """Every migration of the registry, oldest first; a malformed entry is an error, not a silent skip."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    result = []
    for entry in raw.get("migrations", []):
        unknown = set(entry) - KNOWN_KEYS
        if unknown:
            raise ValueError(f"{path.name}: migration {entry.get('version')!r} has unknown keys {sorted(unknown)}")
        if not entry.get("description"):
            raise ValueError(f"{path.name}: migration {entry.get('version')!r} needs a description")
        result.append(Migration(**{**entry, "version": Version(entry["version"])}))
    return sorted(result, key=lambda migration: migration.version)


def pending(registry: list[Migration], from_version: str, to_version: str) -> list[Migration]:
    """The migrations an update from `from_version` to `to_version` goes through (from < version <= to)."""
    start, end = Version(from_version), Version(to_version)
    return [migration for migration in registry if start < migration.version <= end]


# --------------------------------------------------------------------------------------------------------
# Answers (pure)
# --------------------------------------------------------------------------------------------------------


def migrate_answers(answers: dict[str, Any], migrations: list[Migration]) -> tuple[dict[str, Any], list[str]]:
    """The answers rewritten by `migrations` (keys keep their place), and one line per change made."""
    result = dict(answers)
    changes: list[str] = []
    for migration in migrations:
        for old, new in migration.rename_answers.items():
            if old not in result:
                continue
            if new in result:
                result.pop(old)
                changes.append(f"answer {old} dropped ({new} is already set)")
                continue
            result = {(new if key == old else key): value for key, value in result.items()}  # keeps its place
            changes.append(f"answer {old} renamed {new}")
        for key, mapping in migration.answer_values.items():
            if key not in result:
                continue
            value = result[key]
            if isinstance(value, list):
                renamed = [mapping.get(item, item) for item in value]
            else:
                renamed = mapping.get(value, value)
            if renamed != value:
                result[key] = renamed
                changes.append(f"answer {key}: {value!r} -> {renamed!r}")
        for split in migration.split_answers:
            old = split["from"]
            if old not in result:
                continue
            value = result[old] if split.get("keep") else result.pop(old)
            table = split.get("values", {})
            if str(value) in table:
                for key, new_value in table[str(value)].items():
                    result.setdefault(key, new_value)
                changes.append(
                    f"answer {old}={value!r} split into "
                    + ", ".join(f"{k}={v!r}" for k, v in table[str(value)].items())
                )
            else:
                changes.append(f"answer {old}={value!r} has no split rule: copier asks the new questions")
    return result, changes


def read_answers(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def write_answers(path: Path, answers: dict[str, Any]) -> None:
    path.write_text(
        ANSWERS_HEADER + yaml.safe_dump(answers, sort_keys=False, default_flow_style=False, allow_unicode=True),
        encoding="utf-8",
    )


# --------------------------------------------------------------------------------------------------------
# moved {} blocks (pure)
# --------------------------------------------------------------------------------------------------------


def target_module(address: str) -> str | None:
    """`module.redis.azurerm_x.y` -> `redis`; a root-level address -> None."""
    match = re.match(r"^module\.([A-Za-z0-9_-]+)", address)
    return match.group(1) if match else None


def moved_blocks(migrations: list[Migration], answers: dict[str, Any]) -> list[tuple[Migration, dict[str, str]]]:
    """The (migration, move) pairs that apply to a project with these answers (its `to` module is rendered)."""
    try:
        rendered = set(nimbus_answers.modules_for(answers))
    except (KeyError, TypeError):
        rendered = None  # answers this version does not understand: keep every block, Terraform ignores unused ones
    chosen = []
    for migration in migrations:
        for move in migration.moved:
            module = target_module(move["to"])
            if module is None or rendered is None or module in rendered:
                chosen.append((migration, move))
    return chosen


def format_moved(move: dict[str, str]) -> str:
    return f"moved {{\n  from = {move['from']}\n  to   = {move['to']}\n}}\n"


def has_block(text: str, move: dict[str, str]) -> bool:
    pattern = r"moved\s*\{\s*from\s*=\s*" + re.escape(move["from"]) + r"\s+to\s*=\s*" + re.escape(move["to"]) + r"\s*\}"
    return re.search(pattern, text) is not None


def append_moved(path: Path, chosen: list[tuple[Migration, dict[str, str]]]) -> list[str]:
    """Append the blocks `path` does not hold yet; returns the `from -> to` of each block appended."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    added, chunks, last = [], [], None
    for migration, move in chosen:
        if has_block(text, move):
            continue
        if migration is not last:
            chunks.append(f"\n# nimbus {migration.version}: {migration.description}\n")
            last = migration
        chunks.append(format_moved(move))
        added.append(f"{move['from']} -> {move['to']}")
    if chunks:
        path.parent.mkdir(parents=True, exist_ok=True)
        if text and not text.endswith("\n"):
            text += "\n"
        path.write_text(text + "".join(chunks), encoding="utf-8")
    return added


# --------------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------------


def git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=project, check=check, capture_output=True, text=True)


def state_dir(project: Path) -> Path:
    """Where the before stage leaves its notes for the after stage: inside the git directory, never committed."""
    common = Path(git(project, "rev-parse", "--git-path", STATE).stdout.strip())
    key = hashlib.sha1(str(project.resolve()).encode()).hexdigest()[:12]
    return (project / common / key).resolve()


def project_files(project: Path, relative: str) -> list[str]:
    """The team's files under `relative` (tracked, and untracked unless ignored), relative to the project."""
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", relative).stdout
    return sorted({path for path in listed.split("\0") if path and (project / path).is_file()})


def render_pristine(answers: dict[str, Any], destination: Path) -> None:
    """The project exactly as the old template version rendered it (what the team's edits are relative to)."""
    from copier import run_copy  # the interpreter copier runs migrations with has copier

    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    run_copy(
        str(answers["_src_path"]),
        destination,
        data=data,
        vcs_ref=str(answers["_commit"]),
        defaults=True,
        unsafe=True,
        quiet=True,
        skip_tasks=True,
        overwrite=True,
    )


def merge_three_ways(ours: Path | None, base: Path | None, theirs: Path) -> tuple[str, bool]:
    """`git merge-file` of the team's version and the new template's, over the old pristine version."""
    with tempfile.NamedTemporaryFile("w", suffix=".empty", delete=False) as handle:
        empty = Path(handle.name)  # the missing side of a file only one side has
    try:
        result = subprocess.run(
            [
                "git",
                "merge-file",
                "-p",
                "-L",
                CONFLICT_LABELS[0],
                "-L",
                CONFLICT_LABELS[1],
                "-L",
                CONFLICT_LABELS[2],
                str(ours or empty),
                str(base or empty),
                str(theirs),
            ],
            capture_output=True,
            text=True,
        )
    finally:
        empty.unlink()
    if result.returncode < 0 or result.returncode > 127:
        raise RuntimeError(f"git merge-file failed on {theirs}: {result.stderr}")
    return result.stdout, result.returncode > 0


def carry_move(project: Path, state: Path, move: dict[str, str], report: list[str]) -> list[str]:
    """Bring the team's files from the old path to the new one; returns the files left with conflict markers."""
    source, target = move["from"], move["to"]
    ours_root, base_root = state / "ours" / source, state / "base" / source
    conflicts: list[str] = []

    def files(root: Path) -> set[str]:
        if root.is_file():
            return {""}
        return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.is_dir() else set()

    def under(root: Path, relative: str) -> Path:
        return root / relative if relative else root

    ours_files, base_files = files(ours_root), files(base_root)
    for relative in sorted(ours_files | base_files):
        ours = under(ours_root, relative) if relative in ours_files else None
        base = under(base_root, relative) if relative in base_files else None
        destination = under(project / target, relative)
        shown = str(Path(target) / relative) if relative else target
        if ours is None:
            # the team deleted this file: like copier, do not bring it back
            if destination.exists() and base is not None:
                destination.unlink()
                report.append(f"  {shown}: not recreated (you had deleted it)")
            continue
        if base is not None and ours.read_bytes() == base.read_bytes():
            continue  # not edited by the team: the new template's version stands
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            merged, conflicted = merge_three_ways(ours, base, destination)
            destination.write_text(merged, encoding="utf-8")
            if conflicted:
                conflicts.append(shown)
            report.append(f"  {shown}: your changes merged{' (CONFLICT: resolve the markers)' if conflicted else ''}")
        else:
            shutil.copy2(ours, destination)
            what = "your file" if base is None else "your edited file (the new version no longer has it)"
            report.append(f"  {shown}: {what} moved from {Path(source) / relative if relative else source}")
    # What copier left at the old path: the team's own files (now carried over) and patch rejects.
    old = project / source
    leftovers = [old] if old.is_file() else sorted(p for p in old.rglob("*") if p.is_file()) if old.is_dir() else []
    for path in leftovers:
        relative = "" if path == old else str(path.relative_to(old))
        saved = under(ours_root, relative) if relative in ours_files else None
        if path.suffix == ".rej" or (saved is not None and saved.read_bytes() == path.read_bytes()):
            path.unlink()
        else:
            report.append(f"  {path.relative_to(project)}: left in place (changed during the update); check it")
    if old.is_dir():
        for folder in sorted((p for p in old.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
        if not any(old.iterdir()):
            old.rmdir()
    return conflicts


# --------------------------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------------------------


def before(project: Path, from_version: str, to_version: str, answers_file: str = ANSWERS_FILE) -> list[str]:
    migrations = pending(load_registry(), from_version, to_version)
    if not migrations:
        return []
    report = [f"nimbus: migrating {from_version} -> {to_version}: " + "; ".join(m.description for m in migrations)]
    state = state_dir(project)
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    answers_path = project / answers_file
    old_answers = read_answers(answers_path)
    moves = [move for migration in migrations for move in migration.move if (project / move["from"]).exists()]
    if moves:
        render_pristine(old_answers, state / "base")
        for move in moves:
            for relative in project_files(project, move["from"]):
                saved = state / "ours" / relative
                saved.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(project / relative, saved)
    new_answers, changes = migrate_answers(old_answers, migrations)
    if new_answers != old_answers:
        write_answers(answers_path, new_answers)
    (state / "state.json").write_text(
        json.dumps({"from": from_version, "to": to_version, "answers_file": answers_file, "moves": moves}, indent=2),
        encoding="utf-8",
    )
    report += [f"  {change}" for change in changes]
    return report


def after(project: Path, from_version: str, to_version: str, answers_file: str = ANSWERS_FILE) -> list[str]:
    migrations = pending(load_registry(), from_version, to_version)
    if not migrations:
        return []
    report: list[str] = []
    conflicts: list[str] = []
    state = state_dir(project)
    notes = state / "state.json"
    if notes.exists():
        for move in json.loads(notes.read_text(encoding="utf-8"))["moves"]:
            report.append(f"  moved {move['from']} -> {move['to']}")
            conflicts += carry_move(project, state, move, report)
    answers = read_answers(project / answers_file)
    added = append_moved(project / MOVED_FILE, moved_blocks(migrations, answers))
    report += [f"  {MOVED_FILE}: moved {{}} block {line}" for line in added]
    shutil.rmtree(state, ignore_errors=True)
    if conflicts:
        report.append("Resolve the conflict markers in: " + ", ".join(conflicts))
    if added:
        report.append("Run `terraform plan` in an environment: the moved resources show as moved, not destroyed.")
    return [f"nimbus: migrated {from_version} -> {to_version}"] + report if report else []


def rollback(project: Path) -> None:
    """Undo the before stage of an update that stopped before rendering (the destroy guard's refusal)."""
    try:
        state = state_dir(project)
    except (subprocess.CalledProcessError, OSError):
        return
    notes = state / "state.json"
    if not notes.exists():
        return
    answers_file = json.loads(notes.read_text(encoding="utf-8"))["answers_file"]
    git(project, "checkout", "HEAD", "--", answers_file, check=False)
    shutil.rmtree(state, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["before", "after"])
    parser.add_argument("from_version")
    parser.add_argument("to_version")
    parser.add_argument("--answers-file", default=ANSWERS_FILE)
    options = parser.parse_args(argv)
    stage = before if options.stage == "before" else after
    for line in stage(Path.cwd(), options.from_version, options.to_version, options.answers_file):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
