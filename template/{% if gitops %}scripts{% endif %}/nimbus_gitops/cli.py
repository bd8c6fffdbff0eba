"""The command line: arguments, dispatch, one-line errors and exit codes."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from .naming import EXIT_FAILED, EXIT_REFUSED, Failed, GITHUB_PROTECTED_ENVIRONMENT, Refused, load_config
from .reports import cmd_drift_report, cmd_plan_summary
from .inventory import cmd_list, cmd_sweep
from .commands import cmd_apply, cmd_delete_state, cmd_destroy, cmd_env, cmd_init, cmd_outputs, cmd_plan
from .local import cmd_db_access, cmd_dotenv


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2, which `plan --detailed-exitcode` means "changes"
        self.print_usage(sys.stderr)
        raise Refused(message)


# The first paragraph of scripts/gitops.py's docstring, said once here for `--help`.
DESCRIPTION = "nimbus GitOps CLI: one Azure environment per git branch."


def cmd_setup(args, config) -> int:
    """The one-time bootstrap lives in its own module, loaded only when `setup` runs."""
    from .bootstrap import cmd_setup as bootstrap

    return bootstrap(args, config)


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="gitops.py", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
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
