"""The post-copy task: a fresh project is one clean commit; an existing repository is never touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from plumbum import local

from conftest import git, render
from matrix import make

COPIER = str(Path(sys.executable).parent / "copier")


def test_fresh_destination_is_one_clean_commit_on_main(template_repo, tmp_path):
    project = render(template_repo, tmp_path / "shop", make(project_name="shop"), tasks=True)
    assert git("branch", "--show-current", cwd=project).strip() == "main"
    assert git("rev-list", "--count", "HEAD", cwd=project).strip() == "1"
    assert git("status", "--porcelain", "--untracked-files=all", cwd=project) == ""
    committed = set(git("ls-files", cwd=project).split())
    on_disk = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert committed == on_disk
    assert ".copier-answers.yml" in committed


@pytest.mark.parametrize(
    "global_config, author",
    [
        ("", "nimbus <nimbus@users.noreply.github.com>"),
        ("[user]\n\tname = Ada Lovelace\n", "Ada Lovelace <nimbus@users.noreply.github.com>"),
    ],
    ids=["no-identity", "name-only"],
)
def test_fallback_author_fills_only_what_git_lacks(template_repo, tmp_path, monkeypatch, global_config, author):
    config = tmp_path / "gitconfig"
    config.write_text(global_config)
    # copier runs tasks with plumbum's copy of the environment: patch both
    for environment in (os.environ, local.env):
        monkeypatch.setitem(environment, "GIT_CONFIG_GLOBAL", str(config))
        for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
            monkeypatch.delitem(environment, variable, raising=False)
    project = render(template_repo, tmp_path / "project", make(), tasks=True)
    assert git("log", "-1", "--format=%an <%ae>", cwd=project).strip() == author


def test_first_commit_is_a_sound_repository(template_repo, tmp_path):
    """The blobs of the first commit go into one pack (core.bigFileThreshold=1); git must see nothing odd."""
    project = render(template_repo, tmp_path / "sound", make(), tasks=True)
    assert git("fsck", "--strict", "--no-dangling", cwd=project).strip() == ""
    # what the task set for itself (-c) is not left in the project's configuration
    assert not any(key in git("config", "--local", "--list", cwd=project) for key in ("bigfile", "maintenance", "gc."))
    assert git("status", "--porcelain", "--ignored", cwd=project) == ""
    git("gc", "--quiet", cwd=project)
    assert git("rev-list", "--count", "HEAD", cwd=project).strip() == "1"


def test_a_hand_run_task_refuses_a_hand_edited_answers_file(template_repo, tmp_path):
    project = render(template_repo, tmp_path / "edited", make(), tasks=False)
    answers_file = project / ".copier-answers.yml"
    answers = yaml.safe_load(answers_file.read_text())
    answers_file.write_text(yaml.safe_dump({**answers, "network": "private"}))
    subprocess.run(
        ["git", "init", "--quiet"], cwd=project, check=True
    )  # an existing repository: the task reads the file
    result = subprocess.run(
        [sys.executable, str(template_repo / "hooks" / "post_copy.py"), ".copier-answers.yml"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "network" in result.stderr and "private" in result.stderr
    assert result.stdout == ""


def test_configured_author_is_kept(template_repo, tmp_path):
    project = render(template_repo, tmp_path / "mine", make(), tasks=True)
    assert git("log", "-1", "--format=%an <%ae>", cwd=project).strip() == "Pytest <pytest@local.dev>"


def make_user_repository(path: Path) -> dict:
    """An application repository with history, a staged change, a dirty file and an untracked file."""
    path.mkdir()
    git("init", "--quiet", cwd=path)
    (path / "app.py").write_text("print('v1')\n")
    (path / "README.md").write_text("# My app\n")
    (path / ".gitignore").write_text("*.log\n")
    git("add", "--all", cwd=path)
    git("commit", "--quiet", "-m", "app v1", cwd=path)
    (path / "staged.py").write_text("staged = True\n")
    git("add", "staged.py", cwd=path)
    (path / "app.py").write_text("print('v2, not committed')\n")
    (path / "notes.txt").write_text("untracked notes\n")
    return {
        "head": git("rev-parse", "HEAD", cwd=path),
        "index": git("diff", "--cached", "--name-status", cwd=path),
        "log": git("log", "--format=%H %s", cwd=path),
        "app": (path / "app.py").read_text(),
    }


def test_existing_repository_history_index_and_work_are_untouched(template_repo, tmp_path):
    repo = tmp_path / "existing"
    before = make_user_repository(repo)
    result = subprocess.run(
        [COPIER, "copy", "--trust", "--defaults", "-d", "project_name=shop", str(template_repo), str(repo)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert git("rev-parse", "HEAD", cwd=repo) == before["head"]
    assert git("log", "--format=%H %s", cwd=repo) == before["log"]
    assert git("diff", "--cached", "--name-status", cwd=repo) == before["index"]
    assert (repo / "app.py").read_text() == before["app"]
    assert (repo / "notes.txt").read_text() == "untracked notes\n"
    # the team's README and .gitignore are kept (_skip_if_exists)
    assert (repo / "README.md").read_text() == "# My app\n"
    assert (repo / ".gitignore").read_text() == "*.log\n"
    # the report lists exactly what nimbus added, and how to commit it
    output = result.stdout
    assert "nothing was staged or committed" in output
    added = [line.split("added:", 1)[1].strip() for line in output.splitlines() if "added:" in line]
    untracked = git("ls-files", "--others", "--exclude-standard", cwd=repo).split()
    assert sorted(added) == sorted(path for path in untracked if path != "notes.txt")
    assert ".copier-answers.yml" in added and "terraform/nimbus.json" in added
    assert "README.md" not in added and "notes.txt" not in added
    assert "git -C" in output and "commit -m 'Add nimbus'" in output


def test_subfolder_of_an_existing_repository_is_not_a_nested_repository(template_repo, tmp_path):
    repo = tmp_path / "mono"
    make_user_repository(repo)
    project = render(template_repo, repo / "services" / "billing", make(project_name="billing"), tasks=True)
    assert not (project / ".git").exists()
    assert git("rev-parse", "--show-toplevel", cwd=project).strip() == str(repo)


def test_tasks_do_not_run_on_update(template_repo, tmp_path):
    """`copier update` must not re-init or commit: the team's history is theirs."""
    project = render(template_repo, tmp_path / "p", make(), tasks=True)
    (project / "extra.txt").write_text("team file\n")
    git("add", "extra.txt", cwd=project)
    git("commit", "--quiet", "-m", "team change", cwd=project)
    result = subprocess.run(
        [COPIER, "update", "--trust", "--defaults", "-d", "database=postgresql"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert git("rev-list", "--count", "HEAD", cwd=project).strip() == "2"
    assert "created a git repository" not in result.stdout
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["database"] == "postgresql"


def test_folder_ignored_by_an_enclosing_repository_becomes_its_own_repository(template_repo, tmp_path):
    """The README's quick start renders `my-app/` inside the template's clone, which ignores it."""
    clone = tmp_path / "nimbus-clone"
    clone.mkdir()
    git("init", "--quiet", cwd=clone)
    (clone / ".gitignore").write_text("/my-app/\n")
    git("add", ".gitignore", cwd=clone)
    git("commit", "--quiet", "-m", "clone", cwd=clone)
    project = render(template_repo, clone / "my-app", make(), tasks=True)
    assert git("rev-parse", "--show-toplevel", cwd=project).strip() == str(project)
    assert git("rev-list", "--count", "HEAD", cwd=project).strip() == "1"
    assert git("status", "--porcelain", cwd=clone) == ""  # the clone is untouched


TEAM_DEPENDABOT = (
    "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule:\n      interval: daily\n"
)


@pytest.mark.parametrize("spelling", ["dependabot.yml", "dependabot.yaml"])
@pytest.mark.parametrize("overwrite", [False, True], ids=["defaults", "overwrite"])
def test_adoption_keeps_the_teams_dependabot_file_and_completes(template_repo, tmp_path, spelling, overwrite):
    """A non-interactive copy into a repository with its own Dependabot file (either spelling) completes, keeps
    the team's file (even with --overwrite), writes no second one, and says so in its report."""
    repo = tmp_path / "existing"
    make_user_repository(repo)
    (repo / ".github").mkdir()
    (repo / ".github" / spelling).write_text(TEAM_DEPENDABOT)
    command = [COPIER, "copy", "--trust", "--defaults", "-d", "project_name=shop", str(template_repo), str(repo)]
    result = subprocess.run(command + (["--overwrite"] if overwrite else []), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (repo / ".github" / spelling).read_text() == TEAM_DEPENDABOT
    assert sorted(path.name for path in (repo / ".github").glob("dependabot.*")) == [spelling]
    assert (repo / ".github" / "workflows" / "environment.yml").is_file(), "the copy went through to the end"
    assert f"kept:     .github/{spelling}" in result.stdout
    assert "Add nimbus" in result.stdout


def test_adoption_that_would_overwrite_the_teams_files_is_refused_before_writing_anything(template_repo, tmp_path):
    repo = tmp_path / "existing"
    make_user_repository(repo)
    (repo / "terraform").mkdir()
    (repo / "terraform" / "main.tf").write_text('resource "null_resource" "ours" {}\n')
    (repo / "scripts").mkdir()
    (repo / "scripts" / "gitops.py").write_text("print('our own script')\n")
    before = sorted(str(path.relative_to(repo)) for path in repo.rglob("*") if ".git" not in path.parts)
    result = subprocess.run(
        [COPIER, "copy", "--trust", "--defaults", "-d", "project_name=shop", str(template_repo), str(repo)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    message = result.stderr
    assert "nimbus would overwrite files of this repository" in message, message
    assert "terraform/main.tf" in message and "scripts/gitops.py" in message and "Nothing was written" in message
    # (copier itself prints a failed validator's message under a traceback when the copy is not interactive)
    after = sorted(str(path.relative_to(repo)) for path in repo.rglob("*") if ".git" not in path.parts)
    assert after == before, "nothing written"
    assert (repo / "terraform" / "main.tf").read_text() == 'resource "null_resource" "ours" {}\n'
