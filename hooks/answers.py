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


def catalogue() -> dict[str, dict[str, Any]]:
    """Every module of the service catalogue (services.json `modules`), by name."""
    return services()["modules"]


def data_services() -> list[str]:
    """The modules the app keeps data in (private endpoint with network = vnet, a cylinder in the diagram)."""
    return [name for name, spec in catalogue().items() if spec["data_service"]]


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
    """Every module the template can render: the catalogue's."""
    return sorted(catalogue())


def needs_container_registry(answers: dict[str, Any]) -> bool:
    """Container Apps always run an image; App Service and Functions do for the docker runtime."""
    return answers["compute"] == "container_apps" or answers["runtime"] == "docker"


# Diagram nodes that are not Terraform modules.
DIAGRAM_EXTRA_NODES = ("developer", "actions", "identity")


def diagram(answers: dict[str, Any], modules: list[str]) -> str:
    """A mermaid flowchart of the Azure resources these answers create (one node per module)."""
    data = data_services()
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
        shape = ('[("', '")]') if module in data else ('["', '"]')
        lines.append(f"    {module}{shape[0]}{catalogue()[module]['resources']}{shape[1]}")
    lines.append("  end")
    lines.append(f"  {compute} -- runs as --> identity")
    for module in modules:
        if module in data:
            lines.append(f"  {compute} --> {module}")
    if "container_registry" in modules:
        lines.append(f"  {compute} -- pulls image --> container_registry")
    if "application_insights" in modules:
        lines.append(f"  {compute} -- telemetry --> application_insights")
        lines.append("  application_insights --> log_analytics")
    lines.append(f"  {compute} -- logs --> log_analytics")
    if "network" in modules:
        lines.append(f"  network -. VNet integration .- {compute}")
        lines += [f"  network -. private endpoint .- {module}" for module in modules if module in data]
    return "\n".join(lines)


# Root variables (template/terraform/variables.tf) behind the provenance tags; gitops.py passes them on every plan.
PROVENANCE_VARIABLES = ("nimbus_actor", "nimbus_branch", "nimbus_commit")


def app_subnet_delegation(answers: dict[str, Any]) -> str:
    """The service the app subnet is delegated to (network = vnet): App Service plans (and a containerised
    Function App on one) integrate through Microsoft.Web, Container Apps and Flex Consumption through Microsoft.App."""
    if answers["compute"] == "app_service" or (answers["compute"] == "functions" and answers["runtime"] == "docker"):
        return "Microsoft.Web/serverFarms"
    return "Microsoft.App/environments"


def resource_providers(answers: dict[str, Any], modules: list[str]) -> list[str]:
    """The resource provider namespaces Terraform registers: the root's, each module's, the subnet delegation's."""
    names = set(services()["root_resource_providers"])
    for module in modules:
        names.update(catalogue()[module]["resource_providers"])
    if answers["network"] == "vnet":
        names.add(app_subnet_delegation(answers).split("/")[0])
    return sorted(names, key=str.lower)


def moved_into_shared_modules(modules: list[str]) -> list[dict[str, str]]:
    """The root's `moved {}` blocks (terraform/moved.tf) for these modules, in catalogue order: each resource a
    module declared itself up to 0.2.0 and a shared module (services.json `shared_modules`) now creates for it."""
    shared = services()["shared_modules"].values()
    return [
        {"from": f"module.{module}.{spec['moved_from'][module]}", "to": f"module.{module}.{spec['address']}"}
        for module in catalogue()
        if module in modules
        for spec in shared
        if module in spec["moved_from"]
    ]


def assignable_roles() -> dict[str, str]:
    """Role name -> role definition id of every role a catalogue module's Terraform grants (every module, not only
    a project's: the condition `gitops.py setup` puts on the CI identity then still holds when a service is added)."""
    ids = services()["role_definition_ids"]
    granted = {role for spec in catalogue().values() for role in spec.get("roles", [])}
    return {role: ids[role] for role in sorted(granted)}


def derive(answers: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates need beyond the raw answers, computed once."""
    runtime = runtimes()[answers["runtime"]]
    chosen = modules_for(answers)
    is_java = runtime["family"] == "java"
    data = data_services()
    return {
        # the catalogue entry of each module this project renders (main.tf, providers.tf, the modules README)
        "catalogue": {name: catalogue()[name] for name in chosen},
        # data services the root module calls with its one data-service block, and those with a private endpoint
        # (in catalogue order, so that a rendered main.tf keeps its order when a service is added)
        "data_modules": [name for name in data if name in chosen and not catalogue()[name].get("own_root_block")],
        "private_endpoint_modules": [
            name for name, spec in catalogue().items() if name in chosen and spec.get("private_dns_zone")
        ],
        # app_settings input => the rendered module whose `app_settings` output fills it (one database at most)
        "app_settings_inputs": {
            spec["app_settings"]: name
            for name, spec in catalogue().items()
            if name in chosen and spec.get("app_settings")
        },
        "resource_providers": resource_providers(answers, chosen),
        "moved": moved_into_shared_modules(chosen),
        "assignable_roles": assignable_roles(),
        # root variables gitops.py gives values (nimbus.json): the provenance tags always, this machine's address
        # when a Key Vault sits behind its firewall (network = vnet) and must admit the deployer
        "root_variables": [
            *PROVENANCE_VARIABLES,
            *(["deployer_ip_ranges"] if answers["network"] == "vnet" and "key_vault" in chosen else []),
        ],
        "app_subnet_delegation": app_subnet_delegation(answers) if answers["network"] == "vnet" else None,
        # the compute service as flags, for workflows (never compare raw answers there)
        "app_service": answers["compute"] == "app_service",
        "container_apps": answers["compute"] == "container_apps",
        "functions": answers["compute"] == "functions",
        "flex_consumption": answers["compute"] == "functions" and runtime["family"] != "docker",
        "docker": runtime["family"] == "docker",
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
