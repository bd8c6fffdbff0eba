"""scripts/gitops.py, run as a person or a workflow runs it: from a rendered project, with fake az/gh/terraform
first on PATH (tests/fakes) recording every call."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import answers as nimbus_answers  # hooks/ is on sys.path (tests/conftest.py)
from conftest import ANSWER_SETS, run_terraform
from tfcheck import granted_roles
from gitops_support import (
    DEPLOYER_IP,
    SUBSCRIPTION,
    FakeWorld,
    backend_settings,
    copy_project,
    days_ago,
    option_value,
    run_cli,
)

ALLOWED = "environments are 1 to 24 lowercase letters, digits and single hyphens"
STATE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")


@pytest.fixture
def world(tmp_path):
    return FakeWorld(tmp_path / "world")


@pytest.fixture(scope="module")
def project(rendered):
    return rendered("compute-app_service")  # project my-app, prefix env-


def env_of(project: Path, world: FakeWorld, branch: str, **env: str) -> dict:
    result = run_cli(project, world, "env", "--branch", branch, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # exactly one JSON object on stdout


# --------------------------------------------------------------------------------------------------------------
# env: branch -> environment
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("branch", ["env-alice", "refs/heads/env-alice"])
def test_env_turns_a_branch_into_an_environment(project, world, branch):
    info = env_of(project, world, branch)
    assert info == {
        "environment": "alice",
        "project": "my-app",
        "region": "eastus",
        "resource_group": "rg-my-app--alice-tok3n1",
        "state_key": "tok3n1/my-app/alice.tfstate",
        "protected": False,
        "github_environment": "nimbus",
        "branch": "env-alice",
    }
    assert world.calls() == [], "without a subscription nothing asks Azure"


def test_env_with_a_subscription_names_the_shared_state_backend(project, world):
    info = env_of(project, world, "env-alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    account = "nimbustf" + hashlib.sha256(SUBSCRIPTION.encode()).hexdigest()[:14]
    assert STATE_ACCOUNT.match(account)
    assert info["backend"] == {
        "resource_group_name": "nimbus-tfstate",
        "storage_account_name": account,
        "container_name": "tfstate",
        "key": "tok3n1/my-app/alice.tfstate",
    }
    assert env_of(project, world, "env-alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION) == info, "deterministic"
    other = env_of(project, world, "env-alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION.replace("1", "7"))
    assert other["backend"]["storage_account_name"] != account, "one state account per subscription"
    overridden = env_of(
        project,
        world,
        "env-alice",
        ARM_SUBSCRIPTION_ID=SUBSCRIPTION,
        NIMBUS_STATE_STORAGE_ACCOUNT="teamstate01",
        NIMBUS_STATE_RESOURCE_GROUP="rg-team-state",
    )
    assert overridden["backend"]["storage_account_name"] == "teamstate01"
    assert overridden["backend"]["resource_group_name"] == "rg-team-state"
    flag = run_cli(project, world, "env", "--branch", "env-alice", "--subscription", SUBSCRIPTION)
    assert json.loads(flag.stdout)["backend"] == info["backend"]


def test_env_with_a_slash_prefix(rendered, world):
    info = env_of(rendered("prefix-slash"), world, "env/alice")
    assert info["environment"] == "alice" and info["branch"] == "env/alice"
    refused = run_cli(rendered("prefix-slash"), world, "env", "--branch", "env-alice")
    assert refused.returncode == 3 and "only branches named env/<environment>" in refused.stderr


BAD_BRANCHES = {
    "not the prefix": ("main", "only branches named env-<environment> get an environment"),
    "empty": ("env-", "is empty"),
    "too long": ("env-" + "a" * 25, "has 25 characters"),
    "shell": ("env-$(reboot)", "other than lowercase letters"),
    "backtick": ("env-a`id`", "other than lowercase letters"),
    "semicolon": ("env-a;b", "other than lowercase letters"),
    "dot": ("env-a.b", "other than lowercase letters"),
    "dot dot": ("env-..", "other than lowercase letters"),
    "space": ("env-a b", "other than lowercase letters"),
    "newline": ("env-a\nb", "other than lowercase letters"),
    "slash": ("env-a/b", "contains '/'"),
    "leading hyphen": ("env--a", "does not start with a letter"),
    "leading digit": ("env-1a", "does not start with a letter"),
    "trailing hyphen": ("env-a-", "ends with a hyphen"),
    "double hyphen": ("env-a--b", "has a double hyphen"),
    "upper case": ("env-Alice", "name the branch 'env-alice' instead"),
    "underscore": ("env-a_b", "name the branch 'env-a-b' instead"),
    "tag": ("refs/tags/env-alice", "only branches named env-<environment>"),
}


@pytest.mark.parametrize("branch, reason", BAD_BRANCHES.values(), ids=BAD_BRANCHES.keys())
def test_env_refuses_unsafe_branches_in_one_line(project, world, branch, reason):
    result = run_cli(project, world, "env", "--branch", branch, "--github-output", str(world.folder / "out"))
    assert result.returncode == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert reason in lines[0]
    assert lines[0].startswith("::error title=nimbus::gitops.py: refused")  # an annotation on the run page
    if reason != "only branches named env-<environment> get an environment" and "tags" not in branch:
        assert ALLOWED in lines[0], "the message says what is allowed"
    assert not (world.folder / "out").exists() or (world.folder / "out").read_text() == ""
    assert world.calls() == []


def test_upper_case_and_underscore_never_share_an_environment(project, world):
    """env-Alice is refused rather than folded into env-alice: two branches must never share an environment."""
    result = run_cli(project, world, "env", "--branch", "env-Bad_Name")
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr == (
        "gitops.py: refused branch 'env-Bad_Name': the environment 'Bad_Name' has upper-case letters or '_'; "
        "name the branch 'env-bad-name' instead (environments are 1 to 24 lowercase letters, digits and single "
        "hyphens, starting with a letter and ending with a letter or digit)\n"
    )


def test_environments_and_projects_are_isolated(project, rendered, world):
    alice, bob = env_of(project, world, "env-alice"), env_of(project, world, "env-bob")
    assert alice["resource_group"] != bob["resource_group"] and alice["state_key"] != bob["state_key"]
    other_project = rendered("longest-project-name")
    theirs = env_of(other_project, world, "env-alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    ours = env_of(project, world, "env-alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert theirs["state_key"] == f"tok3n1/{ANSWER_SETS['longest-project-name']['project_name']}/alice.tfstate"
    assert theirs["state_key"] != ours["state_key"] and theirs["resource_group"] != ours["resource_group"]
    assert theirs["backend"]["storage_account_name"] == ours["backend"]["storage_account_name"], "shared storage"


def test_protected_environments_come_from_nimbus_json(project, world, tmp_path):
    prod = env_of(project, world, "env-prod")
    assert prod["protected"] is True and prod["github_environment"] == "nimbus-protected"
    copy = copy_project(project, tmp_path / "copy")
    config = json.loads((copy / "terraform" / "nimbus.json").read_text())
    config["protected_environments"] = ["prod", "staging"]
    (copy / "terraform" / "nimbus.json").write_text(json.dumps(config))
    assert env_of(copy, world, "env-staging")["protected"] is True
    assert env_of(copy, world, "env-alice")["protected"] is False


def test_github_output_lines(project, world):
    output = world.folder / "github-output"
    result = run_cli(
        project,
        world,
        "env",
        "--branch",
        "env-prod",
        "--github-output",
        ARM_SUBSCRIPTION_ID=SUBSCRIPTION,
        GITHUB_OUTPUT=str(output),
    )
    assert result.returncode == 0, result.stderr
    lines = output.read_text().splitlines()
    assert {
        "environment=prod",
        "protected=true",
        "github_environment=nimbus-protected",
        "resource_group=rg-my-app--prod-tok3n1",
        "state_key=tok3n1/my-app/prod.tfstate",
        "backend_key=tok3n1/my-app/prod.tfstate",
        "backend_container_name=tfstate",
    } <= set(lines)
    missing = run_cli(project, world, "env", "--branch", "env-prod", "--github-output")
    assert missing.returncode == 3 and "GITHUB_OUTPUT" in missing.stderr


# --------------------------------------------------------------------------------------------------------------
# Terraform commands
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def workdir(project, tmp_path):
    """A private copy of the project: terraform init writes terraform/.terraform in it."""
    return copy_project(project, tmp_path / "project")


def terraform(world: FakeWorld, command: str) -> list[list[str]]:
    return [argv for argv in world.argvs("terraform") if argv[1:2] == [command]]


def test_init_in_ci_keeps_a_committed_lock_file_read_only(workdir, world):
    result = run_cli(workdir, world, "init", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, CI="true")
    assert result.returncode == 0, result.stderr
    (init,) = terraform(world, "init")
    assert "-lockfile=readonly" not in init, "no lock file committed yet: the first init writes one"
    (workdir / "terraform" / ".terraform.lock.hcl").write_text("# recorded by terraform init\n", encoding="utf-8")
    shutil.rmtree(workdir / "terraform" / ".terraform")
    result = run_cli(workdir, world, "init", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, CI="true")
    assert result.returncode == 0, result.stderr
    assert "-lockfile=readonly" in terraform(world, "init")[-1]


def test_init_points_terraform_at_the_environments_state_with_entra_auth(workdir, world):
    result = run_cli(workdir, world, "init", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert result.returncode == 0, result.stderr
    (init,) = terraform(world, "init")
    assert init[:5] == [
        "-chdir=terraform",
        "init",
        "-input=false",
        "-reconfigure",
        "-backend-config=resource_group_name=nimbus-tfstate",
    ]
    assert backend_settings(init) == {
        "resource_group_name": "nimbus-tfstate",
        "storage_account_name": "nimbustf" + hashlib.sha256(SUBSCRIPTION.encode()).hexdigest()[:14],
        "container_name": "tfstate",
        "key": "tok3n1/my-app/alice.tfstate",
        "use_azuread_auth": "true",
    }
    # ARM_SUBSCRIPTION_ID set: no az call (CI) but the read of the ownership record beside the state
    (owner,) = world.argvs("az")
    assert owner[:4] == ["storage", "blob", "metadata", "show"] and option_value(owner, "--name") == "tok3n1/owner.json"
    recorded = json.loads((workdir / "terraform/.terraform/terraform.tfstate").read_text())
    assert recorded["backend"]["config"]["key"] == "tok3n1/my-app/alice.tfstate"


def test_on_a_laptop_the_subscription_comes_from_az(workdir, world):
    result = run_cli(workdir, world, "init", "alice")
    assert result.returncode == 0, result.stderr
    assert [argv[:4] for argv in world.argvs("az")] == [
        ["account", "show", "--output", "json"],
        ["storage", "blob", "metadata", "show"],  # the ownership record
    ]
    assert world.calls("terraform")[0]["env"]["ARM_SUBSCRIPTION_ID"] == SUBSCRIPTION


def test_plan_apply_outputs_on_one_environment(workdir, world):
    subscription = {"ARM_SUBSCRIPTION_ID": SUBSCRIPTION}
    assert run_cli(workdir, world, "plan", "alice", "--out", "tfplan", **subscription).returncode == 0
    init, plan = terraform(world, "init"), terraform(world, "plan")
    assert len(init) == 1 and backend_settings(init[0])["key"] == "tok3n1/my-app/alice.tfstate", (
        "plan initialises first"
    )
    assert option_value(plan[0], "-var") == "environment=alice" and option_value(plan[0], "-out") == str(
        workdir / "tfplan"
    )

    applied = run_cli(workdir, world, "apply", "alice", "tfplan", **subscription)
    assert applied.returncode == 0, applied.stderr
    assert terraform(world, "apply") == [["-chdir=terraform", "apply", "-input=false", str(workdir / "tfplan")]]
    assert len(terraform(world, "init")) == 1, "already initialised for alice: no second init"

    outputs = run_cli(workdir, world, "outputs", "alice", "--github-output", str(world.folder / "out"), **subscription)
    assert outputs.returncode == 0, outputs.stderr
    shown = json.loads(outputs.stdout)
    assert shown["app_url"] == "https://app-fake-1234.azurewebsites.net" and shown["database_password"] == "<sensitive>"
    written = (world.folder / "out").read_text()
    assert "app_name=app-fake-1234" in written and "container_registry_name=\n" in written
    assert "s3cret" not in written and "database_password" not in written


def test_switching_environment_reinitialises_so_no_plan_reads_another_environments_state(workdir, world):
    subscription = {"ARM_SUBSCRIPTION_ID": SUBSCRIPTION}
    run_cli(workdir, world, "plan", "alice", **subscription)
    run_cli(workdir, world, "plan", "bob", **subscription)
    run_cli(workdir, world, "plan", "bob", **subscription)
    keys = [backend_settings(argv)["key"] for argv in terraform(world, "init")]
    assert keys == ["tok3n1/my-app/alice.tfstate", "tok3n1/my-app/bob.tfstate"]


def test_apply_refuses_a_plan_made_for_another_environment(workdir, world):
    subscription = {"ARM_SUBSCRIPTION_ID": SUBSCRIPTION}
    run_cli(workdir, world, "plan", "alice", "--out", "alice.tfplan", **subscription)
    result = run_cli(workdir, world, "apply", "bob", "alice.tfplan", **subscription)
    assert result.returncode == 3 and "planned for environment 'alice', not 'bob'" in result.stderr
    assert terraform(world, "apply") == []
    assert [backend_settings(argv)["key"] for argv in terraform(world, "init")] == ["tok3n1/my-app/alice.tfstate"]


def test_tfvars_of_the_environment_are_passed_when_they_exist(workdir, world):
    (workdir / "terraform" / "environments").mkdir(exist_ok=True)
    (workdir / "terraform" / "environments" / "alice.tfvars").write_text('app_service_sku_name = "P0v3"\n')
    run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    run_cli(workdir, world, "plan", "bob", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    alice, bob = terraform(world, "plan")
    assert "-var-file=environments/alice.tfvars" in alice
    assert not any(item.startswith("-var-file") for item in bob)


def test_plan_flags_for_read_only_and_drift_plans(workdir, world):
    world.set_state({"terraform": {"changes": [{"address": "a.b", "change": {"actions": ["update"]}}]}})
    result = run_cli(
        workdir, world, "plan", "alice", "--detailed-exitcode", "--no-lock", ARM_SUBSCRIPTION_ID=SUBSCRIPTION
    )
    assert result.returncode == 2, "terraform's own code for 'changes'"
    (plan,) = terraform(world, "plan")
    assert "-detailed-exitcode" in plan and "-lock=false" in plan


def uses_deployer_ip(workdir: Path) -> None:
    """What nimbus.json says for a project whose Key Vault sits behind its firewall (network = vnet)."""
    config_file = workdir / "terraform" / "nimbus.json"
    config = json.loads(config_file.read_text())
    config["root_variables"] = [*config["root_variables"], "deployer_ip_ranges"]
    config_file.write_text(json.dumps(config))


def test_deployer_ip_is_passed_only_when_nimbus_json_says_the_root_module_uses_it(workdir, world):
    run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert "TF_VAR_deployer_ip_ranges" not in world.calls("terraform")[-1]["env"]
    firewall = [argv for argv in world.argvs("az") if argv[0] == "keyvault"]
    assert firewall == []
    uses_deployer_ip(workdir)
    run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert json.loads(world.calls("terraform")[-1]["env"]["TF_VAR_deployer_ip_ranges"]) == [DEPLOYER_IP]
    firewall = [argv for argv in world.argvs("az") if argv[0] == "keyvault"]
    assert firewall == [], "a new environment has no Key Vault to open"


def vault_world(world: FakeWorld, rules: list[str], **terraform_state) -> None:
    world.set_state(
        {
            "az": {"vault_ip_rules": rules},
            "terraform": {
                "outputs": {
                    "key_vault_name": {"value": "kv-my-app-alice-1a2b3c4d", "sensitive": False},
                    "resource_group_name": {"value": "rg-my-app--alice-tok3n1", "sensitive": False},
                },
                **terraform_state,
            },
        }
    )


def firewall_steps(world: FakeWorld) -> list[tuple]:
    return [
        (entry["tool"], entry["argv"][1] if entry["tool"] == "terraform" else " ".join(entry["argv"][:3]))
        for entry in world.calls()
        if entry["tool"] == "terraform" or entry["argv"][0] == "keyvault"
    ]


def vault_rules(world: FakeWorld) -> list[str]:
    return json.loads(world.state_file.read_text())["az"]["vault_ip_rules"]


@pytest.mark.parametrize("command", [["plan", "alice", "--no-lock"], ["destroy", "alice", "--yes"]])
def test_a_run_admits_the_deployer_to_the_key_vault_only_while_it_lasts(workdir, world, command):
    """vnet + Key Vault: Terraform reads the vault's secrets on refresh, so this machine is admitted first, and the
    firewall is back as it was when the run ends: a pull-request or drift plan leaves nothing behind."""
    uses_deployer_ip(workdir)
    vault_world(world, ["198.51.100.9/32"])  # an address the team allowed by hand stays
    assert run_cli(workdir, world, *command, ARM_SUBSCRIPTION_ID=SUBSCRIPTION).returncode == 0
    steps = firewall_steps(world)
    added, removed = (
        steps.index(("az", "keyvault network-rule add")),
        steps.index(("az", "keyvault network-rule remove")),
    )
    assert added < steps.index(("terraform", command[0])) < removed
    for argv in world.argvs("az"):
        if argv[:2] == ["keyvault", "network-rule"] and argv[2] in ("add", "remove"):
            assert option_value(argv, "--ip-address") == DEPLOYER_IP
            assert option_value(argv, "--name") == "kv-my-app-alice-1a2b3c4d"
            assert option_value(argv, "--resource-group") == "rg-my-app--alice-tok3n1"
    assert vault_rules(world) == ["198.51.100.9/32"]


def test_the_key_vault_firewall_is_restored_when_terraform_fails(workdir, world):
    uses_deployer_ip(workdir)
    vault_world(world, [], fail_plan=True)
    result = run_cli(workdir, world, "plan", "alice", "--no-lock", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert result.returncode == 1
    assert ("az", "keyvault network-rule remove") in firewall_steps(world)
    assert vault_rules(world) == []


def test_an_address_already_allowed_is_neither_added_nor_removed(workdir, world):
    uses_deployer_ip(workdir)
    vault_world(world, [f"{DEPLOYER_IP}/32"])
    assert run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION).returncode == 0
    assert [step for step in firewall_steps(world) if step[0] == "az"] == [
        ("az", "keyvault network-rule list"),
        ("az", "keyvault network-rule list"),
    ]
    assert vault_rules(world) == [f"{DEPLOYER_IP}/32"]


@pytest.mark.parametrize(
    "command",
    [
        ["init", "Alice"],
        ["plan", "a b"],
        ["destroy", "x--y", "--yes"],
        ["outputs", "../prod"],
        ["delete-state", "$(id)"],
    ],
)
def test_environment_arguments_follow_the_branch_rules(workdir, world, command):
    result = run_cli(workdir, world, *command, ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert result.returncode == 3 and len(result.stderr.splitlines()) == 1 and "refused environment" in result.stderr
    assert world.calls() == []


def test_destroy_never_touches_a_protected_environment_without_the_flag(workdir, world):
    refused = run_cli(workdir, world, "destroy", "prod", "--yes", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert refused.returncode == 3 and "protected" in refused.stderr and "--i-know-this-is-protected" in refused.stderr
    assert world.calls() == []
    forced = run_cli(
        workdir, world, "destroy", "prod", "--yes", "--i-know-this-is-protected", ARM_SUBSCRIPTION_ID=SUBSCRIPTION
    )
    assert forced.returncode == 0, forced.stderr
    (destroy,) = terraform(world, "destroy")
    assert destroy == ["-chdir=terraform", "destroy", "-input=false", "-auto-approve", "-var", "environment=prod"]


def test_delete_state_deletes_only_that_blob(workdir, world):
    world.set_state({"az": {"blobs": ["tok3n1/my-app/alice.tfstate", "tok3n1/my-app/bob.tfstate"]}})
    assert run_cli(workdir, world, "delete-state", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION).returncode == 0
    deleted = [argv for argv in world.argvs("az") if argv[:3] == ["storage", "blob", "delete"]]
    assert len(deleted) == 1 and option_value(deleted[0], "--name") == "tok3n1/my-app/alice.tfstate"
    assert (
        option_value(deleted[0], "--auth-mode") == "login" and option_value(deleted[0], "--container-name") == "tfstate"
    )
    world.clear()
    gone = run_cli(workdir, world, "delete-state", "carol", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert gone.returncode == 0 and "nothing to delete" in gone.stderr
    assert not [argv for argv in world.argvs("az") if argv[:3] == ["storage", "blob", "delete"]]
    protected = run_cli(workdir, world, "delete-state", "prod", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert protected.returncode == 3 and "protected" in protected.stderr


def test_list_shows_this_projects_environments_only(project, world):
    world.set_state(
        {
            "az": {
                "blobs": [
                    "tok3n1/my-app/bob.tfstate",
                    "tok3n1/my-app/alice.tfstate",
                    "my-app2/zed.tfstate",
                    "other/carol.tfstate",
                    "tok3n1/my-app/alice.tfstateenv:staging",
                    "my-app/Bad.tfstate",
                ]
            }
        }
    )
    as_json = run_cli(project, world, "list", "--json", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    # `list --json` prints the names, as it always did: scripts that read it keep working, and it asks only Azure.
    assert json.loads(as_json.stdout) == ["alice", "bob"]
    (listed,) = world.argvs("az")
    assert listed[:3] == ["storage", "blob", "list"] and option_value(listed, "--prefix") == "tok3n1/my-app/"
    assert option_value(listed, "--auth-mode") == "login"
    assert world.argvs("gh") == []


# --------------------------------------------------------------------------------------------------------------
# plan-summary and drift-report
# --------------------------------------------------------------------------------------------------------------


def test_plan_summary_counts_like_terraform(project, world, tmp_path):
    plan = {
        "resource_changes": [
            {"address": "azurerm_resource_group.this", "change": {"actions": ["create"]}},
            {
                "address": "module.db.azurerm_postgresql_flexible_server.this",
                "change": {"actions": ["delete", "create"]},
            },
            {"address": "azurerm_key_vault.this", "change": {"actions": ["update"]}},
            {"address": "azurerm_storage_account.old", "change": {"actions": ["delete"]}},
            {"address": "data.azurerm_client_config.current", "change": {"actions": ["read"]}},
            {"address": "azurerm_log_analytics_workspace.this", "change": {"actions": ["no-op"]}},
        ]
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    output = tmp_path / "github-output"
    result = run_cli(
        project,
        world,
        "plan-summary",
        str(tmp_path / "plan.json"),
        "--environment",
        "alice",
        "--github-output",
        str(output),
        "--record",
        str(tmp_path / "drift" / "alice.json"),
    )
    assert result.returncode == 0, result.stderr
    assert "### Terraform plan for environment `alice`" in result.stdout
    assert "| 2 | 1 | 2 |" in result.stdout  # a replace adds one and destroys one, as Terraform counts
    assert "| replace | `module.db.azurerm_postgresql_flexible_server.this` |" in result.stdout
    assert "client_config" not in result.stdout and "log_analytics" not in result.stdout
    written = output.read_text()
    assert "add=2\nchange=1\ndestroy=2\nhas_changes=true\n" in written
    delimiter = re.search(r"^summary<<(\S+)$", written, re.MULTILINE).group(1)
    assert written.rstrip().endswith(delimiter) and "### Terraform plan" in written
    record = json.loads((tmp_path / "drift" / "alice.json").read_text())
    assert record["drift"] is True and record["environment"] == "alice"

    (tmp_path / "empty.json").write_text(json.dumps({"resource_changes": []}))
    empty = run_cli(project, world, "plan-summary", str(tmp_path / "empty.json"))
    assert "No changes" in empty.stdout and "| 0 | 0 | 0 |" in empty.stdout


def test_drift_report_opens_updates_and_closes_issues(project, world, tmp_path):
    records = tmp_path / "drift"
    records.mkdir()
    for name, drift in (("alice", True), ("bob", True), ("carol", False)):
        (records / f"{name}.json").write_text(
            json.dumps(
                {
                    "environment": name,
                    "drift": drift,
                    "add": 0,
                    "change": int(drift),
                    "destroy": 0,
                    "markdown": "plan\n",
                }
            )
        )
    world.set_state(
        {
            "gh": {
                "issues": [
                    {"number": 5, "title": "Drift in environment bob (my-app)"},
                    {"number": 6, "title": "Drift in environment carol (my-app)"},
                    {"number": 9, "title": "Drift in environment bob (my-app) again"},
                ]
            }
        }
    )
    result = run_cli(project, world, "drift-report", str(records))
    assert result.returncode == 0, result.stderr
    commands = [argv[:3] for argv in world.argvs("gh") if argv[:2] != ["issue", "list"]]
    assert commands == [["issue", "create", "--title"], ["issue", "comment", "5"], ["issue", "close", "6"]]
    assert (
        "| `alice` | **yes** |" in result.stdout and "#5 (updated)" in result.stdout and "#6 (closed)" in result.stdout
    )


# --------------------------------------------------------------------------------------------------------------
# Clear errors
# --------------------------------------------------------------------------------------------------------------


def test_missing_tools_are_named_with_how_to_install_them(workdir, world, tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python3").symlink_to(sys.executable)
    result = run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, PATH=str(bare))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "gitops.py: terraform is not on PATH: install Terraform (>= 1.9): https://developer.hashicorp.com/terraform/install"
    )
    no_az = run_cli(workdir, world, "list", PATH=str(bare))
    assert no_az.returncode == 1 and "az is not on PATH: install the Azure CLI" in no_az.stderr


def test_not_logged_in_says_run_az_login(workdir, world):
    world.set_state({"az": {"logged_in": False}})
    result = run_cli(workdir, world, "plan", "alice")
    assert result.returncode == 1 and "run az login" in result.stderr and len(result.stderr.splitlines()) == 1
    assert world.calls("terraform") == []
    world.set_state({"gh": {"logged_in": False}})
    assert "run gh auth login" in run_cli(workdir, world, "setup", "--dry-run", "--github-repo", "o/r").stderr


# --------------------------------------------------------------------------------------------------------------
# setup
# --------------------------------------------------------------------------------------------------------------

READ_ONLY = re.compile(
    r"^(account show|group exists|storage account (show|check-name)|storage account "
    r"blob-service-properties show|storage container-rm exists|ad app list|ad sp list|storage blob metadata show|"
    r"storage account management-policy show|"
    r"ad app federated-credential list|role assignment list|role definition list|ad signed-in-user show)$"
)
SECRET_WORDS = (
    "--password",
    "password",
    "client-secret",
    "clientsecret",
    "credential reset",
    "create-for-rbac",
    "secret set",
    "--secret",
    "sas",
    "keys list",
    "--account-key",
    "connection-string",
)


def az_words(argv: list[str]) -> str:
    return " ".join(word for word in argv[: next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))])


def gh_is_read_only(argv: list[str]) -> bool:
    if argv[:2] in (["auth", "status"], ["variable", "list"]):
        return True
    return argv[0] == "api" and option_value(argv, "--method") in (None, "GET") and "-X" not in argv


SELECTED_BRANCHES = re.escape(
    "--field 'deployment_branch_policy[protected_branches]=false' "
    "--field 'deployment_branch_policy[custom_branch_policies]=true' --silent"
)


def branch_patterns(commands: list[str]) -> dict[str, list[str]]:
    """GitHub Environment -> the branch patterns setup's commands add to its deployment branch policy."""
    added: dict[str, list[str]] = {}
    for line in commands:
        words = shlex.split(line)
        if words[:4] == ["gh", "api", "--method", "POST"] and words[4].endswith("/deployment-branch-policies"):
            assert "type=branch" in words
            (name,) = [word[5:] for word in words if word.startswith("name=")]
            added.setdefault(words[4].split("/")[-2], []).append(name)
    return added


@pytest.fixture(scope="module")
def full_project(rendered):
    return rendered("fullest")  # with the Key Vault module: one more role


def test_setup_dry_run_prints_a_complete_secretless_bootstrap_and_changes_nothing(full_project, world):
    result = run_cli(full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop")
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    expected = [
        r"^az group create --name nimbus-tfstate --location eastus ",
        r"^az storage account create --name nimbustf[0-9a-f]{14} --resource-group nimbus-tfstate .*--kind StorageV2 "
        r"--sku Standard_LRS --min-tls-version TLS1_2 --allow-blob-public-access false --allow-shared-key-access false "
        r"--https-only true",
        r"^az storage account blob-service-properties update .*--enable-versioning true --enable-delete-retention true "
        r"--delete-retention-days 30",
        r"^az storage container-rm create --storage-account nimbustf[0-9a-f]{14} --resource-group nimbus-tfstate "
        r"--name tfstate",
        r"^APP_ID=\$\(az ad app create --display-name nimbus-github-octo-org-shop ",
        r'^PRINCIPAL_ID=\$\(az ad sp create --id "\$APP_ID"',
        r'federated-credential create --id "\$APP_ID" .*'
        r'"subject": "repo:octo-org@123456/shop@456789:environment:nimbus"',
        r'federated-credential create --id "\$APP_ID" .*'
        r'"subject": "repo:octo-org@123456/shop@456789:environment:nimbus-protected"',
        r"^READER_APP_ID=\$\(az ad app create --display-name nimbus-github-octo-org-shop-reader ",
        r'^READER_PRINCIPAL_ID=\$\(az ad sp create --id "\$READER_APP_ID"',
        r'federated-credential create --id "\$READER_APP_ID" .*'
        r'"subject": "repo:octo-org@123456/shop@456789:pull_request"',
        r'federated-credential create --id "\$READER_APP_ID" .*'
        r'"subject": "repo:octo-org@123456/shop@456789:ref:refs/heads/main"',
        r'^az role assignment create --assignee-object-id "\$READER_PRINCIPAL_ID" .*--role Reader '
        r"--scope /subscriptions/11111111-2222-3333-4444-555555555555 ",
        r'^az role assignment create --assignee-object-id "\$READER_PRINCIPAL_ID" .*--role \'Storage Blob Data Reader\' '
        r"--scope /subscriptions/\S+/containers/tfstate ",
        r'^az role assignment create --assignee-object-id "\$READER_PRINCIPAL_ID" .*--role \'Key Vault Secrets User\' ',
        r'^gh variable set AZURE_READER_CLIENT_ID --repo octo-org/shop --body "\$READER_APP_ID"$',
        r'^az role assignment create --assignee-object-id "\$PRINCIPAL_ID" --assignee-principal-type ServicePrincipal '
        r"--role Contributor --scope /subscriptions/11111111-2222-3333-4444-555555555555 ",
        r"--role 'Role Based Access Control Administrator' --scope /subscriptions/\S+ "
        r"--condition '.*7f951dda-4ed3-4680-a7ca-43fe172d538d.*' --condition-version 2.0",
        r"--role 'Storage Blob Data Contributor' --scope /subscriptions/\S+/storageAccounts/nimbustf[0-9a-f]{14}/"
        r"blobServices/default/containers/tfstate",
        r"--role 'Key Vault Secrets Officer' --scope /subscriptions/11111111-2222-3333-4444-555555555555 ",
        r"--assignee-principal-type User --role 'Storage Blob Data Contributor'",
        r'^gh variable set AZURE_CLIENT_ID --repo octo-org/shop --body "\$APP_ID"$',
        r"^gh variable set AZURE_TENANT_ID --repo octo-org/shop --body 99999999-8888-7777-6666-555555555555$",
        r"^gh variable set AZURE_SUBSCRIPTION_ID --repo octo-org/shop --body 11111111-2222-3333-4444-555555555555$",
        r"^gh variable set NIMBUS_STATE_STORAGE_ACCOUNT --repo octo-org/shop --body nimbustf[0-9a-f]{14}$",
        r"^gh api --method PUT repos/octo-org/shop/environments/nimbus " + SELECTED_BRANCHES,
        r"^gh api --method PUT repos/octo-org/shop/environments/nimbus-protected " + SELECTED_BRANCHES,
    ]
    for pattern in expected:
        assert any(re.search(pattern, line) for line in commands), f"missing: {pattern}\n{result.stdout}"
    for line in commands:
        shlex.split(line)  # each line is one shell-quoted command
        assert not any(word in line.lower() for word in SECRET_WORDS), f"secret material in: {line}"
    assert subprocess.run(["bash", "-n"], input=result.stdout, text=True).returncode == 0, "a valid bash script"
    assert "add required reviewers to the GitHub Environment nimbus-protected" in result.stdout
    # deployment branch policies: the writer's environments accept their own branches only (fullest: deploy/env-)
    assert branch_patterns(commands) == {
        "nimbus": ["deploy/env-*", "main"],
        "nimbus-protected": ["deploy/env-prod"],
    }
    # the split: pull requests and drift never get the writer's token, the reader can change nothing
    writer_subjects = [line for line in commands if 'federated-credential create --id "$APP_ID"' in line]
    reader_subjects = [line for line in commands if 'federated-credential create --id "$READER_APP_ID"' in line]
    assert len(writer_subjects) == 2 and not any(":pull_request" in line for line in writer_subjects)
    assert len(reader_subjects) == 2 and not any(":environment:" in line for line in reader_subjects)
    reader_roles = {
        option_value(shlex.split(line), "--role")
        for line in commands
        if '--assignee-object-id "$READER_PRINCIPAL_ID"' in line
    }
    assert reader_roles == {"Reader", "nimbus plan reader", "Storage Blob Data Reader", "Key Vault Secrets User"}
    # the custom role holds exactly the POST "list" reads a plan makes beyond Reader, and nothing that writes
    (created,) = [line for line in commands if line.startswith("az role definition create")]
    definition = json.loads(option_value(shlex.split(created), "--role-definition"))
    assert definition["Actions"] == list(gitops_module(full_project).PLAN_READ_ACTIONS)
    assert all(action.endswith(("/list/action", "listSecrets/action", "listKeys/action", "listCredentials/action",
                                "listConnectionStrings/action")) for action in definition["Actions"])
    assert definition["AssignableScopes"] == [f"/subscriptions/{SUBSCRIPTION}"]
    for entry in world.calls("az"):
        assert READ_ONLY.match(az_words(entry["argv"])), f"dry run ran a change: az {entry['argv']}"
    for entry in world.calls("gh"):
        assert gh_is_read_only(entry["argv"]), f"dry run ran a change: gh {entry['argv']}"


def test_setup_runs_each_change_once_and_a_second_run_finds_everything(full_project, world):
    result = run_cli(full_project, world, "setup", "--github-repo", "octo-org/shop")
    assert result.returncode == 0, result.stderr
    changes = [entry["argv"] for entry in world.calls("az") if not READ_ONLY.match(az_words(entry["argv"]))]
    assert len(changes) == len({json.dumps(argv) for argv in changes}) == 24
    # earlier state versions (database passwords) are deleted after the 30 days the destroy message promises
    (policy,) = [argv for argv in changes if argv[:4] == ["storage", "account", "management-policy", "create"]]
    (rule,) = json.loads(option_value(policy, "--policy"))["rules"]
    assert rule["enabled"] and rule["definition"]["actions"] == {
        "version": {"delete": {"daysAfterCreationGreaterThan": 30}}
    }
    assert rule["definition"]["filters"]["prefixMatch"] == ["tfstate/"]
    # the ownership record beside the state names this repository
    (owner,) = [argv for argv in changes if argv[:3] == ["storage", "blob", "upload"]]
    assert option_value(owner, "--name") == "tok3n1/owner.json" and option_value(owner, "--overwrite") == "false"
    assert "repository=octo-org/shop" in owner and "repository_id=456789" in owner
    role_targets = [
        option_value(argv, "--assignee-object-id") for argv in changes if argv[:3] == ["role", "assignment", "create"]
    ]
    assert role_targets.count("bbbbbbbb-0000-0000-0000-000000000002") == 4, "the new service principal gets 4 roles"
    assert role_targets.count("bbbbbbbb-0000-0000-0000-000000000005") == 4, "the reader gets 4 read roles"
    variables = {argv[2]: option_value(argv, "--body") for argv in (e["argv"] for e in world.calls("gh"))
                 if argv[:2] == ["variable", "set"]}
    assert variables["AZURE_CLIENT_ID"] == "aaaaaaaa-0000-0000-0000-000000000001"
    assert variables["AZURE_READER_CLIENT_ID"] == "aaaaaaaa-0000-0000-0000-000000000004"

    account = "nimbustf" + hashlib.sha256(SUBSCRIPTION.encode()).hexdigest()[:14]
    container = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/nimbus-tfstate/providers/Microsoft.Storage/"
        f"storageAccounts/{account}/blobServices/default/containers/tfstate"
    )
    reader = "bbbbbbbb-0000-0000-0000-000000000005"
    selected = {"protected_branches": False, "custom_branch_policies": True}
    principal, me, subscription = (
        "bbbbbbbb-0000-0000-0000-000000000002",
        "cccccccc-0000-0000-0000-000000000003",
        f"/subscriptions/{SUBSCRIPTION}",
    )
    prefix = "repo:octo-org@123456/shop@456789"
    world.set_state(
        {
            "az": {
                "groups": ["nimbus-tfstate"],
                "containers": ["tfstate"],
                "storage_accounts": {
                    account: {
                        "allowSharedKeyAccess": False,
                        "allowBlobPublicAccess": False,
                        "minimumTlsVersion": "TLS1_2",
                    }
                },
                "blob_service": {"isVersioningEnabled": True, "deleteRetentionPolicy": {"enabled": True, "days": 30}},
                "management_policy": {"rules": [rule]},
                "owners": {"tok3n1/owner.json": {"repository": "octo-org/shop", "repository_id": "456789"}},
                "apps": {
                    "nimbus-github-octo-org-shop": ["aaaaaaaa-0000-0000-0000-000000000001"],
                    "nimbus-github-octo-org-shop-reader": ["aaaaaaaa-0000-0000-0000-000000000004"],
                },
                "service_principals": {
                    "aaaaaaaa-0000-0000-0000-000000000001": [principal],
                    "aaaaaaaa-0000-0000-0000-000000000004": [reader],
                },
                "federated_subjects": {
                    "aaaaaaaa-0000-0000-0000-000000000001": [
                        f"{prefix}:environment:nimbus",
                        f"{prefix}:environment:nimbus-protected",
                    ],
                    "aaaaaaaa-0000-0000-0000-000000000004": [f"{prefix}:pull_request", f"{prefix}:ref:refs/heads/main"],
                },
                "role_assignments": [
                    {"assignee": principal, "role": role, "scope": scope}
                    for role, scope in (
                        ("Contributor", subscription),
                        ("Role Based Access Control Administrator", subscription),
                        ("Storage Blob Data Contributor", container),
                        ("Key Vault Secrets Officer", subscription),
                    )
                ]
                + [{"assignee": me, "role": "Storage Blob Data Contributor", "scope": container}]
                + [
                    {"assignee": reader, "role": role, "scope": scope}
                    for role, scope in (
                        ("Reader", subscription),
                        ("nimbus plan reader", subscription),
                        ("Storage Blob Data Reader", container),
                        ("Key Vault Secrets User", subscription),
                    )
                ],
                "custom_roles": ["nimbus plan reader"],
            },
            "gh": {
                "variables": [
                    {"name": "AZURE_CLIENT_ID", "value": "aaaaaaaa-0000-0000-0000-000000000001"},
                    {"name": "AZURE_READER_CLIENT_ID", "value": "aaaaaaaa-0000-0000-0000-000000000004"},
                    {"name": "AZURE_TENANT_ID", "value": "99999999-8888-7777-6666-555555555555"},
                    {"name": "AZURE_SUBSCRIPTION_ID", "value": SUBSCRIPTION},
                    {"name": "NIMBUS_STATE_RESOURCE_GROUP", "value": "nimbus-tfstate"},
                    {"name": "NIMBUS_STATE_STORAGE_ACCOUNT", "value": account},
                ],
                "environments": {
                    "nimbus": {"deployment_branch_policy": selected, "branch_patterns": ["deploy/env-*", "main"]},
                    "nimbus-protected": {
                        "protection_rules": [{"type": "required_reviewers"}],
                        "deployment_branch_policy": selected,
                        "branch_patterns": ["deploy/env-prod"],
                    },
                },
            },
        }
    )
    world.clear()
    again = run_cli(full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop")
    assert again.returncode == 0, again.stderr
    assert [line for line in again.stdout.splitlines() if line and not line.startswith("#")] == []
    assert "# would create: 0, already there: 37" in again.stdout, again.stdout
    assert "required reviewers" not in again.stdout

    # a project set up by nimbus 0.2: its writer still trusts pull requests; setup removes that credential
    state = json.loads(world.state_file.read_text(encoding="utf-8"))
    state["az"]["federated_subjects"]["aaaaaaaa-0000-0000-0000-000000000001"].append(f"{prefix}:pull_request")
    world.set_state(state)
    world.clear()
    upgrade = run_cli(full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop")
    assert [line for line in upgrade.stdout.splitlines() if line and not line.startswith("#")] == [
        "az ad app federated-credential delete --id aaaaaaaa-0000-0000-0000-000000000001 "
        "--federated-credential-id credential-2 --yes"
    ]


def test_setup_restricts_existing_environments_and_adds_reviewers(full_project, world):
    """Environments made before nimbus set branch policies (any branch could deploy) are switched to selected
    branches; --reviewer USER puts required reviewers on the protected one, and an unknown user is refused."""
    world.set_state(
        {
            "gh": {
                "environments": {"nimbus": {}, "nimbus-protected": {"deployment_branch_policy": None}},
                "user_ids": {"carol": 31337},
            }
        }
    )
    result = run_cli(full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop", "--reviewer", "carol")
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.startswith("gh api --method")]
    for environment in ("nimbus", "nimbus-protected"):
        assert any(
            re.fullmatch(
                rf"gh api --method PUT repos/octo-org/shop/environments/{environment} " + SELECTED_BRANCHES, line
            )
            for line in commands
        ), environment
    assert branch_patterns(commands) == {"nimbus": ["deploy/env-*", "main"], "nimbus-protected": ["deploy/env-prod"]}
    assert (
        "gh api --method PUT repos/octo-org/shop/environments/nimbus-protected --field 'reviewers[][type]=User' "
        "--field 'reviewers[][id]=31337' " + re.sub(r"\\(.)", r"\1", SELECTED_BRANCHES)
    ) in commands
    assert "add required reviewers" not in result.stdout
    world.set_state({"gh": {"missing_users": ["nobody"]}})
    unknown = run_cli(
        full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop", "--reviewer", "nobody"
    )
    assert unknown.returncode == 3 and "refused --reviewer 'nobody': no GitHub user of that name" in unknown.stderr


def test_setup_legacy_subjects_and_name_collisions(full_project, world):
    legacy = run_cli(
        full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop", "--legacy-oidc-subjects"
    )
    assert '"subject": "repo:octo-org/shop:environment:nimbus"' in legacy.stdout
    assert '"subject": "repo:octo-org@123456/shop@456789:environment:nimbus"' in legacy.stdout
    world.set_state({"az": {"name_available": False, "name_reason": "AlreadyExists"}})
    taken = run_cli(full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop")
    assert taken.returncode == 1 and "NIMBUS_STATE_STORAGE_ACCOUNT" in taken.stderr and taken.stdout.count("\n") <= 3
    bad = run_cli(full_project, world, "setup", "--dry-run", "--github-repo", "not a repo")
    assert bad.returncode == 3 and "expected OWNER/REPO" in bad.stderr


# --------------------------------------------------------------------------------------------------------------
# Contract with the Terraform modules
# --------------------------------------------------------------------------------------------------------------


def gitops_module(project: Path, module: str = "bootstrap"):
    """A module of the rendered project's CLI package (scripts/nimbus_gitops), for the facts it states (roles)."""
    stale = [name for name in sys.modules if name == "nimbus_gitops" or name.startswith("nimbus_gitops.")]
    for name in stale:  # another project's copy of the package
        del sys.modules[name]
    sys.path.insert(0, str(project / "scripts"))
    try:
        return importlib.import_module(f"nimbus_gitops.{module}")
    finally:
        sys.path.pop(0)


@pytest.mark.parametrize("name", ["fullest", "compute-functions"])  # every module that grants roles
def test_every_role_terraform_grants_is_assignable_by_the_ci_identity(rendered, name):
    """The CI identity's Role Based Access Control Administrator assignment is conditioned to the roles
    terraform/nimbus.json lists (assignable_roles); a role Terraform grants outside them would make every apply
    fail with AuthorizationFailed. They are every role any catalogue module grants, not only this project's: a
    service added later by copier update needs no second setup."""
    project = rendered(name)
    bootstrap = gitops_module(project)
    roles = granted_roles((project / "terraform").rglob("*.tf"))
    assert {"AcrPush", "Key Vault Secrets User"} <= roles or "Storage Blob Data Owner" in roles, roles
    # Secrets Officer is the deploying identity's own role (setup grants it once); Terraform never grants it
    assert "Key Vault Secrets Officer" not in roles
    assignable = bootstrap.assignable_roles(json.loads((project / "terraform" / "nimbus.json").read_text()))
    assert roles <= set(assignable), f"not assignable by the CI identity: {sorted(roles - set(assignable))}"
    condition = bootstrap.rbac_condition(assignable)
    assert all(role_id in condition for role_id in assignable.values())
    every_module = {role for spec in nimbus_answers.catalogue().values() for role in spec.get("roles", [])}
    assert set(assignable) == every_module


@pytest.mark.parametrize(
    "roles", [None, {}, {"AcrPull": "7F951DDA-4ED3-4680-A7CA-43FE172D538D"}, ["AcrPull"]], ids=str
)
def test_setup_refuses_a_nimbus_json_without_valid_assignable_roles(full_project, tmp_path, world, roles):
    """A hand-edited or stale terraform/nimbus.json: setup says so in one line before it reads or changes
    anything in Azure or GitHub."""
    project = copy_project(full_project, tmp_path / "project")
    path = project / "terraform" / "nimbus.json"
    config = json.loads(path.read_text())
    config["assignable_roles"] = roles
    path.write_text(json.dumps(config))
    result = run_cli(project, world, "setup", "--github-repo", "octo-org/shop")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "nimbus.json has no valid assignable_roles" in line and "copier update" in line
    assert world.calls("az") == [] and world.calls("gh") == []


# --------------------------------------------------------------------------------------------------------------
# Ownership: another repository's state is never touched
# --------------------------------------------------------------------------------------------------------------

OWNER_RECORD = "tok3n1/owner.json"


@pytest.mark.parametrize(
    "command",
    [["init", "alice"], ["plan", "alice"], ["apply", "alice", "tfplan.json"], ["destroy", "alice", "--yes"],
     ["delete-state", "alice"]],
)  # fmt: skip
def test_another_repositorys_state_is_refused_in_one_line(workdir, world, command):
    """A fork (same answers file, same token) set up in the same subscription: every command that reads or
    changes state refuses before terraform or a delete runs, and says what to do."""
    (workdir / "tfplan.json").write_text(json.dumps({"variables": {"environment": {"value": "alice"}}}))
    world.set_state(
        {"az": {"owners": {OWNER_RECORD: {"repository": "octo-org/shop", "repository_id": "456789"}},
                "blobs": ["tok3n1/my-app/alice.tfstate"]}}
    )  # fmt: skip
    fork = {"GITHUB_REPOSITORY": "someone/shop", "GITHUB_REPOSITORY_ID": "999", "ARM_SUBSCRIPTION_ID": SUBSCRIPTION}
    result = run_cli(workdir, world, *command, **fork)
    assert result.returncode == 3
    (line,) = result.stderr.strip().splitlines()
    assert "belongs to GitHub repository octo-org/shop, not someone/shop" in line
    assert "repository_token" in line and "nothing was touched" in line
    assert world.calls("terraform") == []
    assert not [argv for argv in world.argvs("az") if argv[:3] == ["storage", "blob", "delete"]]


def test_the_owning_repository_passes_even_after_a_rename(workdir, world):
    world.set_state({"az": {"owners": {OWNER_RECORD: {"repository": "octo-org/shop", "repository_id": "456789"}}}})
    renamed = {"GITHUB_REPOSITORY": "octo-org/shop-api", "GITHUB_REPOSITORY_ID": "456789"}
    assert run_cli(workdir, world, "init", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, **renamed).returncode == 0
    # on a laptop the repository is the git remote; GitHub compares names without case
    laptop = copy_project(workdir, workdir.parent / "laptop")
    subprocess.run(["git", "init", "-q"], cwd=laptop, check=True)
    subprocess.run(["git", "remote", "add", "origin", "git@github.com:Octo-Org/Shop.git"], cwd=laptop, check=True)
    assert run_cli(laptop, world, "init", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION).returncode == 0


def test_without_an_ownership_record_a_warning_says_to_run_setup(workdir, world):
    result = run_cli(workdir, world, "init", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert result.returncode == 0 and "no ownership record tok3n1/owner.json" in result.stderr


def test_setup_refuses_state_another_repository_owns(full_project, world):
    account = "nimbustf" + hashlib.sha256(SUBSCRIPTION.encode()).hexdigest()[:14]
    owners = {OWNER_RECORD: {"repository": "other-team/shop", "repository_id": "1"}}
    world.set_state({"az": {"owners": owners, "storage_accounts": {account: {}}, "groups": ["nimbus-tfstate"]}})
    result = run_cli(full_project, world, "setup", "--github-repo", "octo-org/shop")
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("gitops.py:")]
    assert "belongs to GitHub repository other-team/shop, not octo-org/shop" in line
    assert "setup changed nothing there" in line
    assert not [argv for argv in world.argvs("az") if argv[:3] == ["storage", "blob", "upload"]]


# --------------------------------------------------------------------------------------------------------------
# User errors: one line, non-zero exit, no traceback
# --------------------------------------------------------------------------------------------------------------


def one_line_refusal(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 3, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if not line.startswith("usage:")]
    assert line.startswith("gitops.py: ") and "Traceback" not in result.stderr
    for text in expected:
        assert text in line, line


def test_a_missing_plan_file_is_one_line(workdir, world):
    for command in (["plan-summary", "missing.tfplan"], ["apply", "alice", "missing.tfplan"]):
        result = run_cli(workdir, world, *command, ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
        one_line_refusal(result, "'missing.tfplan'", "No such file")
    (workdir / "broken.json").write_text("{not json")
    one_line_refusal(run_cli(workdir, world, "plan-summary", "broken.json"), "not valid JSON")
    (workdir / "odd.json").write_text('{"resource_changes": "all of them", "variables": ["alice"]}')
    one_line_refusal(run_cli(workdir, world, "plan-summary", "odd.json"), "not a Terraform plan")
    odd_apply = run_cli(workdir, world, "apply", "alice", "odd.json", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    one_line_refusal(odd_apply, "planned for environment None")


@pytest.mark.parametrize(
    "content, expected",
    [
        ("{oops", "not valid JSON"),
        ('["alice"]', "environment, drift, add, change, destroy, markdown missing"),
        (
            '{"environment": "alice", "drift": "yes", "add": 1, "change": 0, "destroy": 0, "markdown": ""}',
            "drift missing or of the wrong type",
        ),
    ],
)
def test_malformed_drift_records_are_refused_in_one_line(project, world, tmp_path, content, expected):
    folder = tmp_path / "drift"
    folder.mkdir()
    (folder / "alice.json").write_text(content)
    one_line_refusal(run_cli(project, world, "drift-report", str(folder)), "alice.json", expected)
    assert world.calls("gh") == []


def test_drift_report_on_a_missing_folder_fails(project, world, tmp_path):
    one_line_refusal(run_cli(project, world, "drift-report", str(tmp_path / "nowhere")), "no such folder")


def test_a_config_without_its_repository_token_is_refused(workdir, world):
    config = workdir / "terraform" / "nimbus.json"
    settings = json.loads(config.read_text())
    config.write_text(json.dumps({**settings, "repository_token": "x"}))
    result = run_cli(workdir, world, "env", "--branch", "env-alice")
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "has no valid repository_token" in line and ".copier-answers.yml" in line


# --------------------------------------------------------------------------------------------------------------
# Forgotten environments: provenance tags, the inventory (`list`), nimbus.json settings
# --------------------------------------------------------------------------------------------------------------


def git(folder: Path, *args: str) -> str:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, env=env, check=True)
    return result.stdout.strip()


def plan_variables(world: FakeWorld) -> dict:
    (plan,) = terraform(world, "plan")
    return dict(plan[index + 1].split("=", 1) for index, item in enumerate(plan) if item == "-var")


def test_plan_passes_who_applies_from_which_branch_and_commit(workdir, world):
    shutil.rmtree(workdir / ".git", ignore_errors=True)
    git(workdir, "init", "-q", "-b", "env-alice")
    git(workdir, "config", "user.name", "alice.smith@example.com")
    git(workdir, "config", "user.email", "alice.smith@example.com")
    git(workdir, "add", "-A")
    git(workdir, "commit", "-q", "-m", "work")
    head = git(workdir, "rev-parse", "HEAD")

    run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    # A laptop: the git user, never an e-mail address unless nimbus.json opts in; the checkout's branch and commit.
    assert plan_variables(world) == {
        "environment": "alice",
        "nimbus_actor": "alice.smith",
        "nimbus_branch": "env-alice",
        "nimbus_commit": head,
    }
    world.clear()
    # Actions: the GitHub login; the checkout's own HEAD wins over the event's (the drift run is main's event).
    run_cli(
        workdir,
        world,
        "plan",
        "alice",
        ARM_SUBSCRIPTION_ID=SUBSCRIPTION,
        GITHUB_ACTOR="octocat",
        GITHUB_REF_NAME="main",
        GITHUB_SHA="f" * 40,
    )
    assert plan_variables(world)["nimbus_actor"] == "octocat"
    assert plan_variables(world)["nimbus_branch"] == "env-alice" and plan_variables(world)["nimbus_commit"] == head

    world.clear()
    config = json.loads((workdir / "terraform" / "nimbus.json").read_text())
    (workdir / "terraform" / "nimbus.json").write_text(json.dumps({**config, "owner_email": True}))
    run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert plan_variables(world)["nimbus_actor"] == "alice.smith@example.com"


def test_plan_outside_git_uses_the_workflow_event(workdir, world):
    shutil.rmtree(workdir / ".git", ignore_errors=True)
    run_cli(
        workdir,
        world,
        "plan",
        "alice",
        ARM_SUBSCRIPTION_ID=SUBSCRIPTION,
        GITHUB_ACTOR="octocat",
        GITHUB_REF_NAME="env-alice",
        GITHUB_SHA="a" * 40,
        GIT_CEILING_DIRECTORIES=str(workdir.parent),
    )
    variables = plan_variables(world)
    assert (variables["nimbus_actor"], variables["nimbus_branch"], variables["nimbus_commit"]) == (
        "octocat",
        "env-alice",
        "a" * 40,
    )


@pytest.mark.usefixtures("terraform_binary")
def test_created_by_is_kept_when_someone_else_applies(project, tmp_path):
    """Real Terraform, local state: the first apply records alice; bob's later apply keeps alice as created-by,
    because the main.tf block ignores changes to its input."""
    main_tf = (project / "terraform" / "main.tf").read_text(encoding="utf-8")
    block = re.search(r'^resource "terraform_data" "created_by" \{.*?^\}', main_tf, re.MULTILINE | re.DOTALL)
    assert block and '"created-by"     = terraform_data.created_by.output' in main_tf
    (tmp_path / "main.tf").write_text(
        block.group(0) + '\nvariable "nimbus_actor" {\n  type = string\n}\n'
        'output "created_by" {\n  value = terraform_data.created_by.output\n}\n'
    )
    run_terraform(tmp_path, "init", "-input=false")
    run_terraform(tmp_path, "apply", "-auto-approve", "-input=false", "-var", "nimbus_actor=alice")
    assert "No changes" in run_terraform(tmp_path, "plan", "-input=false", "-var", "nimbus_actor=bob").stdout
    run_terraform(tmp_path, "apply", "-auto-approve", "-input=false", "-var", "nimbus_actor=bob")
    assert json.loads(run_terraform(tmp_path, "output", "-json").stdout)["created_by"]["value"] == "alice"


def inventory_world(world: FakeWorld) -> None:
    world.set_state(
        {
            "az": {
                "blobs": [
                    {
                        "name": "tok3n1/my-app/alice.tfstate",
                        "properties": {"creationTime": days_ago(9), "lastModified": days_ago(1)},
                    },
                    {
                        "name": "tok3n1/my-app/bob.tfstate",
                        "properties": {"creationTime": days_ago(4), "lastModified": days_ago(4)},
                    },
                    {
                        "name": "tok3n1/my-app/prod.tfstate",
                        "properties": {"creationTime": days_ago(90), "lastModified": days_ago(45)},
                    },
                    {
                        "name": "other/carol.tfstate",
                        "properties": {"creationTime": days_ago(9), "lastModified": days_ago(9)},
                    },
                ],
                "resource_groups": [
                    {
                        "name": "rg-my-app--alice-tok3n1",
                        "tags": {"project": "my-app", "created-by": "alice-gh", "last-applied-commit": "abc123"},
                    },
                    {"name": "rg-other-carol", "tags": {"project": "other", "created-by": "carol"}},
                ],
            },
            # Two pages of branches, as `gh api --paginate` prints them.
            "gh": {
                "branches": {"main": days_ago(0), "env-alice": days_ago(1), "env-prod": days_ago(45)},
                "page_size": 2,
            },
        }
    )


def test_list_shows_branch_protection_age_last_apply_owner_and_status(project, world):
    inventory_world(world)
    result = run_cli(project, world, "list", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, GH_REPO="octo-org/shop")
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["ENVIRONMENT", "BRANCH", "PROTECTED", "AGE", "LAST", "APPLY", "OWNER", "STATUS"]
    assert lines[1] == ["alice", "yes", "no", "9d", days_ago(1)[:10], "alice-gh", "ok"]
    assert lines[2] == ["bob", "deleted", "no", "4d", days_ago(4)[:10], "?", "orphan"]
    assert lines[3] == ["prod", "yes", "yes", "90d", days_ago(45)[:10], "?", "ok"]
    assert len(lines) == 4  # never another project's environment
    (groups,) = [argv for argv in world.argvs("az") if argv[:2] == ["group", "list"]]
    assert option_value(groups, "--tag") == "project=my-app"

    details = run_cli(
        project, world, "list", "--json", "--details", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, GH_REPO="octo-org/shop"
    )
    rows = {row["environment"]: row for row in json.loads(details.stdout)}
    assert rows["bob"]["branch"] == "env-bob" and rows["bob"]["branch_exists"] is False
    assert rows["alice"]["applied_commit"] == "abc123" and rows["prod"]["protected"] is True
    assert rows["alice"]["age_days"] == 9 and rows["alice"]["owner"] == "alice-gh"


def test_list_marks_idle_branches_only_when_idle_days_is_set(project, world, tmp_path):
    inventory_world(world)
    workdir = copy_project(project, tmp_path / "project")
    config = json.loads((workdir / "terraform" / "nimbus.json").read_text())
    (workdir / "terraform" / "nimbus.json").write_text(
        json.dumps({**config, "idle_days": 30, "protected_environments": []})
    )
    rows = json.loads(
        run_cli(
            workdir, world, "list", "--json", "--details", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, GH_REPO="octo-org/shop"
        ).stdout
    )
    assert {row["environment"]: row["status"] for row in rows} == {"alice": "ok", "bob": "orphan", "prod": "idle"}
    assert rows[2]["last_activity"][:10] == days_ago(45)[:10]


def test_list_without_github_says_branches_are_unknown(project, world):
    inventory_world(world)
    result = run_cli(project, world, "list", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, GH_REPO="octo-org/missing")
    assert result.returncode == 0 and "branches unknown" in result.stderr
    assert result.stdout.splitlines()[2].split()[1] == "?" and result.stdout.splitlines()[2].split()[-1] == "unknown"
    strict = run_cli(
        project,
        world,
        "list",
        "--github-output",
        "/dev/null",
        ARM_SUBSCRIPTION_ID=SUBSCRIPTION,
        GH_REPO="octo-org/missing",
    )
    assert strict.returncode == 1 and "listing the repository's branches failed" in strict.stderr


@pytest.mark.parametrize(
    "setting, shown",
    [
        ({"orphan_grace_days": -1}, "orphan_grace_days = -1: use a whole number of days, 0 or more (0 = report only)"),
        ({"orphan_grace_days": "3"}, 'orphan_grace_days = "3": use a whole number'),
        ({"idle_days": 1.5}, "idle_days = 1.5: use null (off) or a whole number of days"),
        ({"owner_email": "yes"}, 'owner_email = "yes": use true or false'),
    ],
)
def test_bad_sweep_settings_are_refused_in_one_line(project, world, tmp_path, setting, shown):
    workdir = copy_project(project, tmp_path / "project")
    config = json.loads((workdir / "terraform" / "nimbus.json").read_text())
    (workdir / "terraform" / "nimbus.json").write_text(json.dumps({**config, **setting}))
    result = run_cli(workdir, world, "list", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert result.returncode == 1 and shown in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and world.calls() == []


def test_rendered_settings_hold_the_sweep_defaults(project):
    config = json.loads((project / "terraform" / "nimbus.json").read_text())
    assert (config["orphan_grace_days"], config["idle_days"], config["owner_email"]) == (3, None, False)


def orphan_row(environment: str) -> dict:
    return {
        "environment": environment,
        "branch": f"env-{environment}",
        "branch_exists": False,
        "protected": False,
        "state_created": None,
        "last_apply": None,
        "age_days": None,
        "owner": None,
        "applied_commit": None,
        "last_activity": None,
        "status": "orphan",
    }


def test_sweep_with_no_grace_period_only_reports(project, world, tmp_path):
    workdir = copy_project(project, tmp_path / "project")
    config = json.loads((workdir / "terraform" / "nimbus.json").read_text())
    (workdir / "terraform" / "nimbus.json").write_text(json.dumps({**config, "orphan_grace_days": 0}))
    (tmp_path / "inventory.json").write_text(json.dumps([orphan_row("carol")]))
    world.set_state(
        {"gh": {"issues": [{"number": 20, "title": "Orphaned environment carol (my-app)", "createdAt": days_ago(50)}]}}
    )
    output = tmp_path / "github-output"
    result = run_cli(workdir, world, "sweep", str(tmp_path / "inventory.json"), "--github-output", str(output))
    assert result.returncode == 0, result.stderr
    assert "Report only (orphan_grace_days = 0)" in result.stdout and "destroy=[]" in output.read_text()
    assert [argv[:3] for argv in world.argvs("gh") if argv[:2] != ["issue", "list"]] == [["issue", "edit", "20"]]


@pytest.mark.parametrize(
    "content, message, code",
    [
        ("not json", "cannot read the inventory", 1),
        ('{"environment": "alice"}', "is not a list of environments", 1),
        (json.dumps([orphan_row("carol") | {"environment": "Carol;rm"}]), "refused environment 'Carol;rm'", 3),
    ],
)
def test_sweep_refuses_a_bad_inventory_in_one_line(project, world, tmp_path, content, message, code):
    (tmp_path / "inventory.json").write_text(content)
    result = run_cli(project, world, "sweep", str(tmp_path / "inventory.json"))
    assert result.returncode == code and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert world.calls() == []


def test_list_on_a_laptop_without_a_github_remote_still_lists(project, world, tmp_path):
    inventory_world(world)
    workdir = copy_project(project, tmp_path / "project")
    shutil.rmtree(workdir / ".git", ignore_errors=True)
    result = run_cli(workdir, world, "list", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, GIT_CEILING_DIRECTORIES=str(tmp_path))
    assert result.returncode == 0 and "branches unknown" in result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["alice", "bob", "prod"]


def test_shared_tfvars_come_before_the_environments_own(workdir, world):
    """environments/_all.tfvars holds what every environment shares (app_settings...); the environment's own file
    is passed after it so that its values win."""
    (workdir / "terraform" / "environments").mkdir(exist_ok=True)
    (workdir / "terraform" / "environments" / "_all.tfvars").write_text('app_settings = { LOG_LEVEL = "info" }\n')
    (workdir / "terraform" / "environments" / "alice.tfvars").write_text('app_settings = { LOG_LEVEL = "debug" }\n')
    run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    run_cli(workdir, world, "plan", "bob", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    alice, bob = terraform(world, "plan")
    files = [item for item in alice if item.startswith("-var-file")]
    assert files == ["-var-file=environments/_all.tfvars", "-var-file=environments/alice.tfvars"]
    assert [item for item in bob if item.startswith("-var-file")] == ["-var-file=environments/_all.tfvars"]


# --------------------------------------------------------------------------------------------------------------
# Running the app locally against an environment: dotenv, db-access
# --------------------------------------------------------------------------------------------------------------

SERVER_ID = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-my-app--alice-tok3n1"
    "/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-my-app-alice"
)


def outputs_state(**values) -> dict:
    outputs = {
        "resource_group_name": {"value": "rg-my-app--alice-tok3n1", "sensitive": False},
        "app_settings": {
            "value": {"AZURE_CLIENT_ID": "1111", "DATABASE_HOST": "psql.example", "GREETING": "it's here"},
            "sensitive": False,
        },
        "app_secret_settings": {
            "value": {
                "DATABASE_PASSWORD": "p@ss w'rd\"x",
                "DATABASE_URL": "postgresql+psycopg2://u:p@h/db?sslmode=require",
            },
            "sensitive": True,
        },
        "database_server_id": {"value": SERVER_ID, "sensitive": False},
        "database_engine": {"value": "postgresql", "sensitive": False},
        "virtual_network_name": {"value": None, "sensitive": False},
    }
    for name, value in values.items():
        outputs[name] = {"value": value, "sensitive": False}
    return {"terraform": {"outputs": outputs}}


def parse_dotenv(text: str) -> dict:
    """What python-dotenv / Node's dotenv read from the lines gitops.py writes (bare, '...' literal, "..." escaped)."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if value.startswith("'"):
            value = value[1:-1]
        elif value.startswith('"'):
            value = json.loads(value)
        found[name] = value
    return found


def test_dotenv_prints_the_settings_and_only_names_the_secrets_unless_asked(workdir, world):
    world.set_state(outputs_state())
    result = run_cli(workdir, world, "dotenv", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    assert result.returncode == 0, result.stderr
    expected = {"AZURE_CLIENT_ID": "1111", "DATABASE_HOST": "psql.example", "GREETING": "it's here"}
    assert parse_dotenv(result.stdout) == expected
    assert "# DATABASE_PASSWORD=<secret: add --secrets to print it>" in result.stdout
    assert "p@ss" not in result.stdout

    secrets = run_cli(workdir, world, "dotenv", "alice", "--secrets", ARM_SUBSCRIPTION_ID=SUBSCRIPTION)
    read = parse_dotenv(secrets.stdout)
    assert read["DATABASE_PASSWORD"] == "p@ss w'rd\"x"
    assert read["DATABASE_URL"] == "postgresql+psycopg2://u:p@h/db?sslmode=require"

    target = workdir / ".env"
    written = run_cli(
        workdir, world, "dotenv", "alice", "--secrets", "--output", str(target), ARM_SUBSCRIPTION_ID=SUBSCRIPTION
    )
    assert written.returncode == 0 and written.stdout == ""
    assert parse_dotenv(target.read_text()) == read and oct(target.stat().st_mode & 0o777) == "0o600"


def firewall_calls(world: FakeWorld) -> list[list[str]]:
    return [argv for argv in world.argvs("az") if "firewall-rule" in argv]


def test_db_access_admits_this_machines_ip_and_removes_its_rule(workdir, world):
    world.set_state(outputs_state())
    opened = run_cli(workdir, world, "db-access", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, CI="", USER="alice")
    assert opened.returncode == 0, opened.stderr
    (create,) = firewall_calls(world)
    assert create[:4] == ["postgres", "flexible-server", "firewall-rule", "create"]
    assert option_value(create, "--resource-group") == "rg-my-app--alice-tok3n1"
    assert option_value(create, "--name") == "psql-my-app-alice"
    assert option_value(create, "--rule-name") == "nimbus-dev-alice"
    assert option_value(create, "--start-ip-address") == DEPLOYER_IP == option_value(create, "--end-ip-address")
    assert "db-access alice --remove" in opened.stderr

    world.clear()
    closed = run_cli(
        workdir, world, "db-access", "alice", "--remove", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, CI="", USER="alice"
    )
    assert closed.returncode == 0, closed.stderr
    (delete,) = firewall_calls(world)
    assert delete[3] == "delete" and option_value(delete, "--rule-name") == "nimbus-dev-alice"


def test_db_access_with_a_command_removes_the_rule_even_when_the_command_fails(workdir, world):
    world.set_state(outputs_state())
    result = run_cli(
        workdir,
        world,
        *("db-access", "alice", "--", "sh", "-c", "exit 7"),
        ARM_SUBSCRIPTION_ID=SUBSCRIPTION,
        CI="",
        USER="bob",
    )
    assert result.returncode == 7
    assert [argv[3] for argv in firewall_calls(world)] == ["create", "delete"]


def test_db_access_removes_a_half_made_rule_when_creating_it_fails(workdir, world):
    state = outputs_state()
    state["az"] = {"firewall_rule_create_fails": True}
    world.set_state(state)
    result = run_cli(workdir, world, "db-access", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, CI="", USER="alice")
    assert result.returncode == 1 and "admitting" in result.stderr and "Traceback" not in result.stderr
    assert [argv[3] for argv in firewall_calls(world)] == ["create", "delete"]


@pytest.mark.parametrize(
    "env, outputs, message",
    [
        ({"CI": "true"}, {}, "never runs in CI"),
        ({"CI": ""}, {"virtual_network_name": "vnet-my-app-alice"}, "no public endpoint (network = vnet)"),
        ({"CI": ""}, {"database_server_id": None, "database_engine": None}, "has no database"),
    ],
    ids=["ci", "vnet", "no-database"],
)
def test_db_access_refuses_ci_private_databases_and_environments_without_one(workdir, world, env, outputs, message):
    world.set_state(outputs_state(**outputs))
    result = run_cli(workdir, world, "db-access", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, **env)
    assert result.returncode == 3 and message in result.stderr, result.stderr
    assert firewall_calls(world) == []


def test_db_access_to_a_protected_environment_needs_the_explicit_flag(workdir, world):
    world.set_state(outputs_state())
    refused = run_cli(workdir, world, "db-access", "prod", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, CI="", USER="alice")
    assert refused.returncode == 3 and "--i-know-this-is-protected" in refused.stderr
    assert firewall_calls(world) == []
    forced = run_cli(
        workdir, world, "db-access", "prod", "--i-know-this-is-protected", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, CI=""
    )
    assert forced.returncode == 0, forced.stderr
    assert [argv[3] for argv in firewall_calls(world)] == ["create"]


def test_the_project_readme_names_the_group_and_state_key_the_cli_derives(project, world):
    info = env_of(project, world, "env-alice")
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert f"resource group `{info['resource_group']}` and state key `{info['state_key']}`" in readme


@pytest.mark.parametrize("branch", ["env-alice", "env-feature-login-flow-22", "env-a"])
def test_the_cli_derives_the_resource_group_naming_tf_creates(project, world, branch):
    """gitops.py and naming.tf read one pattern; hooks/answers.resource_names is what tests/test_terraform.py proves
    Terraform computes: the group the CLI names is the group Terraform creates."""
    info = env_of(project, world, branch)
    settings = json.loads((project / "terraform" / "nimbus.json").read_text())
    names = nimbus_answers.resource_names(
        settings["naming"], settings["repository_token"], settings["project"], info["environment"], SUBSCRIPTION
    )
    assert info["resource_group"] == names["resource_group"]


def test_a_malformed_deployer_address_list_is_one_line(workdir, world):
    uses_deployer_ip(workdir)
    result = run_cli(workdir, world, "plan", "alice", ARM_SUBSCRIPTION_ID=SUBSCRIPTION, TF_VAR_deployer_ip_ranges="1.2")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "TF_VAR_deployer_ip_ranges '1.2'" in result.stderr.strip().splitlines()[-1]
    assert [entry for entry in world.calls("terraform") if entry["argv"][1] == "plan"] == []


def test_setup_keeps_an_environments_rules_when_it_limits_its_branches(full_project, world):
    """An existing nimbus-protected with reviewers, a wait timer and no branch policy (a 0.2.0 project): the PUT that
    limits its branches sends those rules again, because GitHub's PUT resets every rule it does not name."""
    world.set_state(
        {
            "gh": {
                "environments": {
                    "nimbus-protected": {
                        "can_admins_bypass": False,
                        "protection_rules": [
                            {
                                "type": "required_reviewers",
                                "prevent_self_review": True,
                                "reviewers": [{"type": "Team", "reviewer": {"id": 42}}],
                            },
                            {"type": "wait_timer", "wait_timer": 5},
                        ],
                    }
                }
            }
        }
    )
    result = run_cli(full_project, world, "setup", "--dry-run", "--github-repo", "octo-org/shop")
    assert result.returncode == 0, result.stderr
    (put,) = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("gh api --method PUT repos/octo-org/shop/environments/nimbus-protected")
    ]
    assert shlex.split(put)[5:] == [
        "--field", "reviewers[][type]=Team", "--field", "reviewers[][id]=42", "--field", "prevent_self_review=true",
        "--field", "wait_timer=5", "--field", "can_admins_bypass=false",
        "--field", "deployment_branch_policy[protected_branches]=false",
        "--field", "deployment_branch_policy[custom_branch_policies]=true", "--silent",
    ]  # fmt: skip
    assert "add required reviewers" not in result.stdout


LOADED_MODULES = """
import runpy, sys
sys.argv = ["scripts/gitops.py", *sys.argv[1:]]
try:
    runpy.run_path("scripts/gitops.py", run_name="__main__")
except SystemExit:
    pass
print(" ".join(sorted(name for name in sys.modules if name.startswith("nimbus_gitops"))), file=sys.stderr)
"""


def loaded_modules(project: Path, world: FakeWorld, *args: str) -> set[str]:
    """The CLI package's modules a command loaded (printed on the last stderr line)."""
    result = subprocess.run(
        [sys.executable, "-c", LOADED_MODULES, *args],
        cwd=project,
        env=world.env(ARM_SUBSCRIPTION_ID=SUBSCRIPTION),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return set(result.stderr.strip().splitlines()[-1].split())


def test_the_cli_is_a_package_and_pushes_never_load_the_bootstrap(workdir, world):
    """scripts/gitops.py is a thin entry point; what the workflows run on every push (env, plan, apply, outputs...)
    never imports nimbus_gitops.bootstrap, the one-time `setup`, which only `setup` itself loads."""
    entry = (workdir / "scripts" / "gitops.py").read_text(encoding="utf-8")
    assert len(entry.splitlines()) < 60 and "from nimbus_gitops.cli import main" in entry
    for command in (["env", "--branch", "env-alice"], ["plan", "alice"], ["outputs", "alice"], ["list"]):
        loaded = loaded_modules(workdir, world, *command)
        assert "nimbus_gitops.cli" in loaded, (command, loaded)
        assert "nimbus_gitops.bootstrap" not in loaded, command
    assert "nimbus_gitops.bootstrap" in loaded_modules(workdir, world, "setup", "--dry-run", "--github-repo", "o/r")
