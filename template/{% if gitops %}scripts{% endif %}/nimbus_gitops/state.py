"""Where Terraform state lives and whose it is: the storage, the blobs, the ownership record, the environments that have state."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
from collections.abc import Mapping
from typing import Any

from .naming import Failed, GITHUB_ENVIRONMENT, GITHUB_PROTECTED_ENVIRONMENT, Refused, fill, is_protected, naming_problem
from .tools import checked, github_repository, json_of, last_line, not_found, run


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


def blob_args(storage: Mapping[str, str]) -> list[str]:
    return [
        "--auth-mode",
        "login",
        "--account-name",
        storage["storage_account_name"],
        "--container-name",
        storage["container_name"],
    ]


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
