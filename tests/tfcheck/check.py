"""Offline `terraform validate`: schema, module-call and reference checks.

Each directory holding .tf files is a module. For every module the checks
follow what Terraform itself reports at validate time:

* resource / data / provider blocks against the provider schema: unsupported
  or read-only arguments, unsupported blocks, missing required arguments,
  too few / too many blocks (dynamic blocks count as the block they make);
* module calls: every argument is a variable of the called module, every
  variable without a default is passed, and `module.x.y` names an output;
* references: var., local., module., data., resource references resolve,
  instance keys match count/for_each, attribute paths exist in the schema
  (stopping at splats), each./count./self. appear only where allowed;
* outputs that expose sensitive values must be `sensitive = true`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .fmt import check_fmt
from .hcl import NOT_LITERAL, Attribute, Block, ParseError, Ref, parse_cached
from .schema import REFRESH_HINT, Schema, load_schema

RESOURCE_META_ATTRS = {"count", "for_each", "depends_on", "provider"}
RESOURCE_META_BLOCKS = {"lifecycle", "connection", "provisioner"}
MODULE_META_ATTRS = {"source", "version", "count", "for_each", "depends_on", "providers"}
TOP_LEVEL_BLOCKS = {
    "terraform",
    "provider",
    "variable",
    "locals",
    "output",
    "module",
    "resource",
    "data",
    "moved",
    "import",
    "removed",
    "check",
    "ephemeral",
}
VARIABLE_ATTRS = {"type", "default", "description", "sensitive", "nullable", "ephemeral"}
OUTPUT_ATTRS = {"value", "description", "sensitive", "depends_on", "ephemeral"}
CONDITION = {"attributes": {"condition": {"mode": "required"}, "error_message": {"mode": "required"}}, "blocks": {}}
PRIMITIVES = {"string", "number", "bool"}


# -- parsing, cached by file content (rendered projects share most files) -------------------
@dataclass
class ParsedFile:
    body: Block | None
    syntax_error: tuple | None  # (line, message)
    fmt: list  # (line, message) pairs, see fmt.fmt_problems


_CACHE: dict[str, ParsedFile] = {}


def parse_file(text: str) -> ParsedFile:
    key = hashlib.sha1(text.encode("utf-8")).hexdigest()
    hit = _CACHE.get(key)
    if hit is None:
        try:
            hit = ParsedFile(parse_cached(text), None, [])
        except ParseError as e:
            hit = ParsedFile(None, (e.line, e.msg), [])
        _CACHE[key] = hit
    return hit


# -- module model ---------------------------------------------------------------------------
@dataclass
class Module:
    path: Path
    files: list = field(default_factory=list)  # (relative file name, ParsedFile)
    variables: dict = field(default_factory=dict)  # name -> (Block, file)
    locals: dict = field(default_factory=dict)  # name -> (Attribute, file)
    outputs: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)
    resources: dict = field(default_factory=dict)  # (type, name) -> (Block, file)
    data: dict = field(default_factory=dict)
    provider_aliases: set = field(default_factory=set)  # "azurerm.hub"


@dataclass
class Ctx:
    """Where an expression sits: which extra names are in scope."""

    module: Module
    file: str
    where: str
    each: bool = False
    count: bool = False
    self_ok: bool = False
    bound: frozenset = frozenset()


def _literal(attr: Attribute | None):
    return None if attr is None or attr.value is NOT_LITERAL else attr.value


def _has_repetition(block: Block) -> bool:
    return "count" in block.attrs or "for_each" in block.attrs


class Checker:
    def __init__(self, root: Path, schema: Schema, rel_base: Path):
        self.root = root
        self.schema = schema
        self.rel_base = rel_base
        self.problems: list[tuple] = []  # (file, line, text)
        self.modules: dict[Path, Module] = {}

    # -- reporting --------------------------------------------------------------------------
    def err(self, file: str, line: int, where: str, msg: str) -> None:
        self.problems.append((file, line, f"{file}:{line}: {where}: {msg}" if where else f"{file}:{line}: {msg}"))

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.rel_base))
        except ValueError:
            return str(path)

    # -- loading -----------------------------------------------------------------------------
    def load(self, directory: Path) -> Module:
        directory = directory.resolve()
        if directory in self.modules:
            return self.modules[directory]
        mod = Module(directory)
        self.modules[directory] = mod
        for f in sorted(directory.glob("*.tf")):
            name = self.rel(f)
            parsed = parse_file(f.read_text(encoding="utf-8"))
            mod.files.append((name, parsed))
            if parsed.body is not None:
                self.index(mod, name, parsed.body)
        return mod

    def index(self, mod: Module, file: str, body: Block) -> None:
        def define(table: dict, key, block, what: str):
            if key in table:
                first = table[key]
                self.err(file, block.line, what, f"duplicate definition (first defined in {first[1]}:{first[0].line})")
            else:
                table[key] = (block, file)

        for name, attr in body.attrs.items():
            self.err(file, attr.line, "", f"unsupported argument {name!r} at the top level of a .tf file")
        for b in body.blocks:
            if b.type not in TOP_LEVEL_BLOCKS:
                self.err(file, b.line, "", f"unsupported block type {b.type!r}")
                continue
            want = {
                "resource": 2,
                "data": 2,
                "ephemeral": 2,
                "variable": 1,
                "output": 1,
                "module": 1,
                "provider": 1,
                "locals": 0,
                "terraform": 0,
            }.get(b.type)
            if want is not None and len(b.labels) != want:
                self.err(file, b.line, b.type, f"a {b.type} block takes {want} label(s), found {len(b.labels)}")
                continue
            if b.type == "resource":
                define(mod.resources, tuple(b.labels), b, ".".join(b.labels))
            elif b.type == "data":
                define(mod.data, tuple(b.labels), b, "data." + ".".join(b.labels))
            elif b.type == "variable":
                define(mod.variables, b.labels[0], b, f"var.{b.labels[0]}")
            elif b.type == "output":
                define(mod.outputs, b.labels[0], b, f"output.{b.labels[0]}")
            elif b.type == "module":
                define(mod.calls, b.labels[0], b, f"module.{b.labels[0]}")
            elif b.type == "locals":
                for name, attr in b.attrs.items():
                    if name in mod.locals:
                        first = mod.locals[name]
                        self.err(
                            file,
                            attr.line,
                            f"local.{name}",
                            f"duplicate local value (first defined in {first[1]}:{first[0].line})",
                        )
                    else:
                        mod.locals[name] = (attr, file)
            elif b.type == "provider":
                alias = _literal(b.attrs.get("alias"))
                if isinstance(alias, str):
                    mod.provider_aliases.add(f"{b.labels[0]}.{alias}")
            elif b.type == "terraform":
                for rp in (x for x in b.blocks if x.type == "required_providers"):
                    for attr in rp.attrs.values():
                        for ref in attr.refs:  # configuration_aliases = [azurerm.hub]
                            if ref.steps and ref.steps[0][0] == "attr":
                                mod.provider_aliases.add(f"{ref.root}.{ref.steps[0][1]}")

    # -- whole module --------------------------------------------------------------------------
    def check_module(self, mod: Module) -> None:
        for file, parsed in mod.files:
            if parsed.syntax_error:
                self.err(file, parsed.syntax_error[0], "", f"syntax error: {parsed.syntax_error[1]}")
        for b, file in mod.resources.values():
            self.check_resource(mod, b, file, data=False)
        for b, file in mod.data.values():
            self.check_resource(mod, b, file, data=True)
        for name, (b, file) in mod.calls.items():
            self.check_call(mod, b, file)
        for name, (b, file) in mod.variables.items():
            self.check_variable(mod, b, file)
        for name, (attr, file) in mod.locals.items():
            self.check_refs(attr.refs, Ctx(mod, file, f"local.{name}"))
        for name, (b, file) in mod.outputs.items():
            self.check_output(mod, b, file)
        for file, parsed in mod.files:
            if parsed.body is None:
                continue
            for b in parsed.body.blocks:
                if b.type == "provider" and len(b.labels) == 1:
                    self.check_provider(mod, b, file)

    # -- resources and data sources ------------------------------------------------------------
    def check_resource(self, mod: Module, blk: Block, file: str, data: bool) -> None:
        t, n = blk.labels
        addr = f"data.{t}.{n}" if data else f"{t}.{n}"
        ctx = Ctx(mod, file, addr, each="for_each" in blk.attrs, count="count" in blk.attrs)
        if ctx.each and ctx.count:
            self.err(file, blk.line, addr, '"count" and "for_each" are mutually exclusive')
        node = self.schema.resource(t, data)
        if node is None and self.schema.provider_for(t) is not None:
            kind = "data source" if data else "resource type"
            hint = REFRESH_HINT.format(("data." if data else "") + t)
            self.err(file, blk.line, addr, f"{kind} {t!r} is not in the provider schema: {hint}")
        for name in ("depends_on", "provider"):
            if name in blk.attrs:
                self.check_meta_attr(blk.attrs[name], ctx)
        for name in ("count", "for_each"):
            if name in blk.attrs:
                self.check_refs(blk.attrs[name].refs, replace(ctx, each=False, count=False))
        for b in blk.blocks:
            if b.type == "lifecycle":
                self.check_lifecycle(b, node, ctx, data)
            elif b.type in ("connection", "provisioner") and not data:
                self.check_free_block(b, replace(ctx, self_ok=True))
        if node is not None:
            self.check_body(blk, node, ctx, addr, meta=True, data=data)
        else:  # unknown provider: still resolve references
            for name, attr in blk.attrs.items():
                if name not in RESOURCE_META_ATTRS:
                    self.check_refs(attr.refs, ctx)
            for b in blk.blocks:
                if b.type not in RESOURCE_META_BLOCKS:
                    self.check_free_block(b, ctx)

    def check_body(self, body: Block, node: dict, ctx: Ctx, where: str, meta: bool = False, data: bool = False) -> None:
        file = ctx.file
        attrs, blocks = node["attributes"], node["blocks"]
        for name, attr in body.attrs.items():
            if meta and name in RESOURCE_META_ATTRS:
                continue
            a = attrs.get(name)
            if a is not None:
                if a["mode"] == "computed":
                    self.err(
                        file,
                        attr.line,
                        where,
                        f"argument {name!r} is read-only (computed by the provider) and cannot be set",
                    )
            elif name in blocks:
                if not blocks[name].get("attr_as_block"):
                    self.err(file, attr.line, where, f"{name!r} is a block, not an argument: write `{name} {{ ... }}`")
            else:
                self.err(file, attr.line, where, f"unsupported argument {name!r}{_suggest(name, attrs, blocks)}")
            self.check_refs(attr.refs, ctx)

        counts: Counter = Counter()
        dynamic: set = set()
        for b in body.blocks:
            if meta and (b.type in RESOURCE_META_BLOCKS if not data else b.type == "lifecycle"):
                continue
            if b.type == "dynamic":
                label = self.check_dynamic(b, blocks, ctx, where)
                if label:
                    dynamic.add(label)
                continue
            bn = blocks.get(b.type)
            if bn is None:
                if b.type in attrs:
                    self.err(file, b.line, where, f"{b.type!r} is an argument, not a block: write `{b.type} = ...`")
                else:
                    self.err(file, b.line, where, f"unsupported block type {b.type!r}{_suggest(b.type, attrs, blocks)}")
                continue
            if b.labels:
                self.err(file, b.line, where, f"block {b.type!r} takes no labels")
            counts[b.type] += 1
            self.check_body(b, bn, ctx, f"{where}.{b.type}")

        for name, a in attrs.items():
            if a["mode"] == "required" and name not in body.attrs:
                self.err(file, body.line, where, f"missing required argument {name!r}")
        for name, bn in blocks.items():
            if name in dynamic or (bn.get("attr_as_block") and name in body.attrs):
                continue
            n = counts[name]
            if n < bn["min_items"]:
                what = "missing required block" if n == 0 else f"at least {bn['min_items']} blocks required for"
                self.err(file, body.line, where, f"{what} {name!r}")
            if bn.get("max_items") and n > bn["max_items"]:
                self.err(
                    file, body.line, where, f"too many {name!r} blocks: at most {bn['max_items']} allowed, found {n}"
                )

    def check_dynamic(self, b: Block, blocks: dict, ctx: Ctx, where: str) -> str | None:
        file = ctx.file
        if len(b.labels) != 1:
            self.err(file, b.line, where, "a dynamic block takes exactly one label: the block type it generates")
            return None
        label = b.labels[0]
        bn = blocks.get(label)
        if bn is None:
            self.err(file, b.line, where, f"dynamic {label!r}: unsupported block type {label!r}")
            return None
        iterator = label
        for name, attr in b.attrs.items():
            if name == "iterator":
                if attr.kind == "ref" and len(attr.refs) == 1 and not attr.refs[0].steps:
                    iterator = attr.refs[0].root
                else:
                    self.err(file, attr.line, where, f"dynamic {label!r}: iterator must be a bare name")
            elif name in ("for_each", "labels"):
                self.check_refs(attr.refs, ctx if name == "for_each" else replace(ctx, bound=ctx.bound | {iterator}))
            else:
                self.err(file, attr.line, where, f"dynamic {label!r}: unsupported argument {name!r}")
        if "for_each" not in b.attrs:
            self.err(file, b.line, where, f"dynamic {label!r}: missing required argument 'for_each'")
        contents = [x for x in b.blocks if x.type == "content"]
        for x in b.blocks:
            if x.type != "content":
                self.err(file, x.line, where, f"dynamic {label!r}: unsupported block type {x.type!r}")
        if len(contents) != 1:
            self.err(file, b.line, where, f"dynamic {label!r}: exactly one content block is required")
        inner = replace(ctx, bound=ctx.bound | {iterator})
        for c in contents:
            self.check_body(c, bn, inner, f"{where}.{label}")
        return label

    def check_lifecycle(self, b: Block, node: dict | None, ctx: Ctx, data: bool) -> None:
        where = f"{ctx.where}.lifecycle"
        allowed = (
            set() if data else {"create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"}
        )
        for name, attr in b.attrs.items():
            if name not in allowed:
                self.err(ctx.file, attr.line, where, f"unsupported argument {name!r}")
            elif name == "ignore_changes":
                self.check_ignore_changes(attr, node, ctx, where)
            else:
                self.check_refs(attr.refs, ctx)
        for c in b.blocks:
            if c.type not in ("precondition", "postcondition"):
                self.err(ctx.file, c.line, where, f"unsupported block type {c.type!r}")
                continue
            self.check_body(c, CONDITION, replace(ctx, self_ok=c.type == "postcondition"), f"{where}.{c.type}")

    def check_ignore_changes(self, attr: Attribute, node: dict | None, ctx: Ctx, where: str) -> None:
        if attr.kind == "ref" and len(attr.refs) == 1 and attr.refs[0].root == "all" and not attr.refs[0].steps:
            return
        if attr.kind != "tuple":
            self.err(ctx.file, attr.line, where, "ignore_changes must be a list of attribute paths or `all`")
            return
        if node is None:
            return
        for item in attr.items:
            for ref in item[:1]:
                msg = _check_path(node, (("attr", ref.root),) + ref.steps, "the resource")
                if msg:
                    self.err(ctx.file, ref.line, where, f"ignore_changes: {ref.text()}: {msg}")

    def check_meta_attr(self, attr: Attribute, ctx: Ctx) -> None:
        if attr.name == "provider":
            ref = attr.refs[0] if len(attr.refs) == 1 else None
            if ref is None or attr.kind != "ref":
                self.err(ctx.file, attr.line, ctx.where, "provider must be a provider reference like azurerm.alias")
            elif ref.steps:
                key = f"{ref.root}.{ref.steps[0][1]}" if ref.steps[0][0] == "attr" else ""
                if key not in ctx.module.provider_aliases:
                    self.err(
                        ctx.file,
                        attr.line,
                        ctx.where,
                        f"provider {key or ref.text()} is not configured in this module "
                        "(no provider block with that alias, no configuration_aliases)",
                    )
            return
        self.check_depends_on(attr, ctx)

    def check_depends_on(self, attr: Attribute, ctx: Ctx) -> None:
        if attr.kind != "tuple":
            self.err(ctx.file, attr.line, ctx.where, "depends_on must be a list of references")
            return
        for item in attr.items:
            if len(item) != 1:
                self.err(ctx.file, attr.line, ctx.where, "depends_on elements must be plain references")
                continue
            ref = item[0]
            if ref.root in ("var", "local", "each", "count", "self", "path", "terraform"):
                self.err(
                    ctx.file,
                    ref.line,
                    ctx.where,
                    f"invalid depends_on reference {ref.text()}: "
                    "only resources, data sources and modules can be listed",
                )
                continue
            msg = self.resolve(ref, ctx)
            if msg:
                self.err(ctx.file, ref.line, ctx.where, msg)
                continue
            # A whole object, maybe one instance: no attribute access.
            skip = 2 if ref.root == "data" else 1  # data.T.N / module.N / T.N
            rest = [s for s in ref.steps[skip:] if s[0] != "index"]
            if rest:
                self.err(
                    ctx.file,
                    ref.line,
                    ctx.where,
                    f"invalid depends_on reference {ref.text()}: "
                    "references must be to a whole object, not an attribute",
                )

    def check_free_block(self, b: Block, ctx: Ctx) -> None:
        """Blocks without schema (provisioners, unknown providers): only resolve references."""
        inner = ctx
        if b.type == "dynamic" and len(b.labels) == 1:
            it = b.attrs.get("iterator")
            name = it.refs[0].root if it is not None and len(it.refs) == 1 else b.labels[0]
            inner = replace(ctx, bound=ctx.bound | {name})
        for key, attr in b.attrs.items():
            if (b.type, key) in (("dynamic", "iterator"), ("provisioner", "when"), ("provisioner", "on_failure")):
                continue  # keywords (destroy, continue, ...), not references
            self.check_refs(attr.refs, ctx if key == "for_each" else inner)
        for c in b.blocks:
            self.check_free_block(c, inner)

    # -- module calls, variables, outputs, providers -----------------------------------------------
    def child_module(self, mod: Module, call: Block) -> Module | None:
        source = _literal(call.attrs.get("source"))
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            return None
        path = (mod.path / source).resolve()
        if not path.is_dir() or not any(path.glob("*.tf")):
            return None
        return self.load(path)

    def check_call(self, mod: Module, blk: Block, file: str) -> None:
        name = blk.labels[0]
        where = f"module.{name}"
        ctx = Ctx(mod, file, where, each="for_each" in blk.attrs, count="count" in blk.attrs)
        source = _literal(blk.attrs.get("source"))
        child = None
        if "source" not in blk.attrs:
            self.err(file, blk.line, where, "missing required argument 'source'")
        elif not isinstance(source, str):
            self.err(file, blk.attrs["source"].line, where, "source must be a literal string")
        elif source.startswith(("./", "../")):
            child = self.child_module(mod, blk)
            if child is None:
                self.err(
                    file, blk.attrs["source"].line, where, f"module source {source!r} is not a directory with .tf files"
                )
        if ctx.each and ctx.count:
            self.err(file, blk.line, where, '"count" and "for_each" are mutually exclusive')
        for arg, attr in blk.attrs.items():
            if arg == "providers":
                continue  # provider references, checked by terraform init
            if arg == "depends_on":
                self.check_depends_on(attr, ctx)
                continue
            if arg in ("count", "for_each"):
                self.check_refs(attr.refs, replace(ctx, each=False, count=False))
                continue
            if arg not in MODULE_META_ATTRS and child is not None and arg not in child.variables:
                declared = ", ".join(sorted(child.variables)) or "none"
                self.err(
                    file,
                    attr.line,
                    where,
                    f"unsupported argument {arg!r}: {source} declares no variable {arg!r} (variables: {declared})",
                )
            self.check_refs(attr.refs, ctx)
        for b in blk.blocks:
            self.err(file, b.line, where, f"unsupported block type {b.type!r} in a module call")
        if child is not None:
            for var, (vb, _) in sorted(child.variables.items()):
                if "default" not in vb.attrs and var not in blk.attrs:
                    self.err(
                        file,
                        blk.line,
                        where,
                        f"missing required argument {var!r} (variable of {source} without a default)",
                    )

    def check_variable(self, mod: Module, blk: Block, file: str) -> None:
        where = f"var.{blk.labels[0]}"
        for name, attr in blk.attrs.items():
            if name not in VARIABLE_ATTRS:
                self.err(file, attr.line, where, f"unsupported argument {name!r}")
            elif name == "default" and attr.refs:
                self.err(file, attr.line, where, "variables may not be used here: a default must be a literal value")
        ctx = Ctx(mod, file, where)
        for b in blk.blocks:
            if b.type != "validation":
                self.err(file, b.line, where, f"unsupported block type {b.type!r}")
                continue
            self.check_body(b, CONDITION, ctx, f"{where}.validation")

    def check_output(self, mod: Module, blk: Block, file: str) -> None:
        where = f"output.{blk.labels[0]}"
        ctx = Ctx(mod, file, where)
        for name, attr in blk.attrs.items():
            if name not in OUTPUT_ATTRS:
                self.err(file, attr.line, where, f"unsupported argument {name!r}")
            elif name == "depends_on":
                self.check_depends_on(attr, ctx)
            else:
                self.check_refs(attr.refs, ctx)
        if "value" not in blk.attrs:
            self.err(file, blk.line, where, "missing required argument 'value'")
        for b in blk.blocks:
            if b.type != "precondition":
                self.err(file, b.line, where, f"unsupported block type {b.type!r}")
                continue
            self.check_body(b, CONDITION, ctx, f"{where}.precondition")
        value = blk.attrs.get("value")
        if value is not None and _literal(blk.attrs.get("sensitive")) is not True:
            why = self.sensitive_source(mod, value, set())
            if why:
                self.err(file, value.line, where, f"output refers to sensitive values ({why}): set sensitive = true")

    def check_provider(self, mod: Module, blk: Block, file: str) -> None:
        name = blk.labels[0]
        where = f"provider.{name}"
        ctx = Ctx(mod, file, where)
        p = self.schema.providers.get(name)
        if p is None:
            self.check_free_block(blk, ctx)
            return
        body = Block(
            blk.type,
            blk.labels,
            blk.line,
            blk.end_line,
            {k: v for k, v in blk.attrs.items() if k not in ("alias", "version")},
            blk.blocks,
        )
        self.check_body(body, p.config, ctx, where)

    # -- sensitivity ---------------------------------------------------------------------------
    def sensitive_source(self, mod: Module, attr: Attribute, seen: set) -> str | None:
        if "nonsensitive" in attr.calls:
            return None
        for ref in attr.refs:
            first = ref.steps[0][1] if ref.steps and ref.steps[0][0] == "attr" else None
            if ref.root == "var" and first in mod.variables:
                if _literal(mod.variables[first][0].attrs.get("sensitive")) is True:
                    return f"var.{first} is sensitive"
            elif ref.root == "local" and first in mod.locals and first not in seen:
                seen.add(first)
                why = self.sensitive_source(mod, mod.locals[first][0], seen)
                if why:
                    return f"local.{first}: {why}"
            elif ref.root == "module" and first in mod.calls:
                child = self.child_module(mod, mod.calls[first][0])
                out = next((s[1] for s in ref.steps[1:] if s[0] == "attr"), None)
                if (
                    child is not None
                    and out in child.outputs
                    and _literal(child.outputs[out][0].attrs.get("sensitive")) is True
                ):
                    return f"module.{first}.{out} is a sensitive output"
            elif ref.root not in ("data", "each", "count", "self", "path", "terraform") and first:
                sens = self.schema.sensitive_attrs(ref.root)
                attr_name = next((s[1] for s in ref.steps[1:] if s[0] == "attr"), None)
                if sens and (attr_name in sens or attr_name is None):
                    return f"{ref.root}.{first}.{attr_name or '*'} is sensitive"
        return None

    # -- references ------------------------------------------------------------------------------
    def check_refs(self, refs: list, ctx: Ctx) -> None:
        for ref in refs:
            msg = self.resolve(ref, ctx)
            if msg:
                self.err(ctx.file, ref.line, ctx.where, msg)

    def resolve(self, ref: Ref, ctx: Ctx) -> str | None:
        root, steps = ref.root, ref.steps
        mod = ctx.module
        if root in ctx.bound:
            return None

        def name_at(i):
            return steps[i][1] if len(steps) > i and steps[i][0] == "attr" else None

        first = name_at(0)
        if root == "var":
            if first is None:
                return "invalid reference: expected var.NAME"
            if first not in mod.variables:
                return f"reference to undeclared input variable var.{first}"
        elif root == "local":
            if first is None:
                return "invalid reference: expected local.NAME"
            if first not in mod.locals:
                return f"reference to undeclared local value local.{first}"
        elif root == "module":
            if first is None:
                return "invalid reference: expected module.NAME"
            if first not in mod.calls:
                return f"reference to undeclared module call module.{first}"
            call = mod.calls[first][0]
            rest, msg = _instance_rest(f"module.{first}", call, steps[1:], "module")
            if msg:
                return msg
            child = self.child_module(mod, call)
            if rest and rest[0][0] == "attr" and child is not None and rest[0][1] not in child.outputs:
                outs = ", ".join(sorted(child.outputs)) or "none"
                return f"unsupported attribute: module.{first} has no output {rest[0][1]!r} (outputs: {outs})"
        elif root == "data":
            t, n = first, name_at(1)
            if t is None or n is None:
                return "invalid reference: expected data.TYPE.NAME"
            if (t, n) not in mod.data:
                return f"reference to undeclared data source data.{t}.{n}"
            return self.resource_path(f"data.{t}.{n}", mod.data[(t, n)][0], self.schema.resource(t, True), steps[2:])
        elif root == "each":
            if not ctx.each:
                return f"{ref.text()}: each.key/each.value are only available in blocks that set for_each"
            if first not in ("key", "value"):
                return f"{ref.text()}: each only has the attributes key and value"
        elif root == "count":
            if not ctx.count:
                return f"{ref.text()}: count.index is only available in blocks that set count"
            if first != "index":
                return f"{ref.text()}: count only has the attribute index"
        elif root == "self":
            if not ctx.self_ok:
                return "self can only be used in provisioner, connection and postcondition blocks"
        elif root == "path":
            if first not in ("module", "root", "cwd"):
                return f"{ref.text()}: path only has module, root and cwd"
        elif root == "terraform":
            if first not in ("workspace", "applying"):
                return f"{ref.text()}: terraform only has workspace and applying"
        else:
            if first is None:
                return (
                    f"invalid reference {ref.text()!r}: a resource reference needs TYPE.NAME (unknown name {root!r}?)"
                )
            if (root, first) not in mod.resources:
                return f"reference to undeclared resource {root}.{first}"
            return self.resource_path(
                f"{root}.{first}", mod.resources[(root, first)][0], self.schema.resource(root), steps[1:]
            )
        return None

    def resource_path(self, addr: str, block: Block, node: dict | None, steps: tuple) -> str | None:
        rest, msg = _instance_rest(addr, block, steps, "resource")
        if msg or node is None or not rest:
            return msg
        msg = _check_path(node, rest, addr)
        return f"{addr}: {msg}" if msg else None


def _instance_rest(addr: str, block: Block, steps: tuple, kind: str):
    """Apply Terraform's instance-key rules; return (steps after the instance, error)."""
    repeated = _has_repetition(block)
    if steps and steps[0][0] == "index":
        if not repeated:
            return (), (
                f"unexpected {kind} instance key: {addr} has no count or for_each, "
                "so references must not include an index"
            )
        return steps[1:], None
    if steps and steps[0][0] == "splat":
        return (), None  # attributes after a splat are not checked statically by terraform either
    if repeated and steps:
        return (), (
            f"missing {kind} instance key: {addr} has count or for_each, "
            f"so use {addr}[...] (or {addr}[*]) to access its attributes"
        )
    return steps, None


def _check_path(node: dict, steps: tuple, what: str) -> str | None:
    """Validate an attribute path against a schema node, like configschema.StaticValidateTraversal."""
    if not steps:
        return None
    step = steps[0]
    if step[0] == "splat":
        return None
    if step[0] == "index":
        return "invalid index operation: only attribute access is allowed here"
    name, rest = step[1], steps[1:]
    attrs, blocks = node["attributes"], node["blocks"]
    if name in attrs:
        return _check_attr_type(name, attrs[name], rest)
    if name in blocks:
        b = blocks[name]
        if b["nesting"] == "single":
            return _check_path(b, rest, name)
        if not rest or rest[0][0] == "splat":
            return None
        if b["nesting"] == "set":
            return f"cannot index a set value: block {name!r} is a set of objects, use a for expression"
        if rest[0][0] != "index":
            return f"block {name!r} is a list of objects, so it must be indexed: {name}[0].{rest[0][1]}"
        return _check_path(b, rest[1:], name)
    return f"unsupported attribute {name!r}{_suggest(name, attrs, blocks)}"


def _check_attr_type(name: str, a: dict, rest: tuple) -> str | None:
    if not rest or rest[0][0] == "splat":
        return None
    typ = a.get("type", "any")
    if typ in PRIMITIVES:
        return f"{name!r} is a {typ}, it has no attributes or elements"
    if typ == "set" and rest[0][0] == "index":
        return f"cannot index a set value: {name!r} is a set"
    if typ == "list" and rest[0][0] == "attr":
        return f"{name!r} is a list, index it first: {name}[0]"
    element = a.get("element")
    if element is not None:
        if typ == "object":
            return _check_path(element, rest, name)
        if rest[0][0] == "index":
            return _check_path(element, rest[1:], name)
    return None


def _suggest(name: str, attrs: dict, blocks: dict) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(attrs) + list(blocks), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def module_dirs(root: Path) -> list[Path]:
    """The root and every directory below it that holds .tf files (hidden ones skipped)."""
    found = {root}
    for f in root.rglob("*.tf"):
        if not any(part.startswith(".") for part in f.relative_to(root).parts[:-1]):
            found.add(f.parent)
    return sorted(found)


def check_terraform_dir(root, *, fmt: bool = True, schema: Schema | None = None) -> list[str]:
    """Validate every module under `root`; return human-readable problems ([] when valid).

    Each problem reads `path:line: address: message`, with paths relative to `root`.
    Set fmt=False to skip the `terraform fmt -check` comparison.
    """
    root = Path(root).resolve()
    checker = Checker(root, schema or load_schema(), root)
    mods = [checker.load(d) for d in module_dirs(root)]
    if not any(mod.files for mod in mods):
        return [f"{root}: no .tf files found"]
    for mod in mods:
        checker.check_module(mod)
    # Modules reached through a ../ source outside root are validated as well.
    for mod in list(checker.modules.values()):
        if mod not in mods:
            checker.check_module(mod)
    if fmt:
        for problem in check_fmt(root, relative_to=root):
            file, line, _ = problem.split(":", 2)
            checker.problems.append((file, int(line), problem))
    return [text for _, _, text in sorted(checker.problems, key=lambda p: (p[0], p[1]))]
