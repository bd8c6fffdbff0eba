"""Support for the GitOps tests: the fake az/gh/terraform/docker world, and a small GitHub Actions job runner.

The runner executes a rendered workflow's jobs the way Actions would, as far as the tests need: job order from
`needs`, `if:` conditions, `environment:`, job/step `env:`, `${{ }}` expressions (github, vars, env, needs,
steps, matrix, inputs, runner, job status functions), GITHUB_OUTPUT/GITHUB_ENV/GITHUB_STEP_SUMMARY files,
matrices, local composite actions (`uses: ./...`), and artifacts between jobs. Other `uses:` steps (checkout,
azure/login, setup-terraform, cache...) are recorded and skipped: every job starts from a fresh copy of the
rendered project, which is what checkout gives. `run:` scripts run with bash exactly as Actions runs them
(`bash --noprofile --norc -eo pipefail`), with the fakes first on PATH.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

FAKES = Path(__file__).resolve().parent / "fakes"
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
TENANT = "99999999-8888-7777-6666-555555555555"
CLIENT = "aaaaaaaa-0000-0000-0000-000000000001"
READER_CLIENT = "aaaaaaaa-0000-0000-0000-000000000004"
DEPLOYER_IP = "203.0.113.7"
# Environment variables of the machine that must not leak into a test (they steer az, terraform and gitops.py).
STEERING = re.compile(r"^(ARM_|AZURE_|TF_|NIMBUS_|GITHUB_|GH_|RUNNER_|ACTIONS_)")


# --------------------------------------------------------------------------------------------------------------
# The fake world
# --------------------------------------------------------------------------------------------------------------


class FakeWorld:
    """A folder holding the fakes' state (what exists in Azure/GitHub) and the log of every call they received."""

    def __init__(self, folder: Path, state: dict | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.log = folder / "calls.jsonl"
        self.state_file = folder / "state.json"
        self.set_state(state or {})

    def set_state(self, state: dict) -> None:
        self.state_file.write_text(json.dumps(state), encoding="utf-8")

    def env(self, **extra: str) -> dict:
        """The machine's environment, cleaned of anything that steers Azure tools, with the fakes first on PATH."""
        env = {key: value for key, value in os.environ.items() if not STEERING.match(key)}
        env["PATH"] = os.pathsep.join([str(FAKES), str(Path(sys.executable).parent), env.get("PATH", "")])
        env["NIMBUS_FAKE_LOG"] = str(self.log)
        env["NIMBUS_FAKE_STATE"] = str(self.state_file)
        env["NIMBUS_DEPLOYER_IP"] = DEPLOYER_IP  # never ask an IP echo service from a test
        env.update(extra)
        return env

    def calls(self, tool: str | None = None) -> list[dict]:
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [entry for entry in entries if tool is None or entry["tool"] == tool]

    def argvs(self, tool: str) -> list[list[str]]:
        return [entry["argv"] for entry in self.calls(tool)]

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


def days_ago(days: float) -> str:
    """A time `days` before now, written as GitHub and Azure print times."""
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_cli(project: Path, world: FakeWorld, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python3 scripts/gitops.py ARGS` in a rendered project, as a person would run it."""
    return subprocess.run(
        [sys.executable, "scripts/gitops.py", *args],
        cwd=project,
        env=world.env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def copy_project(project: Path, destination: Path) -> Path:
    """A private copy of a (shared, cached) rendered project that a test may change."""
    shutil.copytree(project, destination, ignore=shutil.ignore_patterns(".terraform", "tfplan"))
    return destination


def option_value(argv: list[str], name: str) -> str | None:
    for index, item in enumerate(argv):
        if item == name and index + 1 < len(argv):
            return argv[index + 1]
        if item.startswith(name + "="):
            return item[len(name) + 1 :]
    return None


def backend_settings(argv: list[str]) -> dict:
    return dict(item[len("-backend-config=") :].split("=", 1) for item in argv if item.startswith("-backend-config="))


# --------------------------------------------------------------------------------------------------------------
# GitHub Actions expressions
# --------------------------------------------------------------------------------------------------------------

TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = re.compile(r"\b(success|failure|always|cancelled)\s*\(")


class ExpressionError(Exception):
    pass


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot parse {text!r} at {position}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def truthy(value) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "") or isinstance(value, (dict, list))


def to_number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return math.nan
    return math.nan


def equal(left, right) -> bool:
    """Actions' loose equality: strings compare case-insensitively; other mixed types compare as numbers."""
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        return left is right
    if type(left) is type(right):
        return left == right
    return to_number(left) == to_number(right)


def to_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def lookup(value, key: str):
    if isinstance(value, dict):
        if key in value:
            return value[key]
        for name, item in value.items():  # context property names are case-insensitive
            if name.lower() == key.lower():
                return item
        return None
    if isinstance(value, list) and key.isdigit():
        index = int(key)
        return value[index] if index < len(value) else None
    return None


class Evaluator:
    def __init__(self, context: dict, status: dict):
        self.context, self.status = context, status

    def evaluate(self, text: str):
        self.tokens, self.position = tokenize(text), 0
        value = self.or_()
        if self.position != len(self.tokens):
            raise ExpressionError(f"trailing tokens in {text!r}")
        return value

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self, expected: str | None = None):
        token = self.peek()
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token}")
        self.position += 1
        return token

    def or_(self):
        value = self.and_()
        while self.peek()[1] == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self):
        value = self.comparison()
        while self.peek()[1] == "&&":
            self.take()
            right = self.comparison()
            value = right if truthy(value) else value
        return value

    def comparison(self):
        value = self.unary()
        operator = self.peek()[1]
        if operator in ("==", "!=", "<", ">", "<=", ">="):
            self.take()
            right = self.unary()
            if operator == "==":
                return equal(value, right)
            if operator == "!=":
                return not equal(value, right)
            left_number, right_number = to_number(value), to_number(right)
            return {
                "<": left_number < right_number,
                ">": left_number > right_number,
                "<=": left_number <= right_number,
                ">=": left_number >= right_number,
            }[operator]
        return value

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self):
        value = self.primary()
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                value = lookup(value, self.take()[1])
            else:
                key = self.or_()
                self.take("]")
                value = lookup(value, to_text(key))
        return value

    def primary(self):
        kind, text = self.take()
        if kind == "number":
            return float(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek()[1] == "(":
            self.take()
            args = []
            while self.peek()[1] != ")":
                args.append(self.or_())
                if self.peek()[1] == ",":
                    self.take()
            self.take(")")
            return self.call(text, args)
        return lookup(self.context, text)

    def call(self, name: str, args: list):
        lowered = name.lower()
        if lowered in ("success", "failure", "always", "cancelled"):
            return {
                "success": not self.status["failed"],
                "failure": self.status["failed"],
                "always": True,
                "cancelled": False,
            }[lowered]
        if lowered == "startswith":
            return to_text(args[0]).lower().startswith(to_text(args[1]).lower())
        if lowered == "endswith":
            return to_text(args[0]).lower().endswith(to_text(args[1]).lower())
        if lowered == "contains":
            haystack, needle = args
            if isinstance(haystack, list):
                return any(equal(item, needle) for item in haystack)
            return to_text(needle).lower() in to_text(haystack).lower()
        if lowered == "format":
            return re.sub(r"\{(\d+)\}", lambda match: to_text(args[1 + int(match.group(1))]), to_text(args[0]))
        if lowered == "fromjson":
            return json.loads(to_text(args[0]))
        if lowered == "tojson":
            return json.dumps(args[0])
        if lowered == "join":
            separator = to_text(args[1]) if len(args) > 1 else ","
            return separator.join(to_text(item) for item in args[0]) if isinstance(args[0], list) else to_text(args[0])
        if lowered == "hashfiles":
            return "0" * 64
        raise ExpressionError(f"unknown function {name}")


EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def interpolate(value, context: dict, status: dict):
    """A workflow value with every ${{ }} evaluated; a value that is one whole expression keeps its type."""
    if isinstance(value, dict):
        return {key: interpolate(item, context, status) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, context, status) for item in value]
    if not isinstance(value, str):
        return value
    whole = EXPRESSION.fullmatch(value.strip())
    if whole:
        return Evaluator(context, status).evaluate(whole.group(1))
    return EXPRESSION.sub(lambda match: to_text(Evaluator(context, status).evaluate(match.group(1))), value)


def condition(text, context: dict, status: dict) -> bool:
    """An `if:`, with Actions' implicit success() when the condition names no status function."""
    if text is None:
        return not status["failed"]
    if isinstance(text, bool):
        return text
    text = str(text).strip()
    whole = EXPRESSION.fullmatch(text)
    if whole:
        text = whole.group(1)
    if not STATUS_FUNCTIONS.search(text):
        text = f"success() && ({text})"
    return truthy(Evaluator(context, status).evaluate(text))


# --------------------------------------------------------------------------------------------------------------
# Jobs and workflows
# --------------------------------------------------------------------------------------------------------------


@dataclass
class StepRun:
    name: str
    kind: str  # run | uses | skipped
    outcome: str = "success"
    stdout: str = ""
    stderr: str = ""
    uses: str = ""


@dataclass
class JobRun:
    job_id: str
    result: str = "success"
    environment: str | None = None
    outputs: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    summary: str = ""
    matrix: dict | None = None
    step_outputs: dict = field(default_factory=dict)  # step id -> what the step wrote to GITHUB_OUTPUT
    signed_in_as: list = field(default_factory=list)  # the client-id of every azure/login step

    def log(self) -> str:
        return "\n".join(f"[{step.name}] {step.outcome}\n{step.stdout}{step.stderr}" for step in self.steps)


def load_workflow(path: Path) -> dict:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def parse_output_file(path: Path) -> dict:
    values, lines, index = {}, path.read_text(encoding="utf-8").splitlines() if path.exists() else [], 0
    while index < len(lines):
        line = lines[index]
        heredoc = re.match(r"^([^=<]+)<<(.+)$", line)
        if heredoc:
            key, delimiter, body = heredoc.group(1), heredoc.group(2), []
            index += 1
            while lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            values[key] = "\n".join(body)
        elif "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
        index += 1
    return values


class WorkflowRun:
    """Runs the jobs of one rendered workflow for one event."""

    def __init__(
        self,
        project: Path,
        workflow: str,
        world: FakeWorld,
        folder: Path,
        *,
        event_name: str,
        event: dict,
        ref: str,
        variables: dict | None = None,
        base_ref: str = "",
        head_ref: str = "",
        sha: str = "0123456789abcdef0123456789abcdef01234567",
        repository: str = "octo-org/shop",
        artifacts: dict | None = None,
        inputs: dict | None = None,
        secrets: dict | None = None,
    ):
        self.project, self.world, self.folder = project, world, folder
        self.inputs = dict(inputs or {})  # workflow_call / workflow_dispatch inputs
        self.called: dict[str, list[WorkflowRun]] = {}  # job id -> the reusable workflow runs it called
        self.document = load_workflow(project / ".github" / "workflows" / workflow)
        self.jobs: dict[str, JobRun] = {}
        self.artifacts: dict[str, dict[str, bytes]] = dict(artifacts or {})
        self.uses_seen: list[str] = []
        self.github = {
            "event_name": event_name,
            "event": event,
            "ref": ref,
            "ref_name": ref.split("/", 2)[-1],
            "sha": sha,
            "repository": repository,
            "repository_owner": repository.split("/")[0],
            "server_url": "https://github.com",
            "run_id": "4242",
            "base_ref": base_ref,
            "head_ref": head_ref,
            "token": "ghs_fake_token",
            "workspace": "",
            "actor": "alice",
        }
        self.variables = {
            "AZURE_CLIENT_ID": CLIENT,
            "AZURE_READER_CLIENT_ID": READER_CLIENT,
            "AZURE_TENANT_ID": TENANT,
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            **(variables or {}),
        }
        self.secrets = dict(secrets or {})
        self.counter = 0

    # -- public ----------------------------------------------------------------------------------------------

    def run(self, skip: dict[str, dict] | None = None) -> dict[str, JobRun]:
        """Run every job; `skip` maps job ids to the outputs a job that is not executed is pretended to give."""
        skip = skip or {}
        pending = list(self.document["jobs"])
        while pending:
            ready = [job for job in pending if all(need in self.jobs for need in self.needs_of(job))]
            assert ready, f"cyclic or unknown needs among {pending}"
            for job_id in ready:
                pending.remove(job_id)
                if job_id in skip:
                    self.jobs[job_id] = JobRun(job_id, outputs=skip[job_id])
                else:
                    self.jobs[job_id] = self.run_job(job_id)
        return self.jobs

    # -- jobs ------------------------------------------------------------------------------------------------

    def needs_of(self, job_id: str) -> list[str]:
        needs = self.document["jobs"][job_id].get("needs") or []
        return [needs] if isinstance(needs, str) else list(needs)

    def base_context(self) -> dict:
        return {
            "github": self.github,
            "vars": self.variables,
            "secrets": self.secrets,
            "inputs": self.inputs,
            "runner": {"os": "Linux", "temp": str(self.folder / "runner-temp"), "arch": "X64"},
        }

    def needs_context(self, job_id: str) -> dict:
        return {
            need: {"result": self.jobs[need].result, "outputs": self.jobs[need].outputs}
            for need in self.needs_of(job_id)
        }

    def run_job(self, job_id: str) -> JobRun:
        spec = self.document["jobs"][job_id]
        context = {**self.base_context(), "needs": self.needs_context(job_id)}
        needs_failed = any(self.jobs[need].result != "success" for need in self.needs_of(job_id))
        if not condition(spec.get("if"), context, {"failed": needs_failed}):
            return JobRun(job_id, result="skipped")
        matrix = (spec.get("strategy") or {}).get("matrix")
        combinations = [{}]
        if matrix:
            axes = interpolate(matrix, context, {"failed": False})
            for axis, values in axes.items():
                combinations = [{**combo, axis: value} for combo in combinations for value in values]
        if "uses" in spec:
            return self.call_workflow(job_id, spec, context, combinations if matrix else [None])
        if not matrix:
            return self.run_instance(job_id, spec, context, None)
        instances = [self.run_instance(job_id, spec, context, combo) for combo in combinations]
        merged = JobRun(job_id, result="failure" if any(i.result == "failure" for i in instances) else "success")
        merged.steps = [step for instance in instances for step in instance.steps]
        merged.summary = "".join(instance.summary for instance in instances)
        merged.outputs = instances[-1].outputs if instances else {}
        merged.environment = instances[-1].environment if instances else None
        self.instances = getattr(self, "instances", {})
        self.instances[job_id] = instances
        return merged

    def call_workflow(self, job_id: str, spec: dict, context: dict, combinations: list) -> JobRun:
        """A job that calls a reusable workflow of the same repository (`uses: ./.github/workflows/X.yml`): the
        called workflow runs with the caller's github context and the job's `with:` as its inputs."""
        uses = spec["uses"]
        assert uses.startswith("./.github/workflows/"), f"{job_id}: only local reusable workflows are supported"
        called = load_workflow(self.project / uses)
        assert "workflow_call" in called["on"], f"{uses} cannot be called (no on.workflow_call)"
        declared = called["on"]["workflow_call"].get("inputs") or {}
        runs = []
        for combo in combinations:
            arguments = interpolate(spec.get("with") or {}, {**context, "matrix": combo or {}}, {"failed": False})
            assert set(arguments) <= set(declared), f"{job_id}: inputs {set(arguments) - set(declared)} undeclared"
            inputs = {name: (item or {}).get("default", "") for name, item in declared.items()}
            inputs.update({name: to_text(value) for name, value in arguments.items()})
            self.counter += 1
            folder = self.folder / f"call-{self.counter}-{job_id}"
            folder.mkdir()
            run = WorkflowRun(
                self.project,
                Path(uses).name,
                self.world,
                folder,
                event_name=self.github["event_name"],
                event=self.github["event"],
                ref=self.github["ref"],
                variables=self.variables,
                sha=self.github["sha"],
                repository=self.github["repository"],
                inputs=inputs,
            )
            run.run()
            runs.append(run)
        self.called[job_id] = runs
        failed = any(job.result == "failure" for run in runs for job in run.jobs.values())
        merged = JobRun(job_id, result="failure" if failed else "success")
        merged.summary = "".join(job.summary for run in runs for job in run.jobs.values())
        return merged

    def run_instance(self, job_id: str, spec: dict, context: dict, matrix: dict | None) -> JobRun:
        self.counter += 1
        job = JobRun(job_id, matrix=matrix)
        workspace = copy_project(self.project, self.folder / f"work-{self.counter}-{job_id}")
        runner_temp = self.folder / f"temp-{self.counter}"
        runner_temp.mkdir()
        context = {**context, "matrix": matrix or {}, "steps": {}, "job": {"status": "success"}}
        context["runner"] = {**context["runner"], "temp": str(runner_temp)}
        status = {"failed": False}
        env = {}
        env.update(
            {
                k: to_text(v)
                for k, v in interpolate(self.document.get("env") or {}, {**context, "env": {}}, status).items()
            }
        )
        environment = interpolate(spec.get("environment"), {**context, "env": env}, status)
        job.environment = environment.get("name") if isinstance(environment, dict) else environment
        env.update(
            {k: to_text(v) for k, v in interpolate(spec.get("env") or {}, {**context, "env": env}, status).items()}
        )
        summary = runner_temp / "step-summary.md"
        summary.touch()
        self.run_steps(spec.get("steps") or [], job, context, env, status, workspace, runner_temp, summary)
        job.result = "failure" if status["failed"] else "success"
        job.summary = summary.read_text(encoding="utf-8")
        job.outputs = {
            key: to_text(value)
            for key, value in interpolate(spec.get("outputs") or {}, {**context, "env": env}, {"failed": False}).items()
        }
        return job

    def run_steps(self, steps, job, context, env, status, workspace, runner_temp, summary, inputs=None):
        for step in steps:
            step_context = {
                **context,
                "env": env,
                "inputs": inputs if inputs is not None else context.get("inputs", {}),
            }
            name = step.get("name") or step.get("uses") or (step.get("run") or "").splitlines()[0]
            if not condition(step.get("if"), step_context, status):
                job.steps.append(StepRun(name, "skipped", outcome="skipped"))
                continue
            step_env = {
                **env,
                **{k: to_text(v) for k, v in interpolate(step.get("env") or {}, step_context, status).items()},
            }
            outputs: dict = {}
            if "uses" in step:
                outcome = self.run_uses(step, job, step_context, env, status, workspace, runner_temp, summary, name)
            else:
                outcome, outputs = self.run_script(step, job, step_env, env, workspace, runner_temp, summary, name)
            if step.get("id"):
                context["steps"][step["id"]] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
                job.step_outputs[step["id"]] = outputs
            if outcome == "failure" and not step.get("continue-on-error"):
                status["failed"] = True

    def run_uses(self, step, job, context, env, status, workspace, runner_temp, summary, name) -> str:
        uses = step["uses"]
        self.uses_seen.append(uses)
        arguments = interpolate(step.get("with") or {}, context, status)
        if uses.startswith("./"):
            action = yaml.safe_load((workspace / uses / "action.yml").read_text(encoding="utf-8"))
            inputs = {key: to_text(spec.get("default", "")) for key, spec in (action.get("inputs") or {}).items()}
            inputs.update({key: to_text(value) for key, value in arguments.items()})
            before = status["failed"]
            self.run_steps(action["runs"]["steps"], job, context, env, status, workspace, runner_temp, summary, inputs)
            job.steps.append(StepRun(name, "uses", uses=uses))
            return "failure" if status["failed"] and not before else "success"
        if uses.startswith("actions/upload-artifact@"):
            source = workspace / arguments["path"]
            files = {str(path.relative_to(source)): path.read_bytes() for path in source.rglob("*") if path.is_file()}
            if not files and arguments.get("if-no-files-found") == "error":
                job.steps.append(StepRun(name, "uses", outcome="failure", uses=uses))
                return "failure"
            self.artifacts[arguments["name"]] = files
        elif uses.startswith("azure/login@"):
            job.signed_in_as.append(arguments["client-id"])
        elif uses.startswith("actions/download-artifact@"):
            target = workspace / arguments.get("path", ".")
            if arguments.get("name"):
                chosen = [arguments["name"]]
            else:
                pattern = re.compile(arguments.get("pattern", "*").replace("*", ".*"))
                chosen = [artifact for artifact in self.artifacts if pattern.fullmatch(artifact)]
            for artifact in chosen:
                folder = target if arguments.get("merge-multiple") or arguments.get("name") else target / artifact
                for relative, data in self.artifacts[artifact].items():
                    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                    (folder / relative).write_bytes(data)
        job.steps.append(StepRun(name, "uses", uses=uses))
        return "success"

    def run_script(self, step, job, step_env, env, workspace, runner_temp, summary, name):
        script = step["run"]
        # The workflows pass every value through env: a ${{ }} inside a script would be a script injection.
        assert "${{" not in script, f"{job.job_id}/{name}: run script interpolates an expression"
        output_file, env_file, path_file = (
            runner_temp / f"{kind}-{len(job.steps)}" for kind in ("output", "env", "path")
        )
        for item in (output_file, env_file, path_file):
            item.write_text("", encoding="utf-8")
        script_file = runner_temp / f"step-{len(job.steps)}.sh"
        script_file.write_text(script, encoding="utf-8")
        github = self.github
        process_env = self.world.env(
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(workspace),
            GITHUB_REF=github["ref"],
            GITHUB_REF_NAME=github["ref_name"],
            GITHUB_SHA=github["sha"],
            GITHUB_REPOSITORY=github["repository"],
            GITHUB_EVENT_NAME=github["event_name"],
            GITHUB_BASE_REF=github["base_ref"],
            GITHUB_HEAD_REF=github["head_ref"],
            GITHUB_SERVER_URL=github["server_url"],
            GITHUB_RUN_ID=github["run_id"],
            GITHUB_ACTOR=github["actor"],
            RUNNER_TEMP=str(runner_temp),
            RUNNER_OS="Linux",
            GITHUB_OUTPUT=str(output_file),
            GITHUB_ENV=str(env_file),
            GITHUB_PATH=str(path_file),
            GITHUB_STEP_SUMMARY=str(summary),
        )
        process_env.update(step_env)
        working_directory = workspace / step.get("working-directory", ".")
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=working_directory,
            env=process_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        outcome = "success" if result.returncode == 0 else "failure"
        job.steps.append(StepRun(name, "run", outcome, result.stdout, result.stderr))
        env.update(parse_output_file(env_file))
        return outcome, parse_output_file(output_file)


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)
