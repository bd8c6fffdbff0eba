"""Measure how much nimbus costs over copier itself.

Times `copier copy --trust --defaults` of the fullest answer set (every add-on, vnet, a database, gitops)
against a one-file template rendered by the same copier (goal: a ratio of the medians at or under 1.5) and
against a plain template of the same files (goal: at most 1.15 times it); exit status 1 when either is missed. nimbus is rendered from a repository holding every file of this one that git
tracks (tests and docs too, with uncommitted edits): copier clones and checks out the whole repository
whatever `_subdirectory` says, so that is what a user's `copier copy` pays. Two more measurements say where
the difference comes from:

- the fullest project without its post-copy task (`--skip-tasks`: no `git init` and first commit);
- a "plain" template holding the fullest project's files as they are (no Jinja, one question, no extension,
  no task): what copier alone needs to clone, render and write that many files. nimbus cannot be cheaper.

Rounds are interleaved (one run of each variant per round) so that a slow spell of a shared machine slows
every variant alike. Copier clones templates and renders into the system's temporary directory: set TMPDIR
to measure another file system.

    python3 tools/benchmark_render.py [--runs 11]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from matrix import CLASSICS, make  # noqa: E402

LIMIT = 1.5  # nimbus fullest / one-file template
LIMIT_OVER_PLAIN = 1.15  # nimbus fullest / plain template of the same files: what nimbus adds to copier
COPIER = str(Path(sys.executable).parent / "copier")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def tagged_repository(path: Path) -> Path:
    """Copier renders released templates from git tags; so does the benchmark."""
    git("init", "--quiet", cwd=path)
    git("add", "--all", cwd=path)
    git("-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "--quiet", "-m", "bench", cwd=path)
    git("tag", "1.0.0", cwd=path)
    return path


def nimbus_template(workdir: Path) -> Path:
    """This repository's tracked and new, not ignored, files as they are on disk, in a repository of their own."""
    destination = workdir / "nimbus"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not part of it
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return tagged_repository(destination)


def one_file_template(workdir: Path) -> Path:
    destination = workdir / "baseline"
    destination.mkdir()
    (destination / "copier.yml").write_text("name:\n  type: str\n  default: app\n")
    (destination / "README.md.jinja").write_text("# {{ name }}\n")
    return tagged_repository(destination)


def plain_template(project: Path, workdir: Path) -> Path:
    """The rendered project's files as a template of plain files: copier's own cost for that many files."""
    destination = workdir / "plain"
    shutil.copytree(project, destination / "template", ignore=shutil.ignore_patterns(".git", ".copier-answers.yml"))
    (destination / "copier.yml").write_text("_subdirectory: template\nname:\n  type: str\n  default: app\n")
    return tagged_repository(destination)


def copy_command(template: Path, data_file: Path | None, *options: str) -> list[str]:
    data = ["--data-file", str(data_file)] if data_file else []
    return [COPIER, "copy", "--trust", "--defaults", "--quiet", *data, *options, str(template)]


def timed_copy(command: list[str], destination: Path) -> float:
    started = time.perf_counter()
    subprocess.run([*command, str(destination)], check=True, capture_output=True)
    return time.perf_counter() - started


def time_interleaved(commands: dict[str, list[str]], runs: int, workdir: Path) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(runs):
        for name, command in commands.items():
            timings[name].append(timed_copy(command, workdir / f"out-{name}-{run}"))
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        data_file = workdir / "fullest.yml"
        data_file.write_text(yaml.safe_dump(make(**CLASSICS["fullest"])))
        nimbus = nimbus_template(workdir)
        first = workdir / "out-first"
        timed_copy(copy_command(nimbus, data_file, "--skip-tasks"), first)
        files = sum(1 for path in first.rglob("*") if path.is_file())
        timings = time_interleaved(
            {
                "baseline": copy_command(one_file_template(workdir), None),
                "fullest": copy_command(nimbus, data_file),
                "render_only": copy_command(nimbus, data_file, "--skip-tasks"),
                "plain": copy_command(plain_template(first, workdir), None),
            },
            options.runs,
            workdir,
        )
    median = {name: statistics.median(values) for name, values in timings.items()}
    fastest = {name: min(values) for name, values in timings.items()}
    base = median["baseline"]

    def line(label: str, name: str) -> str:
        ratio = median[name] / base
        return f"{label:44s} median {median[name]:.3f}s  ratio {ratio:.2f}  (fastest {fastest[name]:.3f}s)"

    print(f"copier {copier_version()}, {options.runs} interleaved runs, temporary files in {tempfile.gettempdir()}")
    print(line("one-file template", "baseline"))
    print(line(f"plain template, the same {files} files", "plain"))
    print(line("nimbus fullest, --skip-tasks", "render_only"))
    print(line("nimbus fullest", "fullest"))
    ratio = median["fullest"] / base
    print(f"ratio {ratio:.2f} (limit {LIMIT}); copier alone needs {median['plain'] / base:.2f} for these files")
    over_plain = median["fullest"] / median["plain"]
    print(f"nimbus over the plain template of the same files {over_plain:.2f} (limit {LIMIT_OVER_PLAIN})")
    return 0 if ratio <= LIMIT and over_plain <= LIMIT_OVER_PLAIN else 1


def copier_version() -> str:
    result = subprocess.run([COPIER, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip().split()[-1] if result.stdout.strip() else "?"


if __name__ == "__main__":
    sys.exit(main())
