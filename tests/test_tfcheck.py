"""Tests for tests/tfcheck, the offline `terraform validate` + `terraform fmt -check`.

Every case is a small Terraform configuration with one real mistake in it,
and the assertion names the problem Terraform itself would report.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tfcheck import check_fmt, check_terraform_dir, load_schema
from tfcheck.fmt import terraform_binary

REPO = Path(__file__).resolve().parent.parent
REFRESH = REPO / "tools" / "refresh_azurerm_schema.py"

APP = """\
resource "azurerm_linux_web_app" "app" {
  name                = "app"
  location            = "eastus"
  resource_group_name = "rg"
  service_plan_id     = "plan-id"
%s
}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def problems(root: Path, files: dict[str, str], fmt: bool = False) -> list[str]:
    return check_terraform_dir(write(root, files), fmt=fmt)


def app(body: str = "  site_config {}") -> str:
    return APP % body


def one(found: list[str], *needles: str) -> str:
    """Exactly one problem, containing every needle."""
    assert len(found) == 1, found
    for needle in needles:
        assert needle in found[0], found[0]
    return found[0]


# -- a valid project ------------------------------------------------------------------------

VALID_ROOT = """\
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.0"
    }
  }
}

provider "azurerm" {
  features {}
}

variable "environment" {
  type        = string
  description = "Environment name."

  validation {
    condition     = length(var.environment) <= 8
    error_message = "At most 8 characters."
  }
}

variable "allowed_ips" {
  type    = map(string)
  default = {}
}

locals {
  name  = "app-${var.environment}"
  rules = { for k, v in var.allowed_ips : k => v if v != "" }
  note  = "var.not_a_reference ${local.name}"
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "rg" {
  name     = "rg-${local.name}"
  location = "eastus"
  tags     = { tenant = data.azurerm_client_config.current.tenant_id }
}

module "plan" {
  source         = "./modules/plan"
  name           = local.name
  resource_group = azurerm_resource_group.rg.name
}

resource "azurerm_linux_web_app" "app" {
  count               = 2
  name                = "${local.name}-${count.index}"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  service_plan_id     = module.plan.id
  https_only          = true

  dynamic "site_config" {
    for_each = [1]
    content {
      minimum_tls_version = "1.2"

      dynamic "ip_restriction" {
        for_each = local.rules
        iterator = rule
        content {
          name       = rule.key
          ip_address = rule.value
        }
      }
    }
  }

  identity {
    type = "SystemAssigned"
  }

  lifecycle {
    ignore_changes = [app_settings["WEBSITE_RUN_FROM_PACKAGE"], tags]

    precondition {
      condition     = var.environment != ""
      error_message = "Empty environment."
    }
  }
}

resource "azurerm_virtual_network" "vnet" {
  name                = "vnet"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.rg.name
  address_space       = ["10.0.0.0/16"]

  subnet {
    name             = "apps"
    address_prefixes = ["10.0.1.0/24"]
  }
}

resource "terraform_data" "hook" {
  input = azurerm_resource_group.rg.name

  provisioner "local-exec" {
    when       = destroy
    on_failure = continue
    command    = "echo ${self.input}"
  }
}

output "hostnames" {
  value = azurerm_linux_web_app.app[*].default_hostname
}

output "principal_id" {
  value = azurerm_linux_web_app.app[0].identity[0].principal_id
}

output "first_credential" {
  value     = azurerm_linux_web_app.app[0].site_credential[0].name
  sensitive = true
}

output "plan_tier" {
  value      = module.plan.tier
  depends_on = [azurerm_resource_group.rg, module.plan]
}
"""

VALID_PLAN = """\
variable "name" {
  type = string
}

variable "resource_group" {
  type = string
}

variable "sku" {
  type    = string
  default = "B1"
}

resource "azurerm_service_plan" "this" {
  name                = "plan-${var.name}"
  location            = "eastus"
  resource_group_name = var.resource_group
  os_type             = "Linux"
  sku_name            = var.sku
}

output "id" {
  value = azurerm_service_plan.this.id
}

output "tier" {
  value = azurerm_service_plan.this.sku_name
}
"""


def test_valid_project_passes(tmp_path):
    found = problems(tmp_path, {"main.tf": VALID_ROOT, "modules/plan/main.tf": VALID_PLAN}, fmt=True)
    assert found == []


def test_problems_read_file_line_address_message(tmp_path):
    found = problems(tmp_path, {"main.tf": app("  site_config {}\n  colour = 1")})
    assert one(found, "colour") == "main.tf:7: azurerm_linux_web_app.app: unsupported argument 'colour'"


# -- arguments and blocks against the schema ---------------------------------------------------


def test_unknown_argument(tmp_path):
    one(
        problems(tmp_path, {"main.tf": app("  site_config {}\n  https_onyl = true")}),
        "main.tf:7",
        "unsupported argument 'https_onyl'",
        "did you mean 'https_only'",
    )


def test_unknown_argument_in_nested_block(tmp_path):
    one(
        problems(tmp_path, {"main.tf": app("  site_config {\n    alwayson = true\n  }")}),
        "main.tf:7",
        "azurerm_linux_web_app.app.site_config",
        "unsupported argument 'alwayson'",
    )


def test_computed_only_attribute_cannot_be_set(tmp_path):
    one(
        problems(tmp_path, {"main.tf": app('  site_config {}\n  default_hostname = "x"')}),
        "'default_hostname' is read-only",
    )


def test_missing_required_argument(tmp_path):
    text = app().replace('  service_plan_id     = "plan-id"\n', "")
    one(problems(tmp_path, {"main.tf": text}), "main.tf:1", "missing required argument 'service_plan_id'")


def test_missing_required_argument_in_nested_block(tmp_path):
    one(
        problems(tmp_path, {"main.tf": app("  site_config {}\n  identity {}")}),
        "azurerm_linux_web_app.app.identity",
        "missing required argument 'type'",
    )


def test_unknown_nested_block(tmp_path):
    one(
        problems(tmp_path, {"main.tf": app("  site_config {}\n  site_setting {\n  }")}),
        "main.tf:7",
        "unsupported block type 'site_setting'",
    )


def test_missing_required_block(tmp_path):
    one(problems(tmp_path, {"main.tf": app("")}), "main.tf:1", "missing required block 'site_config'")


def test_too_many_blocks(tmp_path):
    body = (
        '  site_config {}\n  identity {\n    type = "SystemAssigned"\n  }\n  identity {\n    type = "UserAssigned"\n  }'
    )
    one(problems(tmp_path, {"main.tf": app(body)}), "too many 'identity' blocks: at most 1")


def test_block_written_as_argument_and_argument_as_block(tmp_path):
    found = problems(tmp_path, {"main.tf": app("  site_config = {}\n  tags {\n  }")})
    assert len(found) == 3, found
    assert any("'site_config' is a block, not an argument" in p for p in found)
    assert any("'tags' is an argument, not a block" in p for p in found)
    assert any("missing required block 'site_config'" in p for p in found)


def test_dynamic_block_satisfies_required_block(tmp_path):
    body = '  dynamic "site_config" {\n    for_each = [1]\n    content {\n      always_on = false\n    }\n  }'
    assert problems(tmp_path, {"main.tf": app(body)}) == []


def test_dynamic_block_content_is_checked_against_its_block(tmp_path):
    body = (
        '  site_config {\n    dynamic "ip_restriction" {\n      for_each = ["1.2.3.4/32"]\n'
        "      content {\n        ip_adress = ip_restriction.value\n      }\n    }\n  }"
    )
    one(
        problems(tmp_path, {"main.tf": app(body)}),
        "azurerm_linux_web_app.app.site_config.ip_restriction",
        "unsupported argument 'ip_adress'",
    )


def test_dynamic_block_of_unknown_type(tmp_path):
    body = '  site_config {}\n  dynamic "sight_config" {\n    for_each = []\n    content {}\n  }'
    one(problems(tmp_path, {"main.tf": app(body)}), "dynamic 'sight_config': unsupported block type")


def test_attribute_as_block_accepts_both_syntaxes(tmp_path):
    vnet = """\
    resource "azurerm_virtual_network" "a" {
      name                = "a"
      location            = "eastus"
      resource_group_name = "rg"
      subnet = [{ name = "x", address_prefixes = ["10.0.0.0/24"] }]
    }

    resource "azurerm_virtual_network" "b" {
      name                = "b"
      location            = "eastus"
      resource_group_name = "rg"
      subnet {
        name = "x"
        prefix = "10.0.0.0/24"
      }
    }
    """
    one(problems(tmp_path, {"main.tf": vnet}), "azurerm_virtual_network.b.subnet", "unsupported argument 'prefix'")


def test_lifecycle_and_meta_arguments(tmp_path):
    body = (
        "  site_config {}\n  count = 1\n  for_each = {}\n  lifecycle {\n    prevent_destroy = true\n"
        "    ignore_changes  = [tagz]\n    postcondition {\n      condition = self.https_only\n    }\n  }"
    )
    found = problems(tmp_path, {"main.tf": app(body)})
    assert len(found) == 3, found
    assert any('"count" and "for_each" are mutually exclusive' in p for p in found)
    assert any("ignore_changes: tagz: unsupported attribute 'tagz'" in p for p in found)
    assert any("lifecycle.postcondition: missing required argument 'error_message'" in p for p in found)


def test_unknown_resource_type_asks_for_a_schema_refresh(tmp_path):
    text = 'resource "azurerm_flux_capacitor" "x" {\n  name = "x"\n}\n'
    one(
        problems(tmp_path, {"main.tf": text}),
        "resource type 'azurerm_flux_capacitor' is not in the provider schema",
        "refresh_azurerm_schema.py",
    )


def test_random_provider_schema(tmp_path):
    text = 'resource "random_password" "p" {\n  lenght = 16\n}\n'
    found = problems(tmp_path, {"main.tf": text})
    assert any("unsupported argument 'lenght'" in p for p in found), found
    assert any("missing required argument 'length'" in p for p in found), found


def test_azurerm_provider_needs_features(tmp_path):
    one(
        problems(tmp_path, {"main.tf": 'provider "azurerm" {\n  subscription_id = "x"\n}\n'}),
        "provider.azurerm",
        "missing required block 'features'",
    )


def test_syntax_error_is_reported_with_its_line(tmp_path):
    one(problems(tmp_path, {"main.tf": "locals {\n  a = [1 2]\n}\n"}), "main.tf:2: syntax error")


def test_duplicate_resource(tmp_path):
    one(problems(tmp_path, {"a.tf": app(), "b.tf": app()}), "b.tf:1", "duplicate definition (first defined in a.tf:1)")


# -- module calls ---------------------------------------------------------------------------------

CHILD = """\
variable "name" {
  type = string
}

variable "size" {
  type    = number
  default = 1
}

output "id" {
  value = var.name
}
"""


def test_module_call_passing_undeclared_variable(tmp_path):
    root = 'module "m" {\n  source = "./modules/child"\n  name   = "x"\n  colour = "red"\n}\n'
    one(
        problems(tmp_path, {"main.tf": root, "modules/child/main.tf": CHILD}),
        "main.tf:4",
        "module.m",
        "unsupported argument 'colour'",
        "variables: name, size",
    )


def test_module_call_missing_required_variable(tmp_path):
    root = 'module "m" {\n  source = "./modules/child"\n  size   = 2\n}\n'
    one(
        problems(tmp_path, {"main.tf": root, "modules/child/main.tf": CHILD}),
        "main.tf:1",
        "missing required argument 'name'",
    )


def test_module_source_must_exist(tmp_path):
    one(
        problems(tmp_path, {"main.tf": 'module "m" {\n  source = "./modules/nope"\n}\n'}),
        "module source './modules/nope' is not a directory",
    )


def test_reference_to_missing_module_output(tmp_path):
    root = (
        'module "m" {\n  source = "./modules/child"\n  name   = "x"\n}\n\n'
        'output "o" {\n  value = module.m.identifier\n}\n'
    )
    one(
        problems(tmp_path, {"main.tf": root, "modules/child/main.tf": CHILD}),
        "main.tf:7",
        "module.m has no output 'identifier' (outputs: id)",
    )


def test_module_with_count_needs_instance_key(tmp_path):
    root = (
        'module "m" {\n  source = "./modules/child"\n  count  = 1\n  name   = "x"\n}\n\n'
        'output "o" {\n  value = module.m.id\n}\n\noutput "p" {\n  value = module.m[0].id\n}\n'
    )
    one(
        problems(tmp_path, {"main.tf": root, "modules/child/main.tf": CHILD}),
        "main.tf:8",
        "missing module instance key",
    )


def test_child_module_problems_are_reported_with_their_path(tmp_path):
    child = CHILD + '\noutput "bad" {\n  value = var.nope\n}\n'
    root = 'module "m" {\n  source = "./modules/child"\n  name   = "x"\n}\n'
    one(
        problems(tmp_path, {"main.tf": root, "modules/child/main.tf": child}),
        "modules/child/main.tf:15",
        "output.bad",
        "undeclared input variable var.nope",
    )


# -- references -------------------------------------------------------------------------------------


def test_unresolved_variable_local_and_resource_references(tmp_path):
    text = """\
    locals {
      a = var.missing
      b = local.also_missing
      c = azurerm_resource_group.nope.name
      d = data.azurerm_client_config.nope.tenant_id
      e = module.nope.id
    }
    """
    found = problems(tmp_path, {"main.tf": text})
    assert [p.split(": ", 2)[2] for p in found] == [
        "reference to undeclared input variable var.missing",
        "reference to undeclared local value local.also_missing",
        "reference to undeclared resource azurerm_resource_group.nope",
        "reference to undeclared data source data.azurerm_client_config.nope",
        "reference to undeclared module call module.nope",
    ]
    assert [p.split(":")[1] for p in found] == ["2", "3", "4", "5", "6"]


def test_string_literals_iterators_and_builtins_are_not_references(tmp_path):
    text = """\
    variable "m" {
      type    = map(string)
      default = {}
    }

    locals {
      literal  = "var.nothing and local.nothing, but ${var.m["k"]}"
      escaped  = "$${var.not_interpolated}"
      loop     = [for k, v in var.m : "${k}=${v}"]
      grouped  = { for k, v in var.m : v => k... }
      template = "%{for k, v in var.m}${k}${v}%{endfor}"
      paths    = [path.module, path.root, terraform.workspace]
      object   = { var = 1, local = 2 }
    }
    """
    assert problems(tmp_path, {"main.tf": text}) == []


def test_resource_attribute_paths_are_checked_against_the_schema(tmp_path):
    text = (
        app()
        + """
    locals {
      ok1 = azurerm_linux_web_app.app.identity[0].principal_id
      ok2 = azurerm_linux_web_app.app.site_credential[0].password
      ok3 = azurerm_linux_web_app.app.app_settings["KEY"]
      ok4 = azurerm_linux_web_app.app.connection_string[*].name
      bad1 = azurerm_linux_web_app.app.default_hostnam
      bad2 = azurerm_linux_web_app.app.identity.principal_id
      bad3 = azurerm_linux_web_app.app.connection_string[0].name
      bad4 = azurerm_linux_web_app.app.name.first
      bad5 = azurerm_linux_web_app.app[0].name
    }
    """
    )
    found = problems(tmp_path, {"main.tf": textwrap.dedent(text)})
    assert len(found) == 5, found
    assert "unsupported attribute 'default_hostnam' (did you mean 'default_hostname'?)" in found[0]
    assert "block 'identity' is a list of objects, so it must be indexed" in found[1]
    assert "cannot index a set value: block 'connection_string'" in found[2]
    assert "'name' is a string, it has no attributes" in found[3]
    assert "unexpected resource instance key" in found[4]


def test_counted_resource_needs_instance_key(tmp_path):
    text = app("  site_config {}\n  count = 2") + 'output "o" {\n  value = azurerm_linux_web_app.app.id\n}\n'
    one(problems(tmp_path, {"main.tf": text}), "missing resource instance key")


def test_each_count_and_self_only_where_allowed(tmp_path):
    text = app("  site_config {}\n  name_suffix = each.key") + "locals {\n  i = count.index\n  s = self.id\n}\n"
    text = text.replace("  name_suffix = each.key", "  tags = { k = each.key }")
    found = problems(tmp_path, {"main.tf": text})
    assert len(found) == 3, found
    assert "only available in blocks that set for_each" in found[0]
    assert "only available in blocks that set count" in found[1]
    assert "self can only be used in" in found[2]


def test_depends_on_must_name_whole_objects(tmp_path):
    text = (
        app("  site_config {}") + 'output "o" {\n  value      = 1\n  depends_on = [azurerm_linux_web_app.app.id]\n}\n'
    )
    one(problems(tmp_path, {"main.tf": text}), "must be to a whole object")


def test_output_of_sensitive_value_needs_sensitive_true(tmp_path):
    text = """\
    resource "random_password" "p" {
      length = 20
    }

    variable "secret" {
      type      = string
      sensitive = true
    }

    locals {
      password = random_password.p.result
    }

    output "direct" {
      value = random_password.p.result
    }

    output "via_local" {
      value = local.password
    }

    output "variable" {
      value = var.secret
    }

    output "marked" {
      value     = random_password.p.result
      sensitive = true
    }

    output "unwrapped" {
      value = nonsensitive(random_password.p.result)
    }
    """
    found = problems(tmp_path, {"main.tf": text})
    assert [p.split(": ")[1] for p in found] == ["output.direct", "output.via_local", "output.variable"], found
    assert all("output refers to sensitive values" in p for p in found)


# -- formatting: the real `terraform fmt -check` ---------------------------------------------------


def test_fmt_misaligned_equals_is_reported_at_its_line(tmp_path):
    write(tmp_path, {"main.tf": 'resource "azurerm_resource_group" "rg" {\n  name = "x"\n  location = "y"\n}\n'})
    assert check_fmt(tmp_path / "main.tf") == [
        f"{tmp_path / 'main.tf'}:2: fmt: terraform fmt would change this line (run terraform fmt)"
    ]


def test_fmt_bad_indentation_and_tabs(tmp_path):
    write(tmp_path, {"a.tf": "locals {\n  a = 1\n\n    b = 2\n}\n", "b.tf": "locals {\n\tb = 2\n}\n"})
    assert [p.split(":")[1] for p in check_fmt(tmp_path / "a.tf")] == ["4"]
    assert [p.split(":")[1] for p in check_fmt(tmp_path / "b.tf")] == ["2"]


def test_fmt_leaves_what_terraform_leaves(tmp_path):
    # No final newline, several blank lines, trailing spaces inside comments and heredocs: fmt keeps them.
    write(tmp_path, {"main.tf": "locals {\n  a = 1 # note   \n\n\n  h = <<EOT\n  keep   \nEOT\n}"})
    assert check_fmt(tmp_path / "main.tf") == []


def test_check_fmt_on_files_and_directories(tmp_path):
    write(tmp_path, {"ok.tf": "locals {\n  a = 1\n}\n", "sub/bad.tf": "locals {\n  a=1\n}\n"})
    assert check_fmt(tmp_path / "ok.tf") == []
    found = check_fmt(tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'sub' / 'bad.tf'}:2: fmt:"), found


def test_fmt_problems_are_part_of_check_terraform_dir(tmp_path):
    found = problems(tmp_path, {"main.tf": "locals {\n  a  = 1\n}\n"}, fmt=True)
    one(found, "main.tf:2: fmt:")


def test_fmt_runs_the_real_terraform_not_the_fake():
    binary = terraform_binary()
    assert "fakes" not in Path(binary).parts
    version = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, check=True).stdout
    assert json.loads(version)["terraform_version"].startswith("1.")


# -- speed and caching ----------------------------------------------------------------------------------


def test_a_directory_without_terraform_is_a_problem(tmp_path):
    assert check_terraform_dir(tmp_path) == [f"{tmp_path.resolve()}: no .tf files found"]


def test_identical_files_in_another_project_report_their_own_paths(tmp_path):
    a = write(tmp_path / "a", {"main.tf": "locals {\n  x = var.y\n}\n"})
    b = write(tmp_path / "b", {"modules/m/main.tf": "locals {\n  x = var.y\n}\n"})
    assert check_terraform_dir(a) == ["main.tf:2: local.x: reference to undeclared input variable var.y"]
    assert check_terraform_dir(b) == ["modules/m/main.tf:2: local.x: reference to undeclared input variable var.y"]


# -- the schema file --------------------------------------------------------------------------------------


def test_schema_records_versions_and_terraform_names():
    raw = json.loads((REPO / "tests" / "data" / "azurerm_schema.json").read_text(encoding="utf-8"))
    assert raw["provider"] == {"source": "registry.terraform.io/hashicorp/azurerm", "version": "5.10.0"}
    assert raw["generator"]["cdktn_package"] == "cdktn-provider-azurerm"
    schema = load_schema()
    web = schema.resource("azurerm_linux_web_app")
    assert web["attributes"]["https_only"]["mode"] == "optional"
    assert web["attributes"]["public_network_access_enabled"]["mode"] == "optional"
    assert web["attributes"]["default_hostname"]["mode"] == "computed"
    assert web["blocks"]["site_config"]["min_items"] == 1
    assert "vnet_route_all_enabled" in web["blocks"]["site_config"]["attributes"]
    assert "minimum_tls_version" in web["blocks"]["site_config"]["attributes"]
    assert "auth_settings_v2" in web["blocks"]
    plan = schema.resource("azurerm_service_plan")
    assert plan["attributes"]["os_type"]["mode"] == "required"
    assert plan["attributes"]["sku_name"]["mode"] == "required"
    assert schema.resource("azurerm_client_config", data=True)["attributes"]["tenant_id"]["mode"] == "computed"
    assert "result" in schema.sensitive_attrs("random_password")


def test_checked_in_schema_is_current():
    """Fails when the template starts using an azurerm type the schema lacks: regenerate it."""
    r = subprocess.run([sys.executable, str(REFRESH), "--check"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, f"{r.stderr.strip()}\nfix: python tools/refresh_azurerm_schema.py"


def test_refresh_check_detects_a_stale_file(tmp_path, monkeypatch, capsys):
    # The comparison logic only: generation is replaced by the checked-in content (the real
    # generation runs once, in test_checked_in_schema_is_current).
    spec = importlib.util.spec_from_file_location("refresh_azurerm_schema", REFRESH)
    refresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh)
    current = json.loads((REPO / "tests" / "data" / "azurerm_schema.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(refresh, "generate", lambda includes: current)
    copy = tmp_path / "schema.json"
    copy.write_text(refresh.render(current), encoding="utf-8")
    assert refresh.main(["--check", "--output", str(copy)]) == 0

    stale = json.loads(copy.read_text(encoding="utf-8"))
    stale["resources"].pop("azurerm_resource_group")
    copy.write_text(refresh.render(stale), encoding="utf-8")
    assert refresh.main(["--check", "--output", str(copy)]) == 1
    assert "stale (adds azurerm_resource_group)" in capsys.readouterr().err
