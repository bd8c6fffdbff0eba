"""The azurerm provider's plan-time rules: the Go-source reader that writes them, and the check that applies them.

tests/data/azurerm_provider_rules.json comes from tools/refresh_provider_rules.py reading the provider's source at a
release tag. The reader is proven here on a small Go tree in the provider's layout (typed and untyped resources,
nested blocks, a schema helper in another file, an SDK enum helper); the check (tests/tfcheck/rules.py) is proven on
small hand-written configurations, one per rule kind, and on the real data for the defects issue 10 lists. Every
rendered project of the matrix passing it is asserted in tests/test_terraform.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from tfcheck.rules import check_rules, load_rules

sys.path.insert(0, str(ROOT / "tools"))
import refresh_provider_rules as tool  # noqa: E402
from refresh_azurerm_schema import scan_template  # noqa: E402

sys.path.pop(0)

RULES = load_rules()


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def check(tmp_path: Path, main: str, variables: str = "") -> list[str]:
    project = write(tmp_path / "terraform", {"main.tf": main, "variables.tf": variables})
    return check_rules(project)


def only(found: list[str], *needles: str) -> str:
    assert len(found) == 1, found
    for needle in needles:
        assert needle in found[0], found[0]
    return found[0]


# -- the data file ---------------------------------------------------------------------------------------------
def test_rules_record_the_provider_release_they_come_from():
    provider = RULES["provider"]
    assert provider["source"] == "registry.terraform.io/hashicorp/azurerm"
    assert provider["tag"] == f"v{provider['version']}" and provider["version"].startswith("5.")
    assert len(provider["commit"]) == 40
    assert isinstance(RULES["unresolved"], dict)


def test_rules_cover_every_resource_type_the_template_renders():
    rendered_types = {t for t in scan_template() if not t.startswith("data.")}
    assert rendered_types <= set(RULES["resources"]), "run tools/refresh_provider_rules.py"


def test_rules_hold_what_issue_10_found_in_the_provider_source():
    resources = RULES["resources"]
    environment = resources["azurerm_container_app_environment"]
    assert environment["internal_load_balancer_enabled"]["required_with"] == ["infrastructure_subnet_id"]
    assert environment["zone_redundancy_enabled"]["required_with"] == ["infrastructure_subnet_id"]
    assert "8.4" in resources["azurerm_mysql_flexible_server"]["version"]["one_of"]
    assert 0.5 in resources["azurerm_mssql_database"]["min_capacity"]["one_of"]
    assert "pattern" in resources["azurerm_postgresql_flexible_server"]["sku_name"]
    assert "microsoft.insights" in RULES["resource_providers"]
    assert "Microsoft.Insights" not in RULES["resource_providers"]


# -- the Go-source reader, on a small tree in the provider's layout -------------------------------------------------
GO_FILES = {
    "internal/services/widget/registration.go": """package widget

func (r Registration) SupportedDataSources() map[string]*pluginsdk.Resource {
\treturn map[string]*pluginsdk.Resource{
\t\t"azurerm_widget": dataSourceWidget(),
\t}
}

func (r Registration) SupportedResources() map[string]*pluginsdk.Resource {
\treturn map[string]*pluginsdk.Resource{
\t\t"azurerm_widget": resourceWidget(),
\t}
}
""",
    "internal/services/widget/widget_resource.go": """package widget

import (
\t"github.com/hashicorp/go-azure-sdk/resource-manager/widget/2024-01-01/widgets"
\t"github.com/hashicorp/terraform-provider-azurerm/internal/services/widget/validate"
)

// an untyped resource: a Schema map, a nested block and a helper from another file
func resourceWidget() *pluginsdk.Resource {
\treturn &pluginsdk.Resource{
\t\tSchema: map[string]*pluginsdk.Schema{
\t\t\t"subnet_id": {
\t\t\t\tType:     pluginsdk.TypeString,
\t\t\t\tOptional: true,
\t\t\t},
\t\t\t"internal": {
\t\t\t\tType:         pluginsdk.TypeBool,
\t\t\t\tOptional:     true,
\t\t\t\tRequiredWith: []string{"subnet_id"}, // a comment with a } brace
\t\t\t},
\t\t\t"tier": {
\t\t\t\tType:         pluginsdk.TypeString,
\t\t\t\tValidateFunc: validation.StringInSlice(widgets.PossibleValuesForTier(), false),
\t\t\t},
\t\t\t"sku_name": {
\t\t\t\tType:         pluginsdk.TypeString,
\t\t\t\tValidateFunc: validate.SkuName,
\t\t\t},
\t\t\t"size": {
\t\t\t\tType:         pluginsdk.TypeInt,
\t\t\t\tValidateFunc: validation.IntBetween(1, 10),
\t\t\t},
\t\t\t"rule": {
\t\t\t\tType: pluginsdk.TypeList,
\t\t\t\tElem: &pluginsdk.Resource{
\t\t\t\t\tSchema: map[string]*pluginsdk.Schema{
\t\t\t\t\t\t"a": {
\t\t\t\t\t\t\tType:         pluginsdk.TypeString,
\t\t\t\t\t\t\tExactlyOneOf: []string{"rule.0.a", "rule.0.b"},
\t\t\t\t\t\t},
\t\t\t\t\t\t"b": {
\t\t\t\t\t\t\tType:          pluginsdk.TypeFloat,
\t\t\t\t\t\t\tConflictsWith: []string{"rule.0.a"},
\t\t\t\t\t\t\tValidateFunc:  validation.FloatInSlice([]float64{0.5, 1}),
\t\t\t\t\t\t},
\t\t\t\t\t},
\t\t\t\t},
\t\t\t},
\t\t\t"settings": settingsSchema(),
\t\t\t"mystery": {
\t\t\t\tType:         pluginsdk.TypeString,
\t\t\t\tValidateFunc: somethingClever(),
\t\t\t},
\t\t},
\t}
}
""",
    "internal/services/widget/schema_helpers.go": """package widget

import "github.com/hashicorp/go-azure-sdk/resource-manager/widget/2024-01-01/widgets"

func settingsSchema() *pluginsdk.Schema {
\treturn &pluginsdk.Schema{
\t\tType: pluginsdk.TypeString,
\t\tValidateFunc: validation.StringInSlice([]string{
\t\t\tstring(widgets.ModeFast),
\t\t\t"slow",
\t\t}, true),
\t}
}
""",
    "internal/services/widget/validate/sku_name.go": """package validate

func SkuName(i interface{}, k string) (warnings []string, errors []error) {
\tif !regexp.MustCompile(`^W[0-9]$`).MatchString(i.(string)) {
\t\terrors = append(errors, fmt.Errorf("bad"))
\t}
\treturn
}
""",
    "internal/services/gadget/gadget_resource.go": """package gadget

type GadgetResource struct{}

func (r GadgetResource) ResourceType() string {
\treturn "azurerm_gadget"
}

// a typed resource: Arguments() returns the map
func (r GadgetResource) Arguments() map[string]*pluginsdk.Schema {
\treturn map[string]*pluginsdk.Schema{
\t\t"public": {
\t\t\tType:          pluginsdk.TypeString,
\t\t\tAtLeastOneOf:  []string{"public", "private"},
\t\t\tValidateFunc:  validation.StringInSlice([]string{"Enabled", "Disabled"}, false),
\t\t},
\t}
}
""",
    "internal/resourceproviders/required.go": """package resourceproviders

func Core() ResourceProviders {
\treturn ResourceProviders{
\t\t"Microsoft.Web":      {},
\t\t"microsoft.insights": {},
\t}
}
""",
    "vendor/github.com/hashicorp/go-azure-sdk/resource-manager/widget/2024-01-01/widgets/constants.go": """package widgets

type Tier string

const (
\tTierBasic   Tier = "Basic"
\tTierPremium Tier = "Premium"
)

func PossibleValuesForTier() []string {
\treturn []string{
\t\tstring(TierBasic),
\t\tstring(TierPremium),
\t}
}

const ModeFast Mode = "Fast"
""",
}


@pytest.fixture(scope="module")
def go_tree(tmp_path_factory) -> Path:
    repo = write(tmp_path_factory.mktemp("provider"), GO_FILES)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "v0"], ["tag", "v5.99.0"]):
        subprocess.run(
            ["git", *args],
            cwd=repo,
            check=True,
            capture_output=True,
            env={
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@t",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@t",
                "HOME": str(repo),
                "PATH": "/usr/bin:/bin",
            },
        )
    return repo


def test_reader_reads_untyped_typed_nested_helper_and_enum_rules(go_tree):
    data = tool.build(go_tree, "v5.99.0", ["azurerm_widget", "azurerm_gadget"])
    assert data["provider"]["version"] == "5.99.0" and data["provider"]["tag"] == "v5.99.0"
    widget = data["resources"]["azurerm_widget"]
    assert widget["internal"] == {"required_with": ["subnet_id"]}
    assert widget["tier"] == {"one_of": ["Basic", "Premium"]}  # widgets.PossibleValuesForTier() in vendor/
    assert widget["sku_name"] == {"pattern": "^W[0-9]$"}  # a validate package function with one regex
    assert widget["size"] == {"between": [1, 10]}
    assert widget["rule.a"] == {"exactly_one_of": ["rule.0.a", "rule.0.b"]}  # nested Elem: &pluginsdk.Resource
    assert widget["rule.b"] == {"conflicts_with": ["rule.0.a"], "one_of": [0.5, 1]}
    assert widget["settings"] == {"one_of": ["Fast", "slow"], "ignore_case": True}  # helper in another file
    assert data["resources"]["azurerm_gadget"]["public"] == {
        "at_least_one_of": ["public", "private"],
        "one_of": ["Enabled", "Disabled"],
    }
    assert data["resource_providers"] == ["Microsoft.Web", "microsoft.insights"]
    # what it cannot read is said, not skipped silently
    assert any(line.startswith("mystery:") for line in data["unresolved"]["azurerm_widget"])


def test_reader_reports_an_unknown_resource_type(go_tree):
    data = tool.build(go_tree, "v5.99.0", ["azurerm_nothing"])
    assert data["resources"] == {}
    assert data["unresolved"] == {"azurerm_nothing": ["azurerm_nothing: not found"]}


# -- the check, one rule kind at a time --------------------------------------------------------------------------
ENVIRONMENT = """\
resource "azurerm_container_app_environment" "this" {
  name                           = "env"
  location                       = "eastus"
  resource_group_name            = "rg"
  infrastructure_subnet_id       = var.subnet == null ? null : var.subnet.id
  internal_load_balancer_enabled = %s
}
"""
SUBNET_VARIABLE = 'variable "subnet" {\n  type    = object({ id = string })\n  default = null\n}\n'


def test_required_with_a_literal_false_beside_a_null_subnet_is_an_error(tmp_path):
    found = check(tmp_path, ENVIRONMENT % "false", SUBNET_VARIABLE)
    problem = only(
        found,
        "terraform/main.tf:6:",
        "internal_load_balancer_enabled",
        "RequiredWith",
        "infrastructure_subnet_id",
        "var.subnet = null",
    )
    assert problem.startswith("terraform/main.tf:6: azurerm_container_app_environment.this:")


def test_required_with_judges_conditions_written_the_same_way_together(tmp_path):
    assert check(tmp_path, ENVIRONMENT % "var.subnet == null ? null : false", SUBNET_VARIABLE) == []


def test_conflicts_with(tmp_path):
    main = """\
resource "azurerm_linux_web_app" "this" {
  auth_settings {
    enabled = true
    active_directory {
      client_id                  = "x"
      client_secret              = "y"
      client_secret_setting_name = "Z"
    }
  }
}
"""
    found = check(tmp_path, main)
    assert len(found) == 2, found  # each side of the pair names the other
    assert all("ConflictsWith" in p and "auth_settings.active_directory.client_secret" in p for p in found)


def test_exactly_one_of(tmp_path):
    main = """\
resource "azurerm_linux_web_app" "this" {
  site_config {
    application_stack {
      python_version = "3.12"
      node_version   = var.family == "node" ? "22-lts" : null
    }
  }
}
"""
    variables = """\
variable "family" {
  type = string
  validation {
    condition     = contains(["node", "python"], var.family)
    error_message = "no"
  }
}
"""
    found = check(tmp_path, main, variables)
    only(
        found,
        "main.tf:4:",
        "ExactlyOneOf",
        "node_version, site_config.application_stack.python_version are all set",
        'var.family = "node"',
    )


def test_at_least_one_of_with_none_set(tmp_path):
    rule = {
        "provider": {},
        "resource_providers": [],
        "resources": {
            "azurerm_gadget": {
                "public": {"at_least_one_of": ["public", "private"]},
                "private": {"at_least_one_of": ["public", "private"]},
            }
        },
    }
    project = write(tmp_path / "terraform", {"main.tf": 'resource "azurerm_gadget" "g" {\n  public = null\n}\n'})
    found = check_rules(project, rule)
    only(found, "main.tf:2:", "AtLeastOneOf", "none is set")


def test_allowed_value_on_each_reachable_branch(tmp_path):
    main = """\
resource "azurerm_mysql_flexible_server" "this" {
  version = var.legacy ? "5.6" : "8.4"
}
"""
    found = check(tmp_path, main, 'variable "legacy" {\n  type = bool\n}\n')
    only(found, "main.tf:2:", "version: azurerm rejects '5.6' is not one of ['5.7', '8.0.21', '8.4']")


def test_variable_default_must_be_allowed(tmp_path):
    main = 'resource "azurerm_mssql_database" "this" {\n  min_capacity = var.min_capacity\n}\n'
    variables = """\
variable "min_capacity" {
  type    = number
  default = 0.6
  validation {
    condition     = contains([0.5, 0.6], var.min_capacity)
    error_message = "no"
  }
}
"""
    found = check(tmp_path, main, variables)
    assert any(p.startswith("terraform/variables.tf:3:") and "default: azurerm rejects 0.6" in p for p in found), found
    assert any("validation is looser than azurerm: var.min_capacity = 0.6" in p for p in found), found


def test_too_loose_validation_is_an_error(tmp_path):
    main = 'resource "azurerm_postgresql_flexible_server" "this" {\n  sku_name = var.sku_name\n}\n'
    loose = """\
variable "sku_name" {
  type    = string
  default = "B_Standard_B1ms"
  validation {
    condition     = can(regex("^(B|GP|MO)_Standard_[A-Za-z0-9_]+$", var.sku_name))
    error_message = "no"
  }
}
"""
    problem = only(
        check(tmp_path, main, loose), "terraform/variables.tf:1:", "validation is looser than azurerm", "admits it"
    )
    assert "var.sku_name (for azurerm_postgresql_flexible_server.this.sku_name)" in problem
    tight = loose.replace("^(B|GP|MO)_Standard_[A-Za-z0-9_]+$", "^(B_Standard_B1ms|GP_Standard_D2ds_v5)$")
    assert check(tmp_path, main, tight) == []
    missing = 'variable "sku_name" {\n  type = string\n}\n'
    only(check(tmp_path, main, missing), "has no validation")


def test_range_validation_inside_the_provider_range_passes(tmp_path):
    main = 'resource "azurerm_key_vault" "this" {\n  soft_delete_retention_days = var.days\n}\n'
    variables = """\
variable "days" {
  type    = number
  default = 7
  validation {
    condition     = var.days >= %s && var.days <= 90 && floor(var.days) == var.days
    error_message = "no"
  }
}
"""
    assert check(tmp_path, main, variables % "7") == []
    only(check(tmp_path, main, variables % "1"), "validation is looser", "outside 7..90")


def test_literal_module_arguments_are_followed_into_the_module(tmp_path):
    module = """\
variable "family" {
  type = string
  validation {
    condition     = contains(["node", "python"], var.family)
    error_message = "no"
  }
}

variable "runtime_version" {
  type = string
  validation {
    condition     = var.family != "node" || contains(["22", "24"], var.runtime_version)
    error_message = "no"
  }
  validation {
    condition     = var.family != "python" || contains(["3.12", "3.13"], var.runtime_version)
    error_message = "no"
  }
}

resource "azurerm_linux_web_app" "this" {
  site_config {
    application_stack {
      node_version   = var.family == "node" ? "${var.runtime_version}-lts" : null
      python_version = var.family == "python" ? var.runtime_version : null
    }
  }
}
"""
    call = (
        'module "app" {\n  source          = "./modules/app"\n  family          = "node"\n  runtime_version = "%s"\n}\n'
    )
    project = write(tmp_path / "terraform", {"modules/app/main.tf": module, "main.tf": call % "22"})
    assert check_rules(project) == []
    (project / "main.tf").write_text(call % "21", encoding="utf-8")
    only(
        check_rules(project),
        "terraform/main.tf:4: module.app:",
        "runtime_version = '21' reaches",
        "node_version, where azurerm rejects '21-lts'",
    )


def test_resource_provider_names_are_spelled_as_the_provider_spells_them(tmp_path):
    main = """\
provider "azurerm" {
  features {}
  resource_providers_to_register = [
    "Microsoft.Insights",
    "Microsoft.Web",
  ]
}
"""
    only(check(tmp_path, main), "main.tf:3:", "'Microsoft.Insights' is spelled 'microsoft.insights'")


# -- the defects issue 10 lists, on the template's own data ------------------------------------------------------
def test_runtime_versions_are_stacks_the_provider_accepts():
    runtimes = json.loads((ROOT / "hooks" / "data" / "runtimes.json").read_text(encoding="utf-8"))
    web = RULES["resources"]["azurerm_linux_web_app"]
    functions = RULES["resources"]["azurerm_linux_function_app"]
    for name, runtime in runtimes.items():
        if name.startswith("_") or runtime["family"] == "docker":
            continue
        family, version = runtime["family"], runtime["version"]
        web_value = f"{version}-lts" if family == "node" else version
        assert web_value in web[f"site_config.application_stack.{family}_version"]["one_of"], name
        assert version in functions[f"site_config.application_stack.{family}_version"]["one_of"], name
