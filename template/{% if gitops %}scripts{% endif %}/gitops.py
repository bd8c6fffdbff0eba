#!/usr/bin/env python3
"""nimbus GitOps CLI: one Azure environment per git branch.

The GitHub Actions workflows and people on laptops call this same script, so an environment behaves the same
wherever Terraform runs. Standard library only (Python 3.9+); the facts it works from are in
terraform/nimbus.json (project, region, branch prefix, protected environments, naming rules).

    env --branch BRANCH        the environment a branch stands for (JSON), or a one-line refusal
    init ENV                   terraform init against ENV's state (shared state storage, Entra ID auth)
    plan ENV                   terraform plan for ENV (-out, -detailed-exitcode, --no-lock)
    apply ENV PLANFILE         apply a plan saved by `plan --out` (checked to be ENV's)
    destroy ENV                terraform destroy (never a protected environment without an explicit flag)
    outputs ENV                the root module's outputs as JSON (sensitive values redacted)
    delete-state ENV           delete ENV's state blob
    list                       environments that have state: branch, protected, age, last apply, owner, status
    sweep INVENTORY            open/update/close orphan and idle issues; print the environments to destroy
    plan-summary PLAN          Markdown summary of a saved plan (add / change / destroy)
    drift-report DIR           open, update or close one GitHub issue per environment from drift records
    setup                      one-time bootstrap: state storage (lifecycle rule, ownership record), OIDC identity,
                               GitHub variables/environments
    dotenv ENV                 the app's settings in ENV as a .env file (--secrets adds the secret ones)
    db-access ENV              let this machine's IP through ENV's database firewall (--remove; -- COMMAND)

init, plan, apply, destroy and delete-state refuse state whose ownership record (written by setup) names another
GitHub repository.

Exit codes: 0 success, 1 failure, 3 refused input (bad branch or environment name, bad arguments).
`plan --detailed-exitcode` passes Terraform's own codes through (0 no changes, 1 error, 2 changes).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import ipaddress
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = PROJECT_ROOT / "terraform"
CONFIG_FILE = TERRAFORM_DIR / "nimbus.json"

# Forgotten environments (orphan sweep, idle environments): defaults of the nimbus.json settings.
DEFAULT_ORPHAN_GRACE_DAYS = 3

EXIT_FAILED = 1
EXIT_REFUSED = 3  # not 2: `plan --detailed-exitcode` uses 2 for "changes", and argparse uses 2 for usage errors

# State storage: one per subscription, shared by every nimbus project in it (the key holds the project).
STATE_RESOURCE_GROUP = "nimbus-tfstate"
STATE_CONTAINER = "tfstate"
STATE_ACCOUNT_PREFIX = "nimbustf"
STATE_ACCOUNT_HASH_CHARS = 14  # "nimbustf" + 14 = 22 characters, within Azure's 3-24
STORAGE_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
# Deleted state blobs and earlier versions of state (they hold database passwords) are kept this long, then
# deleted: soft delete, and a lifecycle rule on non-current versions (setup creates both).
STATE_RETENTION_DAYS = 30
STATE_LIFECYCLE_RULE = "nimbus-delete-old-state-versions"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# GitHub Environments every workflow job that signs in to Azure runs in: their names are the OIDC subjects.
GITHUB_ENVIRONMENT = "nimbus"
GITHUB_PROTECTED_ENVIRONMENT = "nimbus-protected"
OIDC_ISSUER = "https://token.actions.githubusercontent.com"
OIDC_AUDIENCE = "api://AzureADTokenExchange"

# Terraform variables that receive the public IP of whoever runs Terraform (Key Vault firewall with vnet).
DEPLOYER_IP_VARIABLES = ("deployer_ip_ranges",)
# Two independent echo services: the second is asked only when the first cannot answer.
DEPLOYER_IP_SERVICES = ("https://api.ipify.org", "https://ipv4.icanhazip.com")

# Roles Terraform may grant to the environment's managed identities; the deploying identity's
# "Role Based Access Control Administrator" assignment is conditioned to exactly these (built-in role ids are
# the same in every tenant). A Terraform module that grants another role must add it here.
ASSIGNABLE_ROLES = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}

# What a read-only `terraform plan` calls beyond the built-in Reader role (`*/read`): the azurerm provider reads
# these resources' settings with POST "list" actions (azurerm issue #33088: Reader alone fails on App Service app
# settings). The reader identity gets them through one custom role; docs/security.md says what they expose (values
# the Terraform state holds too, which the reader reads anyway).
PLAN_READER_ROLE = "nimbus plan reader"
PLAN_READ_ACTIONS = (
    "Microsoft.Web/sites/config/list/action",  # App Service / Functions app settings, connection strings
    "Microsoft.App/containerApps/listSecrets/action",  # Container Apps secrets
    "Microsoft.ContainerRegistry/registries/listCredentials/action",  # registry admin credentials (if enabled)
    "Microsoft.DocumentDB/databaseAccounts/listKeys/action",  # Cosmos DB keys
    "Microsoft.DocumentDB/databaseAccounts/listConnectionStrings/action",
    "Microsoft.Cache/redisEnterprise/databases/listKeys/action",  # Managed Redis access keys
)

INSTALL_HINTS = {
    "az": "install the Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli",
    "gh": "install the GitHub CLI: https://cli.github.com",
    "terraform": "install Terraform (>= 1.9): https://developer.hashicorp.com/terraform/install",
    "git": "install git: https://git-scm.com/downloads",
}


class Refused(Exception):
    """Input nimbus will not act on (a bad branch or environment name). The message is one line."""


class Failed(Exception):
    """A tool is missing, not logged in, or failed. The message is one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2, which `plan --detailed-exitcode` means "changes"
        self.print_usage(sys.stderr)
        raise Refused(message)


# --------------------------------------------------------------------------------------------------------------
# Configuration and names
# --------------------------------------------------------------------------------------------------------------


def load_config() -> dict:
    try:
        config = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Failed(f"{CONFIG_FILE} is missing: run this script from a nimbus project") from None
    except ValueError as error:
        raise Failed(f"{CONFIG_FILE} is not valid JSON: {error}") from None
    for key in ("project", "region", "naming"):
        if key not in config:
            raise Failed(f"{CONFIG_FILE} has no {key!r}: re-render it with copier update")
    config.setdefault("protected_environments", ["prod"])
    uses_token = "{token}" in json.dumps(config["naming"])
    token_rule = (config["naming"].get("repository_token") or {}).get("pattern", r"^[a-z][a-z0-9]{5}$")
    if uses_token and not re.fullmatch(token_rule, str(config.get("repository_token") or "")):
        raise Failed(
            f"{CONFIG_FILE} has no valid repository_token: re-render it with copier update "
            "(the token is recorded in .copier-answers.yml)"
        )
    config.setdefault("orphan_grace_days", DEFAULT_ORPHAN_GRACE_DAYS)
    config.setdefault("idle_days", None)
    config.setdefault("owner_email", False)
    for key, allowed in (
        ("orphan_grace_days", "a whole number of days, 0 or more (0 = report only)"),
        ("idle_days", "null (off) or a whole number of days, 0 or more (0 = off)"),
    ):
        value = config[key]
        if (value is not None or key == "orphan_grace_days") and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise Failed(f"{CONFIG_FILE} has {key} = {json.dumps(value)}: use {allowed}")
    if not isinstance(config["owner_email"], bool):
        raise Failed(f"{CONFIG_FILE} has owner_email = {json.dumps(config['owner_email'])}: use true or false")
    return config


def allowed_names(config: dict) -> str:
    rules = config["naming"]["environment"]
    return (
        f"environments are {rules['min_length']} to {rules['max_length']} lowercase letters, digits and single "
        "hyphens, starting with a letter and ending with a letter or digit"
    )


def naming_problem(name: str, config: dict) -> str:
    """Why `name` is not a safe environment name ('' when it is). Names reach resource names, state keys, shell
    commands and GITHUB_OUTPUT, so only the naming.json pattern passes."""
    rules = config["naming"]["environment"]
    if not name:
        return "is empty"
    if re.search(r"[A-Z_]", name) and not re.search(r"[^A-Za-z0-9_-]", name):
        # Folding Alice to alice would let env-Alice and env-alice share one environment: refuse and suggest.
        suggestion = re.sub(r"-+", "-", name.lower().replace("_", "-")).strip("-")
        return f"has upper-case letters or '_'; use {suggestion!r} instead"
    if "/" in name:
        return "contains '/'"
    if not re.fullmatch(r"[a-z0-9-]+", name):
        return "contains characters other than lowercase letters, digits and hyphens"
    if len(name) < rules["min_length"] or len(name) > rules["max_length"]:
        return f"has {len(name)} characters"
    if not name[0].isalpha():
        return "does not start with a letter"
    if name.endswith("-"):
        return "ends with a hyphen"
    if "--" in name:
        return "has a double hyphen"
    if not re.fullmatch(rules["pattern"], name):
        return "does not match the naming rule in terraform/nimbus.json"
    return ""


def check_environment(name: str, config: dict) -> str:
    problem = naming_problem(name, config)
    if problem:
        raise Refused(f"refused environment {name!r}: it {problem} ({allowed_names(config)})")
    return name


def environment_from_branch(branch: str, config: dict) -> str:
    prefix = config.get("branch_prefix")
    if not prefix:
        raise Failed("terraform/nimbus.json has no branch_prefix: this project was rendered without gitops")
    if branch.startswith("refs/") and not branch.startswith("refs/heads/"):
        raise Refused(f"refused {branch!r}: only branches named {prefix}<environment> get an environment")
    short = branch[len("refs/heads/") :] if branch.startswith("refs/heads/") else branch
    if not short.startswith(prefix):
        raise Refused(
            f"refused branch {short!r}: only branches named {prefix}<environment> get an environment "
            f"(for example {prefix}alice)"
        )
    name = short[len(prefix) :]
    problem = naming_problem(name, config)
    if problem:
        suggestion = re.search(r"use '([^']+)' instead", problem)
        if suggestion and not naming_problem(suggestion.group(1), config):
            problem = problem.replace(
                f"use {suggestion.group(1)!r} instead", f"name the branch {prefix + suggestion.group(1)!r} instead"
            )
        raise Refused(f"refused branch {short!r}: the environment {name!r} {problem} ({allowed_names(config)})")
    return name


def fill(pattern: str, config: dict, environment: str) -> str:
    return (
        pattern.replace("{token}", str(config.get("repository_token") or ""))
        .replace("{project}", config["project"])
        .replace("{environment}", environment)
    )


def is_protected(environment: str, config: dict) -> bool:
    return environment in config.get("protected_environments", [])


def state_storage(subscription_id: str) -> dict:
    """THE rule for where Terraform state lives; every command uses it, so CI and laptops agree.

    One storage account per subscription, shared by every nimbus project (state keys start with the project),
    named from the subscription id so that it is the same everywhere without configuration. Both names can be
    overridden (NIMBUS_STATE_RESOURCE_GROUP, NIMBUS_STATE_STORAGE_ACCOUNT), for example when the derived name
    is taken in another tenant; `setup` copies overrides into the GitHub variables the workflows read.
    """
    if not GUID.fullmatch(subscription_id or ""):
        raise Refused(
            f"refused subscription id {subscription_id!r}: expected a GUID like 00000000-0000-0000-0000-000000000000"
        )
    account = os.environ.get("NIMBUS_STATE_STORAGE_ACCOUNT") or (
        STATE_ACCOUNT_PREFIX + hashlib.sha256(subscription_id.lower().encode()).hexdigest()[:STATE_ACCOUNT_HASH_CHARS]
    )
    if not STORAGE_ACCOUNT_NAME.fullmatch(account):
        raise Refused(f"refused NIMBUS_STATE_STORAGE_ACCOUNT {account!r}: use 3 to 24 lowercase letters and digits")
    group = os.environ.get("NIMBUS_STATE_RESOURCE_GROUP") or STATE_RESOURCE_GROUP
    if not re.fullmatch(r"[-\w.()]{1,89}[-\w()]", group):
        raise Refused(f"refused NIMBUS_STATE_RESOURCE_GROUP {group!r}: not a valid resource group name")
    return {"resource_group_name": group, "storage_account_name": account, "container_name": STATE_CONTAINER}


def describe(environment: str, config: dict, subscription_id: str | None = None) -> dict:
    """Everything the workflows and people need to know about one environment."""
    naming = config["naming"]
    protected = is_protected(environment, config)
    info = {
        "environment": environment,
        "project": config["project"],
        "region": config["region"],
        "resource_group": fill(naming["resource_group"], config, environment),
        "state_key": fill(naming["state_key"], config, environment),
        "protected": protected,
        "github_environment": GITHUB_PROTECTED_ENVIRONMENT if protected else GITHUB_ENVIRONMENT,
    }
    if config.get("branch_prefix"):
        info["branch"] = config["branch_prefix"] + environment
    if subscription_id:
        info["subscription_id"] = subscription_id
        info["backend"] = {**state_storage(subscription_id), "key": info["state_key"]}
    return info


# --------------------------------------------------------------------------------------------------------------
# Running tools
# --------------------------------------------------------------------------------------------------------------


def require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise Failed(f"{tool} is not on PATH: {INSTALL_HINTS.get(tool, 'install it')}")
    return path


def show_command(command: Sequence[str]) -> None:
    """Every command that touches Azure, GitHub or state is echoed (stderr keeps stdout parseable)."""
    print("+ " + " ".join(shlex.quote(str(part)) for part in command), file=sys.stderr, flush=True)


def argv(template: str, **values) -> list[str]:
    """A command from a readable template: split on spaces FIRST, then each {name} token becomes its value as one
    argument, so a value with spaces (a role name, JSON) is never split and never interpreted by a shell."""
    return [values[token[1:-1]] if re.fullmatch(r"\{\w+\}", token) else token for token in template.split()]


def run(
    command: Sequence[str],
    *,
    capture: bool = False,
    echo: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
) -> subprocess.CompletedProcess:
    require(command[0])
    if echo:
        show_command(command)
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        text=True,
        capture_output=capture,
        stdin=subprocess.DEVNULL if capture else None,
    )


def checked(command: Sequence[str], what: str, **options) -> subprocess.CompletedProcess:
    result = run(command, capture=True, **options)
    if result.returncode != 0:
        raise Failed(f"{what} failed ({command[0]} exit {result.returncode}): {last_line(result.stderr)}")
    return result


def last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"


def not_found(result: subprocess.CompletedProcess) -> bool:
    """az answers exit 3 (ResourceNotFound...) and gh "HTTP 404" for things that do not exist."""
    text = (result.stderr or "") + (result.stdout or "")
    return result.returncode == 3 or "NotFound" in text or "HTTP 404" in text or "Not Found" in text


def json_of(result: subprocess.CompletedProcess, what: str) -> Any:
    try:
        return json.loads(result.stdout or "null")
    except ValueError:
        raise Failed(f"{what} did not print JSON: {last_line(result.stdout)}") from None


def azure_account() -> dict:
    """The Azure CLI's current account; the one-line 'run az login' error when it has none."""
    result = run(["az", "account", "show", "--output", "json"], capture=True, echo=False)
    if result.returncode != 0:
        raise Failed(
            "the Azure CLI is not logged in: run az login (then az account set --subscription <id> to pick the "
            f"subscription); az said: {last_line(result.stderr)}"
        )
    return json_of(result, "az account show")


def subscription_id(given: str | None = None, *, required: bool = True) -> str | None:
    """--subscription, else ARM_SUBSCRIPTION_ID (CI), else the Azure CLI's current subscription (laptops)."""
    value = given or os.environ.get("ARM_SUBSCRIPTION_ID")
    if value:
        return value
    if not required:
        return None
    return azure_account()["id"]


# --------------------------------------------------------------------------------------------------------------
# GitHub Actions plumbing
# --------------------------------------------------------------------------------------------------------------


def github_output_path(flag: str | bool | None) -> Path | None:
    if not flag:
        return None
    path = flag if isinstance(flag, str) else os.environ.get("GITHUB_OUTPUT")
    if not path:
        raise Refused("--github-output needs a file: pass --github-output FILE or set GITHUB_OUTPUT")
    return Path(path)


def write_github_output(path: Path | None, values: Mapping[str, Any]) -> None:
    """key=value lines as GitHub Actions reads them; multi-line values use a random heredoc delimiter so no value
    can end the block early and inject other outputs."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as handle:
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif value is None:
                text = ""
            elif isinstance(value, (dict, list)):
                text = json.dumps(value, separators=(",", ":"))
            else:
                text = str(value)
            if "\n" in text or "\r" in text:
                delimiter = f"NIMBUS_{uuid.uuid4().hex}"
                handle.write(f"{key}<<{delimiter}\n{text}\n{delimiter}\n")
            else:
                handle.write(f"{key}={text}\n")


# --------------------------------------------------------------------------------------------------------------
# Terraform
# --------------------------------------------------------------------------------------------------------------


def terraform(*args: str) -> list[str]:
    # -chdir keeps every relative path the same for CI and laptops: the project root is the working directory.
    return ["terraform", "-chdir=terraform", *args]


def variable_args(environment: str) -> list[str]:
    args = ["-var", f"environment={environment}"]
    # _all.tfvars (no environment name has an underscore) holds what every environment shares; the
    # environment's own file comes after it, so its values win.
    if (TERRAFORM_DIR / "environments" / "_all.tfvars").is_file():
        args.append("-var-file=environments/_all.tfvars")
    if (TERRAFORM_DIR / "environments" / f"{environment}.tfvars").is_file():
        args.append(f"-var-file=environments/{environment}.tfvars")  # relative to -chdir=terraform
    return args


# Root variables that become the provenance tags (who created the environment, from which branch and commit it
# was last applied); every plan passes them when the root module declares them.
PROVENANCE_VARIABLES = ("nimbus_actor", "nimbus_branch", "nimbus_commit")


def git_output(*args: str) -> str:
    if not shutil.which("git"):
        return ""
    result = run(["git", *args], capture=True, echo=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def provenance(config: dict) -> dict[str, str]:
    """Who applies (the GitHub actor in Actions, else the git user name; its e-mail address only with owner_email:
    true in nimbus.json), and the branch and commit of the checkout being applied. The checkout's own HEAD comes
    first: the daily drift plan runs on main's event but checks out the environment's branch, and its tags must
    read the same as the apply's."""
    actor = os.environ.get("GITHUB_ACTOR") or git_output(
        "config", "user.email" if config.get("owner_email") else "user.name"
    )
    if not config.get("owner_email"):
        actor = actor.split("@")[0]  # a user.name that is an address still gives no address
    branch = git_output("symbolic-ref", "--short", "-q", "HEAD") or (
        os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME") or ""
    )
    commit = git_output("rev-parse", "-q", "--verify", "HEAD") or os.environ.get("GITHUB_SHA") or ""
    return dict(zip(PROVENANCE_VARIABLES, (value[:256] for value in (actor, branch, commit))))


def provenance_args(config: dict) -> list[str]:
    used = used_variables()
    return [
        item
        for name, value in provenance(config).items()
        if name in used and value  # an unknown value keeps the variable's default ("")
        for item in ("-var", f"{name}={value}")
    ]


def used_variables() -> set[str]:
    """Root variables that the rendered root module reads and gitops.py fills in (nimbus.json says which)."""
    return set(load_config().get("root_variables", []))


def deployer_ip() -> str:
    """This machine's public IPv4 address as Azure firewalls see it (NIMBUS_DEPLOYER_IP overrides)."""
    value = os.environ.get("NIMBUS_DEPLOYER_IP")
    errors = []
    for service in DEPLOYER_IP_SERVICES if not value else ():
        try:
            with urllib.request.urlopen(service, timeout=10) as response:
                value = response.read(64).decode("ascii", "replace").strip()
            break
        except OSError as error:
            errors.append(f"{service}: {error}")
    if not value:
        raise Failed(
            f"could not learn this machine's public IP ({'; '.join(errors)}): set "
            "NIMBUS_DEPLOYER_IP=<your public IPv4 address>"
        )
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise Failed(
            f"public IP {value!r} is not an IPv4 address: set NIMBUS_DEPLOYER_IP=<your public IPv4 address>"
        ) from None


def terraform_env(subscription: str) -> dict:
    """The environment Terraform runs with: the subscription (azurerm 5 requires one) and, when the root module
    uses it, the deployer's public IP, so that firewalled data planes (Key Vault with vnet) accept Terraform."""
    env = dict(os.environ)
    env["ARM_SUBSCRIPTION_ID"] = subscription
    used = used_variables()
    for name in DEPLOYER_IP_VARIABLES:
        key = f"TF_VAR_{name}"
        if name in used and not env.get(key):
            env[key] = json.dumps([deployer_ip()])
    return env


def environment_vault(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(Key Vault name, resource group) from the environment's state, or None (no vault, or no state yet)."""
    result = run(terraform("output", "-json"), capture=True, env=env)
    outputs = json_of(result, "terraform output -json") if result.returncode == 0 else {}
    vault = ((outputs or {}).get("key_vault_name") or {}).get("value")
    group = ((outputs or {}).get("resource_group_name") or {}).get("value")
    return (vault, group) if vault and group else None


def vault_ip_rules(vault: str, group: str) -> set[str]:
    result = checked(
        argv(
            "az keyvault network-rule list --name {vault} --resource-group {group} --output json",
            vault=vault,
            group=group,
        ),
        f"reading the firewall of Key Vault {vault}",
    )
    rules = (json_of(result, "az keyvault network-rule list") or {}).get("ipRules") or []
    return {str(rule.get("value", "")).removesuffix("/32") for rule in rules}


class DeployerAccess:
    """Temporary access of this machine to the environment's Key Vault (network = vnet), for one Terraform run.

    Terraform reads the vault's secrets on refresh (a data-plane call the firewall blocks), so an existing vault
    is told to admit this machine's address first. Whatever this run added to the firewall (that admission, or
    the address a new vault was created with) is removed again when the run ends: on success, on failure and on
    Ctrl-C or a cancelled workflow (SIGINT/SIGTERM). The key_vault module ignores changes to the firewall's IP
    rules, so drift never reports these short-lived addresses. Trade-offs: docs/security.md.
    """

    def __init__(self, env: Mapping[str, str]):
        ranges = env.get("TF_VAR_deployer_ip_ranges")
        self.env = env
        try:
            listed = json.loads(ranges) if ranges else []
        except ValueError:
            listed = None
        if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
            raise Refused(f'refused TF_VAR_deployer_ip_ranges {ranges!r}: use a JSON list, e.g. ["203.0.113.7"]')
        self.addresses = [address.removesuffix("/32") for address in listed]
        self.before: set[str] = set()

    def __enter__(self) -> "DeployerAccess":
        vault = environment_vault(self.env) if self.addresses else None
        if vault:
            self.before = vault_ip_rules(*vault)
            for address in self.addresses:
                if address in self.before:
                    continue
                checked(
                    argv(
                        "az keyvault network-rule add --name {vault} --resource-group {group} --ip-address {address} "
                        "--output none",
                        vault=vault[0],
                        group=vault[1],
                        address=address,
                    ),
                    f"admitting {address} to Key Vault {vault[0]}",
                )
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if not self.addresses:
            return
        try:
            vault = environment_vault(self.env)
            if vault:
                present = vault_ip_rules(*vault)
                for address in self.addresses:
                    if address in present and address not in self.before:
                        checked(
                            argv(
                                "az keyvault network-rule remove --name {vault} --resource-group {group} "
                                "--ip-address {address} --output none",
                                vault=vault[0],
                                group=vault[1],
                                address=address,
                            ),
                            f"removing {address} from Key Vault {vault[0]}",
                        )
        except Failed as failure:
            message = f"{failure}: remove it from the vault's firewall by hand (az keyvault network-rule remove)"
            if kind is None:
                raise Failed(message) from None
            print(f"gitops.py: {message}", file=sys.stderr)


def backend_config(environment: str, config: dict, subscription: str) -> dict:
    return describe(environment, config, subscription)["backend"]


def initialised_for(backend: Mapping[str, str]) -> bool:
    """True when terraform/.terraform was last initialised against exactly this backend (Terraform records the
    backend settings in .terraform/terraform.tfstate). Anything unreadable counts as 'not initialised'."""
    try:
        recorded = json.loads((TERRAFORM_DIR / ".terraform" / "terraform.tfstate").read_text(encoding="utf-8"))
        settings = recorded["backend"]["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return recorded["backend"].get("type") == "azurerm" and all(settings.get(k) == v for k, v in backend.items())


def check_backend_block() -> None:
    for path in TERRAFORM_DIR.glob("*.tf"):
        if re.search(r'^\s*backend\s+"azurerm"', path.read_text(encoding="utf-8"), re.MULTILINE):
            return
    # Without it Terraform would silently keep state on the runner's disk, and lose it with the runner.
    raise Failed('terraform/ declares no backend "azurerm" block: re-render the project with gitops=true')


def init(environment: str, config: dict, subscription: str) -> None:
    check_backend_block()
    require("terraform")
    check_owner(config, subscription)
    backend = backend_config(environment, config, subscription)
    command = terraform("init", "-input=false", "-reconfigure")
    command += [f"-backend-config={key}={value}" for key, value in backend.items()]
    command.append("-backend-config=use_azuread_auth=true")
    if os.environ.get("CI") and (TERRAFORM_DIR / ".terraform.lock.hcl").is_file():
        # CI installs exactly the provider builds the committed lock file records, and fails rather than change it.
        command.append("-lockfile=readonly")
    # -reconfigure: switching environments must never offer to copy one environment's state into another's.
    result = run(command, env=terraform_env(subscription))
    if result.returncode != 0:
        raise Failed(f"terraform init for environment {environment!r} failed (exit {result.returncode})")


def ensure_initialised(environment: str, config: dict, subscription: str) -> None:
    """Every command that reads state first makes sure terraform/ points at THIS environment's state: a plan of
    alice against bob's state would propose replacing bob's resources with alice's."""
    if not initialised_for(backend_config(environment, config, subscription)):
        init(environment, config, subscription)


def absolute(path: str) -> str:
    # terraform runs with -chdir=terraform: a relative plan path is made absolute against the caller's directory.
    return str(Path(path).resolve())


def plan_json(plan_file: str, subscription: str | None) -> dict:
    try:
        text = Path(plan_file).read_bytes()
    except OSError as error:
        raise Refused(
            f"refused plan file {plan_file!r}: {error.strerror or error} (save one with plan --out)"
        ) from None
    if text.lstrip().startswith(b"{"):
        try:
            plan = json.loads(text)
        except ValueError as error:
            raise Refused(f"refused plan file {plan_file!r}: it is not valid JSON ({error})") from None
        if not isinstance(plan, dict):
            raise Refused(f"refused plan file {plan_file!r}: expected a JSON object (terraform show -json)")
        return plan
    env = terraform_env(subscription) if subscription else None
    result = run(terraform("show", "-json", absolute(plan_file)), capture=True, env=env)
    if result.returncode != 0:
        raise Failed(f"terraform show -json {plan_file} failed: {last_line(result.stderr)}")
    return json_of(result, "terraform show -json")


# --------------------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------------------


def cmd_env(args, config) -> int:
    environment = environment_from_branch(args.branch, config)
    info = describe(environment, config, subscription_id(args.subscription, required=False))
    print(json.dumps(info, indent=2))
    flat = {key: value for key, value in info.items() if key != "backend"}
    flat.update({f"backend_{key}": value for key, value in info.get("backend", {}).items()})
    write_github_output(github_output_path(args.github_output), flat)
    return 0


def cmd_init(args, config) -> int:
    environment = check_environment(args.environment, config)
    init(environment, config, subscription_id(args.subscription))
    print(
        f"terraform/ now works on environment {environment!r}: plain `terraform -chdir=terraform plan "
        f"-var environment={environment}` uses its state.",
        file=sys.stderr,
    )
    return 0


def cmd_plan(args, config) -> int:
    environment = check_environment(args.environment, config)
    subscription = subscription_id(args.subscription)
    ensure_initialised(environment, config, subscription)
    command = terraform("plan", "-input=false")
    if args.out:
        command.append(f"-out={absolute(args.out)}")
    if args.detailed_exitcode:
        command.append("-detailed-exitcode")
    if args.no_lock:
        # Read-only plans (pull requests, drift) never take the state lock that applies need.
        command.append("-lock=false")
    command += variable_args(environment) + provenance_args(config)
    env = terraform_env(subscription)
    with DeployerAccess(env):
        return run(command, env=env).returncode


def cmd_apply(args, config) -> int:
    environment = check_environment(args.environment, config)
    subscription = subscription_id(args.subscription)
    # The plan names its environment (and carries its backend): checked before anything is re-initialised.
    planned = plan_json(args.plan_file, subscription).get("variables")
    environment_variable = planned.get("environment") if isinstance(planned, dict) else None
    planned_for = environment_variable.get("value") if isinstance(environment_variable, dict) else None
    if planned_for != environment:
        raise Refused(
            f"refused to apply {args.plan_file}: it was planned for environment {planned_for!r}, not {environment!r}"
        )
    check_owner(config, subscription)
    ensure_initialised(environment, config, subscription)
    # A saved plan carries its own variables: Terraform refuses -var/-var-file here.
    env = terraform_env(subscription)
    with DeployerAccess(env):
        return run(terraform("apply", "-input=false", absolute(args.plan_file)), env=env).returncode


def refuse_protected(environment: str, config: dict, forced: bool, action: str) -> None:
    if is_protected(environment, config) and not forced:
        raise Refused(
            f"refused to {action} environment {environment!r}: it is protected (protected_environments in "
            "terraform/nimbus.json); nimbus never does that automatically. To do it by hand anyway, pass "
            "--i-know-this-is-protected"
        )


def cmd_destroy(args, config) -> int:
    environment = check_environment(args.environment, config)
    refuse_protected(environment, config, args.i_know_this_is_protected, "destroy")
    subscription = subscription_id(args.subscription)
    check_owner(config, subscription)
    ensure_initialised(environment, config, subscription)
    # Without --yes Terraform asks for confirmation, so input stays on.
    command = terraform("destroy", "-input=false", "-auto-approve") if args.yes else terraform("destroy")
    command += variable_args(environment)
    env = terraform_env(subscription)
    with DeployerAccess(env):
        return run(command, env=env).returncode


def cmd_outputs(args, config) -> int:
    environment = check_environment(args.environment, config)
    subscription = subscription_id(args.subscription)
    ensure_initialised(environment, config, subscription)
    result = run(terraform("output", "-json"), capture=True, env=terraform_env(subscription))
    if result.returncode != 0:
        raise Failed(f"terraform output failed: {last_line(result.stderr)}")
    outputs = json_of(result, "terraform output -json") or {}
    shown = {
        name: ("<sensitive>" if spec.get("sensitive") and not args.show_sensitive else spec.get("value"))
        for name, spec in outputs.items()
    }
    print(json.dumps(shown, indent=2, sort_keys=True))
    # Sensitive values never reach job outputs: those are printed in logs and passed between jobs in clear.
    write_github_output(
        github_output_path(args.github_output),
        {name: spec.get("value") for name, spec in sorted(outputs.items()) if not spec.get("sensitive")},
    )
    return 0


def blob_args(storage: Mapping[str, str]) -> list[str]:
    return [
        "--auth-mode",
        "login",
        "--account-name",
        storage["storage_account_name"],
        "--container-name",
        storage["container_name"],
    ]


# --------------------------------------------------------------------------------------------------------------
# Ownership: which GitHub repository a project's state belongs to
# --------------------------------------------------------------------------------------------------------------


def owner_record_key(config: dict) -> str:
    """The blob beside the state that names the repository it belongs to (`setup` writes it)."""
    return fill(config["naming"]["owner_record"], config, "")


def current_repository() -> tuple[str, str] | None:
    """(OWNER/REPO, numeric id or '') this runs for: GITHUB_REPOSITORY(_ID) in Actions, else the git remote
    origin; None when neither says."""
    name = os.environ.get("GITHUB_REPOSITORY")
    if name:
        return name, os.environ.get("GITHUB_REPOSITORY_ID", "")
    try:
        return github_repository(None), ""
    except Refused:
        return None


def read_owner(storage: Mapping[str, str], key: str) -> dict | None:
    """The ownership record's metadata ({"repository": ..., "repository_id": ...}), or None when there is none."""
    result = run(
        ["az", "storage", "blob", "metadata", "show", *blob_args(storage), "--name", key, "--output", "json"],
        capture=True,
        echo=False,
    )
    if result.returncode != 0:
        if not_found(result) or "BlobNotFound" in (result.stderr or ""):
            return None
        raise Failed(
            f"reading the ownership record {key} failed (az exit {result.returncode}): {last_line(result.stderr)}"
        )
    record = json_of(result, "az storage blob metadata show")
    return record if isinstance(record, dict) else {}


def same_repository(record: Mapping[str, Any], name: str, repository_id: str) -> bool:
    """GitHub ids survive renames and are never reused; names are compared without case (as GitHub does)."""
    if record.get("repository_id") and repository_id:
        return str(record["repository_id"]) == str(repository_id)
    return str(record.get("repository") or "").lower() == name.lower()


def owner_name(record: Mapping[str, Any], name: str, repository_id: str) -> tuple[str, str]:
    """How to name the recorded owner and this repository in a refusal (ids when the names are the same)."""
    theirs = str(record.get("repository") or "an unnamed repository")
    if theirs.lower() == name.lower():
        return f"{theirs} (id {record.get('repository_id')})", f"{name} (id {repository_id or 'unknown'})"
    return theirs, name


def fork_hint(config: dict) -> str:
    if "{token}" in config["naming"]["owner_record"]:
        letters, alphabet = "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789"
        token = secrets.choice(letters) + "".join(secrets.choice(alphabet) for _ in range(5))
        return (
            "If this repository is a fork or copy of it, give it its own token: copier update --trust --data "
            f"repository_token={token} --data allow_destroy=true, commit, then run python3 scripts/gitops.py setup"
        )
    return "If this repository is a fork or copy of it, adopt naming scheme 2 first (docs/upgrading.md)"


_owners_checked: set[tuple[str, str]] = set()


def check_owner(config: dict, subscription: str) -> None:
    """Refuse to touch state that `setup` recorded as another repository's (a fork, or another team's project
    with the same name under the scheme-1 names)."""
    storage = state_storage(subscription)
    key = owner_record_key(config)
    if (storage["storage_account_name"], key) in _owners_checked:
        return
    record = read_owner(storage, key)
    if record is None:
        print(
            f"gitops.py: warning: no ownership record {key} in storage account {storage['storage_account_name']}: "
            "run python3 scripts/gitops.py setup, so that no other repository can use this project's state",
            file=sys.stderr,
        )
    else:
        me = current_repository()
        if me is None:
            raise Refused(
                "cannot tell which GitHub repository this is, so the state's owner cannot be checked: set "
                "GITHUB_REPOSITORY=OWNER/REPO or add the git remote origin"
            )
        if not same_repository(record, *me):
            theirs, mine = owner_name(record, *me)
            raise Refused(
                f"refused: the state of project {config['project']!r} in storage account "
                f"{storage['storage_account_name']} ({key}) belongs to GitHub repository {theirs}, not {mine}; "
                f"nothing was touched. {fork_hint(config)}"
            )
    _owners_checked.add((storage["storage_account_name"], key))


def ensure_owner_record(boot: "Bootstrap", storage: dict, config: dict, repository: dict) -> None:
    """setup: write the ownership record, or refuse when the state already belongs to another repository."""
    key = owner_record_key(config)
    record = None
    if f"storage account {storage['storage_account_name']}" in boot.existing:
        shown = boot.read(
            ["az", "storage", "blob", "metadata", "show", *blob_args(storage), "--name", key, "--output", "json"]
        )
        if shown.returncode == 0:
            record = json_of(shown, "az storage blob metadata show") or {}
        elif not (not_found(shown) or "BlobNotFound" in (shown.stderr or "")):
            raise Failed(
                f"reading the ownership record {key} failed: {last_line(shown.stderr)} (a new role assignment can "
                "take a few minutes to apply: run setup again)"
            )
    name, number = repository["full_name"], str(repository.get("id") or "")
    if record is not None:
        if not same_repository(record, name, number):
            theirs, mine = owner_name(record, name, number)
            raise Failed(
                f"the state of project {config['project']!r} in storage account {storage['storage_account_name']} "
                f"({key}) belongs to GitHub repository {theirs}, not {mine}: setup changed nothing there. "
                f"{fork_hint(config)}"
            )
        boot.exists(f"ownership record {key} ({name})")
        return
    document = json.dumps({"repository": name, "repository_id": number, "project": config["project"]})
    boot.change(
        [
            "az", "storage", "blob", "upload", *blob_args(storage), "--name", key, "--data", document,
            "--metadata", f"repository={name}", f"repository_id={number}", "--overwrite", "false", "--output", "none",
        ],
        f"ownership record {key} (state of {config['project']!r} belongs to {name})",
    )  # fmt: skip


def cmd_delete_state(args, config) -> int:
    environment = check_environment(args.environment, config)
    refuse_protected(environment, config, args.i_know_this_is_protected, "delete the state of")
    subscription = subscription_id(args.subscription)
    check_owner(config, subscription)
    info = describe(environment, config, subscription)
    storage, key = info["backend"], info["state_key"]
    exists = checked(
        ["az", "storage", "blob", "exists", *blob_args(storage), "--name", key, "--output", "json"],
        f"checking state blob {key}",
    )
    if not (json_of(exists, "az storage blob exists") or {}).get("exists"):
        print(f"no state for environment {environment!r} ({key}): nothing to delete", file=sys.stderr)
        return 0
    checked(
        ["az", "storage", "blob", "delete", *blob_args(storage), "--name", key, "--output", "none"],
        f"deleting state blob {key}",
    )
    print(
        f"deleted the state of environment {environment!r} ({key}); blob versioning keeps a copy for "
        f"{STATE_RETENTION_DAYS} days",
        file=sys.stderr,
    )
    return 0


def live_environments(config: dict, subscription: str, blobs: dict | None = None) -> list[str]:
    """This project's environments that have state; `blobs` (when given) receives each one's blob properties."""
    storage = state_storage(subscription)
    prefix = fill(config["naming"]["state_key"].split("{environment}")[0], config, "")
    result = checked(
        ["az", "storage", "blob", "list", *blob_args(storage), "--prefix", prefix, "--output", "json"],
        "listing state blobs",
    )
    found = set()
    for blob in json_of(result, "az storage blob list") or []:
        name = blob.get("name", "")
        environment = name[len(prefix) :].removesuffix(".tfstate")
        # Only exact <project>/<environment>.tfstate keys: never another project's, never workspace keys.
        if not naming_problem(environment, config) and fill(config["naming"]["state_key"], config, environment) == name:
            found.add(environment)
            if blobs is not None:
                blobs[environment] = blob.get("properties") or {}
    return sorted(found)


def cmd_list(args, config) -> int:
    subscription = subscription_id(args.subscription)
    if args.json and not args.details and not args.github_output:
        # The names only, as before: scripts that read `list --json` keep working (and need no gh).
        print(json.dumps(live_environments(config, subscription)))
        return 0
    rows = inventory(config, subscription, strict=bool(args.github_output))
    if args.json:
        print(json.dumps(rows if args.details else [row["environment"] for row in rows], indent=2))
    else:
        print(inventory_table(rows), end="")
    # The drift plans check out each environment's branch: an orphan has none (the sweep reports it instead).
    write_github_output(
        github_output_path(args.github_output),
        {
            "environments": [row["environment"] for row in rows if row["branch_exists"]],
            "inventory": rows,
        },
    )
    return 0


CHANGE_LABELS = {"create": "add", "update": "change", "delete": "destroy", "replace": "replace"}


def summarise_plan(plan: dict) -> dict:
    """Counts as Terraform's own "Plan: X to add, Y to change, Z to destroy" (a replace adds one and destroys one)."""
    counts = {"add": 0, "change": 0, "destroy": 0}
    changes = []
    for change in plan.get("resource_changes") or []:
        actions = (change.get("change") or {}).get("actions") or []
        if set(actions) == {"create", "delete"}:
            kind = "replace"
            counts["add"] += 1
            counts["destroy"] += 1
        elif actions == ["create"]:
            kind, counts["add"] = "create", counts["add"] + 1
        elif actions == ["update"]:
            kind, counts["change"] = "update", counts["change"] + 1
        elif actions == ["delete"]:
            kind, counts["destroy"] = "delete", counts["destroy"] + 1
        else:
            continue  # no-op, read, forget
        changes.append((kind, change.get("address", "?")))
    output_changes = sorted(
        name
        for name, change in (plan.get("output_changes") or {}).items()
        if (change.get("actions") or ["no-op"]) != ["no-op"]
    )
    return {
        **counts,
        "changes": changes,
        "output_changes": output_changes,
        "has_changes": bool(changes or output_changes),
    }


def plan_markdown(summary: dict, environment: str | None, limit: int = 50) -> str:
    title = f"Terraform plan for environment `{environment}`" if environment else "Terraform plan"
    lines = [
        f"### {title}",
        "",
        "| add | change | destroy |",
        "| ---: | ---: | ---: |",
        f"| {summary['add']} | {summary['change']} | {summary['destroy']} |",
        "",
    ]
    if not summary["has_changes"]:
        lines.append("No changes: the infrastructure matches the configuration.")
    else:
        if summary["changes"]:
            lines += [
                f"<details><summary>{len(summary['changes'])} resource change(s)</summary>",
                "",
                "| action | resource |",
                "| --- | --- |",
            ]
            for kind, address in summary["changes"][:limit]:
                lines.append(f"| {CHANGE_LABELS[kind]} | `{address.replace('|', '&#124;').replace('`', '')}` |")
            if len(summary["changes"]) > limit:
                lines.append(f"| … | and {len(summary['changes']) - limit} more |")
            lines += ["", "</details>"]
        if summary["output_changes"]:
            lines.append("")
            lines.append("Outputs changing: " + ", ".join(f"`{name}`" for name in summary["output_changes"]))
    return "\n".join(lines) + "\n"


def cmd_plan_summary(args, config) -> int:
    if args.environment:
        check_environment(args.environment, config)
    try:
        summary = summarise_plan(plan_json(args.plan, subscription_id(args.subscription, required=False)))
    except (AttributeError, TypeError, KeyError):
        raise Refused(f"refused plan file {args.plan!r}: it is not a Terraform plan (terraform show -json)") from None
    markdown = plan_markdown(summary, args.environment)
    sys.stdout.write(markdown)
    write_github_output(
        github_output_path(args.github_output),
        {
            "add": summary["add"],
            "change": summary["change"],
            "destroy": summary["destroy"],
            "has_changes": summary["has_changes"],
            "summary": markdown,
        },
    )
    if args.record:
        # One drift record per environment, collected by `drift-report`.
        Path(args.record).parent.mkdir(parents=True, exist_ok=True)
        Path(args.record).write_text(
            json.dumps(
                {
                    "environment": args.environment,
                    "drift": summary["has_changes"],
                    "add": summary["add"],
                    "change": summary["change"],
                    "destroy": summary["destroy"],
                    "markdown": markdown,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


def drift_title(config: dict, environment: str) -> str:
    return f"Drift in environment {environment} ({config['project']})"


def run_url() -> str:
    server, repository, run_id = (
        os.environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repository}/actions/runs/{run_id}" if server and repository and run_id else ""


def cmd_drift_report(args, config) -> int:
    """One open issue per drifted environment: created once, commented on each later drifted run, closed when a
    run finds the environment back in line. Prints a Markdown table for the job summary."""
    folder = Path(args.directory)
    if not folder.is_dir():
        raise Refused(f"refused drift-report {args.directory!r}: no such folder (plan-summary --record writes it)")
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise Refused(f"refused drift record {path}: it is not valid JSON ({error})") from None
        fields = {"environment": str, "drift": bool, "add": int, "change": int, "destroy": int, "markdown": str}
        wrong = [
            key for key, kind in fields.items() if not isinstance(record, dict) or not isinstance(record.get(key), kind)
        ]
        if wrong:
            raise Refused(
                f"refused drift record {path}: {', '.join(wrong)} missing or of the wrong type (write records with "
                "plan-summary --record)"
            )
        check_environment(record["environment"], config)
        records.append(record)
    link = run_url()
    rows = [
        "### Drift",
        "",
        "| environment | drift | add | change | destroy | issue |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for record in records:
        environment, title = record["environment"], drift_title(config, record["environment"])
        listed = checked(
            [
                "gh",
                "issue",
                "list",
                "--state",
                "open",
                "--search",
                f"{title} in:title",
                "--json",
                "number,title",
                "--limit",
                "100",
            ],
            "listing drift issues",
        )
        numbers = [issue["number"] for issue in json_of(listed, "gh issue list") or [] if issue.get("title") == title]
        issue = ""
        if record["drift"]:
            body = (
                f"The daily drift check planned changes for environment `{environment}`: the live "
                f"infrastructure no longer matches the branch.{' Run: ' + link if link else ''}\n\n"
                f"{record['markdown']}\nRe-run the branch's workflow to put it back, or change the Terraform "
                "to match what was changed by hand.\n"
            )
            with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as handle:
                handle.write(body)
            try:
                if numbers:
                    checked(
                        ["gh", "issue", "comment", str(numbers[0]), "--body-file", handle.name],
                        "commenting on the drift issue",
                    )
                    issue = f"#{numbers[0]} (updated)"
                else:
                    created = checked(
                        ["gh", "issue", "create", "--title", title, "--body-file", handle.name], "opening a drift issue"
                    )
                    issue = last_line(created.stdout)
            finally:
                os.unlink(handle.name)
        else:
            for number in numbers:
                checked(
                    [
                        "gh",
                        "issue",
                        "close",
                        str(number),
                        "--comment",
                        f"No drift any more in environment `{environment}`.{' Run: ' + link if link else ''}",
                    ],
                    "closing a drift issue",
                )
                issue = f"#{number} (closed)"
        rows.append(
            f"| `{environment}` | {'**yes**' if record['drift'] else 'no'} | {record['add']} | "
            f"{record['change']} | {record['destroy']} | {issue} |"
        )
    if not records:
        rows.append("| (none) | | | | | |")
    print("\n".join(rows))
    return 0


# --------------------------------------------------------------------------------------------------------------
# Forgotten environments: inventory (list), orphan and idle sweep (sweep)
# --------------------------------------------------------------------------------------------------------------


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def parse_time(value: Any) -> datetime.datetime | None:
    """An ISO 8601 time as Azure and GitHub print them ('Z' or an offset); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def days_since(moment: datetime.datetime | None, now: datetime.datetime) -> int | None:
    return None if moment is None else max(0, (now - moment).days)


def api_repository() -> str:
    """The repository the GitHub API is asked about: GH_REPO, GITHUB_REPOSITORY (Actions), else the git remote."""
    return github_repository(os.environ.get("GH_REPO") or os.environ.get("GITHUB_REPOSITORY"))


def gh_api_pages(path: str, what: str) -> list:
    """Every item of a paged GitHub REST list (`gh api --paginate` prints one JSON array per page)."""
    text = checked(["gh", "api", "--paginate", path], what).stdout or ""
    decoder, items, position = json.JSONDecoder(), [], 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        try:
            page, position = decoder.raw_decode(text, position)
        except ValueError:
            raise Failed(f"{what} did not print JSON: {last_line(text[position:])}") from None
        items += page if isinstance(page, list) else [page]
    return items


def environment_branches(config: dict) -> dict[str, str]:
    """environment -> head commit of its branch, for every branch named <prefix><environment> on GitHub. Read with
    the REST API, which the workflows' own token may read (contents: read); git ls-remote would need credentials
    that the checkouts do not keep."""
    prefix = config.get("branch_prefix")
    if not prefix:
        raise Failed("terraform/nimbus.json has no branch_prefix: this project was rendered without gitops")
    repo = api_repository()
    branches = gh_api_pages(f"repos/{repo}/branches?per_page=100", "listing the repository's branches")
    if not branches:
        # A repository always has its default branch: an empty answer is a failure, never "every one is an orphan".
        raise Failed(f"GitHub listed no branches of {repo}: refusing to treat every environment as an orphan")
    return {
        branch["name"][len(prefix) :]: (branch.get("commit") or {}).get("sha", "")
        for branch in branches
        if isinstance(branch, dict) and str(branch.get("name", "")).startswith(prefix)
    }


def branch_commit_time(sha: str) -> datetime.datetime | None:
    shown = checked(["gh", "api", f"repos/{api_repository()}/commits/{sha}"], f"reading commit {sha}")
    commit = (json_of(shown, "gh api commits") or {}).get("commit") or {}
    return parse_time((commit.get("committer") or {}).get("date"))


def environment_tags(config: dict) -> dict[str, dict]:
    """Resource group name -> its tags, for this project's groups; {} when Azure does not answer (the tags are
    information for people, never a reason to destroy)."""
    result = run(
        argv("az group list --tag {tag} --output json", tag=f"project={config['project']}"), capture=True, echo=False
    )
    if result.returncode != 0:
        print(f"gitops.py: could not read resource group tags: {last_line(result.stderr)}", file=sys.stderr)
        return {}
    return {group.get("name"): group.get("tags") or {} for group in json_of(result, "az group list") or []}


def inventory(config: dict, subscription: str, *, strict: bool = True) -> list[dict]:
    """One row per environment that has state: its branch, protection, age, last apply, owner and whether it is
    an orphan (state, no branch) or idle (branch without a push or apply for idle_days). `strict`: a failure to
    list branches fails; otherwise the branch columns say '?' (a laptop without gh)."""
    blobs: dict[str, dict] = {}
    environments = live_environments(config, subscription, blobs)
    now = now_utc()
    try:
        branches: dict[str, str] | None = environment_branches(config) if environments else {}
    except (Failed, Refused) as error:  # no gh, not logged in, or no GitHub remote
        if strict:
            raise
        print(f"gitops.py: branches unknown ({error})", file=sys.stderr)
        branches = None
    tags = environment_tags(config) if environments else {}
    idle_days = config.get("idle_days") or 0
    rows = []
    for environment in environments:
        info = describe(environment, config)
        properties = blobs.get(environment, {})
        created, applied = parse_time(properties.get("creationTime")), parse_time(properties.get("lastModified"))
        group_tags = tags.get(info["resource_group"], {})
        exists = None if branches is None else environment in branches
        row = {
            "environment": environment,
            "branch": info.get("branch"),
            "branch_exists": exists,
            "protected": info["protected"],
            "state_created": created.isoformat() if created else None,
            "last_apply": applied.isoformat() if applied else None,
            "age_days": days_since(created, now),
            "owner": group_tags.get("created-by") or None,
            "applied_commit": group_tags.get("last-applied-commit") or None,
            "last_activity": None,
            "status": "unknown" if exists is None else ("orphan" if not exists else "ok"),
        }
        if exists and idle_days and not info["protected"]:
            # Idle: neither a commit on the branch nor an apply (which rewrites the state) for idle_days.
            moments = [moment for moment in (branch_commit_time(branches[environment]), applied) if moment]
            last = max(moments) if moments else None
            row["last_activity"] = last.isoformat() if last else None
            if last is not None and days_since(last, now) >= idle_days:
                row["status"] = "idle"
        rows.append(row)
    return rows


def inventory_table(rows: list[dict]) -> str:
    def days(value):
        return "?" if value is None else f"{value}d"

    def when(value):
        return value[:10] if value else "?"

    table = [("ENVIRONMENT", "BRANCH", "PROTECTED", "AGE", "LAST APPLY", "OWNER", "STATUS")]
    for row in rows:
        branch = {True: "yes", False: "deleted", None: "?"}[row["branch_exists"]]
        table.append(
            (
                row["environment"],
                branch,
                "yes" if row["protected"] else "no",
                days(row["age_days"]),
                when(row["last_apply"]),
                row["owner"] or "?",
                row["status"],
            )
        )
    widths = [max(len(str(line[column])) for line in table) for column in range(len(table[0]))]
    return "".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip() + "\n" for line in table
    )


SWEEP_KINDS = {"orphan": "Orphaned environment", "idle": "Idle environment"}


def sweep_title(config: dict, kind: str, environment: str) -> str:
    return f"{SWEEP_KINDS[kind]} {environment} ({config['project']})"


def open_sweep_issues(config: dict, kind: str) -> dict[str, dict]:
    """environment -> its open orphan (or idle) issue of THIS project: {number, createdAt}. The issue's creation
    time is when the environment was first seen in that state: no other record is kept."""
    listed = checked(
        argv(
            "gh issue list --state open --search {search} --json number,title,createdAt --limit 200",
            search=f'"{SWEEP_KINDS[kind]}" in:title',
        ),
        f"listing {kind} issues",
    )
    found = {}
    for issue in json_of(listed, "gh issue list") or []:
        match = re.fullmatch(rf"{SWEEP_KINDS[kind]} (\S+) \({re.escape(config['project'])}\)", issue.get("title", ""))
        if match and not naming_problem(match.group(1), config):
            found.setdefault(match.group(1), issue)
    return found


def gh_with_body(command: list[str], body: str, what: str) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as handle:
        handle.write(body)
    try:
        return checked([*command, "--body-file", handle.name], what)
    finally:
        os.unlink(handle.name)


def sweep_body(config: dict, row: dict, kind: str, since: datetime.datetime, action: str) -> str:
    environment, branch = row["environment"], row["branch"]
    grace = config["orphan_grace_days"]
    if kind == "orphan":
        what = (
            f"Environment `{environment}` has Terraform state but its branch `{branch}` no longer exists: its "
            "destroy failed or never ran. Its resources keep costing money."
        )
        undo = (
            f"To keep it, push the branch `{branch}` again; to destroy it now, run the `environment destroy` "
            f"workflow by hand with branch `{branch}`."
        )
    else:
        what = (
            f"Environment `{environment}` has had no push to `{branch}` and no apply for {config['idle_days']} days or "
            f"more (last activity {(row.get('last_activity') or '?')[:10]})."
        )
        undo = f"To keep it, push to `{branch}` (the issue closes on the next daily run)."
    facts = (
        f"| owner | created | last apply | last applied commit |\n| --- | --- | --- | --- |\n"
        f"| {row.get('owner') or '?'} | {(row.get('state_created') or '?')[:10]} | "
        f"{(row.get('last_apply') or '?')[:10]} | {row.get('applied_commit') or '?'} |\n"
    )
    link = run_url()
    return (
        f"{what}\n\n{facts}\nFirst seen {kind} on {since.date().isoformat()}; grace period "
        f"{grace} day(s) (`orphan_grace_days` in terraform/nimbus.json, 0 = report only).\n\n**{action}**\n\n"
        f"{undo}{' Last checked by: ' + link if link else ''}\n"
    )


def sweep_decision(config: dict, row: dict, kind: str, since: datetime.datetime, now: datetime.datetime) -> tuple:
    """(destroy?, the sentence that says what happens and why)."""
    environment, grace = row["environment"], config["orphan_grace_days"]
    seen = days_since(since, now) or 0
    if row["protected"]:
        return (
            False,
            f"Environment {environment} is protected: nimbus never destroys it; destroy it by hand if it is unused.",
        )
    if grace == 0:
        return False, f"Report only (orphan_grace_days = 0): environment {environment} is not destroyed automatically."
    if seen < grace:
        return False, f"Environment {environment} will be destroyed in {grace - seen} day(s) unless this changes."
    if kind == "orphan":
        reason = f"orphaned: its branch {row['branch']} is gone, first seen {seen} day(s) ago"
    else:
        reason = f"idle: no push to {row['branch']} or apply for {config['idle_days']}+ days, warned {seen} day(s) ago"
    return True, f"Destroying environment {environment}: {reason}, grace period {grace} day(s)."


def cmd_sweep(args, config) -> int:
    """Orphan and idle issues (one per environment and kind: opened, updated, closed) and the environments to
    destroy now, from the rows of `list --json --details`. Prints the Markdown job summary."""
    try:
        rows = json.loads(Path(args.inventory).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Failed(f"cannot read the inventory {args.inventory}: {error}") from None
    if not isinstance(rows, list):
        raise Failed(f"{args.inventory} is not a list of environments (write it with gitops.py list --json --details)")
    for row in rows:
        check_environment(str((row or {}).get("environment") or ""), config)
    now = now_utc()
    by_name = {row["environment"]: row for row in rows}
    destroy, lines = [], []
    for kind in SWEEP_KINDS:
        issues = open_sweep_issues(config, kind)
        for row in rows:
            if row["status"] != kind:
                continue
            environment, issue = row["environment"], issues.get(row["environment"])
            since = parse_time((issue or {}).get("createdAt")) or now
            doomed, action = sweep_decision(config, row, kind, since, now)
            body = sweep_body(config, row, kind, since, action)
            if issue:
                gh_with_body(["gh", "issue", "edit", str(issue["number"])], body, f"updating the {kind} issue")
                reference = f"#{issue['number']} (updated)"
            else:
                created = gh_with_body(
                    ["gh", "issue", "create", "--title", sweep_title(config, kind, environment)],
                    body,
                    f"opening a {kind} issue",
                )
                reference = last_line(created.stdout)
            if doomed:
                if issue:
                    gh_with_body(
                        ["gh", "issue", "comment", str(issue["number"])], action, f"commenting on the {kind} issue"
                    )
                reason = action.split(": ", 1)[1].rstrip(".")  # what the destroy run says after the name
                destroy.append({"environment": environment, "branch": row["branch"], "reason": reason})
                print(f"::warning title=nimbus::{action}", file=sys.stderr)
            lines.append(
                f"| `{environment}` | {kind} | {'yes' if row['protected'] else 'no'} | {since.date().isoformat()} | "
                f"{action} | {reference} |"
            )
        for environment, issue in sorted(issues.items()):
            row = by_name.get(environment)
            if row is not None and row["status"] in (kind, "unknown"):
                continue
            if row is None:
                why = f"Environment `{environment}` has no state any more (destroyed)."
            elif kind == "orphan":
                why = f"The branch `{row['branch']}` of environment `{environment}` exists again."
            elif row["status"] == "orphan":
                why = f"The branch `{row['branch']}` was deleted: the orphan issue of `{environment}` follows it now."
            else:
                why = f"Environment `{environment}` is in use again (a push or an apply since)."
            link = run_url()
            checked(
                ["gh", "issue", "close", str(issue["number"]), "--comment", why + (f" Run: {link}" if link else "")],
                f"closing the {kind} issue",
            )
            lines.append(f"| `{environment}` | {kind} (over) | | | {why} | #{issue['number']} (closed) |")
    summary = [
        "### Orphaned and idle environments",
        "",
        f"Grace period: {config['orphan_grace_days']} day(s); idle after: "
        f"{config['idle_days'] or 'off'}{' day(s)' if config['idle_days'] else ''}.",
        "",
        "| environment | state | protected | first seen | what happens | issue |",
        "| --- | --- | --- | --- | --- | --- |",
        *(lines or ["| (none) | | | | | |"]),
        "",
        "<details><summary>Every environment with state</summary>",
        "",
        "```",
        inventory_table(rows).rstrip("\n"),
        "```",
        "",
        "</details>",
    ]
    print("\n".join(summary))
    write_github_output(github_output_path(args.github_output), {"destroy": destroy})
    return 0


# --------------------------------------------------------------------------------------------------------------
# setup: one-time, idempotent bootstrap
# --------------------------------------------------------------------------------------------------------------


class Later(str):
    """A value that exists only once an earlier command has run (an app id...). --dry-run prints such commands as
    `NAME=$(...)` and the value as "$NAME", so its output is a script that would really work."""

    def __new__(cls, variable: str):
        value = super().__new__(cls, f"${variable}")
        value.variable = variable
        return value


def shell_line(command: Iterable[str]) -> str:
    return " ".join(f'"${part.variable}"' if isinstance(part, Later) else shlex.quote(str(part)) for part in command)


class Bootstrap:
    """Reads always run (they change nothing); changes run, or are printed one per line with --dry-run."""

    def __init__(self, dry_run: bool):
        self.dry_run = dry_run
        self.created: list[str] = []
        self.existing: list[str] = []
        self.todo: list[str] = []

    def read(self, command: Sequence[str]) -> subprocess.CompletedProcess:
        return run(command, capture=True, echo=False)

    def read_json(self, command: Sequence[str], what: str) -> Any:
        result = self.read(command)
        if result.returncode != 0:
            raise Failed(f"{what} failed ({command[0]} exit {result.returncode}): {last_line(result.stderr)}")
        return json_of(result, what)

    def change(self, command: Sequence[str], what: str, *, result_as: str | None = None) -> str | None:
        """Run (or print) one change; with result_as, the command prints one value (--query ... -o tsv)."""
        self.created.append(what)
        if self.dry_run:
            line = shell_line(command)
            print(f"{result_as}=$({line})" if result_as else line)
            return Later(result_as) if result_as else None
        result = checked(command, what)
        return result.stdout.strip() if result_as else None

    def exists(self, what: str) -> None:
        self.existing.append(what)
        if self.dry_run:
            print(f"# exists: {what}")


def github_repository(given: str | None) -> str:
    if not given:
        remote = run(["git", "remote", "get-url", "origin"], capture=True, echo=False) if shutil.which("git") else None
        url = remote.stdout.strip() if remote and remote.returncode == 0 else ""
        match = re.search(r"github\.com[:/]([^/\s]+/[^/\s]+?)(?:\.git)?/?$", url)
        if not match:
            raise Refused("setup needs the GitHub repository: pass --github-repo OWNER/REPO (or add the remote origin)")
        given = match.group(1)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", given):
        raise Refused(f"refused --github-repo {given!r}: expected OWNER/REPO")
    return given


# The two identities GitHub Actions sign in as. The writer applies and destroys; the reader plans (pull requests,
# drift) and can change nothing. Each has its own federated credentials, so a pull request's code never holds the
# writer's token.
IDENTITIES = ("writer", "reader")


def oidc_subjects(repository: dict, legacy: bool, identity: str = "writer") -> dict[str, str]:
    """Federated credential name -> the exact OIDC subject GitHub puts in the token (Entra matches exactly).

    The writer's jobs run in a GitHub Environment, so its subjects name the environments, not branches (branch
    subjects would need one credential per branch, and Entra has no wildcards); the environments' deployment
    branch policies decide which branches reach them. The reader's jobs run outside environments: pull-request
    plans (subject ':pull_request') and the daily drift check on the default branch. Repositories created or
    renamed since 2026-07-15 use GitHub's immutable subjects (names with their numeric ids, never reused);
    --legacy-oidc-subjects adds the name-only form for older repositories that have not opted in.
    """
    owner, name = repository["full_name"].split("/")
    prefixes = {"": f"repo:{owner}@{repository['owner']['id']}/{name}@{repository['id']}"}
    if legacy:
        prefixes["-legacy"] = f"repo:{owner}/{name}"
    subjects = {}
    for suffix, prefix in prefixes.items():
        if identity == "writer":
            for environment in (GITHUB_ENVIRONMENT, GITHUB_PROTECTED_ENVIRONMENT):
                subjects[f"github-env-{environment}{suffix}"] = f"{prefix}:environment:{environment}"
        else:
            subjects[f"github-pull-request{suffix}"] = f"{prefix}:pull_request"
            branch = repository.get("default_branch") or "main"
            subjects[f"github-default-branch{suffix}"] = f"{prefix}:ref:refs/heads/{branch}"
    return subjects


def rbac_condition() -> str:
    """Constrained delegation: the deploying identity may grant (and remove) only the data roles Terraform assigns
    to the environment's managed identities (and to itself on a new Key Vault), never Owner, Contributor or User
    Access Administrator. Principal types are not constrained: Terraform's assignments do not all state one, and
    a request without principalType would not match such a clause."""
    ids = ", ".join(sorted(ASSIGNABLE_ROLES.values()))
    return " AND ".join(
        f"((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})) OR "
        f"(@{source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{ids}}}))"
        for action, source in (("write", "Request"), ("delete", "Resource"))
    )


def ensure_state_storage(boot: Bootstrap, storage: dict, region: str, subscription: str) -> str:
    """Resource group, storage account (Entra ID only), versioning + soft delete, container. Returns the
    container's resource id (the scope of the state data role)."""
    group, account, container = (
        storage[key] for key in ("resource_group_name", "storage_account_name", "container_name")
    )
    group_exists = boot.read_json(argv("az group exists --name {group} --output json", group=group), "checking group")
    if group_exists:
        boot.exists(f"resource group {group}")
    else:
        boot.change(
            argv(
                "az group create --name {group} --location {region} --tags managed-by=nimbus --output none",
                group=group,
                region=region,
            ),
            f"resource group {group}",
        )

    shown = (
        boot.read(
            argv(
                "az storage account show --name {account} --resource-group {group} --output json",
                account=account,
                group=group,
            )
        )
        if group_exists
        else None
    )
    account_new = shown is None or shown.returncode != 0
    if not account_new:
        boot.exists(f"storage account {account}")
        props = json_of(shown, "az storage account show")
        weak = [label for label, ok in (
            ("shared key access is enabled", props.get("allowSharedKeyAccess") is False),
            ("blob public access is allowed", props.get("allowBlobPublicAccess") is False),
            ("TLS below 1.2 is accepted", props.get("minimumTlsVersion") == "TLS1_2"),
        ) if not ok]  # fmt: skip
        if weak:
            boot.todo.append(f"storage account {account} was not created by nimbus and {', '.join(weak)}: review it")
    elif shown is not None and not not_found(shown):
        raise Failed(f"reading storage account {account} failed: {last_line(shown.stderr)}")
    else:
        availability = boot.read_json(
            argv("az storage account check-name --name {account} --output json", account=account),
            "checking the storage account name",
        )
        if not availability.get("nameAvailable", True):
            raise Failed(
                f"storage account name {account} is taken ({availability.get('reason')}) outside resource group "
                f"{group}: set NIMBUS_STATE_STORAGE_ACCOUNT (and NIMBUS_STATE_RESOURCE_GROUP) to the state storage "
                "to use, then run setup again"
            )
        # A public endpoint with Entra ID as the only way in: GitHub-hosted runners and laptops reach it from
        # anywhere, and with shared keys disabled there is no key or SAS that could leak. No network rule is added.
        boot.change(
            argv(
                "az storage account create --name {account} --resource-group {group} --location {region} "
                "--kind StorageV2 --sku Standard_LRS --min-tls-version TLS1_2 --allow-blob-public-access false "
                "--allow-shared-key-access false --https-only true --allow-cross-tenant-replication false "
                "--tags managed-by=nimbus --output none",
                account=account,
                group=group,
                region=region,
            ),
            f"storage account {account} (Entra ID only, no shared keys)",
        )

    protected = False
    if not account_new:
        blob = boot.read_json(
            argv(
                "az storage account blob-service-properties show --account-name {account} "
                "--resource-group {group} --output json",
                account=account,
                group=group,
            ),
            "reading the blob service properties",
        )
        protected = bool(blob.get("isVersioningEnabled")) and bool(
            (blob.get("deleteRetentionPolicy") or {}).get("enabled")
        )
    if protected:
        boot.exists("blob versioning and soft delete")
    else:
        boot.change(
            argv(
                "az storage account blob-service-properties update --account-name {account} --resource-group {group} "
                "--enable-versioning true --enable-delete-retention true --delete-retention-days {days} "
                "--enable-container-delete-retention true --container-delete-retention-days {days} --output none",
                account=account,
                group=group,
                days=str(STATE_RETENTION_DAYS),
            ),
            f"blob versioning and {STATE_RETENTION_DAYS}-day soft delete (every state write is recoverable)",
        )
    ensure_state_lifecycle(boot, account, group, account_new)

    container_exists = not account_new and boot.read_json(
        argv(
            "az storage container-rm exists --storage-account {account} --resource-group {group} --name {container} "
            "--output json",
            account=account,
            group=group,
            container=container,
        ),
        "checking the container",
    ).get("exists")
    if container_exists:
        boot.exists(f"container {container}")
    else:
        # Through Azure Resource Manager: needs no data-plane role, so no wait for a fresh role assignment.
        boot.change(
            argv(
                "az storage container-rm create --storage-account {account} --resource-group {group} "
                "--name {container} --output none",
                account=account,
                group=group,
                container=container,
            ),
            f"container {container}",
        )
    return (
        f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/"
        f"{account}/blobServices/default/containers/{container}"
    )


def lifecycle_rule() -> dict:
    """Earlier versions of state blobs (every write makes one; they hold database passwords) are deleted
    STATE_RETENTION_DAYS days after they stop being current."""
    return {
        "enabled": True,
        "name": STATE_LIFECYCLE_RULE,
        "type": "Lifecycle",
        "definition": {
            "actions": {"version": {"delete": {"daysAfterCreationGreaterThan": STATE_RETENTION_DAYS}}},
            "filters": {"blobTypes": ["blockBlob"], "prefixMatch": [f"{STATE_CONTAINER}/"]},
        },
    }


def ensure_state_lifecycle(boot: "Bootstrap", account: str, group: str, account_new: bool) -> None:
    rules = []
    if not account_new:
        shown = boot.read(
            argv(
                "az storage account management-policy show --account-name {account} --resource-group {group} "
                "--output json",
                account=account,
                group=group,
            )
        )
        if shown.returncode == 0:
            rules = ((json_of(shown, "az storage account management-policy show") or {}).get("policy") or {}).get(
                "rules"
            ) or []
        elif not not_found(shown):
            raise Failed(f"reading the lifecycle policy of {account} failed: {last_line(shown.stderr)}")
    wanted = lifecycle_rule()
    if any(rule == wanted for rule in rules):
        boot.exists(f"lifecycle rule {STATE_LIFECYCLE_RULE}")
        return
    # The policy is one document: the account's other rules are kept as they are.
    policy = {"rules": [rule for rule in rules if rule.get("name") != STATE_LIFECYCLE_RULE] + [wanted]}
    boot.change(
        argv(
            "az storage account management-policy create --account-name {account} --resource-group {group} "
            "--policy {policy} --output none",
            account=account,
            group=group,
            policy=json.dumps(policy, separators=(",", ":")),
        ),
        f"lifecycle rule {STATE_LIFECYCLE_RULE}: earlier state versions deleted after {STATE_RETENTION_DAYS} days",
    )


def ensure_identity(boot: Bootstrap, repository: dict, legacy: bool, identity: str = "writer") -> tuple[str, str, bool]:
    """App registration + service principal + federated credentials: an identity with no secret at all.
    Returns (app id, service principal object id, whether the principal is new)."""
    repo = repository["full_name"]
    name = f"nimbus-github-{repo.replace('/', '-')}" + ("" if identity == "writer" else f"-{identity}")
    shell_name = "" if identity == "writer" else f"{identity.upper()}_"  # --dry-run: $APP_ID, $READER_APP_ID
    apps = boot.read_json(
        argv("az ad app list --filter {filter} --query [].appId --output json", filter=f"displayName eq '{name}'"),
        "looking for the app registration",
    )
    if len(apps) > 1:
        raise Failed(f"{len(apps)} app registrations are named {name}: delete the extra ones, then run setup again")
    if apps:
        app_id = apps[0]
        boot.exists(f"app registration {name} ({app_id})")
    else:
        app_id = boot.change(
            argv(
                "az ad app create --display-name {name} --sign-in-audience AzureADMyOrg --query appId --output tsv",
                name=name,
            ),
            f"app registration {name}",
            result_as=f"{shell_name}APP_ID",
        )
    principals = (
        []
        if not apps
        else boot.read_json(
            argv("az ad sp list --filter {filter} --query [].id --output json", filter=f"appId eq '{app_id}'"),
            "looking for the service principal",
        )
    )
    if principals:
        principal = principals[0]
        boot.exists(f"service principal {principal}")
    else:
        principal = boot.change(
            argv("az ad sp create --id {app} --query id --output tsv", app=app_id),
            f"service principal of {name}",
            result_as=f"{shell_name}PRINCIPAL_ID",
        )
    present = (
        {}
        if not apps
        else {
            item["subject"]: item["name"]
            for item in boot.read_json(
                argv(
                    "az ad app federated-credential list --id {app} --query {query} --output json",
                    app=app_id,
                    query="[].{name: name, subject: subject}",
                ),
                "listing the federated credentials",
            )
        }
    )
    wanted = oidc_subjects(repository, legacy, identity)
    for subject, credential in present.items():
        # nimbus 0.2 gave the writer a pull_request credential: a pull request's code could apply. Only the reader
        # keeps one now.
        if identity == "writer" and subject.endswith(":pull_request") and subject not in wanted.values():
            boot.change(
                argv(
                    "az ad app federated-credential delete --id {app} --federated-credential-id {credential} --yes",
                    app=app_id,
                    credential=credential,
                ),
                f"removal of the writer's federated credential {subject} (pull requests sign in as the reader)",
            )
    for credential, subject in wanted.items():
        if subject in present:
            boot.exists(f"federated credential {subject}")
            continue
        parameters = json.dumps(
            {
                "name": credential,
                "issuer": OIDC_ISSUER,
                "subject": subject,
                "audiences": [OIDC_AUDIENCE],
                "description": f"GitHub Actions of {repo} (nimbus)",
            }
        )
        boot.change(
            argv(
                "az ad app federated-credential create --id {app} --parameters {parameters} --output none",
                app=app_id,
                parameters=parameters,
            ),
            f"federated credential {subject}",
        )
    return app_id, principal, not principals


def ensure_role(
    boot: Bootstrap,
    principal: str,
    kind: str,
    role: str,
    scope: str,
    what: str,
    *,
    new: bool,
    condition: str | None = None,
) -> None:
    listed = not new and boot.read_json(
        argv(
            "az role assignment list --assignee {principal} --role {role} --scope {scope} --query [].id --output json",
            principal=principal,
            role=role,
            scope=scope,
        ),
        f"listing role assignments for {what}",
    )
    if listed:
        boot.exists(what)
        return
    command = argv(
        "az role assignment create --assignee-object-id {principal} --assignee-principal-type {kind} "
        "--role {role} --scope {scope}",
        principal=principal,
        kind=kind,
        role=role,
        scope=scope,
    )
    if condition:
        command += argv("--condition {condition} --condition-version 2.0", condition=condition)
    boot.change(command + ["--output", "none"], what)


def ensure_reader_roles(boot: Bootstrap, account: dict, principal: str, new: bool, container_scope: str) -> None:
    """What `terraform plan -lock=false` reads and nothing more (see docs/security.md): every resource's settings,
    the state, and the secret values of the vaults Terraform manages (the plan refreshes them)."""
    subscription = f"/subscriptions/{account['id']}"
    sp = (boot, principal, "ServicePrincipal")
    ensure_role(*sp, "Reader", subscription, "Reader on the subscription, for the reader identity", new=new)
    listed = boot.read_json(
        argv(
            "az role definition list --name {role} --custom-role-only true --scope {scope} --query [].roleName "
            "--output json",
            role=PLAN_READER_ROLE,
            scope=subscription,
        ),
        "looking for the custom role",
    )
    if listed:
        boot.exists(f"custom role {PLAN_READER_ROLE}")
    else:
        definition = {
            "Name": PLAN_READER_ROLE,
            "Description": "nimbus: the POST list actions a read-only terraform plan calls beyond Reader",
            "Actions": list(PLAN_READ_ACTIONS),
            "NotActions": [],
            "AssignableScopes": [subscription],
        }
        boot.change(
            argv("az role definition create --role-definition {json} --output none", json=json.dumps(definition)),
            f"custom role {PLAN_READER_ROLE}",
        )
    ensure_role(
        *sp, PLAN_READER_ROLE, subscription, f"{PLAN_READER_ROLE} on the subscription, for the reader identity", new=new
    )
    ensure_role(
        *sp,
        "Storage Blob Data Reader",
        container_scope,
        "Storage Blob Data Reader on the state container, for the reader identity (plans take no lock)",
        new=new,
    )
    if (TERRAFORM_DIR / "modules" / "key_vault").is_dir():
        ensure_role(
            *sp,
            "Key Vault Secrets User",
            subscription,
            "Key Vault Secrets User on the subscription, for the reader identity (a plan reads the secrets it manages)",
            new=new,
        )


def ensure_roles(boot: Bootstrap, account: dict, principal: str, new: bool, container_scope: str) -> None:
    """Least privilege that still lets every environment be created from nothing (see docs/notes/gitops.md)."""
    subscription = f"/subscriptions/{account['id']}"
    sp = (boot, principal, "ServicePrincipal")
    ensure_role(
        *sp,
        "Contributor",
        subscription,
        "Contributor on the subscription (each environment creates its own resource group)",
        new=new,
    )
    ensure_role(
        *sp,
        "Role Based Access Control Administrator",
        subscription,
        "Role Based Access Control Administrator, limited to the data roles Terraform grants",
        new=new,
        condition=rbac_condition(),
    )
    ensure_role(
        *sp,
        "Storage Blob Data Contributor",
        container_scope,
        "Storage Blob Data Contributor on the state container",
        new=new,
    )
    if (TERRAFORM_DIR / "modules" / "key_vault").is_dir():
        ensure_role(
            *sp,
            "Key Vault Secrets Officer",
            subscription,
            "Key Vault Secrets Officer on the subscription "
            "(writes secrets into each new vault at once, no wait for a role to propagate)",
            new=new,
        )
    if (account.get("user") or {}).get("type") == "user":
        me = boot.read(argv("az ad signed-in-user show --query id --output tsv"))
        if me.returncode == 0 and me.stdout.strip():
            ensure_role(
                boot,
                me.stdout.strip(),
                "User",
                "Storage Blob Data Contributor",
                container_scope,
                f"Storage Blob Data Contributor on the state container for you ({account['user'].get('name')})",
                new=False,
            )


def deployment_branches(environment: str, config: dict, default_branch: str) -> list[str]:
    """The branch name patterns a GitHub Environment accepts runs from (its deployment branch policy): the writer's
    environment takes environment branches and the default branch (destroys run there), the protected one only the
    protected environments' branches. A workflow edited on any other branch cannot ask for the writer's token."""
    prefix = config.get("branch_prefix") or ""
    if environment == GITHUB_PROTECTED_ENVIRONMENT:
        return [prefix + name for name in config.get("protected_environments") or []]
    return [f"{prefix}*", default_branch]


BRANCH_POLICY_FIELDS = (
    "--field deployment_branch_policy[protected_branches]=false "
    "--field deployment_branch_policy[custom_branch_policies]=true"
)


def kept_settings(shown: dict | None) -> list[str]:
    """`gh api` fields restating an environment's protection rules: GitHub's PUT resets every rule it does not name,
    so a PUT that limits the branches (or adds reviewers) must send the reviewers, wait timer and bypass again."""
    fields = []
    for rule in (shown or {}).get("protection_rules") or []:
        if rule.get("type") == "required_reviewers":
            for item in rule.get("reviewers") or []:
                fields += ["--field", f"reviewers[][type]={item['type']}"]
                fields += ["--field", f"reviewers[][id]={item['reviewer']['id']}"]
            if "prevent_self_review" in rule:
                fields += ["--field", f"prevent_self_review={str(bool(rule['prevent_self_review'])).lower()}"]
        elif rule.get("type") == "wait_timer":
            fields += ["--field", f"wait_timer={int(rule.get('wait_timer') or 0)}"]
    if "can_admins_bypass" in (shown or {}):
        fields += ["--field", f"can_admins_bypass={str(bool(shown['can_admins_bypass'])).lower()}"]
    return fields


def ensure_branch_policies(
    boot: Bootstrap, repo: str, environment: str, shown: dict | None, patterns: list[str]
) -> None:
    """`shown`: the environment as GitHub has it; None when setup has just created it (with selected branches)."""
    path = f"repos/{repo}/environments/{environment}"
    policy = (shown or {}).get("deployment_branch_policy") or {}
    present = set()
    if shown is None:
        pass
    elif policy.get("custom_branch_policies") and not policy.get("protected_branches"):
        boot.exists(f"deployment branch policy of {environment} (selected branches only)")
        listed = boot.read_json(argv("gh api {path}", path=f"{path}/deployment-branch-policies"), "listing branches")
        present = {item.get("name") for item in (listed or {}).get("branch_policies") or []}
    else:
        boot.change(
            argv("gh api --method PUT {path}", path=path)
            + kept_settings(shown)
            + argv(BRANCH_POLICY_FIELDS + " --silent"),
            f"deployment branch policy of {environment} (selected branches only)",
        )
    for pattern in patterns:
        if pattern in present:
            boot.exists(f"deployment branch {pattern} of {environment}")
            continue
        boot.change(
            argv(
                "gh api --method POST {path} --raw-field {name} --raw-field type=branch --silent",
                path=f"{path}/deployment-branch-policies",
                name=f"name={pattern}",
            ),
            f"deployment branch {pattern} of {environment}",
        )


def ensure_reviewers(boot: Bootstrap, repo: str, reviewers: list[str], shown: dict | None) -> bool:
    """Required reviewers on the protected GitHub Environment; the PUT restates its other rules and its branch
    policy (GitHub resets what a PUT does not name). True when set."""
    fields = []
    for login in reviewers:
        user = boot.read(argv("gh api {path}", path=f"users/{login}"))
        if user.returncode != 0:
            raise Refused(f"refused --reviewer {login!r}: no GitHub user of that name ({last_line(user.stderr)})")
        fields += [
            "--field",
            "reviewers[][type]=User",
            "--field",
            f"reviewers[][id]={json_of(user, 'gh api users')['id']}",
        ]
    boot.change(
        argv("gh api --method PUT {path}", path=f"repos/{repo}/environments/{GITHUB_PROTECTED_ENVIRONMENT}")
        + fields
        + kept_settings(shown)
        + argv(BRANCH_POLICY_FIELDS + " --silent"),
        f"required reviewers {', '.join(reviewers)} on {GITHUB_PROTECTED_ENVIRONMENT}",
    )
    return True


def ask_reviewers(boot: Bootstrap) -> list[str]:
    """Offer required reviewers when a person runs setup at a terminal (never in a script or --dry-run)."""
    if boot.dry_run or not sys.stdin.isatty():
        return []
    answer = input(
        f"GitHub users who must approve applies to protected environments ({GITHUB_PROTECTED_ENVIRONMENT}), "
        "separated by spaces (empty: none for now): "
    )
    return answer.split()


def ensure_github(
    boot: Bootstrap,
    repo: str,
    variables: dict,
    config: dict,
    default_branch: str = "main",
    reviewers: Sequence[str] = (),
) -> None:
    """Repository variables the workflows read, and the two GitHub Environments whose names are OIDC subjects, each
    accepting runs from its own branches only."""
    current = {
        item["name"]: item.get("value")
        for item in boot.read_json(
            argv("gh variable list --repo {repo} --json name,value", repo=repo), "listing repository variables"
        )
        or []
    }
    for name, value in variables.items():
        if current.get(name) == value and not isinstance(value, Later):
            boot.exists(f"repository variable {name}")
        else:
            boot.change(
                argv("gh variable set {name} --repo {repo} --body {value}", name=name, repo=repo, value=value),
                f"repository variable {name}",
            )
    for environment in (GITHUB_ENVIRONMENT, GITHUB_PROTECTED_ENVIRONMENT):
        shown = boot.read(argv("gh api {path}", path=f"repos/{repo}/environments/{environment}"))
        settings: dict | None = None
        if shown.returncode == 0:
            boot.exists(f"GitHub Environment {environment}")
            settings = json_of(shown, "gh api environments") or {}
            rules = settings.get("protection_rules") or []
            reviewed = any(rule.get("type") == "required_reviewers" for rule in rules)
        elif not_found(shown):
            boot.change(
                argv(
                    "gh api --method PUT {path} " + BRANCH_POLICY_FIELDS + " --silent",
                    path=f"repos/{repo}/environments/{environment}",
                ),
                f"GitHub Environment {environment} (deploys from selected branches only)",
            )
            reviewed = False
        else:
            raise Failed(f"reading GitHub Environment {environment} failed: {last_line(shown.stderr)}")
        ensure_branch_policies(
            boot, repo, environment, settings, deployment_branches(environment, config, default_branch)
        )
        if environment == GITHUB_PROTECTED_ENVIRONMENT and not reviewed:
            chosen = list(reviewers) or ask_reviewers(boot)
            reviewed = bool(chosen) and ensure_reviewers(boot, repo, chosen, settings)
        if environment == GITHUB_PROTECTED_ENVIRONMENT and not reviewed:
            protected = ", ".join(config.get("protected_environments") or []) or "protected environments"
            boot.todo.append(
                f"add required reviewers to the GitHub Environment {environment}, so that applies to "
                f"{protected} wait for approval: run setup again with --reviewer USER, or "
                f"https://github.com/{repo}/settings/environments"
            )


def cmd_setup(args, config) -> int:
    boot = Bootstrap(args.dry_run)
    account = azure_account()
    require("gh")
    if run(["gh", "auth", "status"], capture=True, echo=False).returncode != 0:
        raise Failed("the GitHub CLI is not logged in: run gh auth login")
    repository = boot.read_json(
        argv("gh api {path}", path=f"repos/{github_repository(args.github_repo)}"),
        "reading the GitHub repository (create it first: gh repo create OWNER/REPO --private --source . --push)",
    )
    repo = repository["full_name"]  # GitHub's own spelling: OIDC subjects are compared case-sensitively
    storage = state_storage(account["id"])
    if args.dry_run:
        print(
            f"# nimbus setup --dry-run: subscription {account.get('name', '')} ({account['id']}), "
            f"tenant {account['tenantId']}, repository {repo}"
        )
        print("# Nothing below has run. Reads ran to see what exists; these commands would create the rest.")

    container_scope = ensure_state_storage(boot, storage, config["region"], account["id"])
    app_id, principal, new = ensure_identity(boot, repository, args.legacy_oidc_subjects)
    ensure_roles(boot, account, principal, new, container_scope)
    reader_id, reader, reader_new = ensure_identity(boot, repository, args.legacy_oidc_subjects, "reader")
    ensure_reader_roles(boot, account, reader, reader_new, container_scope)
    ensure_owner_record(boot, storage, config, repository)
    ensure_github(
        boot,
        repo,
        {
            "AZURE_CLIENT_ID": app_id,
            "AZURE_READER_CLIENT_ID": reader_id,
            "AZURE_TENANT_ID": account["tenantId"],
            "AZURE_SUBSCRIPTION_ID": account["id"],
            "NIMBUS_STATE_RESOURCE_GROUP": storage["resource_group_name"],
            "NIMBUS_STATE_STORAGE_ACCOUNT": storage["storage_account_name"],
        },
        config,
        repository.get("default_branch") or "main",
        args.reviewer or (),
    )

    boot.todo.append(
        "teammates who run gitops.py locally need 'Storage Blob Data Contributor' on the state container: az role "
        "assignment create --assignee <their sign-in name> --role 'Storage Blob Data Contributor' "
        f"--scope {container_scope}"
    )
    if boot.created and not args.dry_run:
        boot.todo.append("new role assignments can take a few minutes to apply before the first workflow run")
    if not args.legacy_oidc_subjects and (repository.get("created_at") or "9999") < "2026-07-15":
        boot.todo.append(
            "this repository predates GitHub's immutable OIDC subjects (2026-07-15): unless it has opted in, its "
            "tokens name it without ids; run setup again with --legacy-oidc-subjects if azure/login reports "
            "'No matching federated identity record found'"
        )
    report(boot)
    return 0


def report(boot: Bootstrap) -> None:
    mark = "# " if boot.dry_run else ""
    print(
        f"{mark}{'would create' if boot.dry_run else 'created'}: {len(boot.created)}, "
        f"already there: {len(boot.existing)}"
    )
    if not boot.dry_run:
        for item in boot.created:
            print(f"  created: {item}")
        for item in boot.existing:
            print(f"  exists:  {item}")
    if boot.todo:
        print(f"{mark}left for you to do:")
        for item in boot.todo:
            print(f"{mark}  - {item}")


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------------------
# Running the app locally against an environment: dotenv, db-access
# --------------------------------------------------------------------------------------------------------------

DOTENV_PLAIN = re.compile(r"^[A-Za-z0-9_./:@+,=-]*$")
DATABASE_FIREWALL = {  # engine => (az group, server option, rule option, delete confirmation)
    "postgresql": (["postgres", "flexible-server"], "--name", "--rule-name", ["--yes"]),
    "mysql": (["mysql", "flexible-server"], "--name", "--rule-name", ["--yes"]),
    "sql_server": (["sql", "server"], "--server", "--name", []),
}


def terraform_outputs(environment: str, config: dict, subscription: str) -> dict:
    # terraform init talks on stdout; `dotenv > .env` must get the settings only, so init speaks on stderr.
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        ensure_initialised(environment, config, subscription)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    result = run(terraform("output", "-json"), capture=True, env=terraform_env(subscription))
    if result.returncode != 0:
        raise Failed(f"terraform output failed: {last_line(result.stderr)}")
    return {name: spec.get("value") for name, spec in (json_of(result, "terraform output -json") or {}).items()}


def dotenv_line(name: str, value: str) -> str:
    """NAME=value the way dotenv readers (python-dotenv, Node's dotenv, docker --env-file for plain values) agree on:
    bare when safe, else single-quoted (literal), else double-quoted with backslash escapes."""
    value = str(value)
    if DOTENV_PLAIN.match(value):
        return f"{name}={value}"
    if "'" not in value and "\n" not in value:
        return f"{name}='{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{name}="{escaped}"'


def cmd_dotenv(args, config) -> int:
    environment = check_environment(args.environment, config)
    outputs = terraform_outputs(environment, config, subscription_id(args.subscription))
    plain = outputs.get("app_settings")
    if plain is None:
        raise Failed(f"environment {environment} has no app_settings output: apply it once with this nimbus version")
    secret = outputs.get("app_secret_settings") or {}
    lines = [f"# App settings of environment {environment} (python3 scripts/gitops.py dotenv {environment})"]
    lines += [dotenv_line(name, value) for name, value in sorted(plain.items())]
    if args.secrets:
        lines += ["# Secrets: keep this file out of git."]
        lines += [dotenv_line(name, value) for name, value in sorted(secret.items())]
    elif secret:
        lines += [f"# {name}=<secret: add --secrets to print it>" for name in sorted(secret)]
    text = "\n".join(lines) + "\n"
    if args.output:
        target = Path(args.output)
        target.write_text(text, encoding="utf-8")
        target.chmod(0o600)
        print(f"wrote {len(plain) + (len(secret) if args.secrets else 0)} settings to {target}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def developer_rule_name() -> str:
    who = os.environ.get("USER") or os.environ.get("USERNAME") or "developer"
    return "nimbus-dev-" + (re.sub(r"[^A-Za-z0-9-]+", "-", who).strip("-")[:40] or "developer")


def cmd_db_access(args, config) -> int:
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        raise Refused("db-access opens the database firewall to one person's IP: it never runs in CI (CI=true)")
    environment = check_environment(args.environment, config)
    if not args.remove:
        refuse_protected(environment, config, args.i_know_this_is_protected, "open the database firewall of")
    subscription = subscription_id(args.subscription)
    outputs = terraform_outputs(environment, config, subscription)
    server_id, engine = outputs.get("database_server_id"), outputs.get("database_engine")
    if not server_id or engine not in DATABASE_FIREWALL:
        raise Refused(f"environment {environment} has no database")
    if outputs.get("virtual_network_name"):
        raise Refused(
            f"environment {environment}'s database has no public endpoint (network = vnet): there is no firewall to "
            "open; reach it from inside the virtual network"
        )
    parts = server_id.strip("/").split("/")
    group, server = parts[parts.index("resourceGroups") + 1], parts[-1]
    family, server_option, rule_option, confirm = DATABASE_FIREWALL[engine]
    rule = developer_rule_name()
    base = ["az", *family, "firewall-rule"]
    target = ["--resource-group", group, server_option, server, rule_option, rule, "--subscription", subscription]

    def remove() -> None:
        result = run([*base, "delete", *target, *confirm, "--output", "none"], capture=True)
        if result.returncode != 0 and not not_found(result):
            raise Failed(f"removing firewall rule {rule} from {server} failed: {last_line(result.stderr)}")

    if args.remove:
        remove()
        print(f"removed firewall rule {rule} from {server}", file=sys.stderr)
        return 0
    address = deployer_ip()
    created = run(
        [*base, "create", *target, "--start-ip-address", address, "--end-ip-address", address, "--output", "none"],
        capture=True,
    )
    if created.returncode != 0:
        remove()  # never leave a half-made rule behind
        raise Failed(f"admitting {address} to {server} failed: {last_line(created.stderr)}")
    if not args.command:
        print(
            f"{server} admits {address} (rule {rule}). Remove it when done: "
            f"python3 scripts/gitops.py db-access {environment} --remove",
            file=sys.stderr,
        )
        return 0
    # With a command: the rule exists only while it runs, whatever its outcome.
    try:
        return subprocess.run(args.command, cwd=Path.cwd()).returncode
    except OSError as error:
        raise Failed(f"could not run {args.command[0]}: {error.strerror}") from None
    finally:
        remove()
        print(f"removed firewall rule {rule} from {server}", file=sys.stderr)


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="gitops.py", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)

    def command(name, handler, help_text, *, environment=False, subscription=True):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        if environment:
            sub.add_argument("environment", help="environment name, e.g. alice")
        if subscription:
            sub.add_argument(
                "--subscription", help="Azure subscription id (default: ARM_SUBSCRIPTION_ID, then az's current)"
            )
        return sub

    def github_output(sub):
        sub.add_argument(
            "--github-output",
            nargs="?",
            const=True,
            metavar="FILE",
            help="also write key=value lines for GitHub Actions (default file: $GITHUB_OUTPUT)",
        )

    sub = command("env", cmd_env, "print the environment a branch stands for, as JSON")
    sub.add_argument("--branch", required=True, help="branch name or refs/heads/<branch>")
    github_output(sub)
    command("init", cmd_init, "terraform init against the environment's state", environment=True)
    sub = command("plan", cmd_plan, "terraform plan for the environment", environment=True)
    sub.add_argument("--out", help="save the plan to this file (apply it with `apply`)")
    sub.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 0 without changes, 2 with changes, 1 on error"
    )
    sub.add_argument("--no-lock", action="store_true", help="do not take the state lock (read-only plans)")
    sub = command("apply", cmd_apply, "apply a plan saved by `plan --out`", environment=True)
    sub.add_argument("plan_file", help="the saved plan")
    sub = command("destroy", cmd_destroy, "terraform destroy the environment", environment=True)
    sub.add_argument("--yes", action="store_true", help="do not ask for confirmation (CI)")
    sub.add_argument(
        "--i-know-this-is-protected", action="store_true", help="allow a protected environment (CI never passes it)"
    )
    sub = command("outputs", cmd_outputs, "print the environment's Terraform outputs as JSON", environment=True)
    sub.add_argument("--show-sensitive", action="store_true", help="print sensitive values instead of <sensitive>")
    github_output(sub)
    sub = command("delete-state", cmd_delete_state, "delete the environment's state blob", environment=True)
    sub.add_argument(
        "--i-know-this-is-protected", action="store_true", help="allow a protected environment (CI never passes it)"
    )
    sub = command(
        "list", cmd_list, "environments that have state: branch, protected, age, last apply, owner, orphan/idle"
    )
    sub.add_argument("--json", action="store_true", help="print a JSON array of names (with --details: objects)")
    sub.add_argument("--details", action="store_true", help="with --json: one object per environment")
    github_output(sub)
    sub = command(
        "plan-summary", cmd_plan_summary, "Markdown summary of a saved plan (or of its `terraform show -json`)"
    )
    sub.add_argument("plan", help="plan file saved by `plan --out`, or its JSON")
    sub.add_argument("--environment", help="environment the plan is for (shown in the title)")
    sub.add_argument("--record", metavar="FILE", help="also write a drift record (JSON) for `drift-report`")
    github_output(sub)
    sub = command(
        "drift-report", cmd_drift_report, "open/update/close one drift issue per environment (gh)", subscription=False
    )
    sub.add_argument("directory", help="folder of drift records written by `plan-summary --record`")
    sub = command(
        "sweep",
        cmd_sweep,
        "open/update/close orphan and idle issues; name the environments to destroy",
        subscription=False,
    )
    sub.add_argument("inventory", help="JSON written by `list --json --details` (or the list job's `inventory` output)")
    github_output(sub)
    sub = command(
        "setup", cmd_setup, "one-time bootstrap of state storage, OIDC identity and GitHub settings", subscription=False
    )
    sub.add_argument(
        "--dry-run", action="store_true", help="print the az/gh commands that would change something; change nothing"
    )
    sub.add_argument("--github-repo", metavar="OWNER/REPO", help="GitHub repository (default: the git remote origin)")
    sub.add_argument(
        "--reviewer",
        action="append",
        metavar="USER",
        help=f"GitHub user who must approve applies to protected environments ({GITHUB_PROTECTED_ENVIRONMENT}); "
        "repeatable. Without it, setup asks at a terminal",
    )
    sub.add_argument(
        "--legacy-oidc-subjects",
        action="store_true",
        help="also trust name-only OIDC subjects (repositories created before 2026-07-15 that did not opt in)",
    )
    sub = command("dotenv", cmd_dotenv, "print the app's settings in an environment as a .env file", environment=True)
    sub.add_argument(
        "--secrets", action="store_true", help="include the secret settings' values (keep the file private)"
    )
    sub.add_argument("--output", metavar="FILE", help="write FILE (mode 600) instead of printing")
    sub = command(
        "db-access",
        cmd_db_access,
        "admit this machine's public IP through the environment's database firewall (public network only)",
        environment=True,
    )
    sub.add_argument("--remove", action="store_true", help="remove this machine's rule")
    sub.add_argument(
        "--i-know-this-is-protected", action="store_true", help="allow a protected environment (CI never passes it)"
    )
    sub.add_argument("command", nargs="*", help="after --: a command to run with the rule in place, then remove it")
    return top


def stop(signum, frame) -> None:
    """A cancelled workflow sends SIGTERM: unwind like Ctrl-C, so temporary firewall access is removed."""
    raise KeyboardInterrupt


def main(arguments: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if arguments is None else arguments)
    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (an embedding program): it handles its own signals
        pass
    annotate = "--github-output" in arguments  # CI mode: refusals become error annotations on the run page
    try:
        args = parser().parse_args(arguments)
        return args.handler(args, load_config())
    except (Refused, Failed) as error:
        message = " ".join(str(error).split("\n"))
        print(f"{'::error title=nimbus::' if annotate else ''}gitops.py: {message}", file=sys.stderr)
        return EXIT_REFUSED if isinstance(error, Refused) else EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
