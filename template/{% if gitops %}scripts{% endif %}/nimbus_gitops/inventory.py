"""Forgotten environments: the inventory (`list`) and the orphan and idle sweep (`sweep`)."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .naming import Failed, Refused, check_environment, naming_problem
from .tools import argv, checked, github_output_path, github_repository, json_of, last_line, run, subscription_id, write_github_output
from .state import describe, live_environments
from .reports import run_url


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
