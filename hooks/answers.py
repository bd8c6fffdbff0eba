"""Validation of nimbus answers and the values derived from them.

This module is the single place where the answer contract is checked and where derived values
(modules to render, runtime versions, naming rules) are computed. The Jinja extension, the post-copy
task and the tests all import it; the facts themselves live in the JSON files under ``hooks/data``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

# The answer contract's keys, in the order copier asks them (copier.yml).
CONTRACT_KEYS = (
    "project_name",
    "azure_region",
    "compute",
    "runtime",
    "java_build_tool",
    "database",
    "addons",
    "network",
    "gitops",
    "env_branch_prefix",
)


def plain(value: Any) -> Any:
    """Copier hands multiselect answers over as lists; Jinja contexts may hold other sequences."""
    return list(value) if isinstance(value, (tuple, set)) else value


def answers_from(context: Any) -> dict[str, Any]:
    """The contract's answers out of a render context (or any mapping), as plain values."""
    return {key: plain(context.get(key)) for key in CONTRACT_KEYS}


# A branch prefix ends with one of these so that `<prefix><environment>` reads as two parts.
BRANCH_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_/-]*[-_/]$")
BRANCH_PREFIX_MAX_LENGTH = 40


@cache
def load(name: str) -> dict[str, Any]:
    """Read one data file (``hooks/data/<name>.json``), without its ``_comment``."""
    data = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    data.pop("_comment", None)
    return data


def regions() -> dict[str, str]:
    return load("regions")["regions"]


def flex_consumption_regions() -> list[str]:
    return load("regions")["flex_consumption"]


def runtimes() -> dict[str, dict[str, Any]]:
    return load("runtimes")


def java_runtimes() -> list[str]:
    return [name for name, spec in runtimes().items() if spec["family"] == "java"]


def services() -> dict[str, Any]:
    return load("services")


def naming(scheme: str | int | None = None) -> dict[str, Any]:
    """The rules of one naming scheme (default: the one new projects get), as nimbus.json carries them: name
    rules, resource group, state key, ownership record, hash, name patterns and the Azure limits."""
    data = load("naming")
    key = str(scheme if scheme not in (None, "") else data["current"])
    if key not in data["schemes"]:
        raise KeyError(f"naming_scheme {key!r} is not one of {sorted(data['schemes'])}")
    return {
        **data["schemes"][key],
        "scheme": key,
        "max_length": data["max_length"],
        "repository_token": {"pattern": data["repository_token"]["pattern"]},
    }


def naming_schemes() -> list[str]:
    return sorted(load("naming")["schemes"])


def new_repository_token() -> str:
    """A fresh repository token: a letter, then letters and digits (names with it start with a letter)."""
    import secrets

    rules = load("naming")["repository_token"]
    letters = [c for c in rules["alphabet"] if c.isalpha()]
    return secrets.choice(letters) + "".join(secrets.choice(rules["alphabet"]) for _ in range(rules["length"] - 1))


def check_repository_token(value: Any) -> str:
    rules = load("naming")["repository_token"]
    if isinstance(value, str) and re.fullmatch(rules["pattern"], value):
        return ""
    return (
        f"repository_token {value!r} is not allowed; use {rules['length']} lowercase letters and digits starting "
        "with a letter (each repository needs its own: a fork or copy of a project must not reuse the original's)."
    )


def check_naming_scheme(value: Any, project_name: Any = None) -> str:
    """The scheme exists, and the project name fits it (scheme 1 allows shorter names than later schemes)."""
    if str(value) not in naming_schemes():
        return f"naming_scheme {value!r} is not one of the allowed values: {_allowed(naming_schemes())}."
    rules = naming(value)["project_name"]
    if project_name is not None and check_name("project_name", project_name, rules):
        return (
            f"project_name {project_name!r} does not fit naming scheme {value} ({rules['min_length']} to "
            f"{rules['max_length']} characters): keep a shorter name, or adopt the current naming scheme first "
            "(docs/upgrading.md, 'Adopting naming scheme 2')."
        )
    return ""


def resource_names(rules: dict[str, Any], token: str, project: str, environment: str, subscription: str) -> dict:
    """Every resource name of one environment under one naming scheme (`rules` = naming(scheme)); the same
    computation as terraform/naming.tf (tests/test_terraform.py runs both and compares)."""
    import hashlib

    hash_input = (
        rules["hash"]["input"]
        .replace("{subscription}", subscription)
        .replace("{token}", token)
        .replace("{project}", project)
        .replace("{environment}", environment)
    )
    suffix = hashlib.new(rules["hash"]["function"], hash_input.encode()).hexdigest()[: rules["suffix_length"]]
    parts = {
        "project": project,
        "environment": environment,
        "project_compact": project.replace("-", ""),
        "environment_compact": environment.replace("-", ""),
        "token": token,
        "suffix": suffix,
        "short_suffix": suffix[:-1],
    }
    readable = f"{project}-{environment}"
    names = {}
    for key, pattern in {"resource_group": rules["resource_group"], **rules["names"]}.items():
        name = pattern
        for placeholder, value in parts.items():
            name = name.replace("{" + placeholder + "}", value)
        fixed = len(name.replace("{readable}", "").replace("{readable_compact}", ""))
        room = max(1, rules["max_length"][key] - fixed)
        name = name.replace("{readable}", readable[:room].rstrip("-"))
        name = name.replace("{readable_compact}", readable.replace("-", "")[:room])
        names[key] = name
    return names


def _allowed(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def check_name(field: str, value: Any, rules: dict[str, Any]) -> str:
    """Check a project or environment name against its rules from naming.json; '' when valid."""
    if not isinstance(value, str) or not value:
        return f"{field} must not be empty: use {rules['min_length']} to {rules['max_length']} lowercase letters, digits and hyphens."
    length = len(value)
    shape = (
        f"{rules['min_length']} to {rules['max_length']} characters: lowercase letters, digits and single hyphens, "
        "starting with a letter and ending with a letter or digit"
    )
    if length < rules["min_length"] or length > rules["max_length"]:
        return f"{field} {value!r} has {length} characters; allowed: {shape}."
    if not re.fullmatch(rules["pattern"], value) or "--" in value:
        return f"{field} {value!r} is not allowed; use {shape}."
    return ""


def check_project_name(value: Any) -> str:
    return check_name("project_name", value, naming()["project_name"])


def check_region(value: Any) -> str:
    known = regions()
    if value in known:
        return ""
    hint = ""
    if isinstance(value, str):
        squashed = re.sub(r"[^a-z0-9]", "", value.lower())
        if squashed in known:
            hint = f" Did you mean '{squashed}'?"
    return (
        f"azure_region {value!r} is not an Azure region short name.{hint} "
        f"Use a name like 'eastus' or 'westeurope'; the full list is in docs/reference/answers.md."
    )


def check_choice(field: str, value: Any, choices) -> str:
    if value in choices:
        return ""
    return f"{field} {value!r} is not one of the allowed values: {_allowed(choices)}."


def check_addons(value: Any) -> str:
    known = list(services()["addons"])
    if not isinstance(value, (list, tuple)):
        return f"addons must be a list of add-ons (any of {_allowed(known)}), not {value!r}."
    unknown = [item for item in value if item not in known]
    if unknown:
        return f"addons {_allowed(unknown)} not known; allowed add-ons: {_allowed(known)}."
    if len(set(value)) != len(value):
        return f"addons lists an add-on twice: {list(value)!r}."
    return ""


def check_env_branch_prefix(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not BRANCH_PREFIX_PATTERN.fullmatch(value)
        or len(value) > BRANCH_PREFIX_MAX_LENGTH
        or "//" in value
        or value.startswith(("/", "-"))
        or value.startswith("refs/")
    ):
        return (
            f"env_branch_prefix {value!r} is not allowed; use up to {BRANCH_PREFIX_MAX_LENGTH} letters, digits, "
            "'-', '_' or '/' ending with '-', '_' or '/', not starting with 'refs/' (for example 'env-' or 'env/')."
        )
    return ""


def check_combination(answers: dict[str, Any]) -> str:
    """Refuse the answer combinations that cannot work on Azure; '' when the combination is fine."""
    compute, runtime, region = answers.get("compute"), answers.get("runtime"), answers.get("azure_region")
    if (
        compute == "functions"
        and runtime != "docker"
        and region in regions()
        and region not in flex_consumption_regions()
    ):
        return (
            f"compute 'functions' with runtime {runtime!r} runs on a Flex Consumption plan, which azure_region "
            f"{region!r} does not offer. Pick azure_region among {_allowed(flex_consumption_regions())}, "
            "or compute 'app_service' or 'container_apps' in this region."
        )
    return ""


def validate(answers: dict[str, Any]) -> list[str]:
    """Every problem with a full answer set (used by tests and the post-copy task); empty when valid."""
    problems = [
        check_project_name(answers.get("project_name")),
        check_region(answers.get("azure_region")),
        check_choice("compute", answers.get("compute"), services()["compute"]),
        check_choice("runtime", answers.get("runtime"), runtimes()),
        check_choice("database", answers.get("database"), services()["database"]),
        check_addons(answers.get("addons", [])),
        check_choice("network", answers.get("network"), services()["network"]),
    ]
    if answers.get("runtime") in java_runtimes():
        problems.append(check_choice("java_build_tool", answers.get("java_build_tool"), ["maven", "gradle"]))
    if answers.get("gitops"):
        problems.append(check_env_branch_prefix(answers.get("env_branch_prefix")))
    problems.append(check_combination(answers))
    return [problem for problem in problems if problem]


def default_project_name(folder_name: str) -> str:
    """A valid project_name made from the destination folder's name (falls back to 'my-app')."""
    rules = naming()["project_name"]
    name = re.sub(r"[^a-z0-9]+", "-", folder_name.lower())
    name = re.sub(r"^[^a-z]+", "", name)[: rules["max_length"]].strip("-")
    return name if not check_project_name(name) else "my-app"


def modules_for(answers: dict[str, Any]) -> list[str]:
    """The Terraform modules (folders under terraform/modules) that these answers render."""
    catalogue = services()
    chosen = list(catalogue["always"])
    chosen.append(catalogue["compute"][answers["compute"]]["module"])
    for field in ("database", "network"):
        module = catalogue[field][answers[field]]["module"]
        if module:
            chosen.append(module)
    chosen.extend(catalogue["addons"][addon]["module"] for addon in answers.get("addons") or [])
    if needs_container_registry(answers):
        chosen.append(catalogue["container_registry_module"])
    return sorted(chosen)


def all_modules() -> list[str]:
    """Every module the template can render."""
    catalogue = services()
    names = set(catalogue["always"]) | {catalogue["container_registry_module"]}
    for field in ("compute", "database", "network", "addons"):
        names |= {spec["module"] for spec in catalogue[field].values() if spec["module"]}
    return sorted(names)


def needs_container_registry(answers: dict[str, Any]) -> bool:
    """Container Apps always run an image; App Service and Functions do for the docker runtime."""
    return answers["compute"] == "container_apps" or answers["runtime"] == "docker"


# Diagram nodes that are not Terraform modules.
DIAGRAM_EXTRA_NODES = ("developer", "actions", "identity")
_DATA_MODULES = ("postgresql", "mysql", "sql_server", "redis", "storage_blob", "cosmosdb_mongodb", "key_vault")


def diagram(answers: dict[str, Any], modules: list[str]) -> str:
    """A mermaid flowchart of the Azure resources these answers create (one node per module)."""
    labels = services()["module_resources"]
    compute = services()["compute"][answers["compute"]]["module"]
    lines = ["flowchart LR"]
    if answers.get("gitops"):
        lines += [
            f'  developer(["git push {answers["env_branch_prefix"]}alice"])',
            '  actions["GitHub Actions"]',
            "  developer --> actions",
            f"  actions -- terraform apply, deploy --> {compute}",
        ]
    lines.append('  subgraph environment["Resource group per environment"]')
    lines.append('    identity["User-assigned managed identity"]')
    for module in modules:
        shape = ('[("', '")]') if module in _DATA_MODULES else ('["', '"]')
        lines.append(f"    {module}{shape[0]}{labels[module]}{shape[1]}")
    lines.append("  end")
    lines.append(f"  {compute} -- runs as --> identity")
    for module in modules:
        if module in _DATA_MODULES:
            lines.append(f"  {compute} --> {module}")
    if "container_registry" in modules:
        lines.append(f"  {compute} -- pulls image --> container_registry")
    if "application_insights" in modules:
        lines.append(f"  {compute} -- telemetry --> application_insights")
        lines.append("  application_insights --> log_analytics")
    lines.append(f"  {compute} -- logs --> log_analytics")
    if "network" in modules:
        lines.append(f"  network -. VNet integration .- {compute}")
        lines += [f"  network -. private endpoint .- {module}" for module in modules if module in _DATA_MODULES]
    return "\n".join(lines)


def derive(answers: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates need beyond the raw answers, computed once."""
    runtime = runtimes()[answers["runtime"]]
    chosen = modules_for(answers)
    is_java = runtime["family"] == "java"
    return {
        "modules": {name: name in chosen for name in all_modules()},
        "module_list": chosen,
        "runtime_family": runtime["family"],
        "runtime_version": runtime["version"],
        "java_build_tool": answers.get("java_build_tool") if is_java else None,
        "container_registry": needs_container_registry(answers),
        # Image-based apps of a runtime (not `docker`) get a Dockerfile that packages what the build job made.
        "generated_dockerfile": needs_container_registry(answers) and runtime["family"] != "docker",
        "vnet": answers["network"] == "vnet",
        "naming": naming(),
        "diagram": diagram(answers, chosen),
    }


# ----------------------------------------------------------------------------------------------------
# Changing answers on a live project (docs/upgrading.md): what a new answer set takes away.
# ----------------------------------------------------------------------------------------------------

# A change of one of these renames or relocates every Azure resource: each one is destroyed and created again.
REPLACING_FIELDS = ("project_name", "azure_region")


def _rendered_modules(answers: dict[str, Any]) -> set[str]:
    """modules_for() that tolerates an answer set from another template version (unknown values: no modules)."""
    try:
        return set(modules_for(answers))
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
