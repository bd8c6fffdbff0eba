"""The destroy guard: changing answers on a live project never destroys Azure resources silently.

`copier update` (or `copier recopy`) with answers that drop a Terraform module (a database, an add-on, the
virtual network, a compute service, the container registry) or that rename/relocate every resource
(`project_name`, `azure_region`) is refused before a single file is written, with a message naming the
modules and the Azure resources Terraform would destroy, unless the user confirms with the `allow_destroy`
question (`--data allow_destroy=true`, or "yes" when copier asks). `allow_destroy` is a secret question, so
it is never recorded: each destructive change needs its own confirmation.

Where it runs (see docs/upgrading.md#removing-a-service):
- prompt phase: `nimbus_destroy_pending()` decides whether `allow_destroy` is asked, `nimbus_destroy_summary()`
  lists what would go (both Jinja globals, registered by hooks/extensions.py);
- render phase: `check(context)`, called by the `nimbus` context hook for every render, refuses or announces.
  The first render of the render phase comes before copier writes any file, so a refusal leaves the project
  untouched (a pending migration's changes to the answers file are rolled back, see hooks/migrations.py).

The previous answers are the answers file in the destination (`_copier_conf.dst_path`). Copier's own
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
import migrations

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
    path = destination / answers_file
    if not path.is_file():
        return None
    try:
        recorded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(recorded, dict) or "compute" not in recorded:
        return None
    return recorded


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


def plan(previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list[str]] | None:
    """What `new` destroys compared with `previous`, or None when nothing is destroyed."""
    if not previous:
        return None
    removed = removed_modules(previous, new)
    replaced = replaced_by(previous, new)
    if not removed and not replaced:
        return None
    # with a new name or region, every module both answer sets render is destroyed and created again
    kept = (
        sorted(_rendered_modules(previous) & _rendered_modules(new)) if replaced else []
    )
    return {
        "removed": removed,
        "replaced": replaced,
        "replaced_modules": kept,
        "reasons": destroy_reasons(previous, new),
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
    lines = [f"  because of: {'; '.join(found['reasons'])}"]
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
            "nimbus: refused: these answers would DESTROY Azure resources.",
            summary(found, project),
            "Nothing was changed.",
            "To keep them: run the update again without that change (the current answers are in .copier-answers.yml).",
            "To destroy them: back up what you need first (docs/upgrading.md, 'Removing a service'), then confirm with",
            "  copier update --trust --data allow_destroy=true <the same options>",
            "or answer yes to the allow_destroy question.",
        ]
    )


def pending(context: Any) -> bool:
    """Prompt phase: would the answers given so far destroy something? (the `when` of allow_destroy)"""
    return plan(cached_previous_answers(context), nimbus_answers.answers_from(context)) is not None


def pending_summary(context: Any) -> str:
    found = plan(cached_previous_answers(context), nimbus_answers.answers_from(context))
    return "\n" + summary(found, str(context.get("project_name"))) + "\n  Destroy them?" if found else ""


def check(context: Any, given: dict[str, Any] | None = None) -> None:
    """Render phase: refuse a destructive answer change unless allow_destroy is true; announce it when it is.

    `given`: the contract answers of `context`, when the caller has already read them.
    """
    if str(context.get("_copier_phase")) != "render":
        return
    conf = context.get("_copier_conf")
    found = plan(cached_previous_answers(context), given or nimbus_answers.answers_from(context))
    if not found:
        return
    project = str(context.get("project_name"))
    if context.get("allow_destroy") is True:
        key = (str(conf["dst_path"]), repr(found))
        if key not in _announced:
            _announced.add(key)
            print(
                f"nimbus: allow_destroy confirmed: these answers DESTROY Azure resources.\n{summary(found, project)}",
                file=sys.stderr,
            )
        return
    from copier.errors import UserMessageError

    migrations.rollback(Path(str(conf["dst_path"])))
    raise UserMessageError(refusal(found, project))
