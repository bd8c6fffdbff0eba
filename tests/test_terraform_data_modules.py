"""The data and add-on Terraform modules: postgresql, mysql, sql_server, application_insights, key_vault, redis,
storage_blob and cosmosdb_mongodb (template/terraform/modules/<module>).

They are plain Terraform that copier copies verbatim, so most checks read the module folders straight from the
template: every file parses, the interface the root module relies on is there, every variable is typed, described
and validated, secrets only leave through sensitive outputs, no module configures a provider, public network access
is off whenever a private endpoint is requested, the provider schema (tests/tfcheck) accepts every argument, the
files are `terraform fmt` canonical, and checkov passes with a reason for every skip. The last test looks at the
rendered projects: each selected module is copied byte for byte (tests/test_terraform.py owns the rest of the
rendered-project checks: which modules are rendered, the root's calls, checkov over every project).
"""

from __future__ import annotations

import operator
import re
import shutil
from functools import cache
from pathlib import Path
from typing import NamedTuple

import answers as nimbus_answers
import hcl2
import pytest
from conftest import (
    ANSWER_SETS,
    CHECKOV_SKIP,
    TEMPLATE_MODULES,
    applied_checkov_skips,
    checkov,
    checkov_results,
    declared_checkov_skips,
    module_readme,
    template_module_folder,
)
from tfcheck import check_terraform_dir, load_schema

# The modules a `database` or `addons` answer brings in (hooks/data/services.json): they share one interface, of
# which each declares the inputs it uses.
DATA_MODULES = [
    spec["module"]
    for field in ("database", "addons")
    for spec in nimbus_answers.services()[field].values()
    if spec["module"]
]
# Modules every service module may call (plain folders, always rendered; services.json `shared_modules`).
SHARED_MODULES = list(nimbus_answers.services()["shared_modules"])
DATABASES = [
    name for name, spec in nimbus_answers.catalogue().items() if spec.get("app_settings") == "database"
]
FILES = ["terraform.tf", "variables.tf", "main.tf", "outputs.tf", "README.md"]  # README.md: what a user reads
OPTIONAL_FILES = ["locals.tf"]  # where the module has locals (moved blocks live in the root: terraform/moved.tf)

# The interface agreed with the root module (docs/notes/terraform-interface.md): a module declares exactly the inputs
# it uses, and the root passes exactly those (interface_of says which, from the service catalogue).
COMMON_VARIABLES = {
    "name": "string",
    "location": "string",
    "resource_group_name": "string",
    "tags": "map(string)",
    "app_principal_id": "string",
    "private_endpoint": "object({subnet_id = string, private_dns_zone_id = string})",
    "log_analytics_workspace_id": "string",
}
APP_SETTINGS_VARIABLES = TEMPLATE_MODULES / "app_settings" / "variables.tf"
# Outputs besides app_settings (which the catalogue's `app_settings` entry requires): the main resource's id and
# what a team composing the modules needs; the root reads key_vault's id and name and the databases' id.
REQUIRED_OUTPUTS = {
    "postgresql": {"id"},
    "mysql": {"id"},
    "sql_server": {"id", "database_id"},
    "application_insights": {"id", "local_authentication_enabled"},
    "key_vault": {"id", "name", "vault_uri"},
    "redis": {"id"},
    "storage_blob": {"id", "account_name", "container_id"},
    "cosmosdb_mongodb": {"id"},
}
SENSITIVE_OUTPUTS = {
    "postgresql": {"app_settings"},
    "mysql": {"app_settings"},
    "sql_server": {"app_settings"},
    "application_insights": {"app_settings"},
    "key_vault": set(),
    "redis": {"app_settings"},
    "storage_blob": set(),
    "cosmosdb_mongodb": {"app_settings"},
}
EXTRA_VARIABLES = {"key_vault": {"secrets", "allowed_ip_ranges"}}


class Network(NamedTuple):
    """How a module switches between network modes."""

    resource: str  # the main resource
    argument: str  # its public network access argument
    public: object  # the argument's value without a private endpoint
    private: object  # ... and with one
    subresource: str  # private endpoint subresource (group id)


NETWORK = {
    "postgresql": Network(
        "azurerm_postgresql_flexible_server.this",
        "public_network_access_enabled",
        True,
        False,
        "postgresqlServer",
    ),
    "mysql": Network(
        "azurerm_mysql_flexible_server.this",
        "public_network_access",
        "Enabled",
        "Disabled",
        "mysqlServer",
    ),
    "sql_server": Network(
        "azurerm_mssql_server.this",
        "public_network_access_enabled",
        True,
        False,
        "sqlServer",
    ),
    "key_vault": Network(
        "azurerm_key_vault.this",
        "public_network_access_enabled",
        True,
        False,
        "vault",
    ),
    "redis": Network(
        "azurerm_managed_redis.this",
        "public_network_access",
        "Enabled",
        "Disabled",
        "redisEnterprise",
    ),
    "storage_blob": Network(
        "azurerm_storage_account.this",
        "public_network_access",
        "Enabled",
        "Disabled",
        "blob",
    ),
    "cosmosdb_mongodb": Network(
        "azurerm_cosmosdb_account.this",
        "public_network_access_enabled",
        True,
        False,
        "MongoDB",
    ),
}


def interface_of(module: str) -> set[str]:
    """The interface inputs `module` takes: every module its name, place, tags and workspace; app_principal_id when it
    gives the app's identity access (catalogue `app_identity`), private_endpoint when it has a private DNS zone."""
    spec = nimbus_answers.catalogue()[module]
    names = {"name", "location", "resource_group_name", "tags", "log_analytics_workspace_id"}
    return names | ({"app_principal_id"} if spec.get("app_identity") else set()) | (
        {"private_endpoint"} if spec.get("private_dns_zone") else set()
    )


def zone(module: str) -> str:
    """The private DNS zone a module's private endpoint registers in (the service catalogue's)."""
    return nimbus_answers.catalogue()[module]["private_dns_zone"]


PRIVATE_ENDPOINT_VALUE = {
    "subnet_id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe",
    "private_dns_zone_id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/zone",
}


def unwrap(value):
    """python-hcl2 spells expressions "${...}"; give the bare expression (or the literal)."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def clean(value):
    """python-hcl2 8 keeps the quotes of string literals and block labels and marks blocks: drop both."""
    if isinstance(value, dict):
        return {_unquote(key): clean(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, str):
        return _unquote(value)
    return value


@cache
def parsed(module: str) -> dict:
    """Every .tf file of a module parsed by python-hcl2, cleaned, and merged by block type."""
    merged: dict[str, list] = {}
    for path in sorted(template_module_folder(module).glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            for kind, blocks in clean(hcl2.load(handle)).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def named_blocks(module: str, kind: str) -> dict[str, dict]:
    """{name: body} of the module's variable / output blocks."""
    return {name: body for block in parsed(module).get(kind, []) for name, body in block.items()}


def resources(module: str) -> dict[str, dict]:
    """{"type.name": body} of the module's resources."""
    return {
        f"{rtype}.{name}": body
        for block in parsed(module).get("resource", [])
        for rtype, named in block.items()
        for name, body in named.items()
    }


def module_calls(module: str) -> dict[str, dict]:
    """{name: body} of the module's calls of other modules."""
    return named_blocks(module, "module")


def locals_of(module: str) -> dict[str, str]:
    return {key: unwrap(value) for block in parsed(module).get("locals", []) for key, value in block.items()}


def attr(body: dict, name: str):
    return unwrap(body[name])


def normalized_type(text: str) -> str:
    return re.sub(r"\s+", " ", unwrap(text)).replace("({ ", "({").replace(" })", "})")


# -- a tiny evaluator for the network-mode expressions (ternaries, ||, &&, comparisons, length()) ---------------
_TOKEN = re.compile(
    r'\s*(?:(\d+)|"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w.\[\]]*(?:\.[\w]+)*)|(==|!=|>=|<=|\|\||&&|[?:()!<>,\[\]]))'
)


COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


class Evaluator:
    """Evaluates the expressions that choose between public and private mode, given var.* values and locals."""

    def __init__(self, variables: dict, local_values: dict):
        self.variables, self.locals = variables, local_values

    def value(self, text: str):
        self.tokens, self.pos = self._tokenize(text), 0
        result = self._ternary()
        assert self.pos == len(self.tokens), f"cannot evaluate {text!r}"
        return result

    @staticmethod
    def _tokenize(text: str) -> list:
        tokens, pos = [], 0
        while pos < len(text.rstrip()):
            match = _TOKEN.match(text, pos)
            assert match, f"cannot tokenize {text[pos:]!r}"
            number, string, name, op = match.groups()
            tokens.append(
                ("num", int(number))
                if number
                else ("str", string)
                if string is not None
                else ("name", name)
                if name
                else ("op", op)
            )
            pos = match.end()
        return tokens

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _take(self, op=None):
        token = self._peek()
        assert op is None or token == ("op", op), f"expected {op}, got {token}"
        self.pos += 1
        return token

    def _ternary(self):
        condition = self._or()
        if self._peek() == ("op", "?"):
            self._take("?")
            yes = self._ternary()
            self._take(":")
            no = self._ternary()
            return yes if condition else no
        return condition

    def _or(self):
        left = self._and()
        while self._peek() == ("op", "||"):
            self._take()
            right = self._and()
            left = left or right
        return left

    def _and(self):
        left = self._compare()
        while self._peek() == ("op", "&&"):
            self._take()
            right = self._compare()
            left = left and right
        return left

    def _compare(self):
        left = self._unary()
        kind, op = self._peek()
        if kind == "op" and op in ("==", "!=", ">", "<", ">=", "<="):
            self._take()
            right = self._unary()
            return COMPARISONS[op](left, right)
        return left

    def _unary(self):
        if self._peek() == ("op", "!"):
            self._take()
            return not self._unary()
        return self._primary()

    def _primary(self):
        kind, token = self._take()
        if kind in ("num", "str"):
            return token
        if (kind, token) == ("op", "("):
            inner = self._ternary()
            self._take(")")
            return inner
        if (kind, token) == ("op", "["):
            items = []
            while self._peek() != ("op", "]"):
                items.append(self._ternary())
                if self._peek() == ("op", ","):
                    self._take()
            self._take("]")
            return items
        assert kind == "name", f"unexpected {token!r}"
        if token in ("None", "null"):
            return None
        if token in ("true", "false"):
            return token == "true"
        if token == "length":
            self._take("(")
            inner = self._ternary()
            self._take(")")
            return len(inner)
        if token.startswith("var."):
            return self.variables[token[4:]]
        if token.startswith("local."):
            return Evaluator(self.variables, self.locals).value(self.locals[token[6:]])
        raise AssertionError(f"unsupported reference {token!r}")


def evaluate(module: str, expression, **variables):
    defaults = {"private_endpoint": None, "allowed_ip_ranges": []}
    return Evaluator({**defaults, **variables}, locals_of(module)).value(str(unwrap(expression)))


# -- the module folders ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("module", DATA_MODULES)
def test_module_is_a_known_module_in_its_flag_named_folder(module):
    assert module in nimbus_answers.all_modules()
    assert template_module_folder(module).is_dir(), f"{template_module_folder(module)} is missing"
    names = {path.name for path in template_module_folder(module).iterdir()}
    assert set(FILES) <= names <= set(FILES + OPTIONAL_FILES)


@pytest.mark.parametrize("module", DATA_MODULES)
def test_module_files_are_plain_terraform_without_jinja(module):
    for path in template_module_folder(module).iterdir():
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text, f"{path.name} would be rendered by copier"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{path.name}: end with exactly one newline"


@pytest.mark.parametrize("module", DATA_MODULES)
def test_every_tf_file_parses(module):
    for path in template_module_folder(module).glob("*.tf"):
        with path.open(encoding="utf-8") as handle:
            assert hcl2.load(handle) is not None, path


@pytest.mark.parametrize("module", DATA_MODULES)
def test_terraform_block_requires_azurerm_5_and_every_provider_used(module):
    terraform_blocks = parsed(module)["terraform"]
    assert len(terraform_blocks) == 1
    (block,) = terraform_blocks
    assert set(block) == {"required_version", "required_providers"}
    (required,) = block["required_providers"]
    major, minor, _ = load_schema().providers["azurerm"].version.split(".")
    assert required["azurerm"] == {"source": "hashicorp/azurerm", "version": f"~> {major}.{minor}"}
    assert block["required_version"] == ">= 1.9, < 2.0"
    used = {address.split("_", 1)[0] for address in resources(module)}
    used |= {rtype.split("_", 1)[0] for block in parsed(module).get("data", []) for rtype in block}
    declared = set(required)
    assert used == declared, "required_providers must list exactly the providers the module uses"
    for name in declared:
        assert required[name]["source"] == f"hashicorp/{name}"


@pytest.mark.parametrize("module", DATA_MODULES)
def test_no_provider_or_backend_configuration(module):
    assert "provider" not in parsed(module), "a module must not configure providers (the root does)"
    (block,) = parsed(module)["terraform"]
    assert "backend" not in block and "cloud" not in block


@pytest.mark.parametrize("module", DATA_MODULES)
def test_every_variable_is_typed_described_and_validated(module):
    variables = named_blocks(module, "variable")
    assert variables
    for name, body in variables.items():
        assert "type" in body, f"variable {name} has no type"
        description = body.get("description", "")
        assert len(description) >= 20 and description.endswith("."), f"variable {name}: describe it in a sentence"
        validations = body.get("validation", [])
        assert validations, f"variable {name} has no validation"
        for validation in validations:
            assert f"var.{name}" in validation["condition"], f"variable {name}: validation must test var.{name}"
            assert validation["error_message"].endswith("."), f"variable {name}: error message is a sentence"


@pytest.mark.parametrize("module", DATA_MODULES)
def test_interface_agreed_with_the_root_module(module):
    variables = named_blocks(module, "variable")
    assert set(variables) & set(COMMON_VARIABLES) == interface_of(module), "the catalogue and the module disagree"
    for name in interface_of(module):
        assert normalized_type(variables[name]["type"]) == COMMON_VARIABLES[name], name
    if "private_endpoint" in variables:
        assert variables["private_endpoint"]["default"] is None
    assert variables["tags"]["default"] == {}
    assert EXTRA_VARIABLES.get(module, set()) <= set(variables)
    # Everything beyond the agreed inputs has a default: the root never has to know about it.
    required = {name for name, body in variables.items() if "default" not in body}
    assert required == interface_of(module) - {"private_endpoint", "tags"}
    assert REQUIRED_OUTPUTS[module] <= set(named_blocks(module, "output"))
    if nimbus_answers.catalogue()[module].get("app_settings"):
        assert "app_settings" in named_blocks(module, "output")


@pytest.mark.parametrize("module", DATA_MODULES)
def test_every_variable_is_used(module):
    """No input is declared only to be ignored: each is read outside its own declaration."""
    code = "".join(
        path.read_text(encoding="utf-8")
        for path in template_module_folder(module).glob("*.tf")
        if path.name != "variables.tf"
    )
    unused = [name for name in named_blocks(module, "variable") if not re.search(rf"\bvar\.{name}\b", code)]
    assert unused == [], f"{module} declares inputs it never reads: {unused}"


def app_settings_input(key: str) -> tuple[list[str], str]:
    """(attribute names, validation condition) of the modules/app_settings input `key`."""
    with APP_SETTINGS_VARIABLES.open(encoding="utf-8") as handle:
        body = {name: item for block in clean(hcl2.load(handle))["variable"] for name, item in block.items()}[key]
    return re.findall(r"(\w+)\s*=", normalized_type(body["type"])), body["validation"][0]["condition"]


@pytest.mark.parametrize("module", DATA_MODULES)
def test_app_settings_output_is_the_object_the_app_settings_module_takes(module):
    """The root passes `<input> = module.<module>.app_settings`: the output carries exactly the input's attributes,
    each taken from this module's own resources (or a literal), a database names its engine (this module, which
    app_settings accepts), and the description documents every attribute: it is the module's contract."""
    key = nimbus_answers.catalogue()[module].get("app_settings")
    outputs = named_blocks(module, "output")
    if not key:
        assert "app_settings" not in outputs
        return
    value = outputs["app_settings"]["value"]
    attributes, condition = app_settings_input(key)
    assert sorted(value) == sorted(attributes), f"{module}: app_settings does not match input {key}"
    description = outputs["app_settings"]["description"]
    assert f"`{key}`" in description
    for name in attributes:
        assert re.search(rf"\b{name} \(", description), f"{module}: the app_settings description omits {name}"
    if key == "database":
        assert value["engine"] == module and f'"{module}"' in condition
    own = set(resources(module))
    for name, expression in value.items():
        referenced = set(re.findall(r"\b((?:azurerm|random)_\w+\.\w+)", str(expression)))
        assert referenced <= own, f"{module}: app_settings.{name} refers to {sorted(referenced - own)}"


@pytest.mark.parametrize("module", [m for m in DATA_MODULES if nimbus_answers.catalogue()[m].get("app_settings")])
def test_no_output_repeats_an_app_settings_attribute(module):
    """Each connection fact is said once, in app_settings: a forker composing the module reads app_settings.<name>."""
    outputs = named_blocks(module, "output")
    settings = outputs["app_settings"]["value"]
    for name, body in outputs.items():
        if name != "app_settings":
            assert name not in settings, f"{module}: output {name} repeats app_settings.{name}"
            assert body["value"] not in settings.values(), f"{module}: output {name} repeats an app_settings value"


@pytest.mark.parametrize("module", DATA_MODULES)
def test_outputs_are_described_and_secrets_are_sensitive(module):
    outputs = named_blocks(module, "output")
    # References to generated passwords, keys, connection strings or the secrets input.
    secret_value = re.compile(r"random_password\.|\.\w*(password|connection_string|_key)\b|var\.secrets")
    for name, body in outputs.items():
        assert body.get("description", "").endswith("."), f"output {name} has no description"
        sensitive = body.get("sensitive", False) is True
        value = str(body["value"])
        if name in SENSITIVE_OUTPUTS[module] or secret_value.search(value):
            assert sensitive, f"output {name} exposes a secret and must be sensitive"
        else:
            assert not sensitive, f"output {name} is marked sensitive without holding a secret"
    assert {name for name, body in outputs.items() if body.get("sensitive", False)} == SENSITIVE_OUTPUTS[module]
    assert "id" in outputs


@pytest.mark.parametrize("module", DATABASES)
def test_database_jdbc_url_requires_tls_and_names_the_same_database(module):
    settings = named_blocks(module, "output")["app_settings"]["value"]
    value = settings["jdbc_url"]
    # The URL is built from the host, port and database the other attributes give, never typed twice differently.
    assert f"{settings['host']}:{settings['port']}" in value and settings["database_name"] in value
    expected = {
        "postgresql": ("jdbc:postgresql://", "?sslmode=require"),
        "mysql": ("jdbc:mysql://", "?sslMode=REQUIRED"),
        "sql_server": ("jdbc:sqlserver://", ";encrypt=true;trustServerCertificate=false;"),
    }[module]
    assert value.startswith(expected[0]) and expected[1] in value


@pytest.mark.parametrize("module", DATABASES)
def test_database_password_is_generated_and_url_safe(module):
    (password,) = [body for address, body in resources(module).items() if address.startswith("random_password.")]
    assert attr(password, "length") >= 32
    assert set(attr(password, "override_special")) <= set("-_")


@pytest.mark.parametrize("module", sorted(NETWORK))
def test_public_network_access_is_off_whenever_a_private_endpoint_is_set(module):
    network = NETWORK[module]
    expression = attr(resources(module)[network.resource], network.argument)
    # The expression is driven by the private endpoint input (directly or through a local).
    inlined = re.sub(r"local\.(\w+)", lambda m: f"({locals_of(module)[m.group(1)]})", str(expression))
    inlined = re.sub(r"local\.(\w+)", lambda m: f"({locals_of(module)[m.group(1)]})", inlined)
    assert "var.private_endpoint" in inlined, f"{network.resource}.{network.argument} must follow var.private_endpoint"
    assert evaluate(module, expression, private_endpoint=PRIVATE_ENDPOINT_VALUE) == network.private
    assert evaluate(module, expression, private_endpoint=None) == network.public


@pytest.mark.parametrize("module", sorted(NETWORK))
def test_private_endpoint_only_in_private_mode_through_the_shared_module(module):
    network = NETWORK[module]
    assert not [address for address in resources(module) if address.startswith("azurerm_private_endpoint.")]
    call = module_calls(module)["private_endpoint"]
    assert attr(call, "source") == "../private_endpoint"
    assert evaluate(module, attr(call, "count"), private_endpoint=PRIVATE_ENDPOINT_VALUE) == 1
    assert evaluate(module, attr(call, "count"), private_endpoint=None) == 0
    assert attr(call, "name") == "var.name"
    assert attr(call, "subnet_id") == "var.private_endpoint.subnet_id"
    assert attr(call, "private_dns_zone_id") == "var.private_endpoint.private_dns_zone_id"
    assert attr(call, "subresource_name") == network.subresource
    assert attr(call, "resource_id") == f"{network.resource}.id"
    # The input is validated against the zone this service registers in.
    condition = named_blocks(module, "variable")["private_endpoint"]["validation"][0]["condition"]
    assert zone(module).replace(".", "\\\\.") in condition


def test_shared_private_endpoint_connects_automatically_and_registers_in_the_zone():
    endpoint = resources("private_endpoint")["azurerm_private_endpoint.this"]
    assert "var.name" in attr(endpoint, "name") and attr(endpoint, "subnet_id") == "var.subnet_id"
    (connection,) = endpoint["private_service_connection"]
    assert attr(connection, "subresource_names") == ["${var.subresource_name}"]
    assert attr(connection, "is_manual_connection") is False
    assert attr(connection, "private_connection_resource_id") == "var.resource_id"
    (group,) = endpoint["private_dns_zone_group"]
    assert attr(group, "private_dns_zone_ids") == ["${var.private_dns_zone_id}"]


@pytest.mark.parametrize("module", [module for module in DATA_MODULES if module != "application_insights"])
def test_resource_logs_go_to_the_workspace_through_the_shared_module(module):
    assert not [address for address in resources(module) if address.startswith("azurerm_monitor_diagnostic_setting.")]
    call = module_calls(module)["diagnostic_setting"]
    assert attr(call, "source") == "../diagnostic_setting"
    assert attr(call, "log_analytics_workspace_id") == "var.log_analytics_workspace_id"
    assert "var.name" in attr(call, "name")


@pytest.mark.parametrize("module", sorted(NETWORK))
def test_firewall_rules_exist_in_public_mode_only(module):
    for address, body in resources(module).items():
        if "firewall_rule" in address:
            assert evaluate(module, attr(body, "count"), private_endpoint=PRIVATE_ENDPOINT_VALUE) == 0
            assert evaluate(module, attr(body, "count"), private_endpoint=None) == 1
            assert (attr(body, "start_ip_address"), attr(body, "end_ip_address")) == ("0.0.0.0", "0.0.0.0")


def test_key_vault_firewall_follows_the_mode_and_allowed_ranges():
    vault = resources("key_vault")["azurerm_key_vault.this"]
    ranges = ["203.0.113.7"]
    public_access = attr(vault, "public_network_access_enabled")
    # Private mode with the CI runner's address: public endpoint on, but default Deny with only that address.
    assert evaluate("key_vault", public_access, private_endpoint=PRIVATE_ENDPOINT_VALUE, allowed_ip_ranges=ranges)
    (acls,) = vault["network_acls"]
    private = {"private_endpoint": PRIVATE_ENDPOINT_VALUE, "allowed_ip_ranges": ranges}
    assert evaluate("key_vault", attr(acls, "default_action"), **private) == "Deny"
    assert evaluate("key_vault", attr(acls, "ip_rules"), **private) == ranges
    assert evaluate("key_vault", attr(acls, "ip_rules"), private_endpoint=None, allowed_ip_ranges=ranges) == []
    assert attr(acls, "bypass") == "AzureServices"


def test_key_vault_uses_rbac_and_stores_secrets_with_expiry_and_content_type():
    vault = resources("key_vault")["azurerm_key_vault.this"]
    assert attr(vault, "rbac_authorization_enabled") is True
    assert "access_policy" not in vault
    variables = named_blocks("key_vault", "variable")
    assert variables["secrets"]["sensitive"] is True
    assert variables["purge_protection_enabled"]["default"] is False
    assert variables["soft_delete_retention_days"]["default"] == 7
    secret = resources("key_vault")["azurerm_key_vault_secret.this"]
    # Sensitive values cannot be for_each keys: iterate the names only.
    assert attr(secret, "for_each") == "local.secret_names"
    assert locals_of("key_vault")["secret_names"] == "nonsensitive(toset(keys(var.secrets)))"
    assert attr(secret, "content_type") and "time_rotating." in attr(secret, "expiration_date")
    roles = {
        attr(body, "role_definition_name"): attr(body, "principal_id")
        for address, body in resources("key_vault").items()
        if address.startswith("azurerm_role_assignment.")
    }
    # The app reads; the deploying identity already holds Secrets Officer at subscription scope (setup grants it),
    # so the module grants nothing to it and never waits for a role to propagate.
    assert roles == {"Key Vault Secrets User": "var.app_principal_id"}
    assert not any(address.startswith("time_sleep.") for address in resources("key_vault"))
    secret_uris = named_blocks("key_vault", "output")["app_settings"]["value"]["secret_uris"]
    assert "in local.secret_names" in secret_uris and ".versionless_id" in secret_uris


def test_storage_disables_shared_keys_and_exports_no_keys():
    account = resources("storage_blob")["azurerm_storage_account.this"]
    assert attr(account, "shared_access_key_enabled") is False
    assert attr(account, "allow_nested_items_to_be_public") is False
    assert attr(account, "min_tls_version") == "TLS1_2"
    assert attr(account, "https_traffic_only_enabled") is True
    container = resources("storage_blob")["azurerm_storage_container.this"]
    assert attr(container, "storage_account_id") == "azurerm_storage_account.this.id"  # ARM, not the data plane
    assert attr(container, "container_access_type") == "private"
    role = resources("storage_blob")["azurerm_role_assignment.app_blob_data_contributor"]
    assert attr(role, "role_definition_name") == "Storage Blob Data Contributor"
    assert attr(role, "principal_id") == "var.app_principal_id"
    text = (template_module_folder("storage_blob") / "outputs.tf").read_text(encoding="utf-8")
    values = " ".join(str(body["value"]) for body in named_blocks("storage_blob", "output").values())
    assert not re.search(r"access_key|connection_string|sas", values)
    assert "sensitive" not in text


def test_redis_is_azure_managed_redis_with_tls_and_entra_id_for_the_app():
    redis = resources("redis")
    assert "azurerm_managed_redis.this" in redis
    assert not any(address.startswith("azurerm_redis_cache.") for address in redis)
    (database,) = redis["azurerm_managed_redis.this"]["default_database"]
    assert attr(database, "client_protocol") == "Encrypted"
    assert attr(database, "access_keys_authentication_enabled") == "var.access_keys_authentication_enabled"
    assert named_blocks("redis", "variable")["access_keys_authentication_enabled"]["default"] is False
    assignment = redis["azurerm_managed_redis_access_policy_assignment.app"]
    assert attr(assignment, "object_id") == "var.app_principal_id"


def test_cosmosdb_is_serverless_mongodb_without_free_tier():
    account = resources("cosmosdb_mongodb")["azurerm_cosmosdb_account.this"]
    assert attr(account, "kind") == "MongoDB"
    assert attr(account, "free_tier_enabled") is False  # one free-tier account per subscription
    assert {attr(capability, "name") for capability in account["capabilities"]} >= {"EnableServerless"}
    assert attr(account, "minimal_tls_version") == "Tls12"


def test_application_insights_is_workspace_based():
    component = resources("application_insights")["azurerm_application_insights.this"]
    assert attr(component, "workspace_id") == "var.log_analytics_workspace_id"
    assert not any(address.startswith("azurerm_private_endpoint.") for address in resources("application_insights"))


@pytest.mark.parametrize("module", DATA_MODULES)
def test_app_role_assignments_name_the_principal_type(module):
    for address, body in resources(module).items():
        if address.startswith("azurerm_role_assignment.") and attr(body, "principal_id") == "var.app_principal_id":
            # A freshly created identity may not have replicated yet; the type skips the directory lookup.
            assert attr(body, "principal_type") == "ServicePrincipal", address


@pytest.mark.parametrize("module", DATA_MODULES)
def test_readme_documents_every_input_output_and_checkov_skip(module):
    readme = module_readme(module)
    for name in named_blocks(module, "variable"):
        assert f"| `{name}` |" in readme, f"README does not document input {name}"
    for name in named_blocks(module, "output"):
        assert f"| `{name}` |" in readme, f"README does not document output {name}"
    for check, _ in CHECKOV_SKIP.findall((template_module_folder(module) / "main.tf").read_text(encoding="utf-8")):
        assert f"| {check} |" in readme, f"README does not explain the {check} skip"
    for heading in ("## What it creates", "## Inputs", "## Outputs", "## Checkov skips", "## Cost notes"):
        assert heading in readme, heading


@pytest.mark.parametrize("module", DATA_MODULES)
def test_checkov_skips_give_a_reason(module):
    for check, reason in CHECKOV_SKIP.findall((template_module_folder(module) / "main.tf").read_text(encoding="utf-8")):
        assert len(reason.strip()) >= 40, f"{check}: explain the skip"


# -- schema, references and formatting (tests/tfcheck), on copies with plain folder names ------------------------
@pytest.fixture(scope="session")
def plain_modules(tmp_path_factory) -> Path:
    """The module folders copied under their plain names, as copier renders them."""
    base = tmp_path_factory.mktemp("data-modules")
    for module in DATA_MODULES + SHARED_MODULES:
        shutil.copytree(template_module_folder(module), base / module)
    return base


@pytest.mark.parametrize("module", DATA_MODULES)
def test_module_passes_offline_validate_and_fmt(plain_modules, module):
    """Every argument against the azurerm 5.x schema, every reference, sensitive outputs and `terraform fmt`."""
    assert check_terraform_dir(plain_modules / module) == []


# -- checkov: one process over every module and two callers, one per network mode -------------------------------
def caller(mode: str) -> str:
    """A root module calling every data module the way the nimbus root does, in one network mode."""
    calls = ['resource "azurerm_resource_group" "this" {\n  name     = "rg-my-app-dev"\n  location = "eastus"\n}\n']
    names = {"key_vault": "myappdevab12", "storage_blob": "myappdevab1b", "application_insights": "appi-my-app-dev"}
    for module in DATA_MODULES:
        extra = '  secrets                    = { "db-password" = "example" }\n' if module == "key_vault" else ""
        if "app_principal_id" in interface_of(module):
            extra += '  app_principal_id           = "00000000-0000-0000-0000-000000000000"\n'
        if "private_endpoint" in interface_of(module):
            subnet_id = PRIVATE_ENDPOINT_VALUE["subnet_id"]
            zone_id = PRIVATE_ENDPOINT_VALUE["private_dns_zone_id"].replace("zone", zone(module))
            endpoint = (
                "null"
                if mode == "public"
                else f'{{\n    subnet_id           = "{subnet_id}"\n    private_dns_zone_id = "{zone_id}"\n  }}'
            )
            extra += f"  private_endpoint           = {endpoint}\n"
        name = names.get(module, module.replace("_", "-") + "-my-app-ab12")
        calls.append(
            f'module "{module}" {{\n'
            f'  source                     = "../{module}"\n'
            f'  name                       = "{name}"\n'
            "  location                   = azurerm_resource_group.this.location\n"
            "  resource_group_name        = azurerm_resource_group.this.name\n"
            '  tags                       = { environment = "dev" }\n'
            '  log_analytics_workspace_id = "/subscriptions/0/resourceGroups/rg/providers/'
            f'Microsoft.OperationalInsights/workspaces/log"\n{extra}}}\n'
        )
    return "\n".join(calls)


@pytest.mark.slow
def test_checkov_passes_on_every_module_in_both_network_modes(plain_modules):
    for mode in ("public", "private"):
        (plain_modules / f"caller_{mode}").mkdir(exist_ok=True)
        (plain_modules / f"caller_{mode}" / "main.tf").write_text(caller(mode), encoding="utf-8")
    reports = checkov(plain_modules, timeout=900)
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in checkov_results(reports, "failed")
    ]
    assert failed == []
    skipped = applied_checkov_skips(reports)
    declared = declared_checkov_skips([template_module_folder(module) / "main.tf" for module in DATA_MODULES])
    # A skip that checkov never applied is stale (the check was renamed or the resource no longer triggers it).
    assert declared <= skipped, sorted(declared - skipped)


# -- rendered projects (tests/test_terraform.py checks which modules are rendered, the root's calls and checkov) --
@pytest.mark.parametrize("name", sorted(ANSWER_SETS))
def test_rendered_data_modules_are_the_template_files_verbatim(rendered, name):
    project = rendered(name)
    for module in set(nimbus_answers.modules_for(ANSWER_SETS[name])) & set(DATA_MODULES):
        for source in template_module_folder(module).iterdir():
            copied = project / "terraform" / "modules" / module / source.name
            assert copied.read_bytes() == source.read_bytes(), f"{module}/{source.name} is not copied verbatim"
