"""Running the app locally against an environment: `dotenv` and `db-access`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .naming import Failed, Refused, check_environment
from .tools import json_of, last_line, not_found, run, subscription_id
from .terraform import deployer_ip, ensure_initialised, terraform, terraform_env
from .commands import refuse_protected


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
