"""hooks/compile_cache.py: Jinja sources compiled once, reused across copier runs without changing a byte."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import traceback
from pathlib import Path

import jinja2
import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment

from conftest import TEST_TOKEN, render
from matrix import CLASSICS, make
from upgrade_support import tree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hooks"))
import compile_cache  # noqa: E402

COPIER = str(Path(sys.executable).parent / "copier")


class CompileCounter:
    """Counts the template sources Jinja really compiles (the cache calls the environment's original compile).

    Copier also hands Jinja non-string answers (True, 3) as sources; those are compiled as they come.
    """

    def __init__(self, monkeypatch):
        self.calls = 0
        original = jinja2.Environment.compile

        def counting(environment, source, *args, **kwargs):
            self.calls += isinstance(source, str)
            return original(environment, source, *args, **kwargs)

        monkeypatch.setattr(jinja2.Environment, "compile", counting)


def render_fullest(template_repo: Path, destination: Path, *, tasks: bool = False) -> Path:
    return render(template_repo, destination, make(**CLASSICS["fullest"]), tasks=tasks)


def copier_cli(template_repo: Path, destination: Path, tmp_path: Path, cache_dir: Path) -> Path:
    """`copier copy` in its own process, as a user runs it: the cache file is written at the latest on exit."""
    answers = tmp_path / "fullest.yml"
    answers.write_text(yaml.safe_dump({"repository_token": TEST_TOKEN, **make(**CLASSICS["fullest"])}))
    command = [COPIER, "copy", "--trust", "--defaults", "--quiet", "--skip-tasks", "--data-file", str(answers)]
    environment = {**os.environ, "NIMBUS_CACHE_DIR": str(cache_dir)}
    subprocess.run([*command, str(template_repo), str(destination)], check=True, env=environment)
    return destination


def test_a_warm_cache_renders_the_same_project_without_compiling(template_repo, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    cold = copier_cli(template_repo, tmp_path / "cold", tmp_path, cache_dir)
    (cache_file,) = cache_dir.glob("jinja-*.marshal")
    saved = cache_file.read_bytes()

    monkeypatch.setenv("NIMBUS_CACHE_DIR", str(cache_dir))
    counter = CompileCounter(monkeypatch)
    warm = render_fullest(template_repo, tmp_path / "warm")
    assert counter.calls == 0, "every source was in the cache file"
    assert tree(warm) == tree(cold)
    gc.collect()
    assert cache_file.read_bytes() == saved, "a run that compiled nothing new leaves the file alone"

    monkeypatch.setenv("NIMBUS_CACHE_DIR", "")  # off: compiles everything, writes nothing
    uncached = render_fullest(template_repo, tmp_path / "uncached")
    assert counter.calls > 100
    assert tree(uncached) == tree(cold)
    assert list(cache_dir.iterdir()) == [cache_file]


def test_the_cache_file_is_saved_once_rendering_is_done(template_repo, tmp_path, monkeypatch):
    """Not only when the process exits: a long-lived process (an IDE plugin, this test run) benefits at once."""
    monkeypatch.setenv("NIMBUS_CACHE_DIR", str(tmp_path / "cache"))
    render_fullest(template_repo, tmp_path / "first", tasks=True)
    assert list((tmp_path / "cache").glob("jinja-*.marshal"))


def test_a_damaged_cache_file_is_ignored_and_rewritten(template_repo, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("NIMBUS_CACHE_DIR", str(cache_dir))
    reference = render_fullest(template_repo, tmp_path / "reference", tasks=True)
    (cache_file,) = cache_dir.glob("jinja-*.marshal")
    cache_file.write_bytes(b"\x00not a marshal stream")
    damaged = render_fullest(template_repo, tmp_path / "damaged", tasks=True)
    assert tree(damaged) == tree(reference)  # .git aside: its commits carry their own times
    counter = CompileCounter(monkeypatch)
    render_fullest(template_repo, tmp_path / "after")
    assert counter.calls == 0, "the damaged file was replaced by a complete one"


@pytest.mark.parametrize("loosened", ["file", "folder"])
def test_a_cache_others_may_write_to_is_not_loaded(template_repo, tmp_path, monkeypatch, loosened):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("NIMBUS_CACHE_DIR", str(cache_dir))
    render_fullest(template_repo, tmp_path / "first", tasks=True)
    (cache_file,) = cache_dir.glob("jinja-*.marshal")
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    (cache_file if loosened == "file" else cache_dir).chmod(0o777 if loosened == "folder" else 0o666)
    counter = CompileCounter(monkeypatch)
    render_fullest(template_repo, tmp_path / "second")
    assert counter.calls > 100, "code from a file others may have written is never run"


def test_an_unwritable_cache_directory_only_costs_time(template_repo, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be created under a file\n")
    monkeypatch.setenv("NIMBUS_CACHE_DIR", str(blocker / "cache"))
    project = render_fullest(template_repo, tmp_path / "project")
    assert (project / "terraform" / "main.tf").is_file()
    assert blocker.read_text() == "the cache directory cannot be created under a file\n"


def test_cached_code_reports_errors_against_the_current_template_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NIMBUS_CACHE_DIR", str(tmp_path / "cache"))
    source = "line one\n{{ missing.attribute }}\n"

    def template_from(clone: Path):
        (clone / "page.jinja").parent.mkdir(parents=True, exist_ok=True)
        (clone / "page.jinja").write_text(source)
        environment = SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(clone)), undefined=jinja2.StrictUndefined)
        cache = compile_cache.install(environment)
        template = environment.get_template("page.jinja")
        cache.save()
        return template

    template_from(tmp_path / "clone-1")
    counter = CompileCounter(monkeypatch)
    template = template_from(tmp_path / "clone-2")
    assert counter.calls == 0, "loaded from the cache file"
    assert template.filename == str(tmp_path / "clone-2" / "page.jinja")
    with pytest.raises(jinja2.UndefinedError) as raised:
        template.render()
    frames = traceback.extract_tb(raised.value.__traceback__)
    assert (str(tmp_path / "clone-2" / "page.jinja"), 2) in [(frame.filename, frame.lineno) for frame in frames]
    assert not any("clone-1" in frame.filename for frame in frames)


def test_environments_that_generate_different_code_use_different_cache_files():
    def fingerprint(**settings):
        return compile_cache.fingerprint(SandboxedEnvironment(**settings))

    assert fingerprint() == fingerprint()
    assert fingerprint(variable_start_string="[[", variable_end_string="]]") != fingerprint()
    assert fingerprint(trim_blocks=True) != fingerprint()
    assert fingerprint(autoescape=True) != fingerprint()
    assert fingerprint(extensions=["jinja2.ext.do"]) != fingerprint()
    assert compile_cache.fingerprint(jinja2.Environment()) != fingerprint()
