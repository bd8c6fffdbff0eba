"""Supply chain of the generated pipelines: every action pinned to the commit of a release (hooks/data/actions.json,
refreshed by tools/refresh_action_pins.py), Dependabot keeping the pins current, and zizmor over every rendered
GitOps configuration."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ANSWER_SETS, ROOT, git, tool

from test_workflows import REPRESENTATIVES, project_of  # noqa: F401 (project_of is a fixture)

import answers as nimbus_answers  # hooks/ is on sys.path (tests/conftest.py)

GITOPS_SETS = sorted(name for name, answers in ANSWER_SETS.items() if answers["gitops"])
DATA = ROOT / "hooks" / "data" / "actions.json"
TOOL = ROOT / "tools" / "refresh_action_pins.py"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<target>\S+)(?P<rest>.*)$")
PIN = re.compile(r"^(?P<action>[\w-]+/[\w.-]+)@(?P<commit>[0-9a-f]{40})$")
MIRRORS = Path("/work/.mirror")


def pins() -> dict:
    return nimbus_answers.load("actions")


def uses_lines(project: Path) -> list[tuple[str, str, str]]:
    """(file, target, rest of the line) of every `uses:` in the project's workflows and composite actions."""
    found = []
    for path in sorted((project / ".github").rglob("*.yml")):
        if path.name == "dependabot.yml":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES.match(line)
            if match:
                found.append((str(path.relative_to(project)), match.group("target"), match.group("rest")))
    return found


@pytest.mark.parametrize("name", GITOPS_SETS)
def test_every_action_is_pinned_to_the_commit_of_its_release(rendered, name):
    """Every `uses:` outside the repository names a 40-hex commit followed by `# vX.Y.Z`, and both are the ones
    hooks/data/actions.json records for that action; every recorded action is used somewhere."""
    project = rendered(name)
    lines = uses_lines(project)
    assert lines, "the project has workflows"
    recorded = pins()
    for where, target, rest in lines:
        if target.startswith("./"):
            continue
        pin = PIN.match(target)
        assert pin, f"{name} {where}: {target} is not pinned to a full commit"
        action = pin.group("action")
        assert action in recorded, f"{name} {where}: {action} is not in hooks/data/actions.json"
        assert pin.group("commit") == recorded[action]["commit"], f"{name} {where}: {target}"
        assert rest.strip() == f"# {recorded[action]['version']}", f"{name} {where}: {target}{rest}"
    parsed = [yaml.safe_load(path.read_text()) for path in (project / ".github").rglob("*.yml")]
    assert all(parsed), "rendered workflow files are YAML"


def test_every_recorded_action_is_used_and_well_formed(rendered):
    """The data file holds only actions some configuration uses, each a vX.Y.Z tag with a 40-hex commit."""
    used = set()
    for name in GITOPS_SETS:
        used |= {target.split("@")[0] for _, target, _ in uses_lines(rendered(name)) if not target.startswith("./")}
    assert set(pins()) == used
    for action, pin in pins().items():
        assert re.fullmatch(r"v\d+\.\d+\.\d+", pin["version"]), action
        assert re.fullmatch(r"[0-9a-f]{40}", pin["commit"]), action


def test_pins_match_the_actions_repositories():
    """Each recorded commit is what the recorded tag points to in the action's own repository, and it is the
    newest release of its major (mirrors fetched under /work/.mirror; the tool's --check says both)."""
    missing = [action for action in pins() if not any(
        folder.name.lower() == action.replace("/", "+").lower() for folder in MIRRORS.glob("*"))]
    if missing:
        pytest.skip(f"no git copy of {', '.join(missing)} under {MIRRORS} (fetch them to verify the pins)")
    result = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def make_action_repository(path: Path, tags: list[str]) -> dict[str, str]:
    """A git repository with one commit per tag; returns tag -> commit."""
    path.mkdir(parents=True)
    git("init", "--quiet", cwd=path)
    commits = {}
    for tag in tags:
        (path / "action.yml").write_text(f"name: fake {tag}\n", encoding="utf-8")
        git("add", "action.yml", cwd=path)
        git("commit", "--quiet", "--no-verify", "-m", tag, cwd=path)
        git("tag", "--annotate", "-m", tag, tag, cwd=path)  # annotated: the pin is the commit, not the tag object
        commits[tag] = git("rev-parse", "HEAD", cwd=path).strip()
    return commits


def test_refresh_tool_moves_to_the_newest_release_of_the_pinned_major(tmp_path, default_gitconfig):
    """tools/refresh_action_pins.py reads tags from a mirror layout and from an explicit path: it takes the newest
    vX.Y.Z of the pinned major (not v7, not a moving v6 tag, not a pre-release), the commit under an annotated tag,
    reports each change, and --check fails while a pin is stale."""
    mirrors = tmp_path / "mirrors"
    checkout = make_action_repository(mirrors / "Actions+Checkout" / "repo", ["v6.0.2", "v6.1.0", "v6", "v7.0.0-beta",
                                                                              "v7.0.0"])
    login = make_action_repository(tmp_path / "login", ["v3.0.0", "v3.0.1"])
    data = tmp_path / "actions.json"
    data.write_text(json.dumps({
        "_comment": "kept",
        "actions/checkout": {"version": "v6.0.2", "commit": checkout["v6.0.2"]},
        "azure/login": {"version": "v3.0.1", "commit": login["v3.0.1"]},
    }), encoding="utf-8")
    run = [sys.executable, str(TOOL), "--data", str(data), "--mirrors", str(mirrors), f"azure/login={tmp_path / 'login'}"]

    stale = subprocess.run([*run, "--check"], capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert stale.stdout.strip() == f"actions/checkout: v6.0.2 {checkout['v6.0.2'][:12]} -> v6.1.0 {checkout['v6.1.0'][:12]}"

    subprocess.run(run, capture_output=True, text=True, check=True)
    written = json.loads(data.read_text(encoding="utf-8"))
    assert written == {
        "_comment": "kept",
        "actions/checkout": {"version": "v6.1.0", "commit": checkout["v6.1.0"]},
        "azure/login": {"version": "v3.0.1", "commit": login["v3.0.1"]},
    }
    assert subprocess.run([*run, "--check"], capture_output=True, text=True, check=False).returncode == 0

    subprocess.run([*run, "--next-major"], capture_output=True, text=True, check=True)
    assert json.loads(data.read_text(encoding="utf-8"))["actions/checkout"]["version"] == "v7.0.0"

    missing = subprocess.run([sys.executable, str(TOOL), "--data", str(data), "--mirrors", str(tmp_path / "none")],
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "actions/checkout: no git copy found; pass actions/checkout=PATH or --mirrors DIR"


def test_dependabot_keeps_the_pins_current(rendered):
    """Dependabot watches the workflows and the composite action, groups the updates into one pull request and
    waits out a cooldown before proposing a new release."""
    config = yaml.safe_load((rendered("compute-app_service") / ".github" / "dependabot.yml").read_text())
    (update,) = config["updates"]
    assert update["package-ecosystem"] == "github-actions"
    assert set(update["directories"]) == {"/", "/.github/actions/nimbus-setup"}
    assert update["groups"]["github-actions"]["patterns"] == ["*"]
    assert update["cooldown"]["default-days"] >= 7


# --------------------------------------------------------------------------------------------------------------
# zizmor
# --------------------------------------------------------------------------------------------------------------

SEVERITIES = ["Unknown", "Informational", "Low", "Medium", "High"]
IGNORE = re.compile(r"#\s*zizmor:\s*ignore\[(?P<rules>[\w,\s-]+)\]\s*(?P<reason>.*)$")


def zizmor(*folders: Path) -> list[dict]:
    """zizmor's JSON findings over these project folders, offline, ignore comments not honoured (so the test sees
    what they hide), default persona."""
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-ignores", "--format", "json", *map(str, folders)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(folders[0])},
        timeout=120,
    )
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr  # 1x: findings of some severity
    return json.loads(result.stdout)


def test_zizmor_finds_nothing_medium_or_above_in_any_configuration(project_of, tmp_path):
    """One zizmor run over one copy of every distinct rendered workflow configuration: no finding of medium severity
    or above, no zizmor configuration file anywhere, and every lower finding sits on a line whose
    `# zizmor: ignore[rule]` comment names that rule and says why."""
    copies = []
    seen = set()
    for name in sorted(REPRESENTATIVES):
        github = project_of(name) / ".github"
        key = "".join(path.read_text() for path in sorted(github.rglob("*")) if path.is_file())
        if key in seen:
            continue
        seen.add(key)
        copy = tmp_path / name
        shutil.copytree(github, copy / ".github")
        copies.append(copy)
    assert len(copies) >= 8
    assert not list(tmp_path.rglob("zizmor.y*ml")), "no configuration switches an audit off"

    findings = zizmor(*copies)
    serious = [f for f in findings if SEVERITIES.index(f["determinations"]["severity"]) >= SEVERITIES.index("Medium")]
    assert not serious, json.dumps([(f["ident"], f["locations"][0]["symbolic"]["key"]) for f in serious], indent=1)
    for finding in findings:
        # the Primary location is the line the finding is about (a job's Related `name:` may come first)
        location = next((item for item in finding["locations"] if item["symbolic"]["kind"] == "Primary"),
                        finding["locations"][0])
        path = Path(location["symbolic"]["key"]["Local"]["given_path"] if "given_path" in location["symbolic"]["key"]
                    ["Local"] else location["symbolic"]["key"]["Local"]["verbatim_path"])
        row = location["concrete"]["location"]["start_point"]["row"]
        line = path.read_text(encoding="utf-8").splitlines()[row]
        ignore = IGNORE.search(line)
        assert ignore and finding["ident"] in ignore.group("rules"), f"{path}:{row + 1}: {finding['ident']} unexplained"
        assert len(ignore.group("reason").split()) >= 4, f"{path}:{row + 1}: say why {finding['ident']} is ignored"


def test_zizmor_would_report_a_tag_pinned_action(tmp_path):
    """The run above is not vacuous: the same call reports an action pinned by tag as high severity."""
    workflow = tmp_path / "project" / ".github" / "workflows" / "tag.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v6.1.0\n        with:\n          persist-credentials: false\n",
        encoding="utf-8",
    )
    findings = zizmor(tmp_path / "project")
    assert ("unpinned-uses", "High") in {(f["ident"], f["determinations"]["severity"]) for f in findings}
