"""Terraform against one environment's state: init, variables, provenance, the deployer's temporary access, saved plans."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from .naming import Failed, Refused, TERRAFORM_DIR, load_config
from .tools import argv, checked, git_output, json_of, last_line, require, run
from .state import check_owner, describe


# Terraform variables that receive the public IP of whoever runs Terraform (Key Vault firewall with vnet).
DEPLOYER_IP_VARIABLES = ("deployer_ip_ranges",)


# Two independent echo services: the second is asked only when the first cannot answer.
DEPLOYER_IP_SERVICES = ("https://api.ipify.org", "https://ipv4.icanhazip.com")


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


def vault_rule(action: str, vault: tuple[str, str], address: str, what: str) -> None:
    """`az keyvault network-rule add|remove` of one address on the vault (name, resource group)."""
    checked(
        argv(
            "az keyvault network-rule {action} --name {vault} --resource-group {group} --ip-address {address} "
            "--output none",
            action=action,
            vault=vault[0],
            group=vault[1],
            address=address,
        ),
        what,
    )


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
                vault_rule("add", vault, address, f"admitting {address} to Key Vault {vault[0]}")
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
                        vault_rule("remove", vault, address, f"removing {address} from Key Vault {vault[0]}")
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


def run_with_access(command: list[str], subscription: str) -> int:
    """Run a Terraform command that reads or writes the environment, its deployer admitted for exactly this run."""
    env = terraform_env(subscription)
    with DeployerAccess(env):
        return run(command, env=env).returncode
