"""Upgrades and changed minds: `copier update` keeps the team's edits, a release's `_migrations` step carries
over what a plain update would lose, removing a service needs a confirmation, and nimbus can be adopted into an
existing repository.

The template histories used here (tests/upgrade_support.py) are built from the working tree:
- history: 1.1.0, the older template; 2.0.0, the working tree. "older template" = log_analytics/variables.tf
  without its last variable and with its first numeric default one higher, and no terraform/moved.tf: the
  changes an update from 1.1.0 must bring;
- migration_history: 0.2.1, the working tree; 0.3.0 and 0.3.1, the working tree with the answer
  env_branch_prefix renamed branch_prefix and the `_migrations` step docs/upgrading.md documents;
- release_history: every released version rebuilt from git history, then the working tree.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from copier import run_recopy, run_update
from copier.errors import UserMessageError
from packaging.version import Version

import post_copy
from conftest import ROOT, TEST_VERSION, git, render, run_terraform
from matrix import make
from upgrade_support import (
    TemplateHistory,
    commit_all,
    files_with_conflicts,
    init_project,
    last_variable_name,
    older_template,
    recorded,
    rejects,
    renamed_answer_with_migration,
    releases,
    require_commit,
    set_first_numeric_default,
    tree,
)

import destroy_guard  # hooks/ is on sys.path (tests/conftest.py)

COPIER = str(Path(sys.executable).parent / "copier")
MODULES = Path("terraform") / "modules"
TEAM_README_LINE = "On-call: #shop-ops (added by the team)\n"
TEAM_MOVED_BLOCK = "\nmoved {\n  from = azurerm_resource_group.old\n  to   = azurerm_resource_group.this\n}\n"


@pytest.fixture(scope="session")
def history(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> TemplateHistory:
    result = TemplateHistory(tmp_path_factory.mktemp("history") / "nimbus", template_repo)
    result.add("1.1.0", None, older_template)
    return result.add("2.0.0", None)


@pytest.fixture(scope="session")
def migration_history(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> TemplateHistory:
    """0.2.1: the working tree; 0.3.0 (the version docs/upgrading.md's example step names) renames an answer and
    carries it over with that step; 0.3.1: the same, a later version."""
    result = TemplateHistory(tmp_path_factory.mktemp("migration") / "nimbus", template_repo)
    result.add("0.2.1", None)
    result.add("0.3.0", None, renamed_answer_with_migration)
    return result.add("0.3.1", None, renamed_answer_with_migration)


@pytest.fixture(scope="session")
def release_history(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> TemplateHistory:
    """Every released version rebuilt from this repository's history, then the working tree as TEST_VERSION."""
    result = TemplateHistory(tmp_path_factory.mktemp("releases") / "nimbus", template_repo)
    for version, commit in releases().items():
        result.add(version, commit)
    return result.add(TEST_VERSION, None)


def project_at(history: TemplateHistory, version: str, destination: Path, **answers) -> Path:
    """A project rendered at `version` and committed, as the post-copy task leaves it."""
    render(history.path, destination, {"project_name": "shop", **answers}, vcs_ref=version)
    init_project(destination)
    return destination


@pytest.fixture(scope="session")
def shop_at_1_1(history: TemplateHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default project at 1.1.0, committed; tests take a copy (one render instead of one per test)."""
    return project_at(history, "1.1.0", tmp_path_factory.mktemp("shop-1.1") / "shop")


@pytest.fixture
def shop(shop_at_1_1: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(shop_at_1_1, tmp_path / "shop", symlinks=True))


@pytest.fixture(scope="session")
def fresh(history: TemplateHistory, tmp_path_factory: pytest.TempPathFactory):
    """`fresh(**answers)`: the project a first `copier copy` of 2.0.0 renders for make(project_name="shop", **answers)."""
    base, done = tmp_path_factory.mktemp("fresh"), {}

    def get(**answers) -> Path:
        key = repr(sorted(answers.items()))
        if key not in done:
            done[key] = render(history.path, base / str(len(done)), make(project_name="shop", **answers))
        return done[key]

    return get


def update(project: Path, **options) -> None:
    """`copier update --trust --defaults` (inline conflicts), to the latest tag unless vcs_ref is given."""
    run_update(str(project), defaults=True, unsafe=True, overwrite=True, quiet=True, **options)


def team_edits(project: Path) -> dict[str, str]:
    """What a team typically changes: a module default, the README, an environment file, a file of their own."""
    _, port = set_first_numeric_default(project / MODULES / "app_service" / "variables.tf", 9090)
    assert port != 9090
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(TEAM_README_LINE)
    environments = project / "terraform" / "environments" / "README.md"
    environments.write_text("<!-- team: alice.tfvars is the load-test environment -->\n" + environments.read_text())
    (project / "terraform" / "environments" / "alice.tfvars").write_text('app_service_sku_name = "P0v3"\n')
    (project / "docs").mkdir(exist_ok=True)
    (project / "docs" / "runbook.md").write_text("# Runbook\n")
    commit_all(project, "team edits")
    return {"README.md": (project / "README.md").read_text()}


def assert_team_edits_kept(project: Path, before: dict[str, str]) -> None:
    assert re.search(
        r"^\s*default\s*=\s*9090\s*$", (project / MODULES / "app_service" / "variables.tf").read_text(), re.M
    )
    # nimbus's README (it carries the nimbus:generated marker) is merged: the team's line survives the update
    readme = (project / "README.md").read_text()
    assert TEAM_README_LINE in readme and "<<<<<<<" not in readme
    assert (project / "terraform" / "environments" / "README.md").read_text().startswith("<!-- team: alice.tfvars")
    assert (project / "terraform" / "environments" / "alice.tfvars").read_text() == 'app_service_sku_name = "P0v3"\n'
    assert (project / "docs" / "runbook.md").read_text() == "# Runbook\n"


# --------------------------------------------------------------------------------------------------------
# copier update
# --------------------------------------------------------------------------------------------------------


def test_update_brings_template_changes_and_keeps_team_edits(shop, fresh):
    project = shop
    before = team_edits(project)
    update(project)
    assert rejects(project) == [] and files_with_conflicts(project) == []
    assert_team_edits_kept(project, before)
    # the template's changes arrived: a new variable, a changed default, a new file
    new = fresh()
    variables = MODULES / "log_analytics" / "variables.tf"
    assert (project / variables).read_text() == (new / variables).read_text()
    assert f'variable "{last_variable_name(new / variables)}"' in (project / variables).read_text()
    assert (project / "terraform" / "moved.tf").read_text() == (new / "terraform" / "moved.tf").read_text()
    assert recorded(project)["_commit"] == "2.0.0"
    # copier leaves the result for review: nothing committed
    assert git("rev-list", "--count", "HEAD", cwd=project).strip() == "2"


@pytest.mark.parametrize("change", [{"addons": ["redis"]}, {"network": "vnet"}], ids=["add-redis", "public-to-vnet"])
def test_update_with_a_new_answer_renders_what_a_fresh_copy_renders(shop, fresh, change):
    project = shop
    (project / "team.md").write_text("ours\n")
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(TEAM_README_LINE)
    commit_all(project, "team edits")
    update(project, data=change)
    new = fresh(**change)
    ignored = ("README.md", ".copier-answers.yml")
    assert tree(project, ignore=(*ignored, "team.md")) == tree(new, ignore=ignored)
    assert recorded(project) == recorded(new)
    assert (project / "team.md").read_text() == "ours\n"
    assert (project / "README.md").read_text().endswith(TEAM_README_LINE)
    assert rejects(project) == []


def test_the_teams_own_moved_blocks_stay_when_an_update_brings_nimbus_blocks(history, fresh, tmp_path):
    """terraform/moved.tf holds nimbus's blocks (one set per module rendered) and, below the line that invites
    them, the team's: a new answer brings its module's blocks, the team's block stays, nothing conflicts."""
    project = project_at(history, "2.0.0", tmp_path / "shop")
    moved = project / "terraform" / "moved.tf"
    assert "module.redis" not in moved.read_text()
    moved.write_text(moved.read_text() + TEAM_MOVED_BLOCK)
    commit_all(project, "team moved block")
    update(project, data={"addons": ["redis"]})
    assert rejects(project) == [] and files_with_conflicts(project) == []
    assert moved.read_text() == (fresh(addons=["redis"]) / "terraform" / "moved.tf").read_text() + TEAM_MOVED_BLOCK
    assert "to   = module.redis.module.private_endpoint[0].azurerm_private_endpoint.this" in moved.read_text()


def test_conflict_markers_only_where_both_sides_changed_the_same_line(shop):
    project = shop
    variables = project / MODULES / "log_analytics" / "variables.tf"
    _, old_default = set_first_numeric_default(variables, 99)  # the template changes this very line in 2.0.0
    set_first_numeric_default(project / MODULES / "app_service" / "variables.tf", 9090)  # a line it does not change
    commit_all(project, "team edits")
    update(project)
    assert files_with_conflicts(project) == ["terraform/modules/log_analytics/variables.tf"]
    conflict = re.search(
        r"<<<<<<< before updating\n(.*?)=======\n(.*?)>>>>>>> after updating", variables.read_text(), re.S
    )
    assert conflict and "99" in conflict.group(1) and str(old_default - 1) in conflict.group(2)
    assert rejects(project) == []
    assert "default     = 9090" in (project / MODULES / "app_service" / "variables.tf").read_text()
    # git sees the conflict too: `git commit` refuses until it is resolved
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=project).split()
    assert unmerged == ["terraform/modules/log_analytics/variables.tf"]


@pytest.mark.parametrize("version", list(releases()))
def test_every_release_updates_to_the_working_tree(release_history, tmp_path, version):
    """Each version in hooks/data/releases.json, rebuilt from git history, updates cleanly to the working tree."""
    project = project_at(release_history, version, tmp_path / "shop", database="postgresql", addons=["redis"])
    before = team_edits(project)
    update(project)
    assert rejects(project) == [] and files_with_conflicts(project) == []
    assert_team_edits_kept(project, before)
    assert recorded(project)["_commit"] == TEST_VERSION
    # files the template no longer renders are gone; what it renders now is there
    fresh_copy = render(
        release_history.path, tmp_path / "fresh", make(project_name="shop", database="postgresql", addons=["redis"])
    )
    team_files = {"docs/runbook.md", "terraform/environments/alice.tfvars"}
    assert set(tree(project)) == set(tree(fresh_copy)) | team_files
    # the root moved.tf moves what the release's modules declared themselves into the shared modules
    moved = (project / "terraform" / "moved.tf").read_text()
    assert moved == (fresh_copy / "terraform" / "moved.tf").read_text()
    for old, new in (
        ("module.postgresql.azurerm_private_endpoint.this[0]", "module.postgresql.module.private_endpoint[0]"),
        ("module.redis.azurerm_monitor_diagnostic_setting.this", "module.redis.module.diagnostic_setting"),
    ):
        assert re.search(rf"from = {re.escape(old)}\n  to   = {re.escape(new)}\.azurerm_", moved), (old, moved)
    # nimbus's Dependabot file from before it carried the marker is still nimbus's: it is updated, not kept
    dependabot = Path(".github") / "dependabot.yml"
    assert (project / dependabot).read_text() == (fresh_copy / dependabot).read_text()


def project_names(project: Path, environment: str, folder: Path) -> dict:
    """What the project's own naming.tf computes for `environment` (terraform console, no provider needed)."""
    folder.mkdir(parents=True)
    for name in ("naming.tf", "variables.tf", "nimbus.json"):
        shutil.copy(project / "terraform" / name, folder)
    (folder / "stub.tf").write_text('locals {\n  subscription_id = "5f3c1d2e-0000-4000-8000-123456789abc"\n}\n')
    result = run_terraform(folder, "console", f"-var=environment={environment}", input="jsonencode(local.names)\n")
    return json.loads(json.loads(result.stdout))


def project_env(project: Path, branch: str) -> dict:
    result = subprocess.run(
        [sys.executable, "scripts/gitops.py", "env", "--branch", branch], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.usefixtures("terraform_binary")
def test_a_0_2_0_project_keeps_every_name_and_state_key_on_update(release_history, tmp_path):
    """Projects rendered by 0.2.0 (or 0.1.0: same names, same code path, no naming_scheme recorded) get naming
    scheme 1 recorded on update: no resource is renamed, no state key moves (Terraform itself computes the names
    before and after)."""
    version = "0.2.0"
    answers = {"database": "postgresql", "addons": ["key_vault", "redis", "storage_blob"], "network": "vnet"}
    project = project_at(release_history, version, tmp_path / "shop", **answers)
    before = {env: (project_env(project, f"env-{env}"), project_names(project, env, tmp_path / f"before-{env}"))
              for env in ("alice", "prod", "a1-b2")}  # fmt: skip
    update(project)
    assert rejects(project) == [] and files_with_conflicts(project) == []
    answers_after = recorded(project)
    assert answers_after["naming_scheme"] == "1" and re.fullmatch(
        r"[a-z][a-z0-9]{5}", answers_after["repository_token"]
    )
    for env, (info, names) in before.items():
        after = project_env(project, f"env-{env}")
        assert (after["resource_group"], after["state_key"]) == (info["resource_group"], info["state_key"])
        assert after["state_key"] == f"shop/{env}.tfstate"
        assert project_names(project, env, tmp_path / f"after-{env}") == names
    # a later update keeps scheme 1; adopting scheme 2 is a deliberate, confirmed change
    commit_all(project, "nimbus update")
    update(project)
    assert recorded(project)["naming_scheme"] == "1"
    with pytest.raises(UserMessageError, match="naming_scheme: 1 -> 2"):
        update(project, data={"naming_scheme": "2"})
    # scheme 1's names hold 12-character projects only: a longer one needs scheme 2 first
    with pytest.raises(ValueError, match="does not fit naming scheme 1"):
        update(project, data={"project_name": "inventory-service", "allow_destroy": True})
    assert recorded(project)["project_name"] == "shop"


def test_updating_keeps_a_team_edit_of_a_module_readme_and_brings_the_index(release_history, tmp_path):
    """0.1.0 had a README.md in each module folder, 0.2.0 one shared page, Unreleased a README.md in each folder again
    and an index: a team's note in 0.1.0's redis README is merged into the new one; a 0.2.0 project gains the
    folders' READMEs, and a note the team added to its shared page comes back as a conflict in the index."""
    project = project_at(release_history, "0.1.0", tmp_path / "shop", database="postgresql", addons=["redis"])
    edited = project / MODULES / "redis" / "README.md"
    edited.write_text(edited.read_text() + "Team note: flush the cache after a restore.\n")
    commit_all(project, "team note")
    update(project)
    readme = edited.read_text()
    assert readme.startswith("# `redis`") and readme.endswith("Team note: flush the cache after a restore.\n")
    assert "<<<<<<<" not in readme
    assert "[`redis`](redis/README.md)" in (project / MODULES / "README.md").read_text()

    project = project_at(release_history, "0.2.0", tmp_path / "later", database="postgresql", addons=["redis"])
    assert not list((project / MODULES).glob("*/README.md"))
    page = project / MODULES / "README.md"
    page.write_text(page.read_text().replace("## `redis`", "## `redis`\n\nTeam note: flush the cache.\n", 1))
    commit_all(project, "team note")
    update(project)
    folders = sorted(path.parent.name for path in (project / MODULES).glob("*/README.md"))
    assert folders == sorted(path.name for path in (project / MODULES).iterdir() if path.is_dir())
    # the team's note in the old shared page comes back as a conflict in the index (CHANGELOG.md says what to do)
    index = page.read_text()
    assert "[`redis`](redis/README.md)" in index and "<<<<<<<" in index and "Team note: flush the cache." in index


def test_check_update_reads_the_tags(shop):
    project = shop
    result = subprocess.run(
        [COPIER, "check-update", "--output-format", "json"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "update_available": True,
        "current_version": "1.1.0",
        "latest_version": "2.0.0",
    }


# --------------------------------------------------------------------------------------------------------
# Migrations: copier's own per-version `_migrations` (docs/upgrading.md#migrations)
# --------------------------------------------------------------------------------------------------------


def test_a_per_version_migration_runs_once(migration_history, tmp_path, capfd):
    """The documented `_migrations` entry renames an answer before the new version renders, on the update that
    crosses its version only: the team's answer carries over, and a later update does not run the step again."""
    project = project_at(migration_history, "0.2.1", tmp_path / "shop", env_branch_prefix="deploy/")
    capfd.readouterr()
    update(project, skip_answered=True, vcs_ref="0.3.0")  # copier update -A
    ran = capfd.readouterr().out
    assert "nimbus 0.3.0 migration (before, 0.2.1 -> 0.3.0): env_branch_prefix is branch_prefix" in ran
    answers = recorded(project)
    assert answers["_commit"] == "0.3.0"
    assert answers["branch_prefix"] == "deploy/" and "env_branch_prefix" not in answers
    assert json.loads((project / "terraform" / "nimbus.json").read_text())["branch_prefix"] == "deploy/"
    assert rejects(project) == [] and files_with_conflicts(project) == []

    commit_all(project, "nimbus 0.3.0")
    update(project)  # to the newest tag, 0.3.1: past the step's version
    assert "migration" not in capfd.readouterr().out
    answers = recorded(project)
    assert answers["_commit"] == "0.3.1" and answers["branch_prefix"] == "deploy/"



# --------------------------------------------------------------------------------------------------------
# The destroy guard
# --------------------------------------------------------------------------------------------------------


def test_removing_a_service_needs_a_confirmation(history, tmp_path, capfd):
    project = project_at(history, "2.0.0", tmp_path / "shop", database="postgresql", addons=["redis", "key_vault"])
    head = git("rev-parse", "HEAD", cwd=project)
    snapshot = tree(project)
    with pytest.raises(UserMessageError) as refused:
        update(project, data={"database": "none", "addons": ["key_vault"]})
    message = str(refused.value)
    assert "module.postgresql" in message and "module.redis" in message and "module.key_vault" not in message
    assert "azurerm_postgresql_flexible_server." in message
    assert "database: postgresql -> none" in message and "addons: redis removed" in message
    assert "allow_destroy=true" in message and "Nothing was changed" in message
    assert tree(project) == snapshot and git("rev-parse", "HEAD", cwd=project) == head
    assert git("status", "--porcelain", "--untracked-files=all", cwd=project) == ""

    capfd.readouterr()
    update(project, data={"database": "none", "addons": ["key_vault"], "allow_destroy": True})
    announced = capfd.readouterr().err
    assert "DESTROY" in announced and "module.postgresql" in announced and "module.redis" in announced
    assert not (project / MODULES / "postgresql").exists() and not (project / MODULES / "redis").exists()
    assert (project / MODULES / "key_vault").is_dir()
    answers = recorded(project)
    assert answers["database"] == "none" and answers["addons"] == ["key_vault"]
    assert "allow_destroy" not in answers  # never recorded: the next destructive change asks again


def test_recopy_is_guarded_too(history, tmp_path):
    project = project_at(history, "2.0.0", tmp_path / "shop", compute="container_apps", runtime="docker")
    snapshot = tree(project)
    with pytest.raises(UserMessageError) as refused:
        run_recopy(
            str(project), data={"compute": "app_service"}, defaults=True, unsafe=True, quiet=True, overwrite=True
        )
    assert "module.container_apps" in str(refused.value) and "compute: container_apps -> app_service" in str(
        refused.value
    )
    assert tree(project) == snapshot


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"gitops": False}, "gitops: true -> false"),
        (
            {"env_branch_prefix": "deploy-"},
            "env_branch_prefix: env- -> deploy-: the environments of branches named env-",
        ),
        ({"project_name": "store"}, "project_name: shop -> store"),
    ],
)
def test_answers_that_leave_environments_behind_need_the_same_confirmation(history, tmp_path, change, expected):
    """Nothing in Azure is destroyed by these changes themselves, but live environments lose the project that
    manages them: the same refusal and confirmation as removing a module."""
    project = project_at(history, "2.0.0", tmp_path / "shop")
    snapshot = tree(project)
    with pytest.raises(UserMessageError) as refused:
        update(project, data=change)
    message = str(refused.value)
    assert expected in message and "allow_destroy=true" in message and "Nothing was changed" in message
    assert tree(project) == snapshot
    update(project, data={**change, "allow_destroy": True})
    assert all(recorded(project)[key] == value for key, value in change.items())


def test_copy_over_a_live_project_with_another_answers_file_is_guarded(history, tmp_path):
    project = project_at(history, "2.0.0", tmp_path / "shop", database="postgresql")
    snapshot = tree(project)
    with pytest.raises(UserMessageError) as refused:
        render(history.path, project, {"project_name": "shop", "database": "none"}, overwrite=True,
               answers_file=".copier-answers.other.yml", vcs_ref="2.0.0")  # fmt: skip
    assert "module.postgresql" in str(refused.value)
    assert tree(project) == snapshot


def test_identity_answers_of_an_older_project_are_no_change():
    """A 0.2.0 project has no token and no scheme recorded: getting scheme 1 and a token is not a change; changing
    them afterwards is."""
    legacy = make(project_name="shop")
    assert destroy_guard.orphaned_by(legacy, {**legacy, "repository_token": "abc123", "naming_scheme": "1"}) == []
    current = {**legacy, "repository_token": "abc123", "naming_scheme": "1"}
    (line,) = destroy_guard.orphaned_by(current, {**current, "repository_token": "xyz789"})
    assert line.startswith("repository_token: abc123 -> xyz789") and "unmanaged" in line
    (line,) = destroy_guard.orphaned_by(legacy, {**legacy, "repository_token": "abc123", "naming_scheme": "2"})
    assert line.startswith("naming_scheme: 1 -> 2")


@pytest.mark.parametrize(
    "before, after, removed",
    [
        ({}, {"database": "mysql", "addons": ["redis"]}, []),  # adding is never refused
        ({"database": "postgresql"}, {"database": "mysql"}, ["postgresql"]),
        ({"network": "vnet"}, {"network": "public"}, ["network"]),
        ({"compute": "container_apps"}, {"compute": "functions"}, ["container_apps", "container_registry"]),
        ({"runtime": "docker"}, {"runtime": "python"}, ["container_registry"]),
        ({"addons": ["redis", "key_vault"]}, {"addons": ["key_vault"]}, ["redis"]),
    ],
)
def test_removed_modules(before, after, removed):
    assert destroy_guard.removed_modules(make(**before), make(**after)) == removed


def test_renaming_the_project_or_moving_region_replaces_everything():
    previous = make(project_name="shop", database="postgresql")
    assert destroy_guard.replaced_by(previous, make(project_name="shop2", database="postgresql")) == ["project_name"]
    assert destroy_guard.replaced_by(
        previous, make(project_name="shop", azure_region="westeurope", database="postgresql")
    ) == ["azure_region"]
    assert destroy_guard.replaced_by(previous, dict(previous)) == []


# --------------------------------------------------------------------------------------------------------
# Adopting nimbus into an existing repository
# --------------------------------------------------------------------------------------------------------

SKIP_IF_EXISTS = post_copy.skip_if_exists_patterns()


def test_adopting_keeps_the_teams_files_and_names_them(template_repo, tmp_path):
    repo = tmp_path / "app"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    theirs = {name: f"the team's {name}\n" for name in SKIP_IF_EXISTS}
    for name, content in theirs.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(content)
    (repo / "app.py").write_text("print('hi')\n")
    commit_all(repo, "the app")
    result = subprocess.run(
        [COPIER, "copy", "--trust", "--defaults", "-d", "project_name=shop", str(template_repo), str(repo)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    for name, content in theirs.items():
        assert (repo / name).read_text() == content, name
    kept = sorted(line.split("kept:", 1)[1].split()[0] for line in result.stdout.splitlines() if "kept:" in line)
    import post_copy

    rendered = set(post_copy.rendered_paths(make(project_name="shop")))
    assert kept == sorted(rendered & set(SKIP_IF_EXISTS)) and "README.md" in kept
    assert "docs/adopting.md" in result.stdout
    assert git("status", "--porcelain", "--", *SKIP_IF_EXISTS, cwd=repo) == ""


def test_skip_if_exists_lists_every_top_level_file_the_template_renders():
    """A file at the root of a project is one an application repository may already have: keep theirs."""
    top_level = set()
    for overrides in ({}, {"gitops": False}, {"runtime": "docker", "compute": "container_apps"}, {"runtime": "python"}):
        top_level |= {path for path in post_copy.rendered_paths(make(**overrides)) if "/" not in path}
    assert top_level - {".copier-answers.yml"} <= set(SKIP_IF_EXISTS)


# --------------------------------------------------------------------------------------------------------
# Versioning
# --------------------------------------------------------------------------------------------------------


def test_releases_and_changelog_agree():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    documented = re.findall(r"^## (\S+)", changelog, re.M)
    documented = documented[1:] if documented[:1] == ["Unreleased"] else documented  # changes not released yet
    assert documented == sorted(releases(), key=Version, reverse=True)  # newest first, one section each
    untagged = [version for version, commit in releases().items() if commit is None]
    assert untagged in ([], list(releases())[-1:]), "only the newest release may be untagged (null)"
    for version, commit in releases().items():
        assert str(Version(version)) == version  # PEP 440, normalised
        if commit is not None:
            assert re.fullmatch(r"[0-9a-f]{40}", commit), f"{version}: record the full commit hash"
            tag = subprocess.run(
                ["git", "rev-parse", "-q", "--verify", f"refs/tags/{version}^{{commit}}"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if tag.returncode == 0:  # tags are optional in a clone, but a present tag must agree
                assert tag.stdout.strip() == commit, f"tag {version} is not the commit releases.json records"


def test_a_release_commit_missing_from_the_clone_fails_loudly():
    with pytest.raises(AssertionError, match="fetch-depth: 0"):
        require_commit("0" * 40, "9.9.9")


def test_min_copier_version_covers_the_features_used():
    config = yaml.safe_load((ROOT / "copier.yml").read_text())
    minimum = Version(config["_min_copier_version"])
    assert minimum >= Version("9.19.0")  # `ask: false` (repository_token, naming_scheme); check-update, _migrations
    import copier

    assert Version(copier.__version__) >= minimum
