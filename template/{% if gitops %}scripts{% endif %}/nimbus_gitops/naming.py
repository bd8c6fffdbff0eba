"""Configuration and names: terraform/nimbus.json, branch -> environment, the one-line refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path


PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


TERRAFORM_DIR = PROJECT_ROOT / "terraform"


CONFIG_FILE = TERRAFORM_DIR / "nimbus.json"


# Forgotten environments (orphan sweep, idle environments): defaults of the nimbus.json settings.
DEFAULT_ORPHAN_GRACE_DAYS = 3


EXIT_FAILED = 1


EXIT_REFUSED = 3  # not 2: `plan --detailed-exitcode` uses 2 for "changes", and argparse uses 2 for usage errors


# GitHub Environments every workflow job that signs in to Azure runs in: their names are the OIDC subjects.
GITHUB_ENVIRONMENT = "nimbus"


GITHUB_PROTECTED_ENVIRONMENT = "nimbus-protected"


class Refused(Exception):
    """Input nimbus will not act on (a bad branch or environment name). The message is one line."""


class Failed(Exception):
    """A tool is missing, not logged in, or failed. The message is one line."""


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
