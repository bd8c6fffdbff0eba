"""Reports on plans: the Markdown summary of a saved plan and the drift issues."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from .naming import Refused, check_environment
from .tools import checked, github_output_path, json_of, last_line, subscription_id, write_github_output
from .terraform import plan_json


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
