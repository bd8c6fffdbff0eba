"""The destroy guard: changing answers on a live project never destroys Azure resources silently.

`copier update` (or `copier recopy`) with answers that drop a Terraform module (a database, an add-on, the
virtual network, a compute service, the container registry), that rename/relocate every resource
(`project_name`, `azure_region`) or that leave live environments unmanaged (`gitops` switched off, a new
`env_branch_prefix`, `repository_token` or `naming_scheme`: answers.orphaned_by) is refused before a single file
is written, with a message naming the modules and the Azure resources Terraform would destroy, or what is left
behind, unless the user confirms with the `allow_destroy`
question (`--data allow_destroy=true`, or "yes" when copier asks). `allow_destroy` is a secret question, so
it is never recorded: each destructive change needs its own confirmation.

Where it runs (see docs/upgrading.md#removing-a-service):
- prompt phase: `nimbus_destroy_pending()` decides whether `allow_destroy` is asked, `nimbus_destroy_summary()`
  lists what would go (both Jinja globals, registered by hooks/extensions.py);
- render phase: `check(context)`, called by the `nimbus` context hook for every render, refuses or announces.
  The first render of the render phase comes before copier writes any file, so a refusal leaves the project
  untouched.

The previous answers are the answers file in the destination (`_copier_conf.dst_path`), or another nimbus
answers file there (`copier copy --overwrite --answers-file other.yml` must not skip the comparison). Copier's own
scratch renders during an update (old and new copies in temporary folders) have no previous answers
until they write their own, identical ones, so the guard only ever compares against the real project.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

# Siblings are plain imports: hooks/extensions.py (`_import_own`) loads this module with hooks/ on sys.path.
import answers as nimbus_answers

MODULES_DIR = Path(__file__).resolve().parent.parent / "template" / "terraform" / "modules"
RESOURCE = re.compile(r'^\s*resource\s+"([A-Za-z0-9_]+)"\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)
JINJA = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)

# ----------------------------------------------------------------------------------------------------
# Changing answers on a live project (docs/upgrading.md): what a new answer set takes away.
# ----------------------------------------------------------------------------------------------------

# A change of one of these renames or relocates every Azure resource: each one is destroyed and created again.
REPLACING_FIELDS = ("project_name", "azure_region")


def _rendered_modules(answers: dict[str, Any]) -> set[str]:
    """modules_for() that tolerates an answer set from another template version (unknown values: no modules)."""
    try:
        return set(nimbus_answers.modules_for(answers))
    except (KeyError, TypeError):
        return set()


def removed_modules(previous: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The modules `previous` rendered that `new` does not: `terraform apply` destroys everything they hold."""
    return sorted(_rendered_modules(previous) - _rendered_modules(new))


def replaced_by(previous: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The REPLACING_FIELDS whose value changes (every resource of every environment is replaced)."""
    if not _rendered_modules(previous):
        return []
    return [field for field in REPLACING_FIELDS if previous.get(field) != new.get(field)]


def destroy_reasons(previous: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per changed answer that destroys something, e.g. "database: postgresql -> none"."""
    if not _rendered_modules(previous):
        return []
    reasons = []
    for field in (*REPLACING_FIELDS, "compute", "runtime", "database", "network"):
        if previous.get(field) != new.get(field):
            reasons.append(f"{field}: {previous.get(field)} -> {new.get(field)}")
    dropped = [addon for addon in previous.get("addons") or [] if addon not in (new.get("addons") or [])]
    if dropped:
        reasons.append("addons: " + ", ".join(dropped) + " removed")
    if not removed_modules(previous, new) and not replaced_by(previous, new):
        return []
    return reasons


# Answers whose change leaves live environments behind (their state and resources stay in Azure, unmanaged):
# the identity keys are recorded but not part of the contract.
IDENTITY_KEYS = ("repository_token", "naming_scheme")


def orphaned_by(previous: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per changed answer that cuts live environments loose from this project (nothing is destroyed by
    the change itself; what is left behind keeps running and costing until destroyed by hand)."""
    if not _rendered_modules(previous):
        return []
    lines = []
    if previous.get("gitops") and not new.get("gitops"):
        lines.append(
            "gitops: true -> false: the Terraform backend block, the workflows and scripts/gitops.py are removed; "
            "every environment stays in Azure with its state, and deleting its branch no longer destroys it"
        )
    elif (
        previous.get("gitops")
        and new.get("gitops")
        and previous.get("env_branch_prefix") != new.get("env_branch_prefix")
    ):
        lines.append(
            f"env_branch_prefix: {previous.get('env_branch_prefix')} -> {new.get('env_branch_prefix')}: the "
            f"environments of branches named {previous.get('env_branch_prefix')}<environment> are no longer "
            "deployed, and deleting those branches no longer destroys them"
        )
    if previous.get("repository_token") and previous.get("repository_token") != new.get("repository_token"):
        lines.append(
            f"repository_token: {previous.get('repository_token')} -> {new.get('repository_token')}: every state "
            "key and resource group name changes; existing environments are left running, unmanaged"
        )
    old_scheme = str(previous.get("naming_scheme") or "1")
    if new.get("naming_scheme") and old_scheme != str(new.get("naming_scheme")):
        lines.append(
            f"naming_scheme: {old_scheme} -> {new.get('naming_scheme')}: every state key and resource name changes; "
            "existing environments are left running, unmanaged"
        )
    return lines


_announced: set[tuple] = set()


@cache
def module_resources(module: str) -> tuple[str, ...]:
    """`type.name` of every resource the template's module declares (some may depend on other answers)."""
    if not MODULES_DIR.is_dir():
        return ()
    found: list[str] = []
    for folder in sorted(MODULES_DIR.iterdir()):
        if folder.is_dir() and JINJA.sub("", folder.name).strip() == module:
            for source in sorted(folder.rglob("*")):
                if source.is_file() and source.name.removesuffix(".jinja").endswith(".tf"):
                    text = source.read_text(encoding="utf-8")
                    found += [f"{kind}.{name}" for kind, name in RESOURCE.findall(text)]
    return tuple(dict.fromkeys(found))


def previous_answers(conf: Any) -> dict[str, Any] | None:
    """The answers recorded in the destination, or None (fresh folder, or an answers file not from nimbus)."""
    try:
        answers_file = str(conf["answers_file"])
        destination = Path(str(conf["dst_path"]))
    except (KeyError, TypeError):
        return None
    if not answers_file or answers_file == ".":
        return None  # copier is rendering the answers file's own name: nothing to compare yet
    # The answers file copier was told to use, else any other answers file nimbus wrote there: `copier copy
    # --overwrite --answers-file other.yml` over a live project must not skip the comparison.
    candidates = [destination / answers_file]
    if destination.is_dir():
        candidates += sorted(destination.glob(".copier-answers*.y*ml"))
    for path in candidates:
        if not path.is_file():
            continue
        try:
            recorded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(recorded, dict) and "compute" in recorded:
            return recorded
    return None


# Previous answers, read once per copier phase: copier builds a new render context for every file and path it
# renders, but the `_external_data` object in it is created once per phase (prompt, then render).
_previous_by_phase: dict[int, tuple[object, dict[str, Any] | None]] = {}


def cached_previous_answers(context: Any) -> dict[str, Any] | None:
    marker = context.get("_external_data")
    if marker is None:
        return previous_answers(context.get("_copier_conf"))
    seen = _previous_by_phase.get(id(marker))
    if seen is not None and seen[0] is marker:
        return seen[1]
    previous = previous_answers(context.get("_copier_conf"))
    _previous_by_phase[id(marker)] = (marker, previous)  # holding `marker` keeps its id from being reused
    return previous


def default_naming_scheme(context: Any) -> str:
    """The naming_scheme default: the recorded one of an existing project, scheme 1 for a project rendered by an
    earlier nimbus (its answers file has no naming_scheme), the current scheme for a new project."""
    previous = cached_previous_answers(context)
    if previous:
        return str(previous.get("naming_scheme") or "1")
    return nimbus_answers.naming()["scheme"]


def plan(previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list[str]] | None:
    """What `new` destroys compared with `previous`, or None when nothing is destroyed."""
    if not previous:
        return None
    removed = removed_modules(previous, new)
    replaced = replaced_by(previous, new)
    orphaned = orphaned_by(previous, new)
    if not removed and not replaced and not orphaned:
        return None
    # with a new name or region, every module both answer sets render is destroyed and created again
    kept = sorted(_rendered_modules(previous) & _rendered_modules(new)) if replaced else []
    return {
        "removed": removed,
        "replaced": replaced,
        "replaced_modules": kept,
        "reasons": destroy_reasons(previous, new),
        "orphaned": orphaned,
    }


def describe_module(module: str) -> str:
    resources = module_resources(module)
    entry = nimbus_answers.catalogue().get(module, {})
    what = entry.get("resources")
    line = f"module.{module} ({what + ', ' if what else ''}terraform/modules/{module})"
    if resources:
        line += ": " + ", ".join(resources)
    if entry.get("lost_when_removed"):
        line += f"\n      lost with it: {entry['lost_when_removed']}"
    return line


def summary(found: dict[str, list[str]], project: str) -> str:
    """The modules and Azure resources a plan destroys, as indented lines."""
    lines = [f"  because of: {'; '.join(found['reasons'])}"] if found["reasons"] else []
    if found.get("orphaned"):
        lines.append("  live environments are left behind, still running (destroy the ones you no longer need FIRST):")
        lines += [f"    - {line}" for line in found["orphaned"]]
    if found["removed"]:
        lines.append(
            f"  Terraform modules removed; every environment of '{project}' loses, on its next terraform apply:"
        )
        lines += [f"    - {describe_module(module)}" for module in found["removed"]]
    if found["replaced"]:
        fields = " and ".join(found["replaced"])
        lines.append(
            f"  a new {fields} renames or moves every resource: each environment's resource group and "
            "everything in it is destroyed and created again, empty"
            + (
                " (a new project_name also changes the Terraform state key, so existing environments are "
                "left running, unmanaged)"
                if "project_name" in found["replaced"]
                else ""
            )
            + ":"
        )
        lines += [f"    - {describe_module(module)}" for module in found["replaced_modules"]]
    return "\n".join(lines)


def refusal(found: dict[str, list[str]], project: str) -> str:
    return "\n".join(
        [
            "nimbus: refused: these answers would DESTROY Azure resources or leave live environments unmanaged.",
            summary(found, project),
            "Nothing was changed.",
            "To keep them: run the update again without that change (the current answers are in .copier-answers.yml).",
            "To go ahead: back up what you need and deal with live environments first (docs/upgrading.md,",
            "'Removing a service' and 'Answers that leave environments behind'), then confirm with",
            "  copier update --trust --data allow_destroy=true <the same options>",
            "or answer yes to the allow_destroy question.",
        ]
    )


def new_answers(context: Any, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """The contract answers and the recorded identity answers (token, naming scheme) of a render context."""
    answers = dict(given or nimbus_answers.answers_from(context))
    for key in IDENTITY_KEYS:
        answers[key] = context.get(key)
    return answers


def pending(context: Any) -> bool:
    """Prompt phase: would the answers given so far destroy something? (the `when` of allow_destroy)"""
    return plan(cached_previous_answers(context), new_answers(context)) is not None


def pending_summary(context: Any) -> str:
    found = plan(cached_previous_answers(context), new_answers(context))
    return "\n" + summary(found, str(context.get("project_name"))) + "\n  Destroy them?" if found else ""


def check(context: Any, given: dict[str, Any] | None = None) -> None:
    """Render phase: refuse a destructive answer change unless allow_destroy is true; announce it when it is.

    `given`: the contract answers of `context`, when the caller has already read them.
    """
    if str(context.get("_copier_phase")) != "render":
        return
    conf = context.get("_copier_conf")
    found = plan(cached_previous_answers(context), new_answers(context, given))
    if not found:
        return
    project = str(context.get("project_name"))
    if context.get("allow_destroy") is True:
        key = (str(conf["dst_path"]), repr(found))
        if key not in _announced:
            _announced.add(key)
            print(
                "nimbus: allow_destroy confirmed: these answers DESTROY Azure resources or leave environments "
                f"behind.\n{summary(found, project)}",
                file=sys.stderr,
            )
        return
    from copier.errors import UserMessageError

    raise UserMessageError(refusal(found, project))
