"""The subcommands that act on one environment: env, init, plan, apply, destroy, outputs, delete-state."""

from __future__ import annotations

import json
import sys

from .naming import Failed, Refused, check_environment, environment_from_branch, is_protected
from .tools import checked, github_output_path, json_of, last_line, run, subscription_id, write_github_output
from .state import STATE_RETENTION_DAYS, blob_args, check_owner, describe
from .terraform import absolute, ensure_initialised, init, plan_json, provenance_args, run_with_access, terraform, terraform_env, variable_args


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
    return run_with_access(command, subscription)


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
    return run_with_access(terraform("apply", "-input=false", absolute(args.plan_file)), subscription)


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
    return run_with_access(command, subscription)


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
