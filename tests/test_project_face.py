"""What a person sees first in a generated project: README, diagram, .gitignore, pre-commit hooks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import answers as nimbus_answers
from conftest import ANSWER_SETS, render
from matrix import make

MERMAID_NODE = re.compile(r"^\s+(\w+)(?:\[|\(\[|\[\()", re.MULTILINE)


def mermaid_block(readme: str) -> str:
    match = re.search(r"```mermaid\n(.*?)```", readme, re.DOTALL)
    assert match, "README has no mermaid diagram"
    return match.group(1)


@pytest.mark.parametrize("name", sorted(ANSWER_SETS))
def test_readme_diagram_names_exactly_the_rendered_modules(rendered, name):
    project = rendered(name)
    diagram = mermaid_block((project / "README.md").read_text())
    nodes = set(MERMAID_NODE.findall(diagram))
    module_nodes = nodes - set(nimbus_answers.DIAGRAM_EXTRA_NODES)
    rendered_modules = {path.name for path in (project / "terraform" / "modules").iterdir() if path.is_dir()}
    # app_settings is wiring only (it creates no Azure resource); private_endpoint and diagnostic_setting are parts
    # of the service modules that call them
    rendered_modules -= {"app_settings", "private_endpoint", "diagnostic_setting"}
    assert module_nodes == rendered_modules
    # every edge joins declared nodes (a typo would draw a stray box)
    for left, right in re.findall(r"^\s+(\w+) [-.][^\n]*?[->] (\w+)$", diagram, re.MULTILINE):
        assert {left, right} <= nodes, (left, right)


@pytest.mark.parametrize("name", ["fullest", "no-gitops", "docker-functions"])
def test_readme_states_the_configuration(rendered, name):
    answers = ANSWER_SETS[name]
    project = rendered(name)
    readme = (project / "README.md").read_text()
    # relative links lead to files the project has (the modules index, which links each module's README)
    for target in re.findall(r"\]\(([^)#:]+)\)", readme):
        assert (project / target).is_file(), f"README links to missing {target}"
    assert "(terraform/modules/README.md)" in readme
    assert f"| compute | `{answers['compute']}` |" in readme
    assert f"| network | `{answers['network']}` |" in readme
    for addon in answers["addons"]:
        assert f"`{addon}`" in readme
    if answers["gitops"]:
        assert f"git switch -c {answers['env_branch_prefix']}alice" in readme
        assert "python3 scripts/gitops.py setup --dry-run" in readme
    else:
        assert "scripts/gitops.py" not in readme and "terraform -chdir=terraform apply -var environment=dev" in readme


def test_gitignore_covers_terraform_local_files_but_keeps_the_lock_file(rendered, tmp_path):
    project = rendered("spring-appservice-postgres")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "--quiet"], cwd=repo, check=True)
    (repo / ".gitignore").write_text((project / ".gitignore").read_text())
    ignored = [
        "terraform/.terraform/providers/registry.terraform.io/hashicorp/azurerm/5.10.0/linux_amd64/terraform-provider",
        "terraform/tfplan",
        "terraform/alice.tfplan",
        "terraform/terraform.tfstate",
        "terraform/terraform.tfstate.backup",
        "terraform/crash.log",
        "terraform/override.tf",
        ".env",
    ]
    kept = [
        "terraform/.terraform.lock.hcl",
        "terraform/main.tf",
        "terraform/environments/alice.tfvars",
        "terraform/nimbus.json",
    ]
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=repo,
        input="\n".join(ignored + kept),
        capture_output=True,
        text=True,
    )
    assert checked.stdout.split() == ignored


@pytest.mark.parametrize("name", ["fullest", "no-gitops"])
def test_pre_commit_hooks_fit_the_files(rendered, name):
    config = yaml.safe_load((rendered(name) / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: repo["repo"] for repo in config["repos"] for hook in repo["hooks"]}
    assert all(repo["rev"].lstrip("v")[0].isdigit() for repo in config["repos"])  # pinned releases
    assert "terraform_fmt" in hooks and "terraform_checkov" in hooks
    # actionlint only where there are workflows to lint
    assert ("actionlint-system" in hooks) == ANSWER_SETS[name]["gitops"]
    assert (rendered(name) / ".github").exists() == ANSWER_SETS[name]["gitops"]


def test_generated_readme_follows_answer_changes_but_a_teams_own_is_never_touched(template_repo, tmp_path):
    """README.md carries the nimbus:generated marker: `copier update` keeps it current until the team drops it."""
    project = render(template_repo, tmp_path / "shop", make(project_name="shop"), tasks=True)
    assert "nimbus:generated" in (project / "README.md").read_text().splitlines()[0]
    copier = str(Path(sys.executable).parent / "copier")
    update = [copier, "update", "--trust", "--defaults", "--skip-answered"]
    result = subprocess.run([*update, "-d", "addons=[redis]"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "redis[(" in (project / "README.md").read_text()  # the diagram gained the add-on
    subprocess.run(["git", "add", "--all"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "add redis"], cwd=project, check=True)

    # The team takes the README over by deleting the marker line: later updates leave it alone.
    owned = "# Shop\n\nOur own words.\n"
    (project / "README.md").write_text(owned)
    subprocess.run(["git", "commit", "-qam", "our README"], cwd=project, check=True)
    result = subprocess.run([*update, "-d", "addons=[redis, key_vault]"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (project / "README.md").read_text() == owned
    assert not list(project.rglob("*.rej"))


IMAGE_BASED = {name: answers for name, answers in ANSWER_SETS.items() if answers["compute"] == "container_apps"}


@pytest.mark.parametrize("name", sorted(IMAGE_BASED))
def test_container_apps_get_a_dockerfile_for_their_runtime_unless_they_bring_one(rendered, name):
    answers = ANSWER_SETS[name]
    project = rendered(name)
    if answers["runtime"] == "docker":
        assert not (project / "Dockerfile").exists()  # the team's own Dockerfile is the product
        return
    dockerfile = (project / "Dockerfile").read_text()
    runtime = nimbus_answers.runtimes()[answers["runtime"]]
    base = {"java": "eclipse-temurin", "node": "node", "python": "python", "dotnet": "mcr.microsoft.com/dotnet/aspnet"}
    assert f"FROM {base[runtime['family']]}:{runtime['version']}" in dockerfile
    # the image listens where the Container App sends traffic
    variables = (project / "terraform" / "modules" / "container_apps" / "variables.tf").read_text()
    port = re.search(r'variable "target_port" \{[^}]*?default\s*=\s*(\d+)', variables, re.DOTALL).group(1)
    assert f"EXPOSE {port}" in dockerfile
    assert "USER" in dockerfile  # never root
    ignored = (project / ".dockerignore").read_text().split()
    assert {"terraform", ".git"} <= set(ignored) and "dist" not in ignored


def test_java_image_packages_the_jar_the_build_job_picked(rendered, tmp_path):
    """Run the workflow's packaging step on a Maven layout: the Dockerfile's COPY source is the executable jar."""
    project = rendered("fullest")  # Spring on Container Apps, built with Gradle
    workflow = yaml.safe_load((project / ".github" / "workflows" / "environment.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["build"]["steps"] if s.get("name") == "Pick the executable jar"]
    workspace = tmp_path / "workspace"
    shutil.copytree(project / ".github", workspace / ".github")  # the step runs the project's build script
    (workspace / "build" / "libs").mkdir(parents=True)
    (workspace / "build" / "libs" / "shop-1.0.jar").write_bytes(b"x" * 5000)  # the executable (fat) jar
    (workspace / "build" / "libs" / "shop-1.0-plain.jar").write_bytes(b"x" * 100)
    subprocess.run(["bash", "-euo", "pipefail", "-c", step["run"]], cwd=workspace, check=True)
    assert (workspace / "dist" / "app.jar").read_bytes() == b"x" * 5000
    copy = re.search(r"^COPY (\S+) ", (project / "Dockerfile").read_text(), re.MULTILINE).group(1)
    assert (workspace / copy).is_file()


def test_function_app_packaging_step_finds_the_staged_app_of_a_gradle_build(rendered, tmp_path):
    """Actions runs steps with `bash -eo pipefail`: a missing Maven folder must not fail a Gradle build."""
    project = rendered("micronaut-functions-gradle")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "environment.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["build"]["steps"] if s.get("name") == "Package the function app"]
    staged = tmp_path / "build" / "azure-functions" / "shop-fn"
    staged.mkdir(parents=True)
    (staged / "host.json").write_text("{}")
    runner_temp = tmp_path / "runner-temp"
    environment = {**os.environ, "GITHUB_WORKSPACE": str(tmp_path), "RUNNER_TEMP": str(runner_temp)}
    subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=tmp_path, check=True, env=environment)
    listing = subprocess.run(["unzip", "-l", runner_temp / "package" / "app.zip"], capture_output=True, text=True)
    assert "host.json" in listing.stdout


@pytest.mark.parametrize("name", ["fullest", "no-gitops"])
def test_readme_tells_the_team_to_commit_the_provider_lock_file(rendered, name):
    project = rendered(name)
    readme = (project / "README.md").read_text()
    assert "commit it" in readme and "git add terraform/.terraform.lock.hcl" in readme
    (lock,) = [line for line in readme.splitlines() if "providers lock" in line and line.startswith("terraform")]
    assert "-platform=linux_amd64" in lock and "-platform=darwin_arm64" in lock, "CI and laptop platforms"
    # the constraints the README states are the ones terraform.tf sets
    terraform_tf = (project / "terraform" / "terraform.tf").read_text()
    for stated in re.findall(r"azurerm `([^`]+)`|Terraform `([^`]+)`", readme):
        assert f'"{"".join(stated)}"' in terraform_tf
