"""Jinja extensions for nimbus: answer validators for copier.yml and the derived-values context hook.

Loaded by copier through copier-template-extensions (see `_jinja_extensions` in copier.yml). The logic
lives in hooks/answers.py so that the post-copy task and the tests use exactly the same rules.
"""

from __future__ import annotations

import importlib
import os
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
    shared = ("answers", "destroy_guard", "post_copy")
    saved = {name: sys.modules.pop(name) for name in shared if name in sys.modules}
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        sys.path.pop(0)
        for name in shared:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


answers, destroy_guard, post_copy = _import_own("answers", "destroy_guard", "post_copy")


def compile_once(environment) -> None:
    """Compile each Jinja source once per run: copier renders every path part of every file through
    `from_string` (the same short sources, hundreds of times per copy). Compiling is pure, so the code is kept
    in memory for the run (never on disk: no cache of executable code outlives the process)."""
    compiled: dict[tuple, Any] = {}
    compile_source = environment.compile

    def compile(source, name=None, filename=None, raw=False, defer_init=False):
        if raw or not isinstance(source, str):
            return compile_source(source, name, filename, raw, defer_init)
        key = (source, name, filename, defer_init)
        if key not in compiled:
            compiled[key] = compile_source(source, name, filename, raw, defer_init)
        return compiled[key]

    environment.compile = compile


# The prefixes of copier's scratch copies (temporary directories) during `copier update`, and the environment
# variable that notes the directory copier was started in for a load inside one.
SCRATCH_COPIES = ("copier._main.old_copy.", "copier._main.new_copy.")
LAUNCH_DIR_NOTE = "NIMBUS_LAUNCH_DIR"


def launch_dir() -> Path:
    """The directory copier was started in, against which a relative destination ("." of `copier update`) resolves.

    Copier builds a worker's Jinja environment, and so this extension, when the worker first renders. The update's
    own worker may first render its `_skip_if_exists` patterns inside a scratch copy (the working directory while
    copier diffs the old and new renders): a load there takes the directory noted by the load before it (the old
    version's render, always made first, from where copier was started); any other load notes its own.
    """
    here = Path.cwd()
    if any(part.startswith(SCRATCH_COPIES) for part in here.parts) and os.environ.get(LAUNCH_DIR_NOTE):
        return Path(os.environ[LAUNCH_DIR_NOTE])
    os.environ[LAUNCH_DIR_NOTE] = str(here)
    return here


def keep_theirs_for(launch_dir: Path):
    """Build the `nimbus_keep_theirs(path)` Jinja global; relative destinations resolve from `launch_dir`.

    `copier update` renders scratch copies with the working directory moved into them, while the project's
    own `dst_path` may be relative ("."): it must be resolved against where copier was started.
    """

    @pass_context
    def keep_theirs(context, relative_path: str) -> str:
        """A `_skip_if_exists` pattern for `relative_path` when the project's copy is the team's own file.

        Files nimbus rendered carry the nimbus:generated marker on their first line (or an earlier version's
        first line, post_copy.UNMARKED_FIRST_LINES) and stay current under `copier update`; a file without it (an
        adopted repository's own README, or one whose team removed the marker) is never written to. Returns ''
        (matches nothing) when the file is nimbus's or does not exist.
        """
        existing = launch_dir / str(context["_copier_conf"]["dst_path"]) / relative_path
        if not existing.is_file():
            return ""
        return "" if post_copy.generated(existing, relative_path) else relative_path

    return keep_theirs


def action_uses(action: str) -> str:
    """`owner/name@<commit> # vX.Y.Z` for a `uses:` line, from hooks/data/actions.json (one source of truth)."""
    pin = answers.load("actions")[action]
    return f"{action}@{pin['commit']} # {pin['version']}"


def theirs_elsewhere_for(launch_dir: Path):
    """Build `nimbus_theirs_elsewhere(path, *spellings)`: an `_exclude` pattern for `path` when the project holds
    the team's file under another name (.github/dependabot.yaml for .github/dependabot.yml), so that nimbus writes
    no second copy; '' (matches nothing) otherwise."""

    @pass_context
    def theirs_elsewhere(context, relative_path: str, *spellings: str) -> str:
        destination = launch_dir / str(context["_copier_conf"]["dst_path"])
        return relative_path if any((destination / other).is_file() for other in spellings) else ""

    return theirs_elsewhere


def check_adoption_for(launch_dir: Path):
    """Build the `nimbus_check_adoption` filter (validator of the `gitops` question, the last one paths depend on):
    a first copy into a folder holding files nimbus would overwrite is refused before anything is written."""

    @pass_context
    def check_adoption(context, _value) -> str:
        # Validators see no _copier_operation; an update (or recopy) has the answers file, which adoption_clashes
        # takes as "nimbus was here before".
        if context.get("_copier_operation") not in (None, "copy"):
            return ""
        destination = launch_dir / str(context["_copier_conf"]["dst_path"])
        given = {key: value for key, value in answers.answers_from(context).items() if value is not None}
        try:
            clashes = post_copy.adoption_clashes(destination, given, str(context["_copier_conf"]["answers_file"]))
        except (KeyError, TypeError):
            return ""  # an earlier answer is invalid; its own validator says so
        if not clashes:
            return ""
        shown = ", ".join(clashes[:8]) + (f" and {len(clashes) - 8} more" if len(clashes) > 8 else "")
        return (
            f"nimbus would overwrite files of this repository: {shown}. Nothing was written. Move them aside "
            "(or copy nimbus into a subfolder) and run copier again; docs/adopting.md says which files nimbus "
            "keeps as yours."
        )

    return check_adoption


class NimbusExtension(ContextHook):
    """nimbus's Jinja extension: validator filters and globals for copier.yml, and the `nimbus` context.

    One extension rather than one per job: copier-template-extensions executes hooks/extensions.py once for
    every `_jinja_extensions` entry naming it.
    """

    def __init__(self, environment):
        super().__init__(environment)
        compile_once(environment)  # keeps rendering the fullest project cheap (tools/benchmark_render.py)
        started_in = launch_dir()
        environment.filters.update(
            {
                "nimbus_check_project_name": answers.check_project_name,
                "nimbus_check_region": answers.check_region,
                "nimbus_check_addons": lambda value: answers.check_addons(answers.plain(value)),
                "nimbus_check_env_branch_prefix": answers.check_env_branch_prefix,
                "nimbus_check_combination": lambda context: answers.check_combination(dict(context)),
                "nimbus_default_project_name": answers.default_project_name,
                "nimbus_check_repository_token": answers.check_repository_token,
                "nimbus_check_naming_scheme": lambda given: answers.check_naming_scheme(
                    given.get("naming_scheme"), given.get("project_name")
                ),
                "nimbus_check_adoption": check_adoption_for(started_in),
            }
        )
        environment.globals.update(
            nimbus_regions=answers.regions(),
            nimbus_java_runtimes=answers.java_runtimes(),
            nimbus_keep_theirs=keep_theirs_for(started_in),
            nimbus_uses=action_uses,
            nimbus_theirs_elsewhere=theirs_elsewhere_for(started_in),
            # allow_destroy's `when` and `help`: does this update destroy anything, and what
            nimbus_destroy_pending=pass_context(destroy_guard.pending),
            nimbus_destroy_summary=pass_context(destroy_guard.pending_summary),
            nimbus_new_repository_token=answers.new_repository_token,
            # a project rendered before naming schemes existed keeps scheme 1 (its names and state keys)
            nimbus_default_naming_scheme=pass_context(destroy_guard.default_naming_scheme),
            nimbus_naming=answers.naming,
        )
        # derived values by answer set and template version: copier builds a render context for every file and
        # every path part (hundreds per copy), and the answers do not change between them
        self.derived: dict[tuple, dict[str, Any]] = {}

    def hook(self, context: dict[str, Any]) -> None:
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
