"""Jinja extensions for nimbus: answer validators for copier.yml and the derived-values context hook.

Loaded by copier through copier-template-extensions (see `_jinja_extensions` in copier.yml). The logic
lives in hooks/answers.py so that the post-copy task and the tests use exactly the same rules.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from copier_template_extensions import ContextHook
from jinja2 import pass_context


def _import_own(*names: str) -> list:
    """Import sibling modules of hooks/ from THIS template version's folder.

    `copier update` renders the old and the new template version in one process, each loading its own
    hooks/extensions.py; a plain `import answers` would hand the new version the old version's module (and its
    data files) from sys.modules. Each load imports fresh copies, then puts sys.modules back as it was.
    """
    shared = ("answers", "compile_cache", "destroy_guard", "migrations")
    saved = {name: sys.modules.pop(name) for name in shared if name in sys.modules}
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        sys.path.pop(0)
        for name in shared:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


answers, compile_cache, destroy_guard = _import_own("answers", "compile_cache", "destroy_guard")


# First-line marker of the files nimbus owns in a project but a team may already have its own of.
GENERATED_MARKER = "nimbus:generated"


def keep_theirs_for(launch_dir: Path):
    """Build the `nimbus_keep_theirs(path)` Jinja global; relative destinations resolve from `launch_dir`.

    `copier update` renders scratch copies with the working directory moved into them, while the project's
    own `dst_path` may be relative ("."): it must be resolved against where copier was started.
    """

    @pass_context
    def keep_theirs(context, relative_path: str) -> str:
        """A `_skip_if_exists` pattern for `relative_path` when the project's copy is the team's own file.

        Files nimbus rendered carry GENERATED_MARKER on their first line and stay current under `copier update`;
        a file without it (an adopted repository's own README, or one whose team removed the marker) is never
        written to. Returns '' (matches nothing) when the file is nimbus's or does not exist.
        """
        existing = launch_dir / str(context["_copier_conf"]["dst_path"]) / relative_path
        if not existing.is_file():
            return ""
        with existing.open(encoding="utf-8", errors="replace") as handle:
            first_line = handle.readline()
        return "" if GENERATED_MARKER in first_line else relative_path

    return keep_theirs


def action_uses(action: str) -> str:
    """`owner/name@<commit> # vX.Y.Z` for a `uses:` line, from hooks/data/actions.json (one source of truth)."""
    pin = answers.load("actions")[action]
    return f"{action}@{pin['commit']} # {pin['version']}"


class NimbusExtension(ContextHook):
    """nimbus's Jinja extension: validator filters and globals for copier.yml, and the `nimbus` context.

    One extension rather than one per job: copier-template-extensions executes hooks/extensions.py once for
    every `_jinja_extensions` entry naming it.
    """

    def __init__(self, environment):
        super().__init__(environment)
        # keeps rendering the fullest project cheap (tools/benchmark_render.py)
        self.compile_cache = compile_cache.install(environment)
        environment.filters.update(
            {
                "nimbus_check_project_name": answers.check_project_name,
                "nimbus_check_region": answers.check_region,
                "nimbus_check_addons": lambda value: answers.check_addons(answers.plain(value)),
                "nimbus_check_env_branch_prefix": answers.check_env_branch_prefix,
                "nimbus_check_combination": lambda context: answers.check_combination(dict(context)),
                "nimbus_default_project_name": answers.default_project_name,
            }
        )
        environment.globals.update(
            nimbus_regions=answers.regions(),
            nimbus_java_runtimes=answers.java_runtimes(),
            nimbus_keep_theirs=keep_theirs_for(Path.cwd()),
            nimbus_uses=action_uses,
            # allow_destroy's `when` and `help`: does this update destroy anything, and what
            nimbus_destroy_pending=pass_context(destroy_guard.pending),
            nimbus_destroy_summary=pass_context(destroy_guard.pending_summary),
        )
        # derived values by answer set and template version: copier builds a render context for every file and
        # every path part (hundreds per copy), and the answers do not change between them
        self.derived: dict[tuple, dict[str, Any]] = {}

    def hook(self, context: dict[str, Any]) -> None:
        if str(context.get("_copier_phase")) == "tasks":
            # every file is rendered: save what was compiled now rather than when the process exits
            self.compile_cache.save()
        if "project_name" not in context or "network" not in context:
            return  # still asking questions: nothing to derive yet
        given = answers.answers_from(context)
        commit = (context.get("_copier_answers") or {}).get("_commit")
        key = (repr(sorted(given.items())), str(commit) if commit else "unreleased")
        if key not in self.derived:
            try:
                self.derived[key] = {**answers.derive(given), "template_version": key[1]}
            except (KeyError, TypeError):
                return  # an answer is invalid; its question's validator reports it
        context["nimbus"] = self.derived[key]
        destroy_guard.check(context, given)  # render phase: refuse destroying resources unless allow_destroy is true
