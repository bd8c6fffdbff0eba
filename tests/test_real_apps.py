"""Real apps deploy unchanged: the generated build job's `run:` steps build the fixture apps of tests/apps/ for real
(npm, pip), the artifact is unpacked and started the way its platform starts it, and its health path answers 200.

npm and pip downloads are cached in one folder per test session; the tests are marked slow.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from gitops_support import FakeWorld, WorkflowRun, copy_project

APPS = Path(__file__).parent / "apps"
JOBS_NOT_BUILT = ("resolve", "infrastructure", "deploy", "summary")
# What a team sets as its App Service startup command (terraform/environments/_all.tfvars, startup_command).
FLASK_STARTUP = "flask db upgrade && gunicorn --bind=0.0.0.0:$PORT app:app"
DJANGO_STARTUP = "python manage.py migrate --no-input && gunicorn --bind=0.0.0.0:$PORT mysite.wsgi"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture
def cached(downloads, monkeypatch):
    monkeypatch.setenv("npm_config_cache", str(downloads / "npm"))
    monkeypatch.setenv("npm_config_update_notifier", "false")
    monkeypatch.setenv("PIP_CACHE_DIR", str(downloads / "pip"))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return downloads


def build(rendered, answer_set: str, app: Path, tmp_path: Path):
    """Run the build job of `answer_set`'s workflow on a repository holding the app; (job, artifact)."""
    repository = copy_project(rendered(answer_set), tmp_path / "repository")
    shutil.copytree(app, repository, dirs_exist_ok=True, symlinks=True)
    run = WorkflowRun(
        repository,
        "environment.yml",
        FakeWorld(tmp_path / "world"),
        tmp_path,
        event_name="push",
        event={},
        ref="refs/heads/env-alice",
    )
    jobs = run.run(skip={job: {} for job in JOBS_NOT_BUILT})
    job = jobs["build"]
    assert job.result == "success", job.log()
    return job, run.artifacts["app"]


def unpack(artifact: dict, tmp_path: Path) -> tuple[Path, list[str]]:
    """The deployed package: app.zip unpacked with `unzip` (as the platform does: symlinks restored)."""
    archive = tmp_path / "app.zip"
    archive.write_bytes(artifact["app.zip"])
    site = tmp_path / "site"
    subprocess.run(["unzip", "-q", str(archive), "-d", str(site)], check=True)
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
    return site, names


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(command: list[str], cwd: Path, env: dict, port: int, path: str) -> tuple[int, str]:
    """Start the app, wait (at most 60 s) for `path` to answer over loopback, stop it; (status, body)."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"{command} exited with {process.returncode}:\n{process.stdout.read()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", path)
                response = connection.getresponse()
                return response.status, response.read().decode()
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"{command} did not answer on port {port} within 60 s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def oryx_site_packages(site: Path, tmp_path: Path) -> dict:
    """What App Service's Oryx build does at deploy time (SCM_DO_BUILD_DURING_DEPLOYMENT): a virtualenv with the
    package's requirements.txt; the environment of the startup command that runs in it."""
    venv = tmp_path / "antenv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(site / "requirements.txt")]
    subprocess.run(install, check=True, timeout=300)

    return {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}


# --------------------------------------------------------------------------------------------------------------
# Node
# --------------------------------------------------------------------------------------------------------------


def test_express_app_without_a_lock_file_builds_with_a_warning_and_starts_its_cli(rendered, cached, tmp_path):
    job, artifact = build(rendered, "runtime-nodejs", APPS / "express-no-lock", tmp_path)
    assert job.step_outputs["pm"] == {"manager": "npm", "cache": ""}, "no lock file: setup-node must get no cache"
    assert "No package-lock.json" in job.summary
    site, names = unpack(artifact, tmp_path)
    # The app's own scripts/ is in, nimbus's own files are out, the .bin entry is still a link.
    assert "scripts/greeting.js" in names and "server.js" in names
    assert not [name for name in names if name.startswith((".github/", "terraform/", ".git/"))]
    assert "scripts/gitops.py" not in names and not [name for name in names if name.startswith("scripts/nimbus_gitops")]
    assert (site / "node_modules" / ".bin" / "cross-env").is_symlink()


    port = free_port()
    environment = {**os.environ, "PORT": str(port), "NODE_ENV": "production"}
    status, body = serve(["npm", "start", "--silent"], site, environment, port, "/health")
    assert status == 200, body
    assert '"greeting":"hello from scripts/"' in body


def test_typescript_functions_app_ships_its_compiled_dist_without_dev_dependencies(rendered, cached, tmp_path):
    job, artifact = build(rendered, "pairwise-05", APPS / "functions-typescript", tmp_path)  # Node.js on Functions
    assert job.step_outputs["pm"] == {"manager": "npm", "cache": "npm"}, "lock file: npm ci with setup-node's cache"
    assert "No package-lock.json" not in job.summary
    site, names = unpack(artifact, tmp_path)
    assert "dist/index.js" in names and "host.json" in names
    assert not [name for name in names if name.startswith("node_modules/typescript/")], "dev dependencies pruned"


    port = free_port()
    # The Functions host loads package.json's "main"; here the compiled module serves the health route itself.
    entry = site / json.loads((site / "package.json").read_text())["main"]
    status, body = serve(["node", str(entry)], site, {**os.environ, "PORT": str(port)}, port, "/api/health")
    assert status == 200 and '"compiled":true' in body, body


# --------------------------------------------------------------------------------------------------------------
# Python
# --------------------------------------------------------------------------------------------------------------


def test_flask_app_migrates_its_database_and_answers_under_the_app_service_startup_command(rendered, cached, tmp_path):
    job, artifact = build(rendered, "runtime-python", APPS / "flask-migrate", tmp_path)
    site, names = unpack(artifact, tmp_path)
    assert "migrations/versions/0001_visits.py" in names and "requirements.txt" in names
    environment = oryx_site_packages(site, tmp_path)
    port = free_port()
    database = tmp_path / "data" / "app.db"
    database.parent.mkdir()
    environment.update(PORT=str(port), DATABASE_URL=f"sqlite:///{database}")
    status, body = serve(["sh", "-c", FLASK_STARTUP], site, environment, port, "/health")
    assert status == 200, body
    assert '"visits":1' in body.replace(" ", "")
    # In Azure DATABASE_URL has the form of docs/reference/app-settings.md (SQLAlchemy's, naming psycopg2): the app
    # takes it as it is, with the driver its requirements.txt ships (no connection is made here).
    environment["DATABASE_URL"] = "postgresql+psycopg2://appadmin:p%40ss@psql.example:5432/app?sslmode=require"
    check = "from app import app, db\nwith app.app_context(): print(db.engine.dialect.driver, db.engine.url.host)"
    engine = subprocess.run(["python", "-c", check], cwd=site, env=environment, capture_output=True, text=True)
    assert engine.stdout.split() == ["psycopg2", "psql.example"], engine.stderr


def test_django_app_reads_its_own_setting_and_migrates_under_the_startup_command(rendered, cached, tmp_path):
    job, artifact = build(rendered, "runtime-python", APPS / "django-site", tmp_path)
    site, names = unpack(artifact, tmp_path)
    assert "manage.py" in names and "mysite/wsgi.py" in names
    environment = oryx_site_packages(site, tmp_path)
    port = free_port()
    environment.update(
        PORT=str(port), DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", SQLITE_PATH=str(tmp_path / "db.sqlite3")
    )
    status, body = serve(["sh", "-c", DJANGO_STARTUP], site, environment, port, "/health")
    assert status == 200, body
    assert '"users": 0' in body


def test_python_app_with_only_pyproject_gets_a_requirements_file_every_host_installs(rendered, cached, tmp_path):
    """No requirements.txt: the build writes one from pyproject.toml's [project] dependencies into the package."""
    app = tmp_path / "app-source"
    shutil.copytree(APPS / "flask-migrate", app)
    requirements = [line for line in (app / "requirements.txt").read_text().splitlines() if line]
    (app / "requirements.txt").unlink()
    listed = ", ".join(f'"{line}"' for line in requirements)
    (app / "pyproject.toml").write_text(f'[project]\nname = "shop"\nversion = "1.0"\ndependencies = [{listed}]\n')
    job, artifact = build(rendered, "runtime-python", app, tmp_path / "build")
    site, names = unpack(artifact, tmp_path)
    written = (site / "requirements.txt").read_text()
    assert [line for line in written.splitlines() if not line.startswith("#")] == requirements, written


# --------------------------------------------------------------------------------------------------------------
# Java (layout only)
# --------------------------------------------------------------------------------------------------------------


def test_spring_boot_layout_deploys_the_executable_jar(rendered, tmp_path):
    """The build job on a Maven project whose wrapper is a stub (the jars a real build leaves are put in target/):
    App Service gets the repackaged executable jar, not a larger javadoc jar nor the thin original."""
    app = tmp_path / "app"
    shutil.copytree(APPS / "spring-layout", app)
    (app / "mvnw").write_text("#!/bin/sh\necho stub Maven wrapper: the jars are already in target/\n")
    (app / "mvnw").chmod(0o755)
    target = app / "target"
    target.mkdir()
    (target / "shop-1.0.0.jar").write_bytes(b"boot" * 5000)  # the repackaged, executable jar
    (target / "shop-1.0.0.jar.original").write_bytes(b"thin")
    (target / "original-shop-1.0.0.jar").write_bytes(b"thin" * 100)
    (target / "shop-1.0.0-javadoc.jar").write_bytes(b"docs" * 9000)  # larger, never executable
    (target / "shop-1.0.0-sources.jar").write_bytes(b"src" * 8000)
    job, artifact = build(rendered, "compute-app_service", app, tmp_path / "build")  # Spring Boot, Maven
    assert artifact == {"app.jar": b"boot" * 5000}


def test_python_function_app_carries_its_dependencies_where_the_functions_host_looks(rendered, cached, tmp_path):
    app = tmp_path / "function-app"
    app.mkdir()
    (app / "host.json").write_text('{"version": "2.0"}\n')
    (app / "requirements.txt").write_text("six==1.16.0\n")
    (app / "function_app.py").write_text("import six\n\nGREETING = six.ensure_str(b'hello')\n")
    job, artifact = build(rendered, "python-functions-storage", app, tmp_path / "build")
    site, names = unpack(artifact, tmp_path)
    assert ".python_packages/lib/site-packages/six.py" in names and "function_app.py" in names
    # The host puts .python_packages/lib/site-packages on the worker's path, then imports function_app.
    environment = {**os.environ, "PYTHONPATH": str(site / ".python_packages" / "lib" / "site-packages")}
    loaded = subprocess.run(
        [sys.executable, "-S", "-c", "import function_app; print(function_app.GREETING)"],
        cwd=site,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert loaded.stdout.strip() == "hello", loaded.stderr


BUILD_SCRIPT = Path(".github") / "nimbus" / "build.py"


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"package.json": "{}"}, {"manager": "npm", "cache": ""}),
        ({"package.json": "{}", "package-lock.json": "{}"}, {"manager": "npm", "cache": "npm"}),
        ({"package.json": "{}", "pnpm-lock.yaml": ""}, {"manager": "pnpm", "cache": "pnpm"}),
        ({"package.json": "{}", "yarn.lock": ""}, {"manager": "yarn", "cache": "yarn"}),
        ({"package.json": '{"packageManager": "pnpm@9.12.0"}'}, {"manager": "pnpm", "cache": ""}),
    ],
    ids=["no-lock", "npm-lock", "pnpm-lock", "yarn-lock", "packageManager-without-lock"],
)
def test_the_package_manager_and_setup_nodes_cache_come_from_the_repository(rendered, tmp_path, files, expected):
    """setup-node's `cache` needs a lock file to hash: without one it is empty (setup-node would fail)."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    output = tmp_path / "github-output"
    # A stand-in corepack records the call (the real one would install pnpm/yarn shims machine-wide).
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "corepack").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "corepack-calls"}\n')
    (stubs / "corepack").chmod(0o755)
    subprocess.run(
        [sys.executable, str(rendered("runtime-nodejs") / BUILD_SCRIPT), "detect", "--family", "node"],
        cwd=tmp_path,
        env={**os.environ, "GITHUB_OUTPUT": str(output), "PATH": f"{stubs}:{os.environ['PATH']}"},
        check=True,
    )
    assert dict(line.split("=", 1) for line in output.read_text().splitlines()) == expected
    # pnpm/yarn must be on PATH before setup-node asks them for their cache folder
    calls = (tmp_path / "corepack-calls").read_text() if (tmp_path / "corepack-calls").exists() else ""
    assert calls == ("enable\n" if expected["cache"] in ("pnpm", "yarn") else "")


def test_packaging_refuses_a_folder_inside_the_app_and_a_build_without_package_json(rendered, tmp_path):
    script = str(rendered("runtime-nodejs") / BUILD_SCRIPT)
    (tmp_path / "package.json").write_text("{}")
    inside = subprocess.run(
        [sys.executable, script, "package", "--out", "dist"], cwd=tmp_path, capture_output=True, text=True
    )
    assert inside.returncode == 1 and "must be outside the app's tree" in inside.stderr
    assert not (tmp_path / "dist").exists(), "refused before writing"
    (tmp_path / "package.json").unlink()
    missing = subprocess.run(
        [sys.executable, script, "build", "--family", "node"], cwd=tmp_path, capture_output=True, text=True
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "::error title=nimbus::package.json not found at the repository root: a Node.js app needs one"
    )


@pytest.fixture(scope="module")
def python_image_project(template_repo, tmp_path_factory):
    from conftest import render
    from matrix import make

    answers = make(compute="container_apps", runtime="python")
    return render(template_repo, tmp_path_factory.mktemp("py-image") / "project", answers)


@pytest.mark.parametrize(
    "settings, expected",
    [
        ({}, "gunicorn --bind 0.0.0.0:8080 app:app"),
        ({"APP_MODULE": "mysite.wsgi:application"}, "gunicorn --bind 0.0.0.0:8080 mysite.wsgi:application"),
        ({"APP_MODULE": "main:app", "APP_SERVER": "uvicorn"}, "uvicorn --host 0.0.0.0 --port 8080 main:app"),
    ],
)
def test_python_image_runs_the_server_and_module_its_settings_name(python_image_project, tmp_path, settings, expected):
    """The image's CMD, run with the image's ENV defaults and the Container App's settings on top (stand-in
    servers on PATH print what they were asked to serve)."""
    dockerfile = (python_image_project / "Dockerfile").read_text()
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, re.MULTILINE))
    env_line = re.search(r"^ENV (.+)$", dockerfile, re.MULTILINE).group(1)
    image_env = {
        name: defaults[value[2:-1]] if value.startswith("${") else value
        for name, value in (item.split("=", 1) for item in env_line.split())
    }
    command = json.loads(re.search(r"^CMD (\[.+\])$", dockerfile, re.MULTILINE).group(1))
    servers = tmp_path / "bin"
    servers.mkdir()
    for server in ("gunicorn", "uvicorn"):
        (servers / server).write_text(f'#!/bin/sh\necho {server} "$@"\n')
        (servers / server).chmod(0o755)
    environment = {"PATH": f"{servers}:/usr/bin:/bin", **image_env, **settings}
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == expected
