"""The template's documentation: the site builds strictly, every link and anchor resolves offline, the README's
quick start is what CI runs, and the pages quote what the code really prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml

import answers as nimbus_answers  # hooks/ is on sys.path (tests/conftest.py)
from conftest import ROOT, render
from matrix import make

DOCS = ROOT / "docs"
EXCLUDED = ("notes",)  # mkdocs.yml exclude_docs: the engineers' working notes are not published
# The CLI's folder renders only with gitops: template/{% if gitops %}scripts{% endif %}/gitops.py
GITOPS = next((ROOT / "template").glob("*scripts*/gitops.py"), None)
# The CLI's package beside it: one module per job (nimbus_gitops/bootstrap.py is `setup`).
GITOPS_PACKAGE = GITOPS.parent / "nimbus_gitops"

FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def published_pages() -> list[Path]:
    return sorted(page for page in DOCS.rglob("*.md") if not set(page.relative_to(DOCS).parts[:-1]) & set(EXCLUDED))


def checked_files() -> list[Path]:
    return [ROOT / "README.md", *published_pages()]


def built_html(site: Path, page: Path) -> Path:
    """Where MkDocs (use_directory_urls) writes a page: a.md -> a/index.html, a/index.md -> a/index.html."""
    relative = page.relative_to(DOCS).with_suffix("")
    if relative.name in ("index", "README"):
        return site / relative.parent / "index.html"
    return site / relative / "index.html"


class IdCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name == "id" and value)


def html_ids(html: str) -> set[str]:
    collector = IdCollector()
    collector.feed(html)
    return collector.ids


def markdown_ids(page: Path) -> set[str]:
    """Heading ids of a Markdown file outside docs/ (README.md), rendered by the toc extension MkDocs uses."""
    return html_ids(markdown.markdown(page.read_text(encoding="utf-8"), extensions=["toc", "tables", "fenced_code"]))


def links(page: Path) -> list[str]:
    """Link targets written in a Markdown file, outside code blocks and code spans."""
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    return INLINE_LINK.findall(text) + REFERENCE_DEFINITION.findall(text)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as CI and a maintainer build it (`mkdocs build --strict`), into a temporary folder."""
    destination = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(destination)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's end-of-life banner, not a build warning
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return destination


def test_site_builds_strictly_with_every_page(site):
    """`mkdocs build --strict` passed (the fixture); every published page is in the site and in the nav."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.Loader)  # !!python/name tags

    def nav_files(items) -> list[str]:
        found = []
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            found += nav_files(value) if isinstance(value, list) else [value]
        return found

    in_nav = set(nav_files(config["nav"]))
    for page in published_pages():
        assert built_html(site, page).is_file(), page
        assert page.relative_to(DOCS).as_posix() in in_nav, f"{page} is not in mkdocs.yml nav"
    assert config["theme"]["font"] is False, "web fonts would be fetched by every reader's browser"


def test_mermaid_fences_become_diagrams(site):
    """The superfences custom fence turns ```mermaid into a diagram container, not a code listing."""
    html = (site / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid"><code>sequenceDiagram' in html


@pytest.mark.parametrize("page", checked_files(), ids=lambda page: page.relative_to(ROOT).as_posix())
def test_links_and_anchors_resolve(site, page):
    """Every relative link points to a file that exists; every #anchor is an id of the built target page."""
    problems = []
    for target in links(page):
        if EXTERNAL.match(target):
            continue  # no network here: external links are not fetched
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            problems.append(f"{target}: {destination} does not exist")
            continue
        if not anchor:
            continue
        if destination.suffix != ".md":
            problems.append(f"{target}: an anchor into a file that is not a page")
        elif destination.is_relative_to(DOCS):
            ids = html_ids(built_html(site, destination).read_text(encoding="utf-8"))
            if anchor not in ids:
                problems.append(f"{target}: no id {anchor!r} in the built page")
        elif anchor not in markdown_ids(destination):
            problems.append(f"{target}: no heading {anchor!r} in {destination.name}")
    assert not problems, "\n".join(problems)


def readme_quick_start() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## Quick start' section"
    return re.findall(r"^```(\w*)\n(.*?)^```$", section.group(1), re.MULTILINE | re.DOTALL)


def test_readme_quick_start_is_two_commands_and_ci_runs_the_second():
    blocks = readme_quick_start()
    assert [language for language, _ in blocks] == ["bash", "bash"], "exactly two fenced bash blocks"
    commands = []
    for _, body in blocks:
        lines = [line for line in body.splitlines() if line.strip()]
        assert len(lines) == 1, f"one command per block, got {lines}"
        commands.append(lines[0])
    render_command, test_command = commands
    assert "copier copy" in render_command and "--defaults" in render_command
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert test_command in ci_lines, ".ci/run must run the README's test command verbatim"
    testing = (DOCS / "testing.md").read_text(encoding="utf-8")
    for command in commands:
        assert f"```bash\n{command}\n```" in testing, "docs/testing.md must show the README's commands as they are"


def test_readme_points_to_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/index.md)" in readme
    assert "mkdocs serve" in readme


def test_naming_limits_in_the_docs_are_the_data_files():
    """The environments page states the limits that hooks/data/naming.json enforces."""
    naming = nimbus_answers.naming()  # the scheme new projects get, from hooks/data/naming.json
    page = (DOCS / "environments.md").read_text(encoding="utf-8")
    for key in ("project_name", "environment"):
        rule = naming[key]
        assert f"| `{key}` | {rule['min_length']} to {rule['max_length']} |" in page, key
    assert f"`{naming['resource_group']}`" in page
    assert f"`{naming['state_key']}`" in page


@pytest.fixture(scope="module")
def project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project rendered with the default answers (gitops on, prefix env-)."""
    return render(template_repo, tmp_path_factory.mktemp("docs") / "shop", make(project_name="shop"))


def gitops(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/gitops.py", *args], cwd=project, capture_output=True, text=True, timeout=60
    )


def test_troubleshooting_quotes_the_real_bad_branch_message(project):
    """The message a person sees for a bad branch name is quoted on the troubleshooting page, word for word."""
    result = gitops(project, "env", "--branch", "env-Bad_Name")
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] in (DOCS / "troubleshooting.md").read_text(encoding="utf-8")


def test_every_quoted_refusal_is_what_the_cli_prints(project):
    """Any `gitops.py: refused branch '...'` line quoted in the docs is the CLI's output for that branch."""
    quoted = {}
    for page in published_pages():
        for line in re.findall(
            r"^gitops\.py: refused branch '[^']+'.*$", page.read_text(encoding="utf-8"), re.MULTILINE
        ):
            quoted[re.match(r"gitops\.py: refused branch '([^']+)'", line).group(1)] = (page.name, line)
    assert "env-Bad_Name" in quoted
    for branch, (page, line) in quoted.items():
        assert gitops(project, "env", "--branch", branch).stderr.strip() == line, page


def test_local_debugging_lists_every_cli_command(project):
    """Each subcommand `gitops.py --help` offers has a row on the local debugging page, and no row is stale."""
    usage = gitops(project, "--help").stdout
    commands = set(re.search(r"\{([a-z,-]+)\}", usage).group(1).split(","))
    page = (DOCS / "local-debugging.md").read_text(encoding="utf-8")
    table = page.split("## Commands", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)[ `]", table, re.MULTILINE))
    assert documented == commands


def test_security_page_lists_exactly_the_roles_the_deploying_identity_may_grant():
    """The condition on the deploying identity's role assignment (nimbus.json assignable_roles, from the service
    catalogue) is documented role for role."""
    assignable = nimbus_answers.assignable_roles()
    page = (DOCS / "security.md").read_text(encoding="utf-8")
    listed = re.search(r"assignments of these roles only: ([^.]+)\.", page)
    assert listed, "security.md must list the assignable roles"
    assert {role.strip() for role in listed.group(1).split(",")} == set(assignable)


def test_state_retention_in_the_docs_is_what_setup_creates():
    """The destroy message, the lifecycle rule and soft delete all use STATE_RETENTION_DAYS; the docs state it."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in sorted(GITOPS_PACKAGE.glob("*.py")))
    (days,) = re.findall(r"^STATE_RETENTION_DAYS = (\d+)$", source, re.M)
    page = (DOCS / "security.md").read_text(encoding="utf-8")
    assert f"earlier versions deleted after {days} days (lifecycle rule)" in page
    assert (
        "--delete-retention-days {days}" in source and 'daysAfterCreationGreaterThan": STATE_RETENTION_DAYS' in source
    )


def test_the_names_quoted_on_the_environments_page_are_computed_ones():
    page = (DOCS / "environments.md").read_text(encoding="utf-8")
    names = nimbus_answers.resource_names(nimbus_answers.naming("2"), "k3x9q2", "shop", "alice", "unused")
    for key in ("web_app", "key_vault", "storage_blob", "resource_group"):
        assert f"`{names[key]}`" in page, key
