"""Compile each Jinja source once: within a copier run, and across runs through a cache file.

Copier renders every path part of every file through `from_string` (the same short sources, such as
"terraform" or "{% if nimbus.modules.redis %}redis{% endif %}", hundreds of times per run) and compiles every
templated file again on every `copier copy`. Compiling is pure: the same source, compiled by the same Jinja
with the same environment settings and extensions, gives the same code. So the code objects are kept in
memory for the run and saved, marshalled, in one file per environment fingerprint under the user's cache
directory (`$XDG_CACHE_HOME/nimbus`, else `~/.cache/nimbus`; `NIMBUS_CACHE_DIR` overrides, an empty value
turns the file off). An unreadable, foreign or damaged cache file is ignored and rewritten; an unwritable
cache directory only costs the time saved. Jinja's own FileSystemBytecodeCache does not help here: it keys
on the template's absolute file name, and copier renders from a new temporary clone every time.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import types
import weakref
from pathlib import Path

FORMAT = 1
# Entries of sources that older template versions had pile up in the same file; past this many, a save keeps
# only the entries its own run used.
MAX_ENTRIES = 2000


def cache_directory() -> Path | None:
    configured = os.environ.get("NIMBUS_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nimbus"


def fingerprint(environment) -> str:
    """What the generated code depends on besides the source: Python, Jinja, copier and the environment's
    syntax settings and extensions. A change to any of them selects another cache file."""
    import jinja2

    copier = sys.modules.get("copier")
    settings = [
        FORMAT,
        sys.version,
        jinja2.__version__,
        getattr(copier, "__version__", ""),
        type(environment).__module__,
        type(environment).__qualname__,
        sorted(
            f"{type(extension).__module__}.{type(extension).__qualname__}"
            for extension in environment.extensions.values()
        ),
    ]
    for attribute in (
        "block_start_string",
        "block_end_string",
        "variable_start_string",
        "variable_end_string",
        "comment_start_string",
        "comment_end_string",
        "line_statement_prefix",
        "line_comment_prefix",
        "trim_blocks",
        "lstrip_blocks",
        "newline_sequence",
        "keep_trailing_newline",
        "optimized",
        "is_async",
    ):
        settings.append(getattr(environment, attribute, None))
    # autoescape and finalize change the generated code; a callable is identified by its qualified name
    for attribute in ("autoescape", "finalize"):
        value = getattr(environment, attribute, None)
        settings.append(getattr(value, "__qualname__", value) if callable(value) else value)
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:24]


def with_filename(code: types.CodeType, filename: str) -> types.CodeType:
    """The cached code with this run's file name, so that template errors point at the file copier reads."""
    constants = tuple(
        with_filename(constant, filename) if isinstance(constant, types.CodeType) else constant
        for constant in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=constants)


def trusted(path: Path) -> bool:
    """Load code only from a file, in a folder, that the current user owns and nobody else may write to.

    The cache holds executable code: a shared or loosely permitted cache folder must not become a way to run
    someone else's code in this process (Jinja's own bytecode cache checks its folder the same way).
    """
    if not hasattr(os, "getuid"):  # Windows: the user's profile folder is private by default
        return True
    for candidate in (path.parent, path):
        status = candidate.stat()
        if status.st_uid != os.getuid() or status.st_mode & 0o022:
            return False
    return True


class CompileCache:
    """Code objects by source: in memory for this process, and in the cache file between processes."""

    def __init__(self, environment, directory: Path | None):
        # weak: the cache outlives its environment until saved, and must not keep it (and every template) alive
        self.environment = weakref.ref(environment)
        self.directory = directory
        self.path: Path | None = None
        self.code: dict[tuple, types.CodeType] = {}
        self.stored: dict[str, bytes] | None = None  # read at the first compile, once every extension is loaded
        self.added: dict[str, bytes] = {}
        self.used: set[str] = set()

    def _read(self) -> dict[str, bytes]:
        try:
            if not trusted(self.path):
                return {}
            stored = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        return stored if isinstance(stored, dict) else {}

    def _open(self) -> dict[str, bytes]:
        if self.stored is None:
            if self.directory:
                self.path = self.directory / f"jinja-{fingerprint(self.environment())}.marshal"
            self.stored = self._read() if self.path else {}
        return self.stored

    def compile(self, compile_source, source, name, filename, raw, defer_init):
        if raw or not isinstance(source, str):
            return compile_source(source, name, filename, raw, defer_init)
        memo_key = (source, name, filename, defer_init)
        if memo_key in self.code:
            return self.code[memo_key]
        stored = self._open()
        stored_key = hashlib.sha256(repr((source, name, defer_init)).encode()).hexdigest()
        self.used.add(stored_key)
        code = None
        if stored_key in stored:
            try:
                code = with_filename(marshal.loads(stored[stored_key]), filename or "<template>")
            except (EOFError, ValueError, TypeError):
                pass  # a damaged entry: compiled again below and replaced on save
        if code is None:
            code = compile_source(source, name, filename, raw, defer_init)
            if self.path:
                self.added[stored_key] = marshal.dumps(code)
        self.code[memo_key] = code
        return code

    def save(self) -> None:
        """Merge what this process compiled into the cache file, atomically (concurrent runs may lose a few)."""
        if not self.added or not self.path:
            return
        merged = self._read()
        merged.update(self.added)
        if len(merged) > MAX_ENTRIES:
            merged = {key: code for key, code in merged.items() if key in self.used}
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".jinja-", suffix=".tmp")
            with os.fdopen(handle, "wb") as stream:
                stream.write(marshal.dumps(merged))
            os.replace(temporary, self.path)
        except OSError:
            return  # a read-only or full disk: the next run compiles again
        self.added = {}


def install(environment) -> CompileCache:
    """Route `environment.compile` through a CompileCache. Its caller saves it when rendering is done; whatever
    is left unsaved is saved when the environment is collected or, at the latest, when the process exits."""
    cache = CompileCache(environment, cache_directory())
    compile_source = environment.compile

    def compile_once(source, name=None, filename=None, raw=False, defer_init=False):
        return cache.compile(compile_source, source, name, filename, raw, defer_init)

    environment.compile = compile_once
    weakref.finalize(environment, cache.save)
    return cache
