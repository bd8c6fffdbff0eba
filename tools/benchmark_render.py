"""Measure how much nimbus costs over copier itself.

Times `copier copy --trust --defaults` of the fullest answer set (every add-on, vnet, a database, gitops)
against a one-file template rendered by the same copier, and prints the ratio of the medians. The goal
is a ratio at or under 1.5: rendering must stay cheap however many answers are chosen.

    python3 tools/benchmark_render.py [--runs 7]
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

TEMPLATE_PATHS = ["copier.yml", "hooks", "template"]
LIMIT = 1.5


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
    destination = workdir / "nimbus"
    destination.mkdir()
    for name in TEMPLATE_PATHS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return tagged_repository(destination)


def one_file_template(workdir: Path) -> Path:
    destination = workdir / "baseline"
    destination.mkdir()
    (destination / "copier.yml").write_text("name:\n  type: str\n  default: app\n")
    (destination / "README.md.jinja").write_text("# {{ name }}\n")
    return tagged_repository(destination)


def time_copy(template: Path, data_file: Path | None, workdir: Path, runs: int, *options: str) -> list[float]:
    copier = str(Path(sys.executable).parent / "copier")
    timings = []
    for run in range(runs):
        destination = workdir / f"out-{template.name}-{run}{''.join(options)}"
        command = [copier, "copy", "--trust", "--defaults", "--quiet", *options, str(template), str(destination)]
        if data_file:
            command[2:2] = ["--data-file", str(data_file)]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        data_file = workdir / "fullest.yml"
        data_file.write_text(yaml.safe_dump(make(**CLASSICS["fullest"])))
        template = nimbus_template(workdir)
        fullest = time_copy(template, data_file, workdir, options.runs)
        baseline = time_copy(one_file_template(workdir), None, workdir, options.runs)
        # The same render without the post-copy task (git init + first commit), which the one-file
        # template does not have: shows how much of the difference is rendering and how much is git.
        render_only = time_copy(template, data_file, workdir, options.runs, "--skip-tasks")
        files = sum(1 for path in (workdir / "out-nimbus-0").rglob("*") if path.is_file() and ".git" not in path.parts)
    base = statistics.median(baseline)
    ratio = statistics.median(fullest) / base
    print(f"one-file template:            median {base:.3f}s over {options.runs} runs")
    print(f"nimbus fullest:               median {statistics.median(fullest):.3f}s ({files} files)")
    print(f"nimbus fullest, --skip-tasks: median {statistics.median(render_only):.3f}s")
    print(f"ratio: {ratio:.2f} (limit {LIMIT}); without the git task: {statistics.median(render_only) / base:.2f}")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
