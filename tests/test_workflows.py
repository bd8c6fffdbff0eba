"""The GitOps layer's GitHub Actions workflows: valid for every configuration, least privilege, and doing what they
promise when their `run:` steps are executed against fake az/gh/terraform (see tests/gitops_support.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.nodes
import pytest
import yaml

from conftest import ANSWER_SETS, ROOT, render, tool
from gitops_support import (
    CLIENT,
    DEPLOYER_IP,
    READER_CLIENT,
    FakeWorld,
    WorkflowRun,
    backend_settings,
    copy_project,
    days_ago,
    gzip_bytes,
    load_workflow,
    option_value,
)
from matrix import make

import answers as nimbus_answers  # hooks/ is on sys.path (tests/conftest.py)

GITHUB_TEMPLATE = ROOT / "template" / "{% if gitops %}.github{% endif %}"
WORKFLOWS = ["environment.yml", "environment-destroy.yml", "environment-plan.yml", "drift.yml"]
ACTION = Path(".github") / "actions" / "nimbus-setup" / "action.yml"
PINNED = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
# What the workflow templates may depend on; test_templates_read_only_the_signature proves it, so rendering one
# answer set per signature lints the workflows of every configuration.
SIGNATURE_ANSWERS = {"compute", "env_branch_prefix"}
SIGNATURE_DERIVED = {"runtime_family", "java_build_tool", "container_registry", "runtime_version"}
# Flags derived from compute and the runtime family (answers.derive), which the signature holds already.
SIGNATURE_DERIVED |= {"app_service", "container_apps", "functions", "flex_consumption", "docker"}
# Combinations of compute and runtime family the shared answer sets do not render with gitops.
EXTRA_SETS = {
    "extra-functions-dotnet": make(compute="functions", runtime="dotnet"),
    "extra-containerapps-python": make(compute="container_apps", runtime="python"),
}


def signature(answers: dict) -> tuple:
    derived = nimbus_answers.derive(answers)
    return tuple(answers.get(key) for key in sorted(SIGNATURE_ANSWERS)) + tuple(
        derived[key] for key in sorted(SIGNATURE_DERIVED)
    )


def representatives() -> dict[str, dict]:
    """One answer set per distinct signature, preferring sets other tests render too (the render cache is shared)."""
    preferred = ("compute-app_service", "fullest", "prefix-slash", "compute-container_apps", "compute-functions")
    candidates = {name: answers for name, answers in ANSWER_SETS.items() if answers["gitops"]}
    chosen: dict[tuple, str] = {}
    for name in sorted(candidates, key=lambda name: (name not in preferred, list(candidates).index(name))):
        chosen.setdefault(signature(candidates[name]), name)
    for name, answers in EXTRA_SETS.items():
        chosen.setdefault(signature(answers), name)
    return {name: ANSWER_SETS.get(name) or EXTRA_SETS[name] for name in chosen.values()}


REPRESENTATIVES = representatives()


@pytest.fixture(scope="module")
def project_of(rendered, template_repo, tmp_path_factory):
    """`project_of(name)`: a rendered project, from the shared cache or (extra sets) rendered here once."""
    extra: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name in ANSWER_SETS:
            return rendered(name)
        if name not in extra:
            extra[name] = render(template_repo, tmp_path_factory.mktemp(name) / "project", EXTRA_SETS[name])
        return extra[name]

    return get


def tool_env() -> dict:
    # The venv's own actionlint and shellcheck first: actionlint runs shellcheck on every `run:` script.
    return {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}


# --------------------------------------------------------------------------------------------------------------
# Static checks
# --------------------------------------------------------------------------------------------------------------


def test_templates_read_only_the_signature():
    """The workflow templates use only compute, the branch prefix and derived flags (docs/architecture.md), so one
    render per signature covers every configuration; path names depend on `gitops` alone."""
    environment = jinja2.Environment()
    sources = sorted(GITHUB_TEMPLATE.rglob("*.jinja"))
    assert {path.name for path in sources} == {name + ".jinja" for name in [*WORKFLOWS, ACTION.name]}
    for path in sources:
        tree = environment.parse(path.read_text(encoding="utf-8"))
        names = jinja2.meta.find_undeclared_variables(tree)
        assert names <= SIGNATURE_ANSWERS | {"nimbus", "nimbus_uses"}, (path.name, names)
        attributes = {
            node.attr for node in tree.find_all(jinja2.nodes.Getattr) if getattr(node.node, "name", "") == "nimbus"
        }
        assert attributes <= SIGNATURE_DERIVED, (path.name, attributes)
    action = environment.parse((GITHUB_TEMPLATE / "actions" / "nimbus-setup" / "action.yml.jinja").read_text())
    assert jinja2.meta.find_undeclared_variables(action) == {"nimbus_uses"}, "the composite action varies by pin only"


def test_jobs_take_the_github_environment_from_gitops_env():
    """`gitops.py env --github-output` says which GitHub environment a run uses; no workflow recomputes it."""
    for name in WORKFLOWS:
        text = (GITHUB_TEMPLATE / "workflows" / f"{name}.jinja").read_text(encoding="utf-8")
        assert "nimbus-protected" not in text and "'nimbus'" not in text, name
    text = (GITHUB_TEMPLATE / "workflows" / "environment.yml.jinja").read_text(encoding="utf-8")
    assert text.count("${{ needs.resolve.outputs.github_environment }}") == 2, "infrastructure and deploy"


def test_no_gitops_project_has_no_workflows_and_no_script(rendered):
    project = rendered("no-gitops")
    assert not (project / ".github").exists()
    assert not (project / "scripts").exists()


# Workflows whose jobs only read: they sign in as the reader identity, outside any GitHub Environment (their OIDC
# subjects, ':pull_request' and the default branch, are trusted by the reader only).
READER_WORKFLOWS = {"environment-plan.yml", "drift.yml"}
READER_CLIENT_ID = "${{ vars.AZURE_READER_CLIENT_ID }}"
WRITER_CLIENT_ID = "${{ vars.AZURE_CLIENT_ID }}"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def check_identity(workflow: str, document: dict, job_id: str, job: dict, where: str) -> None:
    """A job that signs in reads or writes, never both: plans and drift as the reader (no environment, plans without
    the state lock, no apply/destroy), applies and destroys as the writer inside a GitHub Environment."""
    client_id = {**document.get("env", {}), **job.get("env", {})}.get("ARM_CLIENT_ID")
    scripts = "\n".join(step.get("run", "") for step in job.get("steps") or [])
    if workflow in READER_WORKFLOWS:
        assert client_id == READER_CLIENT_ID, f"{where} signs in as {client_id}, not the reader"
        assert not job.get("environment"), f"{where}: a GitHub Environment would give it the writer's subject"
        plans = re.findall(r"gitops\.py plan \S+.*", scripts)
        assert all("--no-lock" in line for line in plans), f"{where}: the reader cannot take the state lock"
        for verb in ("apply", "destroy", "delete-state", "deploy"):
            assert f"gitops.py {verb} " not in scripts, f"{where}: the reader cannot {verb}"
    else:
        assert client_id == WRITER_CLIENT_ID, f"{where} signs in as {client_id}, not the writer"
        assert job.get("environment"), f"{where} signs in outside a GitHub Environment"


def check_forks(document: dict, workflow: str) -> None:
    """No job a fork's pull request can start holds an id-token (or any Azure credential): each one that asks for
    it carries the same-repository condition; a job that needs such a job is skipped with it."""
    triggers = document["on"] if isinstance(document["on"], dict) else {name: None for name in document["on"]}
    if not {"pull_request", "pull_request_target"} & set(triggers):
        return
    assert "pull_request_target" not in triggers, f"{workflow}: pull_request_target runs with secrets"
    guarded = set()
    for job_id, job in document["jobs"].items():
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        if SAME_REPOSITORY in str(job.get("if", "")) or any(name in guarded for name in needs):
            guarded.add(job_id)
    for job_id, job in document["jobs"].items():
        if (job.get("permissions") or {}).get("id-token") == "write":
            assert job_id in guarded, f"{workflow}/{job_id}: a fork's pull request would get an id-token"


def check_shape(project: Path, answers: dict) -> None:
    """Triggers use the branch prefix; actions are pinned to commits; run scripts never interpolate ${{ }};
    permissions are least privilege: read-only at the top, id-token only where a job signs in, pull-requests
    and issues only on the jobs that write them; plans and drift sign in as the reader outside GitHub Environments,
    every other job that signs in as the writer inside one (check_identity); no fork gets an id-token."""
    prefix = answers["env_branch_prefix"]
    documents = {workflow: load_workflow(project / ".github" / "workflows" / workflow) for workflow in WORKFLOWS}
    assert documents["environment.yml"]["on"] == {"push": {"branches": [f"{prefix}**"]}}
    assert documents["environment-plan.yml"]["on"] == {"pull_request": {"branches": [f"{prefix}**"]}}
    # Deleting a branch, and the daily sweep (or a person) naming an environment to destroy through the same jobs.
    assert list(documents["environment-destroy.yml"]["on"]) == ["delete", "workflow_call", "workflow_dispatch"]
    assert set(documents["drift.yml"]["on"]) == {"schedule", "workflow_dispatch"}
    action = yaml.safe_load((project / ACTION).read_text(encoding="utf-8"))
    every_uses = [step["uses"] for step in action["runs"]["steps"] if "uses" in step]
    for workflow, document in documents.items():
        assert document["permissions"] == {"contents": "read"}, workflow
        for job_id, job in document["jobs"].items():
            where = f"{project.name}: {workflow}/{job_id}"
            steps = job.get("steps") or []
            every_uses += [step["uses"] for step in steps if "uses" in step]
            for step in steps:
                assert "${{" not in step.get("run", ""), f"{where}: expression inside a run script"
            permissions = job.get("permissions", {})
            signs_in = any(step.get("uses") == "./.github/actions/nimbus-setup" for step in steps)
            # A job calling a reusable workflow grants what that workflow's jobs (checked themselves) may use.
            signs_in = signs_in or job.get("uses") == "./.github/workflows/environment-destroy.yml"
            assert (permissions.get("id-token") == "write") == signs_in, where
            assert permissions.get("pull-requests") is None or job_id == "comment", where
            assert permissions.get("issues") is None or job_id in ("report", "sweep"), where
            assert permissions.get("contents", "read") == "read", where
            if signs_in and steps:  # a job calling a reusable workflow signs in there
                check_identity(workflow, document, job_id, job, where)
    for workflow, document in documents.items():
        check_forks(document, workflow)
    for uses in every_uses:
        assert uses.startswith("./") or PINNED.match(uses), f"{uses} is not pinned to a commit"


# --------------------------------------------------------------------------------------------------------------
# actionlint (with shellcheck) and the GitHub JSON schemas, over every configuration
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shard", [0, 1])
def test_every_configuration_lints_clean_and_keeps_the_rules(project_of, tmp_path, shard):
    """For the workflows of every configuration: the rules of check_shape, then zero findings from actionlint
    (which runs shellcheck on every script and checks the local action's inputs) and from check-jsonschema's
    workflow, action and Dependabot schemas. Two shards so that two workers share the renders; identical renders
    are linted once; each linted copy sits in a folder with .git so that actionlint resolves ./.github/actions."""
    names = sorted(REPRESENTATIVES)[shard::2]
    seen: dict[str, Path] = {}
    for name in names:
        project = project_of(name)
        check_shape(project, REPRESENTATIVES[name])
        files = [project / ".github" / "workflows" / workflow for workflow in WORKFLOWS] + [project / ACTION]
        key = "".join(path.read_text(encoding="utf-8") for path in files)
        if key in seen:
            continue
        copy = tmp_path / name
        (copy / ".git").mkdir(parents=True)
        shutil.copytree(project / ".github", copy / ".github")
        seen[key] = copy
    workflows = [str(copy / ".github" / "workflows" / workflow) for copy in seen.values() for workflow in WORKFLOWS]
    actions = [str(copy / ACTION) for copy in seen.values()]
    dependabot = [str(copy / ".github" / "dependabot.yml") for copy in seen.values()]
    assert len(seen) >= 5, "each shard holds several distinct configurations"

    lint = subprocess.run([tool("actionlint"), "-no-color", *workflows], capture_output=True, text=True, env=tool_env())
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout + lint.stderr
    schemas = (
        ("vendor.github-workflows", workflows),
        ("vendor.github-actions", actions),
        ("vendor.dependabot", dependabot),
    )
    for schema, files in schemas:
        result = subprocess.run(
            [tool("check-jsonschema"), "--builtin-schema", schema, *files],
            capture_output=True,
            text=True,
            env=tool_env(),
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_report_a_broken_script(project_of, tmp_path):
    """The lint above is not vacuous: the same call reports an unquoted variable and a misspelt action input."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(project_of("compute-app_service") / ".github" / "actions", tmp_path / ".github" / "actions")
    workflow = tmp_path / ".github" / "workflows" / "broken.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: ./.github/actions/nimbus-setup\n"
        "        with:\n          envirnment: alice\n      - run: echo $HOME\n",
        encoding="utf-8",
    )
    lint = subprocess.run(
        [tool("actionlint"), "-no-color", str(workflow)], capture_output=True, text=True, env=tool_env()
    )
    assert lint.returncode == 1
    assert "SC2086" in lint.stdout and 'input "envirnment" is not defined' in lint.stdout


def test_fork_and_identity_checks_would_catch_a_leak(project_of):
    """check_forks and check_identity are not vacuous: the rendered plan workflow without its same-repository
    condition, or signing in as the writer, or taking the state lock, is refused."""
    plan = load_workflow(project_of("compute-app_service") / ".github" / "workflows" / "environment-plan.yml")
    check_forks(plan, "environment-plan.yml")
    assert SAME_REPOSITORY in plan["jobs"]["plan"]["if"]
    del plan["jobs"]["plan"]["if"]
    with pytest.raises(AssertionError, match="a fork's pull request would get an id-token"):
        check_forks(plan, "environment-plan.yml")
    job = plan["jobs"]["plan"]
    check_identity("environment-plan.yml", plan, "plan", job, "plan")
    with pytest.raises(AssertionError, match="not the reader"):
        check_identity("environment-plan.yml", plan, "plan", {**job, "env": {"ARM_CLIENT_ID": WRITER_CLIENT_ID}}, "p")
    locking = [{**step, "run": step["run"].replace(" --no-lock", "")} if "run" in step else step for step in job["steps"]]
    with pytest.raises(AssertionError, match="state lock"):
        check_identity("environment-plan.yml", plan, "plan", {**job, "steps": locking}, "plan")


# --------------------------------------------------------------------------------------------------------------
# Contracts with the Terraform root module
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["compute-app_service", "fullest"])
def test_workflows_read_only_declared_terraform_outputs(project_of, name):
    """Every Terraform output the deploy job reads is declared by the root module."""
    project = project_of(name)
    outputs_tf = project / "terraform" / "outputs.tf"
    declared = set(re.findall(r'^output\s+"([^"]+)"', outputs_tf.read_text(encoding="utf-8"), re.MULTILINE))
    read = set(
        re.findall(r"steps\.outputs\.outputs\.([a-z_]+)", (project / ".github/workflows/environment.yml").read_text())
    )
    assert read and read <= declared, f"read but not declared: {sorted(read - declared)}"


# --------------------------------------------------------------------------------------------------------------
# Executing the jobs
# --------------------------------------------------------------------------------------------------------------


def terraform_calls(world: FakeWorld, command: str) -> list[list[str]]:
    return [argv for argv in world.argvs("terraform") if argv[1:2] == [command]]


@pytest.fixture
def world(tmp_path):
    return FakeWorld(tmp_path / "world")


def push(project: Path, world: FakeWorld, tmp_path: Path, branch: str, artifacts: dict) -> WorkflowRun:
    run = WorkflowRun(
        project,
        "environment.yml",
        world,
        tmp_path,
        event_name="push",
        event={},
        ref=f"refs/heads/{branch}",
        artifacts=artifacts,
    )
    # build needs the real toolchains (mvn, npm, docker...): its artifact is provided instead of built.
    run.run(skip={"build": {}})
    return run


def test_push_plans_applies_the_saved_plan_and_deploys(project_of, world, tmp_path):
    project = project_of("compute-app_service")  # my-app, App Service, Spring Boot with Maven
    world.set_state(
        {
            "terraform": {
                "changes": [
                    {"address": "azurerm_resource_group.this", "change": {"actions": ["create"]}},
                    {"address": "module.app_service.azurerm_linux_web_app.this", "change": {"actions": ["update"]}},
                ]
            }
        }
    )
    run = push(project, world, tmp_path, "env-alice", {"app": {"app.jar": b"jar"}})
    jobs = run.jobs
    assert {job: jobs[job].result for job in jobs} == {
        "resolve": "success",
        "infrastructure": "success",
        "build": "success",
        "deploy": "success",
        "summary": "success",
    }, "\n".join(job.log() for job in jobs.values())
    assert jobs["infrastructure"].environment == "nimbus" and jobs["deploy"].environment == "nimbus"
    assert jobs["infrastructure"].signed_in_as == jobs["deploy"].signed_in_as == [CLIENT]

    (init,) = terraform_calls(world, "init")
    assert init[0] == "-chdir=terraform" and "-reconfigure" in init and "-input=false" in init
    assert backend_settings(init) == {
        "resource_group_name": "nimbus-tfstate",
        "storage_account_name": backend_settings(init)["storage_account_name"],
        "container_name": "tfstate",
        "key": "tok3n1/my-app/alice.tfstate",
        "use_azuread_auth": "true",
    }
    (plan,) = terraform_calls(world, "plan")
    plan_file = option_value(plan, "-out")
    assert (
        plan_file and plan_file.endswith("/tfplan") and ["-var", "environment=alice"] == plan[plan.index("-var") :][:2]
    )
    (apply,) = terraform_calls(world, "apply")
    assert apply[-1] == plan_file, "apply must apply exactly the saved plan"
    assert "-var" not in apply
    assert all(
        entry["env"].get("ARM_SUBSCRIPTION_ID") == "11111111-2222-3333-4444-555555555555"
        and entry["env"].get("ARM_USE_OIDC") == "true"
        for entry in world.calls("terraform")
    )

    (deploy,) = [argv for argv in world.argvs("az") if argv[:2] == ["webapp", "deploy"]]
    assert option_value(deploy, "--name") == "app-fake-1234" and option_value(deploy, "--resource-group") == "rg-fake"
    assert option_value(deploy, "--src-path") == "dist/app.jar" and option_value(deploy, "--type") == "jar"
    assert jobs["infrastructure"].outputs["app_url"] == "https://app-fake-1234.azurewebsites.net"
    written = jobs["infrastructure"].step_outputs["outputs"]
    assert written["app_name"] == "app-fake-1234" and "database_password" not in written, "no sensitive output"
    assert "s3cret-value" not in json.dumps(jobs["infrastructure"].step_outputs)

    summary = jobs["summary"].summary
    assert "## Environment `alice`" in summary and "https://app-fake-1234.azurewebsites.net" in summary
    assert "| 1 | 1 | 0 |" in summary, summary  # add, change, destroy


def test_push_passes_the_apps_secret_settings_to_terraform_and_nowhere_else(project_of, world, tmp_path):
    """The team's secret settings (secret NIMBUS_SECRET_APP_SETTINGS) reach Terraform as TF_VAR_secret_app_settings;
    without the secret Terraform gets an empty object (a missing value would make the variable unparsable)."""
    project = project_of("compute-app_service")
    secret = '{"STRIPE_API_KEY": "sk_test_123"}'
    run = WorkflowRun(
        project,
        "environment.yml",
        world,
        tmp_path,
        event_name="push",
        event={},
        ref="refs/heads/env-alice",
        artifacts={"app": {"app.jar": b"jar"}},
        secrets={"NIMBUS_SECRET_APP_SETTINGS": secret},
    )
    run.run(skip={"build": {}})
    calls = [entry for entry in world.calls("terraform") if entry["argv"][1:2] in (["plan"], ["apply"])]
    assert calls and all(entry["env"].get("TF_VAR_secret_app_settings") == secret for entry in calls)
    assert "sk_test_123" not in json.dumps(run.jobs["infrastructure"].outputs)
    assert all("TF_VAR_secret_app_settings" not in (job.outputs or {}) for job in run.jobs.values())

    world.clear()
    push(project, world, tmp_path / "without", "env-alice", {"app": {"app.jar": b"jar"}})
    (plan,) = [entry for entry in world.calls("terraform") if entry["argv"][1:2] == ["plan"]]
    assert plan["env"]["TF_VAR_secret_app_settings"] == "{}"


def test_push_to_a_protected_environment_applies_through_the_protected_github_environment(project_of, world, tmp_path):
    run = push(project_of("compute-app_service"), world, tmp_path, "env-prod", {"app": {"app.jar": b"jar"}})
    assert run.jobs["infrastructure"].environment == "nimbus-protected"
    assert run.jobs["deploy"].environment == "nimbus-protected"
    (init,) = terraform_calls(world, "init")
    assert backend_settings(init)["key"] == "tok3n1/my-app/prod.tfstate"


def test_push_of_a_bad_branch_is_refused_before_anything_runs(project_of, world, tmp_path):
    run = push(project_of("compute-app_service"), world, tmp_path, "env-Bad_Name", {"app": {"app.jar": b"jar"}})
    assert run.jobs["resolve"].result == "failure"
    assert run.jobs["infrastructure"].result == "skipped" and run.jobs["deploy"].result == "skipped"
    assert run.jobs["summary"].result == "skipped"
    errors = [line for line in run.jobs["resolve"].steps[-1].stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("::error title=nimbus::") and "'env-bad-name'" in errors[0]
    assert world.calls("terraform") == [] and world.calls("az") == []


def test_push_of_an_image_based_app_pushes_to_the_environment_registry(project_of, world, tmp_path):
    project = project_of("fullest")  # Container Apps, Gradle, vnet with Key Vault, branch prefix deploy/env-
    outputs = {
        "resource_group_name": {"value": "rg-fullest-alice", "sensitive": False},
        "app_name": {"value": "ca-fullest-alice", "sensitive": False},
        "app_url": {"value": "https://ca-fullest-alice.example.azurecontainerapps.io", "sensitive": False},
        "container_registry_name": {"value": "crfullestalice1a2b", "sensitive": False},
        "container_registry_login_server": {"value": "crfullestalice1a2b.azurecr.io", "sensitive": False},
        "container_image_repository": {"value": "shop-image", "sensitive": False},
        "key_vault_name": {"value": "fullestalice1a2b", "sensitive": False},
    }
    world.set_state({"terraform": {"outputs": outputs}})
    run = push(project, world, tmp_path, "deploy/env-alice", {"app": {"image.tar.gz": gzip_bytes(b"image")}})
    assert run.jobs["deploy"].result == "success", run.jobs["infrastructure"].log() + run.jobs["deploy"].log()
    image = f"crfullestalice1a2b.azurecr.io/shop-image:{run.github['sha']}"
    assert ["acr", "login", "--name", "crfullestalice1a2b"] in world.argvs("az")
    assert ["load"] in world.argvs("docker") and ["tag", "nimbus-app:build", image] in world.argvs("docker")
    assert ["push", image] in world.argvs("docker")
    (update,) = [argv for argv in world.argvs("az") if argv[:2] == ["containerapp", "update"]]
    assert option_value(update, "--image") == image and option_value(update, "--name") == "ca-fullest-alice"
    project_name = ANSWER_SETS["fullest"]["project_name"]
    assert backend_settings(terraform_calls(world, "init")[0])["key"] == f"tok3n1/{project_name}/alice.tfstate"
    # vnet: the runner's address reaches Terraform, and the existing vault admits it before the plan refreshes.
    plan_entry = next(entry for entry in world.calls("terraform") if entry["argv"][1] == "plan")
    assert json.loads(plan_entry["env"]["TF_VAR_deployer_ip_ranges"]) == [DEPLOYER_IP]
    order = [(entry["tool"], entry["argv"][:3]) for entry in world.calls() if entry["tool"] in ("az", "terraform")]
    admitted = order.index(("az", ["keyvault", "network-rule", "add"]))
    assert admitted < order.index(("terraform", ["-chdir=terraform", "plan", "-input=false"]))


def delete(project: Path, world: FakeWorld, tmp_path: Path, ref: str, ref_type: str = "branch") -> WorkflowRun:
    run = WorkflowRun(
        project,
        "environment-destroy.yml",
        world,
        tmp_path,
        event_name="delete",
        event={"ref": ref, "ref_type": ref_type},
        ref="refs/heads/main",
    )
    run.run()
    return run


def test_deleting_a_branch_destroys_its_environment_and_state_only(project_of, world, tmp_path):
    world.set_state(
        {"az": {"blobs": ["tok3n1/my-app/alice.tfstate", "tok3n1/my-app/bob.tfstate", "other/alice.tfstate"]}}
    )
    run = delete(project_of("compute-app_service"), world, tmp_path, "env-alice")
    assert run.jobs["destroy"].result == "success", run.jobs["destroy"].log()
    assert run.jobs["protected"].result == "skipped" and run.jobs["destroy"].environment == "nimbus"
    assert run.jobs["destroy"].signed_in_as == [CLIENT], "destroys sign in as the writer"
    (destroy,) = terraform_calls(world, "destroy")
    assert ["-var", "environment=alice"] == destroy[destroy.index("-var") :][:2] and "-auto-approve" in destroy
    assert [backend_settings(argv)["key"] for argv in terraform_calls(world, "init")] == ["tok3n1/my-app/alice.tfstate"]
    deleted = [argv for argv in world.argvs("az") if argv[:3] == ["storage", "blob", "delete"]]
    assert [option_value(argv, "--name") for argv in deleted] == ["tok3n1/my-app/alice.tfstate"]
    assert "--auth-mode" in deleted[0] and option_value(deleted[0], "--auth-mode") == "login"
    everything = json.dumps(world.calls())
    assert "bob" not in everything and "other/" not in everything


def test_deleting_a_protected_branch_destroys_nothing_and_says_so(project_of, world, tmp_path):
    world.set_state({"az": {"blobs": ["tok3n1/my-app/prod.tfstate"]}})
    run = delete(project_of("compute-app_service"), world, tmp_path, "env-prod")
    assert run.jobs["destroy"].result == "skipped" and run.jobs["protected"].result == "success"
    message = run.jobs["protected"].steps[-1].stdout
    assert "::warning title=nimbus::Environment prod is protected" in message
    assert "Environment prod is protected" in run.jobs["protected"].summary
    assert terraform_calls(world, "destroy") == []
    assert not [argv for argv in world.argvs("az") if argv[:3] == ["storage", "blob", "delete"]]


@pytest.mark.parametrize("ref, ref_type", [("env-alice", "tag"), ("feature/login", "branch")])
def test_deleting_a_tag_or_another_branch_runs_nothing(project_of, world, tmp_path, ref, ref_type):
    run = delete(project_of("compute-app_service"), world, tmp_path, ref, ref_type)
    assert {job.result for job in run.jobs.values()} == {"skipped"}
    assert world.calls() == []


def pull_request(project: Path, world: FakeWorld, tmp_path: Path, head_repo: str) -> WorkflowRun:
    event = {"pull_request": {"number": 7, "head": {"repo": {"full_name": head_repo}}}}
    run = WorkflowRun(
        project,
        "environment-plan.yml",
        world,
        tmp_path,
        event_name="pull_request",
        event=event,
        ref="refs/pull/7/merge",
        base_ref="env-alice",
        head_ref="feature",
    )
    run.run()
    return run


def test_pull_request_plans_the_target_environment_and_comments(project_of, world, tmp_path):
    world.set_state(
        {"terraform": {"changes": [{"address": "azurerm_key_vault.this", "change": {"actions": ["delete"]}}]}}
    )
    run = pull_request(project_of("compute-app_service"), world, tmp_path, "octo-org/shop")
    assert run.jobs["plan"].result == "success", run.jobs["plan"].log()
    assert run.jobs["fork"].result == "skipped" and run.jobs["plan"].environment is None  # subject :pull_request
    assert run.jobs["plan"].signed_in_as == [READER_CLIENT], "a pull request's code never holds the writer's token"
    (plan,) = terraform_calls(world, "plan")
    assert "-lock=false" in plan and ["-var", "environment=alice"] == plan[plan.index("-var") :][:2]
    assert backend_settings(terraform_calls(world, "init")[0])["key"] == "tok3n1/my-app/alice.tfstate"
    assert terraform_calls(world, "apply") == []
    (comment,) = [argv for argv in world.argvs("gh") if argv[:2] == ["pr", "comment"]]
    assert comment[2] == "7" and "--edit-last" in comment and "--create-if-none" in comment
    (body,) = [entry["body"] for entry in world.calls("gh-body")]
    assert "Terraform plan for environment `alice`" in body and "| 0 | 0 | 1 |" in body
    assert "Terraform plan for environment `alice`" in run.jobs["plan"].summary


def test_pull_request_from_a_fork_gets_no_plan_and_a_notice(project_of, world, tmp_path):
    run = pull_request(project_of("compute-app_service"), world, tmp_path, "mallory/shop")
    assert run.jobs["plan"].result == "skipped" and run.jobs["comment"].result == "skipped"
    assert (
        "::notice title=nimbus::Pull requests from forks get no Azure credentials" in run.jobs["fork"].steps[-1].stdout
    )
    assert world.calls() == []


def test_drift_plans_each_live_environment_from_its_branch_and_files_issues(project_of, world, tmp_path):
    project = project_of("compute-app_service")
    world.set_state(
        {
            "az": {"blobs": ["tok3n1/my-app/alice.tfstate", "tok3n1/my-app/bob.tfstate", "someone-else/carol.tfstate"]},
            "terraform": {
                "changes_by_key": {
                    "tok3n1/my-app/alice.tfstate": [
                        {"address": "azurerm_linux_web_app.this", "change": {"actions": ["update"]}}
                    ]
                }
            },
            "gh": {
                "issues": [{"number": 12, "title": "Drift in environment bob (my-app)"}],
                "branches": {"main": "2026-01-01T00:00:00Z", "env-alice": days_ago(1), "env-bob": days_ago(2)},
            },
        }
    )
    run = WorkflowRun(project, "drift.yml", world, tmp_path, event_name="schedule", event={}, ref="refs/heads/main")
    run.run()
    assert run.jobs["list"].outputs["environments"] == '["alice","bob"]'
    assert [instance.matrix for instance in run.instances["plan"]] == [{"environment": "alice"}, {"environment": "bob"}]
    assert run.jobs["plan"].result == "success" and run.jobs["report"].result == "success", run.jobs["report"].log()
    plans = terraform_calls(world, "plan")
    assert all("-detailed-exitcode" in argv and "-lock=false" in argv for argv in plans) and len(plans) == 2
    (created,) = [argv for argv in world.argvs("gh") if argv[:2] == ["issue", "create"]]
    assert option_value(created, "--title") == "Drift in environment alice (my-app)"
    assert ["issue", "close", "12"] == [argv for argv in world.argvs("gh") if argv[:2] == ["issue", "close"]][0][:3]
    assert "| `alice` | **yes** | 0 | 1 | 0 |" in run.jobs["report"].summary
    checkout = nimbus_answers.load("actions")["actions/checkout"]["commit"]
    assert run.uses_seen.count(f"actions/checkout@{checkout}") >= 3
    # the reader, outside any GitHub Environment: its subject is the default branch
    assert run.jobs["list"].signed_in_as == [READER_CLIENT] and run.jobs["list"].environment is None
    assert {client for instance in run.instances["plan"] for client in instance.signed_in_as} == {READER_CLIENT}
    drift_yml = (project / ".github/workflows/drift.yml").read_text(encoding="utf-8")
    assert "ref: env-${{ matrix.environment }}" in drift_yml  # each environment is compared with its own branch


@pytest.mark.parametrize("workflow", ["environment-plan.yml", "drift.yml"])
def test_pull_request_and_drift_plans_leave_the_key_vault_firewall_as_they_found_it(
    project_of, world, tmp_path, workflow
):
    """vnet + Key Vault: the runner is admitted to the vault only while Terraform reads it; when the plan ends the
    firewall holds exactly what it held before, so a read-only plan changes nothing in Azure and the next drift
    check has no runner address to report (the module ignores its IP rules, see docs/security.md)."""
    project = project_of("fullest")  # Container Apps, vnet with Key Vault, branch prefix deploy/env-
    before = ["198.51.100.9/32"]
    world.set_state(
        {
            "az": {
                "blobs": [f"tok3n1/{ANSWER_SETS['fullest']['project_name']}/alice.tfstate"],
                "vault_ip_rules": before,
            },
            "terraform": {"outputs": {
                "key_vault_name": {"value": "kv-fullest-alice-1a2b3c4d", "sensitive": False},
                "resource_group_name": {"value": "rg-fullest--alice-tok3n1", "sensitive": False},
            }},
            "gh": {"branches": {"main": days_ago(30), "deploy/env-alice": days_ago(1)}},
        }
    )  # fmt: skip
    if workflow == "drift.yml":
        run = WorkflowRun(project, workflow, world, tmp_path, event_name="schedule", event={}, ref="refs/heads/main")
        run.run()
    else:
        event = {"pull_request": {"number": 7, "head": {"repo": {"full_name": "octo-org/shop"}}}}
        run = WorkflowRun(project, workflow, world, tmp_path, event_name="pull_request", event=event,
                          ref="refs/pull/7/merge", base_ref="deploy/env-alice", head_ref="feature")  # fmt: skip
        run.run()
    assert run.jobs["plan"].result == "success", run.jobs["plan"].log()
    order = [(entry["tool"], entry["argv"][:3]) for entry in world.calls() if entry["tool"] in ("az", "terraform")]
    added = order.index(("az", ["keyvault", "network-rule", "add"]))
    planned = next(i for i, step in enumerate(order) if step[0] == "terraform" and step[1][1] == "plan")
    removed = order.index(("az", ["keyvault", "network-rule", "remove"]))
    assert added < planned < removed
    assert json.loads(world.state_file.read_text())["az"]["vault_ip_rules"] == before


# --------------------------------------------------------------------------------------------------------------
# Forgotten environments: the daily run's orphan and idle sweep
# --------------------------------------------------------------------------------------------------------------


def sweep_world(idle_days: int | None) -> dict:
    """alice: live with its branch; bob: orphan seen today (no issue yet); carol: orphan for 5 days (past the
    3-day grace); prod: protected orphan; dave: branch without a push or apply for 40 days (idle, warned 4 days
    ago); gina: an orphan issue whose state is gone; another project's state and issue in the same container."""
    old = days_ago(40)
    return {
        "az": {
            "blobs": [
                {
                    "name": "tok3n1/my-app/alice.tfstate",
                    "properties": {"creationTime": days_ago(9), "lastModified": days_ago(1)},
                },
                {
                    "name": "tok3n1/my-app/bob.tfstate",
                    "properties": {"creationTime": days_ago(20), "lastModified": days_ago(9)},
                },
                {
                    "name": "tok3n1/my-app/carol.tfstate",
                    "properties": {"creationTime": days_ago(30), "lastModified": old},
                },
                {
                    "name": "tok3n1/my-app/dave.tfstate",
                    "properties": {"creationTime": days_ago(60), "lastModified": old},
                },
                {
                    "name": "tok3n1/my-app/prod.tfstate",
                    "properties": {"creationTime": days_ago(99), "lastModified": old},
                },
                {"name": "other/erin.tfstate", "properties": {"creationTime": old, "lastModified": old}},
            ],
            "resource_groups": [
                {"name": "rg-my-app--alice-tok3n1", "tags": {"project": "my-app", "created-by": "alice-gh"}},
                {"name": "rg-other-erin", "tags": {"project": "other", "created-by": "erin"}},
            ],
        },
        "gh": {
            "branches": {"main": days_ago(0), "env-alice": days_ago(1), "env-dave": old, "feature/x": old},
            "issues": [
                {"number": 20, "title": "Orphaned environment carol (my-app)", "createdAt": days_ago(5)},
                {"number": 21, "title": "Orphaned environment prod (my-app)", "createdAt": days_ago(10)},
                {"number": 22, "title": "Orphaned environment gina (my-app)", "createdAt": days_ago(8)},
                {"number": 23, "title": "Idle environment dave (my-app)", "createdAt": days_ago(4)},
                {"number": 24, "title": "Orphaned environment erin (other)", "createdAt": days_ago(30)},
                {
                    "number": 25,
                    "title": "Orphaned environment bob (my-app)",
                    "createdAt": days_ago(9),
                    "state": "CLOSED",
                },
            ],
        },
    }


def with_settings(project: Path, tmp_path: Path, **settings) -> Path:
    copy = copy_project(project, tmp_path / "project")
    config = json.loads((copy / "terraform" / "nimbus.json").read_text(encoding="utf-8"))
    (copy / "terraform" / "nimbus.json").write_text(json.dumps({**config, **settings}), encoding="utf-8")
    return copy


def daily(project: Path, world: FakeWorld, folder: Path) -> WorkflowRun:
    folder.mkdir()
    run = WorkflowRun(project, "drift.yml", world, folder, event_name="schedule", event={}, ref="refs/heads/main")
    run.run()
    return run


def gh_writes(world: FakeWorld) -> list[list[str]]:
    return [
        argv[:3]
        for argv in world.argvs("gh")
        if argv[:2] in (["issue", "create"], ["issue", "edit"], ["issue", "comment"], ["issue", "close"])
    ]


@pytest.mark.parametrize("idle_days", [30, None])
def test_daily_sweep_destroys_only_orphans_past_grace_and_opted_in_idle_environments(
    project_of, world, tmp_path, idle_days
):
    project = with_settings(project_of("compute-app_service"), tmp_path, idle_days=idle_days)
    world.set_state(sweep_world(idle_days))
    run = daily(project, world, tmp_path / "run1")
    assert {job_id: job.result for job_id, job in run.jobs.items()} == {
        "list": "success",
        "plan": "success",
        "report": "success",
        "sweep": "success",
        "destroy": "success",
    }, run.jobs["sweep"].log()

    # Drift plans only environments whose branch exists: an orphan has no branch to check out.
    assert [instance.matrix["environment"] for instance in run.instances["plan"]] == ["alice", "dave"]
    # Destroyed: the orphan past its grace period, and the idle environment when idle_days is set. Through the
    # branch deletion's own workflow, in the branch's concurrency group, in the GitHub Environment "nimbus".
    doomed = ["carol", "dave"] if idle_days else ["carol"]
    calls = run.called["destroy"]
    assert [call.jobs["resolve"].outputs["environment"] for call in calls] == doomed
    for call, environment in zip(calls, doomed):
        assert call.jobs["destroy"].result == "success" and call.jobs["protected"].result == "skipped"
        assert call.jobs["destroy"].environment == "nimbus"
        assert call.jobs["resolve"].outputs["branch"] == f"env-{environment}"
        notice = call.jobs["destroy"].steps[-3].stdout
        assert f"::notice title=nimbus::Destroying environment {environment}: " in notice
        assert f"Environment `{environment}` destroyed and its state deleted (" in call.jobs["destroy"].summary
    destroy_yml = load_workflow(project / ".github/workflows/environment-destroy.yml")
    assert destroy_yml["jobs"]["destroy"]["concurrency"]["group"] == "nimbus-${{ needs.resolve.outputs.branch }}"
    destroyed = [argv for argv in terraform_calls(world, "destroy")]
    assert [argv[argv.index("-var") + 1] for argv in destroyed] == [f"environment={name}" for name in doomed]
    deleted = [option_value(argv, "--name") for argv in world.argvs("az") if argv[:3] == ["storage", "blob", "delete"]]
    assert deleted == [f"tok3n1/my-app/{name}.tfstate" for name in doomed]
    assert "carol: orphaned: its branch env-carol is gone" in calls[0].jobs["destroy"].steps[-3].stdout

    # Issues: bob's opened (first seen today), carol's, prod's (and dave's) updated, gina's closed (no state any
    # more); another project's issue and the closed one are never touched.
    writes = gh_writes(world)
    created = [option_value(argv, "--title") for argv in world.argvs("gh") if argv[:2] == ["issue", "create"]]
    assert created == ["Orphaned environment bob (my-app)"]
    assert ["issue", "edit", "20"] in writes and ["issue", "edit", "21"] in writes
    assert ["issue", "close", "22"] in writes and ["issue", "comment", "20"] in writes
    assert not [argv for argv in writes if argv[2] in ("24", "25")]
    assert (["issue", "edit", "23"] in writes) == bool(idle_days)
    # Without idle_days dave is not idle any more: its warning is closed and it stays.
    assert (["issue", "close", "23"] in writes) == (not idle_days)
    bodies = [entry["body"] for entry in world.calls("gh-body")]
    assert any("Environment prod is protected: nimbus never destroys it" in body for body in bodies)
    assert any("branch `env-bob` no longer exists" in body and "3 day(s)" in body for body in bodies)

    summary = run.jobs["sweep"].summary
    assert "| `carol` | orphan | no |" in summary and "Destroying environment carol" in summary
    assert "| `bob` | orphan | no |" in summary and "will be destroyed in 3 day(s)" in summary
    assert "| `prod` | orphan | yes |" in summary and "#22 (closed)" in summary
    # The idle environment's branch is kept: nothing deletes a branch or changes anything else through the API.
    assert not [argv for argv in world.argvs("gh") if argv[:1] == ["api"] and option_value(argv, "--method")]
    everything = json.dumps(world.calls())
    assert "erin" not in everything.replace("Orphaned environment erin (other)", "")
    for environment in ("alice", "bob", "prod"):
        assert f"environment={environment}" not in json.dumps(terraform_calls(world, "destroy"))


def test_the_next_daily_run_closes_the_issues_of_destroyed_and_returned_environments(project_of, world, tmp_path):
    """After the destroy the state is gone; after bob's branch is pushed again bob is no orphan: both issues close,
    and no environment is destroyed."""
    project = with_settings(project_of("compute-app_service"), tmp_path, idle_days=30)
    state = sweep_world(30)
    state["az"]["blobs"] = [blob for blob in state["az"]["blobs"] if blob["name"] != "tok3n1/my-app/carol.tfstate"]
    state["gh"]["branches"]["env-bob"] = days_ago(0)
    state["gh"]["issues"].append({"number": 30, "title": "Orphaned environment bob (my-app)", "createdAt": days_ago(1)})
    world.set_state(state)
    run = daily(project, world, tmp_path / "run2")
    assert run.jobs["sweep"].result == "success", run.jobs["sweep"].log()
    closes = {argv[2]: argv for argv in world.argvs("gh") if argv[:2] == ["issue", "close"]}
    assert "no state any more" in option_value(closes["20"], "--comment")
    assert "`env-bob` of environment `bob` exists again" in option_value(closes["30"], "--comment")
    assert [call.jobs["resolve"].outputs["environment"] for call in run.called["destroy"]] == ["dave"]


def test_a_sweep_never_runs_when_branches_cannot_be_listed(project_of, world, tmp_path):
    """No branch list (GitHub failing, or an empty answer) is never read as "every environment is an orphan"."""
    state = sweep_world(None)
    state["gh"]["branches"] = {}
    world.set_state(state)
    run = daily(project_of("compute-app_service"), world, tmp_path / "run")
    assert run.jobs["list"].result == "failure"
    assert "refusing to treat every environment as an orphan" in run.jobs["list"].log()
    assert {run.jobs[job].result for job in ("plan", "sweep", "destroy", "report")} == {"skipped"}
    assert terraform_calls(world, "destroy") == [] and gh_writes(world) == []
