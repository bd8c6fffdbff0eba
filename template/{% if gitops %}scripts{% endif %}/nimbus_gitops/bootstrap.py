"""`setup`: the one-time, idempotent bootstrap (state storage, the writer and reader identities, GitHub settings).

Loaded only when `setup` runs: nothing CI runs on a push imports it.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from .naming import CONFIG_FILE, Failed, GITHUB_ENVIRONMENT, GITHUB_PROTECTED_ENVIRONMENT, Refused, TERRAFORM_DIR
from .tools import argv, azure_account, checked, github_repository, json_of, last_line, not_found, require, run
from .state import STATE_CONTAINER, STATE_LIFECYCLE_RULE, STATE_RETENTION_DAYS, blob_args, fork_hint, owner_name, owner_record_key, same_repository, state_storage


OIDC_ISSUER = "https://token.actions.githubusercontent.com"


OIDC_AUDIENCE = "api://AzureADTokenExchange"


# The roles Terraform may grant (to the environment's managed identities) come from terraform/nimbus.json
# `assignable_roles`: every role any nimbus module grants, name -> built-in role definition id (the same in every
# tenant), from the template's service catalogue. The deploying identity's "Role Based Access Control
# Administrator" assignment is conditioned to exactly these.
ROLE_DEFINITION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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


def assignable_roles(config: dict) -> dict[str, str]:
    """terraform/nimbus.json `assignable_roles` (role name -> role definition id), checked before setup changes
    anything."""
    roles = config.get("assignable_roles")
    if not isinstance(roles, dict) or not roles or not all(
        isinstance(name, str) and isinstance(role_id, str) and ROLE_DEFINITION_ID.fullmatch(role_id)
        for name, role_id in roles.items()
    ):
        raise Failed(
            f"{CONFIG_FILE} has no valid assignable_roles (role name -> role definition id, a lowercase GUID): "
            "re-render it with copier update"
        )
    return roles


def rbac_condition(roles: dict[str, str]) -> str:
    """Constrained delegation: the deploying identity may grant (and remove) only the data roles Terraform assigns
    to the environment's managed identities (`roles`: assignable_roles), never Owner, Contributor or User Access
    Administrator. Principal types are not constrained: Terraform's assignments do not all state one, and a
    request without principalType would not match such a clause."""
    ids = ", ".join(sorted(roles.values()))
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


def ensure_roles(
    boot: Bootstrap, account: dict, principal: str, new: bool, container_scope: str, roles: dict[str, str]
) -> None:
    """Least privilege that still lets every environment be created from nothing (see docs/notes/gitops.md);
    `roles`: the roles Terraform may grant (assignable_roles)."""
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
        condition=rbac_condition(roles),
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
    roles = assignable_roles(config)
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
    ensure_roles(boot, account, principal, new, container_scope, roles)
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
