#!/usr/bin/env python3
"""nimbus: build and package the app the way its repository is set up (called by .github/workflows/environment.yml).

    python3 .github/nimbus/build.py detect  --family node            # which package manager; setup-node cache
    python3 .github/nimbus/build.py build   --family node --compute app_service
    python3 .github/nimbus/build.py package --family node --compute app_service --out "$RUNNER_TEMP/package"
    python3 .github/nimbus/build.py jar     --out "$RUNNER_TEMP/package"

The same file runs in the workflow and in nimbus's own tests, so what the tests prove is what CI does.

Node: the lock file decides (package-lock.json / npm-shrinkwrap.json -> npm ci, pnpm-lock.yaml -> pnpm,
yarn.lock -> yarn), else package.json's "packageManager" (through corepack); without a lock file npm install
runs and the job summary says so. `build` runs when package.json defines it; dev dependencies are pruned after.
Python: requirements.txt, else pyproject.toml (uv.lock -> uv export, else its [project] dependencies) gives the
requirements.txt each platform installs: App Service (Oryx) at deploy time, Functions from .python_packages,
a container from its Dockerfile.
Package: one zip of the app's tree, nimbus's own files left out, symlinks kept (node_modules/.bin), compiled
output (dist/, build/) in.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# nimbus's own files: never part of what the platform runs. The app's own scripts/ and dist/ stay in.
NIMBUS_FILES = [".git/*", ".github/*", "terraform/*", "scripts/gitops.py", "scripts/nimbus_gitops/*", ".copier-answers.yml", "*.tfplan"]
NODE_LOCK_FILES = {
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
    "pnpm-lock.yaml": "pnpm",
    "yarn.lock": "yarn",
}
PYTHON_PACKAGES = Path(".python_packages/lib/site-packages")


class BuildError(Exception):
    pass


def run(*argv: str) -> None:
    print("+ " + " ".join(argv), flush=True)
    if subprocess.run(list(argv)).returncode != 0:
        raise BuildError(f"`{' '.join(argv)}` failed")


def write_github(name: str, lines: list[str]) -> None:
    """Append to $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY when running in Actions (else print)."""
    target = os.environ.get(name)
    if not target:
        print("\n".join(lines))
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def warn(message: str) -> None:
    print(f"::warning title=nimbus::{message}", flush=True)
    write_github("GITHUB_STEP_SUMMARY", [f"> [!WARNING]\n> {message}", ""])


# -- Node ------------------------------------------------------------------------------------------------------


def package_json(root: Path) -> dict:
    path = root / "package.json"
    if not path.is_file():
        raise BuildError("package.json not found at the repository root: a Node.js app needs one")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise BuildError(f"package.json is not valid JSON ({error})") from None


def node_manager(root: Path) -> tuple[str, bool]:
    """(npm|pnpm|yarn, whether a lock file pins the dependencies)."""
    for lock, manager in NODE_LOCK_FILES.items():
        if (root / lock).is_file():
            return manager, True
    declared = str(package_json(root).get("packageManager") or "").split("@")[0]
    if declared in ("npm", "pnpm", "yarn"):
        return declared, False
    return "npm", False


def yarn_berry(root: Path) -> bool:
    declared = str(package_json(root).get("packageManager") or "")
    return (root / ".yarnrc.yml").is_file() or (declared.startswith("yarn@") and not declared.startswith("yarn@1."))


def build_node(root: Path) -> None:
    manager, locked = node_manager(root)
    scripts = package_json(root).get("scripts") or {}
    if manager != "npm":
        run("corepack", "enable")  # the version in "packageManager" (or corepack's default) runs pnpm/yarn
    if manager == "npm" and locked:
        run("npm", "ci", "--no-audit", "--no-fund")
    elif manager == "npm":
        warn(
            "No package-lock.json: dependencies were resolved by `npm install` at build time, so two builds of the "
            "same commit can differ. Commit the lock file (run `npm install` and add package-lock.json)."
        )
        run("npm", "install", "--no-audit", "--no-fund")
    elif manager == "pnpm":
        run("pnpm", "install", "--frozen-lockfile" if locked else "--no-frozen-lockfile")
    elif yarn_berry(root):
        run("yarn", "install", "--immutable" if locked else "--no-immutable")
    else:
        run("yarn", "install", "--frozen-lockfile" if locked else "--no-lockfile")
    if "build" in scripts:
        run(manager, "run", "build")
    # What the platform runs needs no dev dependency (TypeScript, test tools): drop them after the build.
    if manager == "npm":
        run("npm", "prune", "--omit=dev", "--no-audit", "--no-fund")
    elif manager == "pnpm":
        run("pnpm", "prune", "--prod")
    elif not yarn_berry(root):
        run("yarn", "install", "--production", "--frozen-lockfile" if locked else "--no-lockfile")
    # yarn 2+ has no prune of its own short of a plugin: its dev dependencies stay in the package.


# -- Python ----------------------------------------------------------------------------------------------------


def python_requirements(root: Path) -> None:
    """Make sure requirements.txt lists what the app needs: every Azure Python host installs from it."""
    if (root / "requirements.txt").is_file():
        return
    if (root / "uv.lock").is_file():
        run(sys.executable, "-m", "pip", "install", "--quiet", "uv")
        run(
            sys.executable, "-m", "uv", "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project",
            "--output-file", "requirements.txt",
        )  # fmt: skip
        return
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("dependencies", [])
        (root / "requirements.txt").write_text(
            "# Written by the nimbus build from pyproject.toml's [project] dependencies.\n"
            + "".join(f"{line}\n" for line in dependencies),
            encoding="utf-8",
        )
        return
    raise BuildError("neither requirements.txt nor pyproject.toml at the repository root: a Python app needs one")


def build_python(root: Path, compute: str) -> None:
    python_requirements(root)
    if compute == "functions":
        # The Functions host puts .python_packages/lib/site-packages on the path; Flex Consumption runs no build.
        run(
            sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--requirement",
            "requirements.txt", "--target", str(PYTHON_PACKAGES),
        )  # fmt: skip
    # App Service: Oryx installs requirements.txt during the deployment (SCM_DO_BUILD_DURING_DEPLOYMENT).
    # A container: the Dockerfile installs requirements.txt.


# -- Packaging -------------------------------------------------------------------------------------------------


def package(root: Path, out: Path) -> Path:
    if out.resolve().is_relative_to(root.resolve()):
        raise BuildError(f"the package folder {out} must be outside the app's tree (use $RUNNER_TEMP)")
    out.mkdir(parents=True, exist_ok=True)
    archive = out / "app.zip"
    archive.unlink(missing_ok=True)
    # --symlinks: node_modules/.bin entries stay links (a copy breaks the CLI's relative requires).
    run("zip", "--quiet", "--recurse-paths", "--symlinks", str(archive), ".", "--exclude", *NIMBUS_FILES)
    return archive


def select_jar(root: Path, out: Path) -> Path:
    """The executable jar: the largest one in target/ or build/libs/, thin/sources/javadoc/original jars aside."""
    skipped = ("-plain.jar", "-sources.jar", "-javadoc.jar", "-tests.jar")
    candidates = [
        path
        for folder in ("target", "build/libs")
        for path in sorted((root / folder).glob("*.jar"))
        if not path.name.endswith(skipped) and not path.name.startswith("original-")
    ]
    if not candidates:
        raise BuildError("the build produced no jar in target/ or build/libs/")
    jar = max(candidates, key=lambda path: path.stat().st_size)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(jar, out / "app.jar")
    print(f"{jar.relative_to(root)} -> {out / 'app.jar'}")
    return jar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["detect", "build", "package", "jar"])
    parser.add_argument("--family", choices=["node", "python", "java", "dotnet", "docker"], default="node")
    parser.add_argument("--compute", choices=["app_service", "container_apps", "functions"], default="app_service")
    parser.add_argument("--out", type=Path, help="folder receiving app.zip / app.jar (package, jar)")
    arguments = parser.parse_args(argv)
    root = Path.cwd()
    try:
        if arguments.command == "detect":
            if arguments.family != "node":
                raise BuildError("detect is for --family node")
            manager, locked = node_manager(root)
            # setup-node's cache needs a lock file: without one it stops the job, so no cache is asked for.
            cache = manager if locked else ""
            # setup-node asks pnpm/yarn where their cache is: they must be on PATH before it runs (corepack).
            if cache in ("pnpm", "yarn") and subprocess.run(["corepack", "enable"]).returncode != 0:
                warn(f"corepack could not enable {manager}: the build runs without setup-node's download cache.")
                cache = ""
            write_github("GITHUB_OUTPUT", [f"manager={manager}", f"cache={cache}"])
        elif arguments.command == "build":
            if arguments.family == "node":
                build_node(root)
            elif arguments.family == "python":
                build_python(root, arguments.compute)
            else:
                raise BuildError(f"build handles node and python; {arguments.family} builds with its own tool")
        elif arguments.out is None:
            raise BuildError(f"{arguments.command} needs --out FOLDER")
        elif arguments.command == "package":
            print(package(root, arguments.out))
        else:
            select_jar(root, arguments.out)
    except BuildError as error:
        print(f"::error title=nimbus::{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
