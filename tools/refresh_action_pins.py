#!/usr/bin/env python3
"""Refresh hooks/data/actions.json: the commit every GitHub Action of the generated workflows is pinned to.

The workflows and the composite action render `uses: owner/name@<commit> # vX.Y.Z` from that file (the Jinja
global `nimbus_uses`), so a moved tag upstream never changes what a project runs. For each action the newest
release tag (vX.Y.Z) of the major it is pinned to today is read from a git copy of the action's repository, and
the commit that tag points to is written next to it. `--next-major` moves to the newest major instead (read the
action's release notes and its action.yml inputs first).

Repositories are found as `<mirrors>/<owner>+<name>/repo` (the layout the library's `fetch` produces; owner and
name match case-insensitively) or given one by one as `owner/name=PATH`.

Usage:
  python tools/refresh_action_pins.py                          # every action, mirrors in /work/.mirror
  python tools/refresh_action_pins.py --mirrors DIR
  python tools/refresh_action_pins.py actions/checkout=/src/checkout.git
  python tools/refresh_action_pins.py --check                  # exit 1 when a pin is stale
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "hooks" / "data" / "actions.json"
RELEASE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


def git(repository: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repository), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {repository}: {result.stderr.strip()}")
    return result.stdout


def newest_release(repository: Path, major: int | None) -> str:
    """The newest vX.Y.Z tag of `repository`, within `major` unless it is None."""
    versions = []
    for tag in git(repository, "tag", "--list", "v*").split():
        found = RELEASE.match(tag)
        if found and (major is None or int(found.group(1)) == major):
            versions.append((tuple(int(part) for part in found.groups()), tag))
    if not versions:
        within = f" of major v{major}" if major is not None else ""
        raise SystemExit(f"{repository}: no release tag (vX.Y.Z){within}")
    return max(versions)[1]


def mirror_of(action: str, mirrors: Path) -> Path | None:
    """`<mirrors>/<owner>+<name>/repo` for `owner/name`, matched case-insensitively; None when absent."""
    wanted = action.replace("/", "+").lower()
    if not mirrors.is_dir():
        return None
    for folder in mirrors.iterdir():
        if folder.name.lower() == wanted and (folder / "repo").exists():
            return folder / "repo"
    return None


def refresh(pins: dict, sources: dict[str, Path], *, next_major: bool) -> tuple[dict, list[str]]:
    """New pins and one line per change."""
    updated, changes = {}, []
    for action, pin in pins.items():
        if action.startswith("_"):
            updated[action] = pin
            continue
        repository = sources.get(action)
        if repository is None:
            raise SystemExit(f"{action}: no git copy found; pass {action}=PATH or --mirrors DIR")
        major = None if next_major else int(RELEASE.match(pin["version"]).group(1))
        version = newest_release(repository, major)
        commit = git(repository, "rev-parse", f"{version}^{{commit}}").strip()
        updated[action] = {"version": version, "commit": commit}
        if updated[action] != pin:
            changes.append(f"{action}: {pin['version']} {pin['commit'][:12]} -> {version} {commit[:12]}")
    return updated, changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repositories", nargs="*", metavar="owner/name=PATH", help="a git copy of one action")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"), help="folder of <owner>+<name>/repo")
    parser.add_argument("--data", type=Path, default=DATA, help=argparse.SUPPRESS)
    parser.add_argument("--next-major", action="store_true", help="move to the newest major, not the pinned one")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a pin is stale")
    options = parser.parse_args(argv)

    pins = json.loads(options.data.read_text(encoding="utf-8"))
    sources: dict[str, Path] = {}
    for action in pins:
        if not action.startswith("_"):
            found = mirror_of(action, options.mirrors)
            if found:
                sources[action] = found
    for given in options.repositories:
        action, separator, path = given.partition("=")
        if not separator or action not in pins:
            known = ", ".join(name for name in pins if not name.startswith("_"))
            raise SystemExit(f"repository argument {given!r}: expected owner/name=PATH with owner/name one of {known}")
        sources[action] = Path(path)

    updated, changes = refresh(pins, sources, next_major=options.next_major)
    for line in changes:
        print(line)
    if options.check:
        return 1 if changes else 0
    if changes:
        options.data.write_text(json.dumps(updated, indent=2) + "\n", encoding="utf-8")
    else:
        print("every pin is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
