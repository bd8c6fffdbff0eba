"""The Terraform of a rendered project: the root module (template/terraform/*.tf[.jinja]) and the compute,
network, registry, Log Analytics and app-settings modules.

Per answer set (tests/matrix.py): every .tf parses (python-hcl2), exactly the modules of `nimbus.module_list`
are rendered, the offline validator (tests/tfcheck: azurerm 5.x schema, references, `terraform fmt`) finds
nothing, every taggable resource is tagged, the resource providers registered are exactly the ones the
resources need, modules configure no provider, every module variable is described and validated, and
network = vnet puts everything behind the network. Once for all answer sets: the resource names fit every
Azure service's rules for the longest (and shortest) project and environment names, and checkov, one process
over every rendered project, reports no failed check. With a terraform binary on PATH, Terraform itself
evaluates the names and the app_settings module (both need no provider, so they run offline).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import hcl2
import pytest

import answers as nimbus_answers
from conftest import (
    ANSWER_SETS,
    CHECKOV_SKIP,
    ROOT,
    TEMPLATE_MODULES,
    TEST_VERSION,
    applied_checkov_skips,
    checkov,
    checkov_results,
    declared_checkov_skips,
    module_of_folder,
    module_readme,
    run_terraform,
    template_module_folder,
)
from test_terraform_data_modules import COMMON_VARIABLES
from tfcheck import check_terraform_dir, load_schema
from tfcheck.rules import check_rules

TEMPLATE_TF = ROOT / "template" / "terraform"
NAMES = sorted(ANSWER_SETS)
needs_terraform = pytest.mark.usefixtures("terraform_binary")  # fails, never skips, without terraform

# Modules owned by the root module's author; app_settings is a helper every project has (it creates nothing,
# so it is not one of nimbus.module_list's services).
HELPER_MODULES = {"app_settings"}
# Modules the service modules call (one private endpoint, one diagnostic setting): always rendered, not called
# by the root (hooks/data/services.json `shared_modules`).
SHARED_MODULES = set(nimbus_answers.services()["shared_modules"])
HELPER_MODULES |= SHARED_MODULES
# From the service catalogue (hooks/data/services.json): modules the root calls with its own arguments (no
# data-service interface), and the services that get a private endpoint with network = vnet.
SERVICE_MODULES = {
    spec["module"]
    for field in ("database", "addons")
    for spec in nimbus_answers.services()[field].values()
    if spec["module"]
}
ROOT_OWNED_MODULES = sorted(set(nimbus_answers.all_modules()) - SERVICE_MODULES | HELPER_MODULES)
PRIVATE_ENDPOINT_MODULES = [
    name for name, spec in nimbus_answers.catalogue().items() if spec.get("private_dns_zone")
]
TAGS = {"environment", "project", "managed-by", "nimbus-version", "created-by"}
# The resource group alone also says from which branch and commit the environment was last applied.
GROUP_TAGS = {"last-applied-branch", "last-applied-commit"}

# -------------------------------------------------------------------------------------------------------------
# Azure naming rules, per key of naming.tf's name_patterns: (min length, max length, pattern, globally unique).
# Sources: "Naming rules and restrictions for Azure resources" (learn.microsoft.com) and the azurerm validators.
# -------------------------------------------------------------------------------------------------------------
NAME_RULES = {
    "resource_group": (1, 90, r"^[-\w.()]*[-\w()]$", False),
    "identity": (3, 128, r"^[A-Za-z0-9][A-Za-z0-9_-]*$", False),
    "log_analytics": (4, 63, r"^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$", False),
    "application_insights": (1, 260, r"^[^%&\\?/]+$", False),
    "virtual_network": (2, 64, r"^[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_]$", False),
    "service_plan": (1, 60, r"^[A-Za-z0-9-]+$", False),
    "web_app": (2, 60, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", True),
    # 32, not 60: the Functions host ID is the name cut to 32 characters, and must stay unique.
    "function_app": (2, 32, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", True),
    "function_storage": (3, 24, r"^[a-z0-9]+$", True),
    "container_app_environment": (2, 60, r"^[a-z][a-z0-9-]*[a-z0-9]$", False),
    "container_app": (2, 32, r"^[a-z][a-z0-9-]*[a-z0-9]$", False),
    "container_registry": (5, 50, r"^[A-Za-z0-9]+$", True),
    "key_vault": (3, 24, r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$", True),
    "postgresql": (3, 63, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", True),
    "mysql": (3, 63, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", True),
    "sql_server": (1, 63, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", True),
    "redis": (1, 60, r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$", True),
    "storage_blob": (3, 24, r"^[a-z0-9]+$", True),
    "cosmosdb_mongodb": (3, 44, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", True),
}
# Rules that also forbid two hyphens in a row.
NO_DOUBLE_HYPHEN = {"container_app_environment", "container_app", "key_vault", "redis"}
# Names in one global namespace: two resources of an environment must never get the same one.
SAME_NAMESPACE = [("function_storage", "storage_blob")]

# -------------------------------------------------------------------------------------------------------------
# Resource provider namespace of each azurerm resource type (prefix match, longest first); None: registered in
# every subscription (Microsoft.Resources, Microsoft.Authorization). Providers other than azurerm create no
# Azure resource.
# -------------------------------------------------------------------------------------------------------------
RESOURCE_PROVIDERS = {
    "azurerm_resource_group": None,
    "azurerm_role_assignment": None,
    "azurerm_user_assigned_identity": "Microsoft.ManagedIdentity",
    "azurerm_log_analytics_": "Microsoft.OperationalInsights",
    # spelled as the provider's own registration sets spell it: its lookup is case-sensitive
    "azurerm_application_insights": "microsoft.insights",
    "azurerm_monitor_": "microsoft.insights",
    "azurerm_service_plan": "Microsoft.Web",
    "azurerm_linux_web_app": "Microsoft.Web",
    "azurerm_linux_function_app": "Microsoft.Web",
    "azurerm_function_app_flex_consumption": "Microsoft.Web",
    "azurerm_container_app": "Microsoft.App",
    "azurerm_container_registry": "Microsoft.ContainerRegistry",
    "azurerm_storage_": "Microsoft.Storage",
    "azurerm_virtual_network": "Microsoft.Network",
    "azurerm_subnet": "Microsoft.Network",
    "azurerm_network_security_": "Microsoft.Network",
    "azurerm_private_dns_zone": "Microsoft.Network",
    "azurerm_private_endpoint": "Microsoft.Network",
    "azurerm_postgresql_flexible_server": "Microsoft.DBforPostgreSQL",
    "azurerm_mysql_flexible_": "Microsoft.DBforMySQL",
    "azurerm_mssql_": "Microsoft.Sql",
    "azurerm_key_vault": "Microsoft.KeyVault",
    "azurerm_managed_redis": "Microsoft.Cache",
    "azurerm_cosmosdb_": "Microsoft.DocumentDB",
}
NON_AZURE_PROVIDERS = ("random_", "time_", "terraform_data")
# Declared in every data module but created only with network = vnet (count = 0 otherwise).
VNET_ONLY_TYPES = {"azurerm_private_endpoint"}
# Data-plane objects: their "tags" are metadata inside the service, not Azure resource tags.
DATA_PLANE_TYPES = {"azurerm_key_vault_secret", "azurerm_key_vault_key", "azurerm_key_vault_certificate"}


# -- helpers ---------------------------------------------------------------------------------------------------
def normalise(value):
    """python-hcl2 8.x output, simplified: labels and string literals unquoted, its "__...__" markers dropped.
    Expressions stay "${...}"."""
    if isinstance(value, dict):
        return {normalise(key): normalise(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value[1:-1]
    return value


@cache
def _parse(text: str) -> dict:
    return normalise(hcl2.loads(text))


def parse(path: Path) -> dict:
    return _parse(path.read_text(encoding="utf-8"))


def unwrap(value):
    """The text of an expression ("${x}" -> "x"); literals are returned as they are."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def blocks(data: dict, kind: str):
    """Every `kind` block of a parsed file: (type, name, body) for resource / data, (label, body) otherwise."""
    for entry in data.get(kind, []):
        for label, body in entry.items():
            if kind in ("resource", "data"):
                for name, inner in body.items():
                    yield label, name, inner
            else:
                yield label, body


def tf_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.tf"))


def root_module_calls(project: Path) -> dict:
    calls = {}
    for path in tf_files(project / "terraform"):
        for name, body in blocks(parse(path), "module"):
            calls[name] = body
    return calls


def rendered_modules(project: Path) -> list[str]:
    return sorted(path.name for path in (project / "terraform" / "modules").iterdir() if path.is_dir())


def module_variables(module_path: Path) -> dict:
    return {name: body for path in tf_files(module_path) for name, body in blocks(parse(path), "variable")}


def proven_azurerm() -> str:
    """`~> X.Y`: the azurerm release the checked-in schema (and so every check here) comes from."""
    major, minor, _ = load_schema().providers["azurerm"].version.split(".")
    return f"~> {major}.{minor}"


def registered_providers(project: Path) -> tuple[str, list[str]]:
    (provider,) = [
        body for name, body in blocks(parse(project / "terraform" / "providers.tf"), "provider") if name == "azurerm"
    ]
    return provider["resource_provider_registrations"], provider["resource_providers_to_register"]


def resource_provider_of(resource_type: str) -> str | None:
    for prefix in sorted(RESOURCE_PROVIDERS, key=len, reverse=True):
        if resource_type.startswith(prefix):
            return RESOURCE_PROVIDERS[prefix]
    raise AssertionError(f"{resource_type}: unknown resource provider, add it to RESOURCE_PROVIDERS")


# -- naming ----------------------------------------------------------------------------------------------------
SCHEMES = nimbus_answers.naming_schemes()
SUBSCRIPTION_ID = "5f3c1d2e-0000-4000-8000-123456789abc"
TOKENS = ("a00000", "zzzzzz", "q1w2e3")


def names_of(scheme: str, project: str, environment: str, token: str = TOKENS[0]) -> dict[str, str]:
    return nimbus_answers.resource_names(nimbus_answers.naming(scheme), token, project, environment, SUBSCRIPTION_ID)


def extreme_names(scheme: str) -> list[tuple[str, str]]:
    """Shortest and longest project / environment names of a scheme, with and without hyphens."""
    rules = nimbus_answers.naming(scheme)
    p_min, p_max = rules["project_name"]["min_length"], rules["project_name"]["max_length"]
    e_min, e_max = rules["environment"]["min_length"], rules["environment"]["max_length"]
    projects = ["a" * p_min, "z" * p_max, ("ab-" * p_max)[: p_max - 1] + "9", ("a-" * p_max)[: p_max - 1] + "9"]
    environments = ["a" * e_min, "z" * e_max, ("a1-" * e_max)[: e_max - 1] + "9", ("b-" * e_max)[: e_max - 1] + "9"]
    pairs = [(project, environment) for project in projects for environment in environments]
    for project, environment in pairs:
        assert not nimbus_answers.check_name("project_name", project, rules["project_name"]), project
        assert not nimbus_answers.check_name("environment", environment, rules["environment"]), environment
    return pairs


def name_pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """Generated (project, environment) pairs of scheme 2, with every moved-hyphen twin of each pair: shop-eu +
    alice and shop + eu-alice join to the same text."""
    rules = nimbus_answers.naming("2")
    rng = random.Random(seed)
    pairs = set()
    while len(pairs) < count:
        words = [rng.choice(["eu", "us", "api", "shop", "a", "b1", "feature", "login", "x" * rng.randint(1, 9)])
                 for _ in range(rng.randint(2, 6))]  # fmt: skip
        for cut in range(1, len(words)):
            project, environment = "-".join(words[:cut]), "-".join(words[cut:])
            if not (
                nimbus_answers.check_name("project_name", project, rules["project_name"])
                or nimbus_answers.check_name("environment", environment, rules["environment"])
            ):
                pairs.add((project, environment))
    return sorted(pairs)


def test_every_name_has_an_azure_rule():
    for scheme in SCHEMES:
        assert set(names_of(scheme, "shop", "alice")) == set(NAME_RULES), scheme


def test_names_are_at_least_20_characters_long_for_projects_and_environments():
    rules = nimbus_answers.naming()
    assert rules["project_name"]["max_length"] >= 20 and rules["environment"]["max_length"] >= 20


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("key", sorted(NAME_RULES))
def test_name_fits_its_azure_rule_for_the_extreme_project_and_environment_names(scheme, key):
    minimum, maximum, pattern, global_name = NAME_RULES[key]
    rules = nimbus_answers.naming(scheme)
    assert rules["max_length"][key] == maximum, f"{key}: naming.json's max_length is not Azure's"
    template = rules["resource_group"] if key == "resource_group" else rules["names"][key]
    if global_name:
        assert re.search(r"\{(suffix|short_suffix)\}", template), f"{key}: a global name needs the unique suffix"
    for project, environment in extreme_names(scheme):
        for token in TOKENS:
            name = names_of(scheme, project, environment, token)[key]
            assert minimum <= len(name) <= maximum, f"{key}: {name!r} has {len(name)} characters ({minimum}-{maximum})"
            assert re.fullmatch(pattern, name), f"{key}: {name!r} does not match {pattern}"
            if key in NO_DOUBLE_HYPHEN:
                assert "--" not in name, f"{key}: {name!r} has two hyphens in a row"
        # readable names stay whole where Azure's limit allows it
        whole = names_of(scheme, project, environment)[key]
        if len(template.replace("{readable}", f"{project}-{environment}")) <= maximum and "{readable}" in template:
            assert f"{project}-{environment}" in whole, whole


def test_names_sharing_a_global_namespace_never_collide():
    for scheme in SCHEMES:
        for first, second in SAME_NAMESPACE:
            for project, environment in extreme_names(scheme):
                names = names_of(scheme, project, environment)
                assert names[first] != names[second]


def test_every_name_is_distinct_across_projects_environments_and_repositories():
    """Property test: for many generated pairs, moved hyphens included, no two (token, project, environment)
    share a resource group or a globally unique name; names Azure scopes to a resource group (identity, plan,
    workspace...) are unique with their group."""
    pairs = name_pairs(400, seed=11)
    assert ("shop-eu", "alice") in pairs or any("-" in project for project, _ in pairs)
    twins = {}
    for project, environment in pairs:
        twins.setdefault(f"{project}-{environment}", []).append((project, environment))
    assert sum(len(group) > 1 for group in twins.values()) > 100, "the generator makes moved-hyphen twins"
    pairs += [("shop-eu", "alice"), ("shop", "eu-alice")]
    for key, (_, _, _, global_name) in NAME_RULES.items():
        seen: dict[str, tuple] = {}
        for token in TOKENS:
            for project, environment in pairs:
                names = names_of("2", project, environment, token)
                name = names[key] if global_name or key == "resource_group" else (names["resource_group"], names[key])
                assert name not in seen, f"{key}: {name!r} for {(token, project, environment)} and {seen[name]}"
                seen[name] = (token, project, environment)
    assert names_of("2", "shop-eu", "alice")["resource_group"] == "rg-shop-eu--alice-a00000"
    assert names_of("2", "shop", "eu-alice")["resource_group"] == "rg-shop--eu-alice-a00000"


def test_the_same_pair_always_gets_the_same_names():
    assert names_of("2", "inventory-svc", "feature-login") == names_of("2", "inventory-svc", "feature-login")
    assert names_of("2", "api", "dev", "q1w2e3") != names_of("2", "api", "dev", "zzzzzz")


def terraform_names(scheme: str, token: str, project: str, environments: list[str], folder: Path) -> dict:
    """naming.tf evaluated by Terraform itself (`terraform console`, no provider needed: the subscription ID is
    given as a local), for each environment; an environment Terraform refuses maps to its stderr."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TEMPLATE_TF / "naming.tf", folder)
    shutil.copy(TEMPLATE_TF / "variables.tf", folder)
    settings = {"project": project, "region": "eastus", "repository_token": token,
                "naming": nimbus_answers.naming(scheme)}  # fmt: skip
    (folder / "nimbus.json").write_text(json.dumps(settings))
    (folder / "stub.tf").write_text(f'locals {{\n  subscription_id = "{SUBSCRIPTION_ID}"\n}}\n')
    found = {}
    for environment in environments:
        result = run_terraform(
            folder, "console", f"-var=environment={environment}", input="jsonencode(local.names)\n", check=False
        )
        found[environment] = json.loads(json.loads(result.stdout.strip())) if result.returncode == 0 else result.stderr
    return found


@needs_terraform
@pytest.mark.parametrize("scheme", SCHEMES)
def test_terraform_computes_the_names_python_expects(tmp_path, scheme):
    """Terraform evaluates naming.tf (and the environment validation of variables.tf) for real, for the extreme
    names and for generated pairs with moved hyphens."""
    cases = extreme_names(scheme)
    if scheme == "2":
        cases += name_pairs(12, seed=5)
    by_project: dict[str, list[str]] = {}
    for project, environment in cases:
        by_project.setdefault(project, []).append(environment)
    checked = 0
    for index, (project, environments) in enumerate(sorted(by_project.items())):
        computed = terraform_names(scheme, "q1w2e3", project, environments, tmp_path / str(index))
        for environment in environments:
            expected = nimbus_answers.resource_names(
                nimbus_answers.naming(scheme), "q1w2e3", project, environment, SUBSCRIPTION_ID
            )
            assert computed[environment] == expected, (project, environment)
            checked += 1
    assert checked >= 16
    too_long = "a" * (nimbus_answers.naming(scheme)["environment"]["max_length"] + 1)
    refused = terraform_names(scheme, "q1w2e3", "shop", ["a--b", "9abc", too_long, "ab-", "Alice"], tmp_path / "bad")
    for environment, result in refused.items():
        assert isinstance(result, str) and "is not allowed" in result, environment


def test_key_vault_firewall_addresses_are_left_to_the_run_that_adds_them():
    """gitops.py admits the runner's address for one run and removes it (tests/test_gitops_cli.py); Terraform must
    neither report those addresses as drift nor put one back for good."""
    main = template_module_folder("key_vault") / "main.tf"
    (vault,) = [body for kind, name, body in blocks(parse(main), "resource") if kind == "azurerm_key_vault"]
    (lifecycle,) = vault["lifecycle"]
    assert [unwrap(item) for item in lifecycle["ignore_changes"]] == ["network_acls[0].ip_rules"]


def variable_regexes(variables: dict, variable: str) -> list[str]:
    """Regular expressions that a module's validation of `variable` applies to it (can(regex("...", var.x)))."""
    found = []
    for validation in variables.get(variable, {}).get("validation", []):
        condition = str(unwrap(validation["condition"]))
        for literal in re.findall(r'regex\("((?:[^"\\]|\\.)*)",\s*var\.' + variable + r"\)", condition):
            found.append(json.loads(f'"{literal}"'))
    return found


@pytest.mark.parametrize("name", ["fullest", "longest-project-name", "docker-functions", "pairwise-01"])
def test_modules_accept_the_longest_names_the_root_passes(rendered, name):
    """Each module's own validation of a name it gets from local.names accepts the longest such name."""
    project = rendered(name)
    longest = [
        names_of(scheme, "z" * NAMING["project_name"]["max_length"], "z" * NAMING["environment"]["max_length"])
        for scheme in SCHEMES
        for NAMING in [nimbus_answers.naming(scheme)]
    ]
    checked = 0
    for module, call in root_module_calls(project).items():
        variables = module_variables(project / "terraform" / "modules" / module)
        for argument, value in call.items():
            reference = re.fullmatch(r"local\.names\.(\w+)", str(unwrap(value)))
            if not reference:
                continue
            for regex in variable_regexes(variables, argument):
                for names in longest:
                    full = names[reference.group(1)]
                    checked += 1
                    assert re.search(regex, full), (
                        f"module {module}: {argument} = {full!r} fails its validation {regex}"
                    )
    assert checked > 0


# -- per answer set --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_tf_file_parses_and_no_jinja_is_left(rendered, name):
    terraform = rendered(name) / "terraform"
    files = sorted(terraform.rglob("*.tf"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text, f"{path}: Jinja left in a rendered file"
        hcl2.loads(text)
    assert not list(terraform.rglob("*.jinja"))


@pytest.mark.parametrize("name", NAMES)
def test_exactly_the_selected_modules_are_rendered(rendered, name):
    expected = set(nimbus_answers.modules_for(ANSWER_SETS[name])) | HELPER_MODULES
    project = rendered(name)
    assert set(rendered_modules(project)) == expected
    # ... and the root module calls each of them once.
    sources = [str(unwrap(call["source"])) for call in root_module_calls(project).values()]
    assert sorted(sources) == sorted(f"./modules/{module}" for module in expected - SHARED_MODULES)


@pytest.mark.parametrize("name", NAMES)
def test_nimbus_json_names_the_root_variables_gitops_fills_in(rendered, name):
    """gitops.py never reads Terraform text: nimbus.json lists exactly the variables it can fill that the root reads."""
    project = rendered(name)
    listed = json.loads((project / "terraform" / "nimbus.json").read_text())["root_variables"]
    texts = [path.read_text() for path in (project / "terraform").glob("*.tf") if path.name != "variables.tf"]

    def read(variable: str) -> bool:
        return any(f"var.{variable}" in text for text in texts)

    assert all(read(variable) for variable in listed)
    if ANSWER_SETS[name]["gitops"]:
        cli = (project / "scripts" / "nimbus_gitops" / "terraform.py").read_text()
        fillable = set()
        for constant in ("PROVENANCE_VARIABLES", "DEPLOYER_IP_VARIABLES"):
            fillable |= set(re.findall(r'"(\w+)"', re.search(rf"^{constant} = \((.*)\)$", cli, re.M).group(1)))
        assert set(listed) == {variable for variable in fillable if read(variable)}


@pytest.mark.parametrize("name", NAMES)
def test_offline_validate_and_fmt(rendered, name):
    """azurerm 5.x schema, module calls, references, sensitive outputs and `terraform fmt` (tests/tfcheck)."""
    assert check_terraform_dir(rendered(name) / "terraform") == []


@pytest.mark.parametrize("name", NAMES)
def test_provider_rules_hold(rendered, name):
    """The azurerm source's RequiredWith / ConflictsWith / ExactlyOneOf / AtLeastOneOf and allowed values, on every
    branch the answers reach, through module variables' defaults and validations (tests/tfcheck/rules.py)."""
    assert check_rules(rendered(name) / "terraform") == []


def test_container_apps_on_the_public_network_leave_subnet_only_arguments_null(rendered):
    """RequiredWith infrastructure_subnet_id: without a subnet, a literal false would fail every plan."""
    (name,) = [
        n for n in NAMES if ANSWER_SETS[n]["compute"] == "container_apps" and ANSWER_SETS[n]["network"] == "public"
    ][:1]
    module = next((rendered(name) / "terraform" / "modules").glob("container_apps"))
    (environment,) = [
        body
        for resource in parse(module / "main.tf")["resource"]
        for kind, named in resource.items()
        if kind == "azurerm_container_app_environment"
        for body in named.values()
    ]
    for argument in ("internal_load_balancer_enabled", "zone_redundancy_enabled"):
        assert environment[argument] == "${var.infrastructure_subnet == null ? null : false}"


def test_mysql_defaults_to_the_version_in_standard_support(rendered):
    names = [n for n in NAMES if ANSWER_SETS[n]["database"] == "mysql"]
    variables = module_variables(rendered(names[0]) / "terraform" / "modules" / "mysql")
    assert unwrap(variables["mysql_version"]["default"]) == "8.4"


@pytest.mark.parametrize("name", NAMES)
def test_terraform_settings_and_backend(rendered, name):
    (settings,) = parse(rendered(name) / "terraform" / "terraform.tf")["terraform"]
    assert settings["required_version"] == ">= 1.9, < 2.0"
    # The root declares azurerm only: random and time come with the modules that use them.
    assert settings["required_providers"] == [{"azurerm": {"source": "hashicorp/azurerm", "version": proven_azurerm()}}]
    # Partial backend configuration with Entra ID auth, only with gitops (values come from -backend-config).
    expected = [{"azurerm": {"use_azuread_auth": True}}] if ANSWER_SETS[name]["gitops"] else []
    assert settings.get("backend", []) == expected


@pytest.mark.parametrize("name", NAMES)
def test_every_taggable_resource_is_tagged(rendered, name):
    project = rendered(name)
    schema = load_schema()
    (tags,) = [entry["tags"] for entry in parse(project / "terraform" / "main.tf")["locals"] if "tags" in entry]
    assert set(tags) == TAGS
    assert tags["nimbus-version"] == TEST_VERSION
    assert tags["managed-by"] == "nimbus"
    directories = [project / "terraform"] + [project / "terraform" / "modules" / m for m in rendered_modules(project)]
    for directory in directories:
        expected = "local.tags" if directory.name == "terraform" else "var.tags"
        for path in tf_files(directory):
            for resource_type, resource_name, body in blocks(parse(path), "resource"):
                node = schema.resource(resource_type)
                if node is None or "tags" not in node["attributes"] or resource_type in DATA_PLANE_TYPES:
                    continue
                tagged = unwrap(body.get("tags"))
                if resource_type == "azurerm_resource_group":
                    merged = re.fullmatch(r"merge\(local\.tags, \{(.*)\}\)", str(tagged), re.DOTALL)
                    assert merged and set(re.findall(r'"([\w-]+)"\s*=', merged.group(1))) == GROUP_TAGS, tagged
                    continue
                assert tagged == expected, f"{path}: {resource_type}.{resource_name} is not tagged"
    for module, call in root_module_calls(project).items():
        if "tags" in module_variables(project / "terraform" / "modules" / module):
            assert unwrap(call.get("tags")) == "local.tags", f"module {module} does not get the tags"


@pytest.mark.parametrize("name", NAMES)
def test_registered_resource_providers_are_exactly_the_ones_used(rendered, name):
    project = rendered(name)
    mode, registered = registered_providers(project)
    assert mode == "none", "the provider must register nothing beyond resource_providers_to_register"
    assert registered == sorted(registered, key=str.lower) and len(set(registered)) == len(registered)
    needed = set()
    for path in (project / "terraform").rglob("*.tf"):
        for resource_type, _, _ in blocks(parse(path), "resource"):
            if resource_type.startswith(NON_AZURE_PROVIDERS):
                continue
            if resource_type in VNET_ONLY_TYPES and ANSWER_SETS[name]["network"] != "vnet":
                continue
            provider = resource_provider_of(resource_type)
            if provider:
                needed.add(provider)
    # A delegated subnet needs the delegating service's provider even without a resource of it (Flex Consumption
    # apps are Microsoft.Web resources in a subnet delegated to Microsoft.App/environments).
    network = root_module_calls(project).get("network")
    if network:
        needed.add(str(unwrap(network["app_subnet_delegation"])).split("/")[0])
    assert set(registered) == needed


@pytest.mark.parametrize("name", NAMES)
def test_modules_configure_no_provider_and_describe_and_validate_every_variable(rendered, name):
    project = rendered(name)
    for module in rendered_modules(project):
        directory = project / "terraform" / "modules" / module
        for path in tf_files(directory):
            data = parse(path)
            assert "provider" not in data, f"{path}: modules must not configure providers"
            for entry in data.get("terraform", []):
                assert "backend" not in entry and "cloud" not in entry, f"{path}: a module has no backend"
            for variable, body in blocks(data, "variable"):
                assert "type" in body, f"{module}: variable {variable} has no type"
                assert str(unwrap(body.get("description", ""))).strip(), (
                    f"{module}: variable {variable} has no description"
                )
                assert body.get("validation"), f"{module}: variable {variable} has no validation"
            for output, body in blocks(data, "output"):
                assert str(unwrap(body.get("description", ""))).strip(), f"{module}: output {output} has no description"


def test_every_module_speaks_one_variable_dialect():
    """The same conventions in every module folder: a variable is null only when its default says so,
    location and resource_group_name are checked by the same rule everywhere, locals live in locals.tf."""
    shared: dict[str, set] = {"location": set(), "resource_group_name": set()}
    folders = [path for path in sorted(TEMPLATE_MODULES.iterdir()) if path.is_dir()]
    assert len(folders) == len(nimbus_answers.all_modules()) + len(HELPER_MODULES)
    for folder in folders:
        for variable, body in module_variables(folder).items():
            if "default" not in body or unwrap(body["default"]) is not None:
                assert unwrap(body.get("nullable")) is False, f"{folder.name}: {variable} needs nullable = false"
            if variable in shared:
                shared[variable].add(json.dumps(body["validation"], sort_keys=True))
    assert all(len(rules) == 1 for rules in shared.values()), shared
    # Locals live in locals.tf (app_settings only computes values: its main.tf is its locals).
    for folder in folders:
        for path in tf_files(folder):
            if path.name != "locals.tf" and folder.name != "app_settings":
                assert "locals" not in parse(path), f"{folder.name}/{path.name}: locals belong in locals.tf"


@cache
def released_module_files() -> dict[tuple[str, str], dict[str, str]]:
    """{(version, module): {file name: text}} of the .tf files of every module folder of every release."""
    from upgrade_support import releases, require_commit

    found: dict[tuple[str, str], dict[str, str]] = {}
    for version, commit in releases().items():
        if commit is None:
            continue
        require_commit(commit, version)
        listing = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", commit, "--", "template/terraform/modules"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.splitlines()
        for path in listing:
            parts = path.split("/")
            if len(parts) != 5 or not parts[4].endswith(".tf"):
                continue
            module = re.sub(r"{%.*?%}", "", parts[3])
            text = subprocess.run(
                ["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
            found.setdefault((version, module), {})[parts[4]] = text
    return found


# Answer sets (tests/matrix.py classics) that together render every module of the catalogue: each module's moves
# are read from the root moved.tf of a project that renders it.
EVERY_MODULE_SETS = ["fullest", "spring-appservice-mysql-kv", "dotnet-appservice-sqlserver", "python-functions-storage"]


def root_moves(project: Path) -> dict[str, str]:
    """{from: to} of the `moved {}` blocks in a rendered project's terraform/moved.tf."""
    moves = parse(project / "terraform" / "moved.tf").get("moved", [])
    return {unwrap(move["from"]): unwrap(move["to"]) for move in moves}


def test_moved_blocks_cover_every_address_a_release_declared(rendered):
    """A resource a released module declared keeps its address, or the root module's moved blocks (the rendered
    terraform/moved.tf) take it to where it lives now (a shared module's resource, with the call's count): an
    environment created by any release is moved in its state, never destroyed and created again, by
    `terraform apply` of this version. The root holds moves only for modules the project renders, none that no
    release needs, and no module folder holds any."""
    moves_for: dict[str, dict[str, str]] = {}
    every_move: dict[str, str] = {}
    for name in EVERY_MODULE_SETS:
        project = rendered(name)
        moves = root_moves(project)
        modules = rendered_modules(project)
        assert {source.split(".")[1] for source in moves} <= set(modules), f"{name}: a move for a module not rendered"
        for module in modules:
            moves_for.setdefault(module, moves)
            assert not any("moved" in parse(path) for path in tf_files(project / "terraform" / "modules" / module))
        every_move.update(moves)
    assert set(nimbus_answers.all_modules()) <= set(moves_for), "EVERY_MODULE_SETS must render every module"
    needed = set()
    for (version, module), files in released_module_files().items():
        folder = template_module_folder(module)
        assert folder.is_dir(), f"module {module} of release {version} is gone: a root moved block must say where"
        moves = moves_for[module]
        now = {path.name: parse(path) for path in tf_files(folder)}
        declared = {f"{kind}.{name}" for data in now.values() for kind, name, _ in blocks(data, "resource")}
        calls = {label: body for data in now.values() for label, body in blocks(data, "module")}
        for text in files.values():
            for kind, name, body in blocks(_parse(text), "resource"):
                address = f"{kind}.{name}"
                if address in declared:
                    continue
                source = f"module.{module}.{address}" + ("[0]" if "count" in body else "")
                needed.add(source)
                assert source in moves, f"{version} {module}: {source} has no moved block in the root moved.tf"
                target = re.fullmatch(rf"module\.{module}\.module\.(\w+)(\[0\])?\.(\w+\.\w+)", moves[source])
                assert target, f"{module}: moved {source} to {moves[source]}, not into a module call of {module}"
                call = calls[target.group(1)]
                assert bool(target.group(2)) == ("count" in call), f"{module}: {moves[source]} and the call's count"
                callee = (folder / unwrap(call["source"])).resolve()
                inside = {f"{k}.{n}" for path in tf_files(callee) for k, n, _ in blocks(parse(path), "resource")}
                assert target.group(3) in inside, f"{module}: {callee.name} declares no {target.group(3)}"
    assert needed and set(every_move) <= needed, f"moves no release needs: {sorted(set(every_move) - needed)}"


def builtin_shape(text: str) -> str:
    """Addresses spelled for the builtin provider: every `azurerm_<type>.<name>` becomes
    `terraform_data.azurerm_<type>__<name>` (one-to-one; module paths and instance keys stay as they are)."""
    return re.sub(r"\b(azurerm_\w+)\.(\w+)", r"terraform_data.\1__\2", text)


def builtin_module(files: dict[str, str], keep: set[str] | None = None) -> tuple[str, set[str]]:
    """A module's .tf files as terraform_data resources (one per resource, `count = 1` or one for_each key where
    the resource repeats) and its module calls (same source, same repetition): (main.tf, resource addresses).
    `keep`: only these resource addresses."""
    lines, addresses = [], set()
    for text in files.values():
        data = _parse(text)
        for kind, name, body in blocks(data, "resource"):
            if keep is not None and f"{kind}.{name}" not in keep:
                continue
            addresses.add(f"{kind}.{name}")
            repeat = "  count = 1\n" if "count" in body else ""
            repeat = '  for_each = toset(["key"])\n' if "for_each" in body else repeat
            lines.append(f'resource "terraform_data" "{kind}__{name}" {{\n{repeat}}}\n')
        for label, body in blocks(data, "module"):
            repeat = "  count  = 1\n" if "count" in body else ""
            assert "for_each" not in body, f"module {label}: for_each calls are not modelled here"
            lines.append(f'module "{label}" {{\n  source = "{unwrap(body["source"])}"\n{repeat}}}\n')
    return "\n".join(lines), addresses


def terraform_plan(folder: Path) -> list[dict]:
    """`terraform init` + `terraform plan` (builtin provider only, local backend): the resource changes."""
    run_terraform(folder, "init", "-input=false", "-no-color")
    run_terraform(folder, "plan", "-input=false", "-no-color", "-out=tfplan")
    return json.loads(run_terraform(folder, "show", "-json", "tfplan").stdout).get("resource_changes", [])


@needs_terraform
@pytest.mark.parametrize("name", EVERY_MODULE_SETS)
def test_terraform_moves_a_released_state_by_the_rendered_root_moved_blocks(rendered, tmp_path, name):
    """Terraform itself, offline: the newest release's module resources (as terraform_data) are applied with a
    local backend; then the modules take this version's shape (resources now in a shared module, called with the
    same count) and the project's own terraform/moved.tf comes in, addresses spelled for terraform_data. Without
    it the plan destroys what moved; with it every resource is moved or kept, nothing destroyed or created."""
    from upgrade_support import releases

    version = [version for version, commit in releases().items() if commit][-1]
    project = rendered(name)
    modules = project / "terraform" / "modules"
    released = {module: files for (at, module), files in released_module_files().items() if at == version}
    called = [label for label in root_module_calls(project) if label in released]
    root = "".join(f'module "{label}" {{\n  source = "./modules/{label}"\n}}\n\n' for label in called)
    work = tmp_path / "environment"
    declared: dict[str, set[str]] = {}
    for label in called:  # the released shape
        (work / "modules" / label).mkdir(parents=True)
        text, declared[label] = builtin_module(released[label])
        (work / "modules" / label / "main.tf").write_text(text)
    (work / "main.tf").write_text(root)
    terraform_plan(work)
    run_terraform(work, "apply", "-input=false", "-no-color", "tfplan")

    for folder in sorted(path for path in modules.iterdir() if path.is_dir()):  # this version's shape
        files = {path.name: path.read_text(encoding="utf-8") for path in tf_files(folder)}
        if folder.name in released:
            text, _ = builtin_module(files, keep=declared[folder.name])
        else:  # a module new since the release (a shared module): all of it
            text, _ = builtin_module(files)
        (work / "modules" / folder.name).mkdir(parents=True, exist_ok=True)
        (work / "modules" / folder.name / "main.tf").write_text(text)
    moves = {builtin_shape(old): builtin_shape(new) for old, new in root_moves(project).items()}
    assert moves, f"{name}: terraform/moved.tf moves nothing"

    without = terraform_plan(work)
    assert set(moves) <= {change["address"] for change in without if "delete" in change["change"]["actions"]}

    (work / "moved.tf").write_text(builtin_shape((project / "terraform" / "moved.tf").read_text(encoding="utf-8")))
    changes = terraform_plan(work)
    actions = {change["address"]: change["change"]["actions"] for change in changes}
    assert {address: done for address, done in actions.items() if done != ["no-op"]} == {}
    moved = {change["previous_address"]: change["address"] for change in changes if change.get("previous_address")}
    assert moved == moves
    assert len(changes) == sum(len(declared[label]) for label in called)  # every released resource is still there


@pytest.mark.parametrize("name", NAMES)
def test_network_mode_is_applied_to_every_service(rendered, name):
    """network = vnet: the app joins the network through a subnet delegated for its compute, every data service
    gets a private endpoint with its DNS zone, Key Vault admits the deployer; network = public: no network at all."""
    answers = ANSWER_SETS[name]
    project = rendered(name)
    calls = root_module_calls(project)
    main = (project / "terraform" / "main.tf").read_text(encoding="utf-8")
    compute = answers["compute"]
    if answers["network"] == "public":
        assert "network" not in calls and "module.network" not in main
        return
    network = calls["network"]
    docker = nimbus_answers.runtimes()[answers["runtime"]]["family"] == "docker"
    web = compute == "app_service" or (compute == "functions" and docker)
    assert unwrap(network["app_subnet_delegation"]) == (
        "Microsoft.Web/serverFarms" if web else "Microsoft.App/environments"
    )
    if compute == "container_apps":
        assert unwrap(calls[compute]["infrastructure_subnet"]) == {"id": "${module.network.app_subnet_id}"}
        assert unwrap(network["allow_https_inbound_to_app_subnet"]) is True
    else:
        assert unwrap(calls[compute]["vnet_integration"]) == {"subnet_id": "${module.network.app_subnet_id}"}
    for module in PRIVATE_ENDPOINT_MODULES:
        if module in calls:
            endpoint = json.dumps(calls[module].get("private_endpoint"))
            assert "module.network.private_endpoint_subnet_id" in endpoint, f"{module}: no private endpoint"
            assert f"local.private_dns_zones.{module}" in endpoint, f"{module}: no private DNS zone"
    if "key_vault" in calls:
        assert unwrap(calls["key_vault"]["allowed_ip_ranges"]) == "var.deployer_ip_ranges"
    if "functions" in calls:
        assert unwrap(network["app_subnet_service_endpoints"]) == ["Microsoft.Storage"]


@pytest.mark.parametrize("name", NAMES)
def test_root_passes_each_service_exactly_the_interface_inputs_it_declares(rendered, name):
    """A data module declares only the interface inputs it uses (tests/test_terraform_data_modules.py); the root,
    from the catalogue, passes it exactly those (private_endpoint with network = vnet), and gives modules/app_settings
    each service's object as `<input> = module.<service>.app_settings`, the input the catalogue names."""
    project = rendered(name)
    calls = root_module_calls(project)
    vnet = ANSWER_SETS[name]["network"] == "vnet"
    expected_settings = {}
    for module in SERVICE_MODULES & set(calls):
        declared = set(module_variables(project / "terraform" / "modules" / module))
        passed = set(calls[module]) - {"source"}
        assert passed <= declared, f"{module}: the root passes {sorted(passed - declared)}, which it does not take"
        interface = declared & set(COMMON_VARIABLES) - (set() if vnet else {"private_endpoint"})
        assert interface <= passed, f"{module}: the root leaves out {sorted(interface - passed)}"
        if nimbus_answers.catalogue()[module].get("app_settings"):
            expected_settings[nimbus_answers.catalogue()[module]["app_settings"]] = f"module.{module}.app_settings"
    service_inputs = set(module_variables(project / "terraform" / "modules" / "app_settings")) - {
        "runtime",
        "identity_client_id",
        "user_settings",
        "user_secret_settings",
    }
    given = {key: unwrap(value) for key, value in calls["app_settings"].items() if key in service_inputs}
    assert given == expected_settings


@pytest.mark.parametrize("name", NAMES)
def test_outputs_for_the_deploy_steps(rendered, name):
    answers = ANSWER_SETS[name]
    outputs = {
        output: body
        for path in tf_files(rendered(name) / "terraform")
        for output, body in blocks(parse(path), "output")
    }
    for required in (
        "resource_group_name",
        "app_name",
        "app_url",
        "compute",
        "container_registry_name",
        "container_registry_login_server",
        "container_image_repository",
        "environment",
    ):
        assert required in outputs, f"output {required} missing"
    assert unwrap(outputs["compute"]["value"]) == answers["compute"]
    assert unwrap(outputs["app_name"]["value"]) == f"module.{answers['compute']}.name"
    registry = unwrap(outputs["container_registry_login_server"]["value"])
    if nimbus_answers.needs_container_registry(answers):
        assert registry == "module.container_registry.login_server"
    else:
        assert registry is None


@pytest.mark.parametrize("name", NAMES)
def test_modules_index_lists_exactly_the_rendered_modules(rendered, name):
    project = rendered(name)
    modules = project / "terraform" / "modules"
    index = (modules / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[`([a-z_]+)`\]\(([^)]+)\) \| ([^|]+) \| (yes|no) \|$", index, flags=re.MULTILINE)
    listed = [module for module, _, _, _ in rows]
    # one row per rendered service module (the catalogue's modules; the shared helpers are linked from the text)
    assert sorted(listed) == sorted(set(rendered_modules(project)) & set(nimbus_answers.catalogue()))
    assert len(listed) == len(set(listed)), "a module is listed twice"
    for module, target, creates, data in rows:
        spec = nimbus_answers.catalogue()[module]
        assert (target, creates, data) == (f"{module}/README.md", spec["resources"], "yes" if spec["data_service"] else "no")
    # every link of the index opens a file of the project, and every rendered module's README is reachable
    targets = re.findall(r"\]\(([^)#:]+)\)", index)
    for target in targets:
        assert (modules / target).is_file(), f"terraform/modules/README.md links to missing {target}"
    assert sorted(targets) == sorted(f"{module}/README.md" for module in rendered_modules(project))
    # clean Markdown whatever the answers: no template tag left, single blank lines, one final newline
    assert "{%" not in index and "\n\n\n" not in index
    assert index.endswith("\n") and not index.endswith("\n\n")


def test_every_module_folder_has_its_readme():
    folders = [path for path in TEMPLATE_MODULES.iterdir() if path.is_dir()]
    assert {module_of_folder(path.name) for path in folders} == set(nimbus_answers.all_modules()) | HELPER_MODULES
    for folder in folders:
        readme = folder / "README.md"
        assert readme.is_file(), f"{folder.name} has no README.md"
        text = readme.read_text(encoding="utf-8")
        # plain Markdown copied verbatim, headed by the module's name, without the old shared page's `if` wrappers
        assert "{%" not in text and "{{" not in text, f"{readme}: copier would render it"
        assert text.startswith(f"# `{module_of_folder(folder.name)}`"), f"{readme}: start with the module's heading"
        assert text.endswith("\n") and not text.endswith("\n\n") and "\n\n\n" not in text


# -- the root-owned modules, from the template ---------------------------------------------------------------
@pytest.mark.parametrize("module", ROOT_OWNED_MODULES)
def test_root_owned_module_readme_documents_its_interface_and_skips(module):
    directory = template_module_folder(module)
    readme = module_readme(module)
    for path in tf_files(directory):
        data = parse(path)
        for name, _ in list(blocks(data, "variable")) + list(blocks(data, "output")):
            assert f"`{name}`" in readme, f"{module}: README.md does not document {name}"
        for check, reason in CHECKOV_SKIP.findall(path.read_text(encoding="utf-8")):
            assert len(reason.strip()) >= 40, f"{module}: skip {check} needs a real reason"
            assert check in readme, f"{module}: README.md does not explain the {check} skip"


def test_container_app_keeps_deployed_images():
    main = (template_module_folder("container_apps") / "main.tf").read_text(encoding="utf-8")
    (app,) = [body for kind, name, body in blocks(_parse(main), "resource") if kind == "azurerm_container_app"]
    (lifecycle,) = app["lifecycle"]
    assert unwrap(lifecycle["ignore_changes"]) == ["${template[0].container[0].image}"]


# -- checkov, one process over every rendered project ---------------------------------------------------------
@pytest.mark.slow
def test_checkov_reports_no_failed_check_on_any_rendered_project(rendered, tmp_path):
    for name in NAMES:
        shutil.copytree(rendered(name) / "terraform", tmp_path / name)
    reports = checkov(tmp_path, timeout=1200)
    assert reports and all(entry.get("check_type") == "terraform" for entry in reports)
    failed = sorted(
        {
            f"{check['check_id']} {check['resource']} ({check['file_path'].split('/', 2)[-1]})"
            for check in checkov_results(reports, "failed")
        }
    )
    assert failed == []
    assert sum(entry["summary"]["resource_count"] for entry in reports) > 0
    # Every skip of the root-owned modules was needed by some project (a stale skip hides nothing but misleads).
    applied = applied_checkov_skips(reports)
    declared = declared_checkov_skips(
        [template_module_folder(module) / "main.tf" for module in ROOT_OWNED_MODULES]
    )
    assert declared <= applied, sorted(declared - applied)


# -- Terraform itself on the app_settings module (no provider, so it runs offline) ---------------------------
APP_SETTINGS_CASE = """
module "app_settings_%(key)s" {
  source = "./app_settings"

  runtime            = "%(runtime)s"
  identity_client_id = "11111111-1111-1111-1111-111111111111"
  database           = module.database.app_settings
  redis = {
    host       = "cache.example"
    port       = 10000
    auth_mode  = "%(redis_auth)s"
    username   = "22222222-2222-2222-2222-222222222222"
    access_key = %(access_key)s
  }
  mongodb = {
    connection_string = "mongodb://acct:${var.password}@acct.mongo.example:10255/?ssl=true&replicaSet=globaldb"
    database_name     = "app"
  }
  storage_blob         = { blob_endpoint = "https://st.example/", container_name = "files" }
  application_insights = { connection_string = var.password }
  key_vault            = %(key_vault)s
  # The team's own settings (root variables app_settings and secret_app_settings).
  user_settings        = { DJANGO_ALLOWED_HOSTS = "shop.example" }
  user_secret_settings = { "STRIPE_API_KEY" = var.password }
}

# Stands in for modules/key_vault: stores the secrets and hands their URIs back as its app_settings output, passed
# the way the root module passes it (a dependency cycle would fail the plan).
module "vault_%(key)s" {
  source = "./vault"

  secrets = module.app_settings_%(key)s.secrets
}

# Not sensitive: the app_settings module must keep secrets out of these two.
output "app_settings_%(key)s" {
  value = module.app_settings_%(key)s.app_settings
}

output "secret_environment_variables_%(key)s" {
  value = module.app_settings_%(key)s.secret_environment_variables
}

output "secret_app_settings_%(key)s" {
  value     = module.app_settings_%(key)s.secret_app_settings
  sensitive = true
}

output "container_app_secrets_%(key)s" {
  value     = module.app_settings_%(key)s.container_app_secrets
  sensitive = true
}
"""

APP_SETTINGS_PASSWORD = """
variable "password" {
  type      = string
  sensitive = true
  default   = "p@ss:w/rd"
}

# Stands in for a database module, passed the way the root passes one (database = module.<engine>.app_settings).
module "database" {
  source = "./database"

  password = var.password
}
"""

# A data module's app_settings output: a sensitive output whose password only is secret. The plain settings made
# from it must stay plain (the fixture fails on a sensitive app_settings output, and the plan on a root output
# that refers to a sensitive value).
FAKE_DATABASE = """
variable "password" {
  type      = string
  sensitive = true
}

output "app_settings" {
  value = {
    engine        = "postgresql"
    host          = "db.example"
    port          = 5432
    database_name = "app"
    username      = "appadmin"
    password      = var.password
    jdbc_url      = "jdbc:postgresql://db.example:5432/app?sslmode=require"
  }
  sensitive = true
}
"""

FAKE_VAULT = """
variable "secrets" {
  type      = map(string)
  sensitive = true
}

output "app_settings" {
  value = {
    secret_uris = { for name in nonsensitive(toset(keys(var.secrets))) : name => "https://vault.example/secrets/${name}" }
  }
}
"""

RUNTIMES = ["spring", "quarkus", "micronaut", "java", "dotnet", "nodejs", "python", "docker"]


CASES = [
    (runtime, vault, redis_auth)
    for runtime in RUNTIMES
    for vault in ("public", "vault")
    for redis_auth in ("entra_id", "access_key")
]


@pytest.fixture(scope="module")
def app_settings_plan(tmp_path_factory) -> dict:
    """One plan over every runtime x (with, without Key Vault) x Redis auth mode: outputs by kind, then case."""
    work = tmp_path_factory.mktemp("app-settings")
    shutil.copytree(TEMPLATE_MODULES / "app_settings", work / "app_settings")
    (work / "vault").mkdir()
    (work / "vault" / "main.tf").write_text(FAKE_VAULT)
    (work / "database").mkdir()
    (work / "database" / "main.tf").write_text(FAKE_DATABASE)
    cases = [APP_SETTINGS_PASSWORD]
    for runtime, vault, redis_auth in CASES:
        key = f"{runtime}_{vault}_{redis_auth}"
        cases.append(
            APP_SETTINGS_CASE
            % {
                "key": key,
                "runtime": runtime,
                "redis_auth": redis_auth,
                "access_key": "var.password" if redis_auth == "access_key" else "null",
                "key_vault": f"module.vault_{key}.app_settings" if vault == "vault" else "null",
            }
        )
    (work / "main.tf").write_text("\n".join(cases))
    run_terraform(work, "init", "-input=false", "-backend=false")
    run_terraform(work, "plan", "-input=false", "-out=plan.bin")
    shown = run_terraform(work, "show", "-json", "plan.bin")
    outputs = json.loads(shown.stdout)["planned_values"]["outputs"]
    plan: dict = {}
    for name, output in outputs.items():
        kind, runtime, vault, redis_auth = re.fullmatch(
            rf"(\w+)_({'|'.join(RUNTIMES)})_(public|vault)_(entra_id|access_key)", name
        ).groups()
        plan.setdefault(kind, {})[f"{runtime}-{vault}-{redis_auth}"] = output["value"]
        if kind in ("app_settings", "secret_environment_variables"):
            assert not output.get("sensitive"), f"{name} is sensitive: a secret reached it"
    return plan


EXPECTED_SETTINGS = {
    "spring": (
        {
            "SPRING_DATASOURCE_URL",
            "SPRING_DATASOURCE_USERNAME",
            "SPRING_DATA_REDIS_HOST",
            "SPRING_DATA_MONGODB_DATABASE",
            "SPRING_CLOUD_AZURE_STORAGE_BLOB_ENDPOINT",
        },
        {"SPRING_DATASOURCE_PASSWORD", "SPRING_DATA_MONGODB_URI"},
    ),
    "quarkus": (
        {"QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_MONGODB_DATABASE"},
        {"QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_MONGODB_CONNECTION_STRING"},
    ),
    "micronaut": (
        {"DATASOURCES_DEFAULT_URL", "DATASOURCES_DEFAULT_USERNAME"},
        {"DATASOURCES_DEFAULT_PASSWORD", "MONGODB_URI"},
    ),
    "java": (
        {"DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "REDIS_HOST"},
        {"DATABASE_PASSWORD", "MONGODB_URI"},
    ),
    "dotnet": ({"DATABASE_HOST", "DATABASE_USER"}, {"DATABASE_PASSWORD", "DATABASE_URL", "ConnectionStrings__Default"}),
    "nodejs": ({"DATABASE_HOST", "MONGODB_DATABASE"}, {"DATABASE_PASSWORD", "DATABASE_URL", "MONGODB_URI"}),
    "python": ({"DATABASE_HOST", "MONGODB_DATABASE"}, {"DATABASE_PASSWORD", "DATABASE_URL", "MONGODB_URI"}),
    "docker": ({"DATABASE_HOST", "MONGODB_DATABASE"}, {"DATABASE_PASSWORD", "DATABASE_URL", "MONGODB_URI"}),
}
# NubesGen's names: an app written for NubesGen moves over unchanged (JDBC DATABASE_URL for Java runtimes).
NUBESGEN_SETTINGS = ({"DATABASE_USERNAME", "MONGODB_DATABASE"}, {"DATABASE_PASSWORD", "MONGODB_URI"})
NUBESGEN_RUNTIMES = {"java", "dotnet", "nodejs", "python", "docker"}
APP_SETTINGS_NAMES = TEMPLATE_MODULES / "app_settings" / "settings.json"


def names_from_data_file(runtime: str, redis_auth: str) -> tuple[set, dict]:
    """(plain setting names, setting => secret) the data file gives `runtime` with every service present."""
    services = json.loads(APP_SETTINGS_NAMES.read_text())["services"]
    plain, secret = set(), {}
    every_service = ["identity", "database", "redis", f"redis_{redis_auth}", "mongodb", "storage_blob"]
    for service in [*every_service, "application_insights"]:
        for convention in services[service]:
            if "*" in convention["runtimes"] or runtime in convention["runtimes"]:
                plain |= set(convention["settings"])
                secret.update(convention["secrets"])
    return plain, secret
REDIS_BY_MODE = {  # runtime style -> (setting without secret with Entra ID, setting carrying the key otherwise)
    "spring": ("SPRING_DATA_REDIS_USERNAME", "SPRING_DATA_REDIS_PASSWORD"),
    "quarkus": ("QUARKUS_REDIS_HOSTS", "QUARKUS_REDIS_HOSTS"),
    "micronaut": ("REDIS_URI", "REDIS_URI"),
}


@needs_terraform
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_app_settings_names_and_secrets_per_runtime(app_settings_plan, runtime):
    plain_expected, secret_expected = EXPECTED_SETTINGS[runtime]
    for vault in ("public", "vault"):
        for redis_auth in ("entra_id", "access_key"):
            key = f"{runtime}-{vault}-{redis_auth}"
            plain = app_settings_plan["app_settings"][key]
            secret_names = app_settings_plan["secret_environment_variables"][key]
            secret_values = app_settings_plan["secret_app_settings"][key]
            container_secrets = app_settings_plan["container_app_secrets"][key]
            assert plain["AZURE_CLIENT_ID"] == "11111111-1111-1111-1111-111111111111"
            assert plain_expected <= set(plain), key
            if runtime in NUBESGEN_RUNTIMES or runtime == "spring":
                assert {"DATABASE_URL", "DATABASE_USERNAME"} <= set(plain) | set(secret_names), key
                assert "DATABASE_PASSWORD" in secret_names, key
            if runtime in NUBESGEN_RUNTIMES:
                assert NUBESGEN_SETTINGS[0] <= set(plain) and NUBESGEN_SETTINGS[1] <= set(secret_names), key
            # Exactly the data file's names (the reference page lists the same), plus the team's own two.
            data_plain, data_secret = names_from_data_file(runtime, redis_auth)
            assert set(plain) == data_plain | {"DJANGO_ALLOWED_HOSTS"}, key
            assert secret_names == {**data_secret, "STRIPE_API_KEY": "app-stripe-api-key"}, key
            assert plain["DJANGO_ALLOWED_HOSTS"] == "shop.example"
            assert secret_expected | {"APPLICATIONINSIGHTS_CONNECTION_STRING"} <= set(secret_names), key
            assert not set(plain) & set(secret_names), f"{key}: a setting is both plain and secret"
            assert "p@ss" not in json.dumps(plain), f"{key}: a secret leaked into the plain settings"
            assert plain["AZURE_STORAGE_BLOB_ENDPOINT"] == "https://st.example/"
            assert set(secret_values) == set(secret_names)
            assert set(container_secrets) == set(secret_names.values())
            for setting, secret in secret_names.items():
                assert re.fullmatch(r"[a-z0-9-]+", secret), secret
                if vault == "vault":
                    assert (
                        secret_values[setting]
                        == f"@Microsoft.KeyVault(SecretUri=https://vault.example/secrets/{secret})"
                    )
                    assert container_secrets[secret] == {
                        "value": None,
                        "key_vault_secret_id": f"https://vault.example/secrets/{secret}",
                    }
                else:
                    assert "@Microsoft.KeyVault" not in secret_values[setting]
                    assert container_secrets[secret]["value"] == secret_values[setting]
            style_entra, style_key = REDIS_BY_MODE.get(runtime, ("REDIS_URL", "REDIS_URL"))
            if redis_auth == "entra_id":
                assert style_entra in plain and not any(name.startswith(("redis",)) for name in secret_names.values())
            else:
                assert style_key in secret_names
    public = app_settings_plan["secret_app_settings"][f"{runtime}-public-entra_id"]
    if runtime in ("nodejs", "docker", "dotnet"):
        assert public["DATABASE_URL"] == "postgresql://appadmin:p%40ss%3Aw%2Frd@db.example:5432/app?sslmode=require"
    if runtime == "python":  # SQLAlchemy's form naming the driver: 2.1 maps a bare postgresql:// to psycopg 3
        assert public["DATABASE_URL"] == (
            "postgresql+psycopg2://appadmin:p%40ss%3Aw%2Frd@db.example:5432/app?sslmode=require"
        )
    if runtime in ("spring", "quarkus", "micronaut", "java"):
        plain = app_settings_plan["app_settings"][f"{runtime}-public-entra_id"]
        assert plain["DATABASE_URL"] == "jdbc:postgresql://db.example:5432/app?sslmode=require"  # NubesGen's form
    # The Mongo URI carries the database: drivers reading it never fall back to `test`.
    mongo_names = {"spring": "SPRING_DATA_MONGODB_URI", "quarkus": "QUARKUS_MONGODB_CONNECTION_STRING"}
    mongo = mongo_names.get(runtime, "MONGODB_URI")
    assert public[mongo] == "mongodb://acct:p@ss:w/rd@acct.mongo.example:10255/app?ssl=true&replicaSet=globaldb"
    assert public["STRIPE_API_KEY"] == "p@ss:w/rd"


@needs_terraform
def test_app_settings_refuses_a_team_setting_that_collides_with_a_managed_one(tmp_path):
    """The team's setting would silently replace nimbus's (or the other way round): the plan stops and names both."""
    shutil.copytree(TEMPLATE_MODULES / "app_settings", tmp_path / "app_settings")
    (tmp_path / "main.tf").write_text(
        """
module "app_settings" {
  source             = "./app_settings"
  runtime            = "python"
  identity_client_id = "11111111-1111-1111-1111-111111111111"
  database = {
    engine = "postgresql", host = "db.example", port = 5432, database_name = "app", username = "u",
    password = "p", jdbc_url = "jdbc:postgresql://db.example:5432/app"
  }
  user_settings        = { database_url = "sqlite:///local.db", FLASK_DEBUG = "0" }
  user_secret_settings = { FLASK_DEBUG = "1", "API.KEY" = "a", API_KEY = "b" }
}

output "settings" {
  value = module.app_settings.app_settings
}
"""
    )
    run_terraform(tmp_path, "init", "-input=false", "-backend=false")
    result = run_terraform(tmp_path, "plan", "-input=false", "-no-color", check=False)
    assert result.returncode == 1, result.stdout
    message = " ".join(result.stderr.split())
    assert "app_settings sets database_url, a setting nimbus manages (DATABASE_URL)" in message, message
    assert "app_settings and secret_app_settings both set FLASK_DEBUG" in message, message
    assert "secret_app_settings API.KEY and API_KEY would share Key Vault secret app-api-key" in message, message


@needs_terraform
@pytest.mark.parametrize(
    "runtime_family, command, refused",
    [("python", None, False), ("docker", "gunicorn app:app", False), ("python", "gunicorn app:app", True)],
)
def test_functions_startup_command_is_refused_on_flex_consumption(tmp_path, runtime_family, command, refused):
    """Flex Consumption has no start-up command (the Functions host starts the code): a value is refused at plan
    time with the reason, instead of being ignored. The module's own variable blocks are evaluated by Terraform."""
    variables = (template_module_folder("functions") / "variables.tf").read_text()
    blocks = {
        name: block
        for block, name in re.findall(r'^(variable "(\w+)" \{.*?^\})', variables, re.MULTILINE | re.DOTALL)
    }
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "variables.tf").write_text(blocks["runtime_family"] + "\n\n" + blocks["startup_command"] + "\n")
    value = "null" if command is None else json.dumps(command)
    (tmp_path / "main.tf").write_text(
        f'module "fn" {{\n  source          = "./fn"\n  runtime_family  = "{runtime_family}"\n'
        f"  startup_command = {value}\n}}\n"
    )
    run_terraform(tmp_path, "init", "-input=false", "-backend=false")
    result = run_terraform(tmp_path, "plan", "-input=false", "-no-color", check=False)
    assert (result.returncode != 0) == refused, result.stdout + result.stderr
    if refused:
        assert "on Flex Consumption the Functions host starts the app" in " ".join(result.stderr.split())
