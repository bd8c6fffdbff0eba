"""The azurerm provider's own plan-time rules, applied to Terraform files parsed with python-hcl2.

tests/data/azurerm_provider_rules.json (tools/refresh_provider_rules.py, read from the provider's Go source) holds,
per resource type and attribute path, `required_with`, `conflicts_with`, `exactly_one_of`, `at_least_one_of` and
the values an attribute accepts (`one_of`, `between`, `at_least`, `at_most`, `pattern`; `each_*` for the elements of
a list). `check_rules(directory)` applies them to every module below a rendered project's terraform/ folder:

* an argument is *set* when its value is not `null` (a literal `false` is set: the provider sees it);
* `c ? a : b` is judged on both branches, and conditions written the same way in one resource are decided together
  (`var.subnet == null ? null : false` beside `var.subnet == null ? null : var.subnet.id` is one switch);
* a literal must be an allowed value; `var.x` is judged through its `default` (which must be allowed) and its
  `validation` blocks: `contains([...], var.x)` must list allowed values only, `var.x >= a && var.x <= b` must stay
  inside the provider's range, and a variable with neither proves nothing, so it is reported as too loose;
* the provider block's `resource_providers_to_register` names must be spelled as the provider's registration sets
  spell them (its lookup is case-sensitive and skips unknown names with a log line).

Each problem is `path:line: address: message`.
"""

from __future__ import annotations

import itertools
import json
import re
from functools import cache
from pathlib import Path

from . import expr as X
from .hcl import Block, ParseError, parse_cached

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "azurerm_provider_rules.json"

NULL = object()  # the literal null
UNKNOWN = object()  # a value known only at plan time (a reference, a function call): set, value not judged


@cache
def load_rules(path: Path = RULES_FILE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def parse_hcl(text: str) -> Block:
    """The file's top level (python-hcl2 via tfcheck.hcl, shared with the schema check: one parse per content)."""
    return parse_cached(text)


# -- values ---------------------------------------------------------------------------------------------------------
MAYBE = object()  # a variable that may be null: neither definitely set nor definitely absent
OTHER = "\x00any other value"  # what a variable holds when it is none of the literals it is compared with


def node_of(expr):
    """The expression as an expr.py tree (a literal node when python-hcl2 gave a plain value)."""
    value = expr.serialize()
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        try:
            return X.parse(value[2:-1])
        except (X.ParseError, IndexError):
            return ("opaque",)
    return ("lit", literal(value))


def literal(value):
    """A serialized hcl2 value as a Python value (None for null, UNKNOWN for an expression)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        items = [literal(v) for v in value]
        return X.UNKNOWN if any(i is X.UNKNOWN for i in items) else items
    if isinstance(value, str) and value.startswith('"') and value.endswith('"') and "${" not in value:
        return json.loads(value)
    return X.UNKNOWN


def leaves(node, env: dict) -> list:
    """The expressions a value can end up as: conditionals decided by `env` where it can, both branches elsewhere."""
    if node[0] == "if":
        cond = X.evaluate(node[1], env)
        if cond is X.UNKNOWN:
            return leaves(node[2], env) + leaves(node[3], env)
        return leaves(node[2] if cond else node[3], env)
    return [node]


def presence(node, env: dict, variables: dict):
    """SET, NULL or MAYBE for one leaf."""
    value = X.evaluate(node, env)
    if value is None:
        return NULL
    if value is not X.UNKNOWN:
        return SET
    name = X._var(node)
    if name and name not in env and name in variables:
        var = variables[name][0]
        default = var.attrs.get("default")
        if default is None or literal(default.expr.serialize()) is None:
            return MAYBE
    return SET


NULL, SET = "null", "set"


def allowed(rule: dict, value, prefix: str = "") -> str | None:
    """Why a literal is rejected by a value rule; None when it is accepted."""
    one_of = rule.get(prefix + "one_of")
    if one_of is not None:
        ok = any(X._same(value, v) for v in one_of) or (
            rule.get("ignore_case") and isinstance(value, str) and value.lower() in {str(v).lower() for v in one_of}
        )
        if not ok:
            return f"{value!r} is not one of {one_of}"
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    between = rule.get(prefix + "between")
    if between is not None and number and not between[0] <= value <= between[1]:
        return f"{value!r} is outside {between[0]}..{between[1]}"
    if prefix + "at_least" in rule and number and value < rule[prefix + "at_least"]:
        return f"{value!r} is below {rule[prefix + 'at_least']}"
    if prefix + "at_most" in rule and number and value > rule[prefix + "at_most"]:
        return f"{value!r} is above {rule[prefix + 'at_most']}"
    pattern = rule.get(prefix + "pattern")
    if pattern is not None and isinstance(value, str) and _go_regex(pattern) and not _go_regex(pattern).search(value):
        return f"{value!r} does not match the provider's pattern {pattern}"
    forbidden = rule.get(prefix + "forbidden_pattern")
    if forbidden is not None and isinstance(value, str) and _go_regex(forbidden) and _go_regex(forbidden).search(value):
        return f"{value!r} matches the provider's forbidden pattern {forbidden}"
    return None


@cache
def _go_regex(pattern: str):
    """A Go (RE2) pattern as a Python one, searched like Go's MatchString; None when Python cannot read it."""
    try:
        return re.compile(pattern.replace(r"\z", r"\Z"))
    except re.error:
        return None


def probes(rule: dict, prefix: str, seeds: list) -> list:
    """Values worth trying against a validation: the provider's own values, the module's, and near misses."""
    out: list = []
    strings = [v for v in (rule.get(prefix + "one_of") or []) + seeds if isinstance(v, str)]
    numbers = [
        v
        for v in (rule.get(prefix + "one_of") or []) + seeds
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    for key in ("between",):
        numbers += rule.get(prefix + key) or []
    numbers += [rule[prefix + k] for k in ("at_least", "at_most") if prefix + k in rule]
    for s in strings:
        out += [s, s + "9", s + "x", s[:-1] + "9" if s else "9", s.upper(), s.lower(), s.split("-")[0]]
    out += ["", "x"]
    for n in numbers:
        out += [n, n - 1, n + 1, n - 0.25, n + 0.25, n + 0.1, n - 0.1]
    ordered = sorted({n for n in numbers})
    out += [(a + b) / 2 for a, b in zip(ordered, ordered[1:])]
    out += [0, -1, 1, 10**9]
    seen, unique = set(), []
    for v in out:
        key = (type(v).__name__, v)
        if key not in seen:
            seen.add(key)
            unique.append(v)
    return unique


VALUE_KEYS = ("one_of", "between", "at_least", "at_most", "pattern", "forbidden_pattern")


def has_value_rule(rule: dict, prefix: str = "") -> bool:
    return any(prefix + key in rule for key in VALUE_KEYS)


# -- the checker ----------------------------------------------------------------------------------------------------
class RuleChecker:
    def __init__(self, rules: dict, rel_base: Path):
        self.rules, self.rel_base = rules, rel_base
        self.problems: list[str] = []

    def err(self, file: str, line: int, where: str, message: str) -> None:
        self.problems.append(f"{file}:{line}: {where}: {message}")

    def check_module(self, directory: Path) -> None:
        files = []
        for path in sorted(directory.glob("*.tf")):
            try:
                rel = str(path.relative_to(self.rel_base))
            except ValueError:
                rel = str(path)
            try:
                files.append((rel, parse_hcl(path.read_text(encoding="utf-8"))))
            except ParseError as e:
                self.err(rel, e.line, "syntax", e.msg)
        variables = {b.labels[0]: (b, rel) for rel, f in files for b in f.blocks if b.type == "variable" and b.labels}
        for rel, f in files:
            for block in f.blocks:
                if block.type == "resource" and len(block.labels) == 2:
                    resource_rules = self.rules["resources"].get(block.labels[0])
                    if resource_rules:
                        self.check_resource(rel, block, resource_rules, variables)
                elif block.type == "provider" and block.labels == ["azurerm"]:
                    self.check_provider(rel, block)
                elif block.type == "module" and block.labels and "source" in block.attrs:
                    source = X.evaluate(node_of(block.attrs["source"].expr), {})
                    if isinstance(source, str) and source.startswith(("./", "../")):
                        self.check_call(rel, block, directory / source)

    def check_call(self, rel: str, call: Block, child: Path) -> None:
        """Literal arguments of a module call, followed into the module: a value the provider rejects there is
        reported at the argument (`runtime_version = "20"` becoming `node_version = "20-lts"`)."""
        fixed = {}
        for name, attr in call.attrs.items():
            value = X.evaluate(node_of(attr.expr), {})
            if value is not X.UNKNOWN and not isinstance(value, list):
                fixed[name] = (value, attr.line)
        if not fixed:
            return
        env = {name: value for name, (value, _) in fixed.items()}
        for path in sorted(child.glob("*.tf")):
            try:
                body = parse_hcl(path.read_text(encoding="utf-8"))
            except ParseError:
                continue  # reported where the module itself is checked
            for block in body.blocks:
                rules = (
                    self.rules["resources"].get(block.labels[0]) if block.type == "resource" and block.labels else None
                )
                if not rules:
                    continue
                found: list = []
                self._walk(block, "", lambda attr_path, attr, _inst: found.append((attr_path, attr)))
                for attr_path, attr in found:
                    rule = rules.get(attr_path)
                    if not rule or not has_value_rule(rule):
                        continue
                    for leaf in leaves(node_of(attr.expr), env):
                        used = sorted(X.variables(leaf) & set(fixed))
                        value = X.evaluate(leaf, env) if used else X.UNKNOWN
                        why = allowed(rule, value) if value is not X.UNKNOWN and value is not None else None
                        for name in used if why else []:
                            self.err(
                                rel,
                                fixed[name][1],
                                f"module.{call.labels[0]}",
                                f"{name} = {fixed[name][0]!r} reaches {'.'.join(block.labels)}.{attr_path}, "
                                f"where azurerm rejects {why}",
                            )

    def check_provider(self, rel: str, block: Block) -> None:
        attr = block.attrs.get("resource_providers_to_register")
        if attr is None:
            return
        known = set(self.rules["resource_providers"])
        for name in literal(attr.expr.serialize()):
            close = [k for k in known if isinstance(name, str) and k.lower() == name.lower() and k != name]
            if close:  # a name missing from the provider's sets cannot be judged offline: Azure's list decides
                self.err(
                    rel,
                    attr.line,
                    "provider.azurerm",
                    f"resource_providers_to_register: {name!r} is spelled "
                    f"{close[0]!r} by the provider, whose lookup is case-sensitive",
                )

    # -- one resource -----------------------------------------------------------------------------------------------
    def check_resource(self, rel: str, block: Block, rules: dict, variables: dict) -> None:
        where = ".".join(block.labels)
        attrs: list = []  # (instance, path, attr, node)
        self._walk(block, "", lambda path, attr, inst: attrs.append((inst, path, attr, node_of(attr.expr))))
        blocks: dict = {}
        self._record_blocks(block, "", (), blocks)
        # the variables the conditions test, each with the values worth trying (its validation's list if it has one)
        tried: dict = {}
        for *_, node in attrs:
            for cond in self._conditions(node):
                for name, values in X.comparisons(cond, {}).items():
                    tried.setdefault(name, set()).update(values)
        domains = {}
        for name, values in sorted(tried.items()):
            listed = self._validation_list(variables.get(name))
            domains[name] = sorted(listed, key=repr) if listed is not None else sorted(values, key=repr) + [OTHER]
        names = sorted(domains)
        combos = itertools.product(*(domains[n] for n in names))
        reported: set = set()
        for combo in itertools.islice(combos, 512):
            env = dict(zip(names, combo))
            self._check_env(rel, block, rules, variables, where, env, attrs, blocks, reported)

    def _conditions(self, node) -> list:
        if node[0] == "if":
            return [node[1], *self._conditions(node[2]), *self._conditions(node[3])]
        return []

    def _validation_list(self, found) -> list | None:
        """The values a variable's `contains([...], var.x)` validation admits, when it has one."""
        if found is None:
            return None
        var = found[0]
        for validation in (b for b in var.blocks if b.type == "validation"):
            condition = validation.attrs.get("condition")
            node = node_of(condition.expr) if condition else ("opaque",)
            if node[0] == "call" and node[1] == "contains" and X._var(node[2][1]) == var.labels[0]:
                items = X.evaluate(node[2][0], {})
                if isinstance(items, list):
                    return items
        return None

    @staticmethod
    def _nested(block: Block, prefix: str):
        """(path, index, body) of each nested block the provider's schema sees: a `dynamic` block stands for its
        `content` under the dynamic's label; meta-blocks (lifecycle, connection, provisioner) are not schema."""
        for index, inner in enumerate(block.blocks):
            if inner.type in ("lifecycle", "connection", "provisioner"):
                continue
            if inner.type == "dynamic" and inner.labels:
                for content in (b for b in inner.blocks if b.type == "content"):
                    yield prefix + inner.labels[0], index, content
            else:
                yield prefix + inner.type, index, inner

    def _walk(self, block: Block, prefix: str, visit, instance: tuple = ()) -> None:
        """Visit (path, attr, instance) for every argument; instance identifies the nested block it sits in."""
        for name, attr in block.attrs.items():
            visit(prefix + name, attr, instance)
        for path, index, inner in self._nested(block, prefix):
            self._walk(inner, path + ".", visit, (*instance, (path, index)))

    def _record_blocks(self, block: Block, prefix: str, instance: tuple, out: dict) -> None:
        for path, index, inner in self._nested(block, prefix):
            out[(*instance, (path, index))] = inner
            self._record_blocks(inner, path + ".", (*instance, (path, index)), out)

    def _check_env(self, rel, block, rules, variables, where, env, attrs, blocks, reported) -> None:
        values: dict = {}  # instance -> {path: (presence, attr, leaves)}
        for instance, path, attr, node in attrs:
            found = leaves(node, env)
            states = {presence(leaf, env, variables) for leaf in found}
            state = states.pop() if len(states) == 1 else MAYBE
            values.setdefault(instance, {})[path] = (state, attr, found)
        for instance in blocks:
            values.setdefault(instance, {})
        values.setdefault((), {})

        def lookup(instance: tuple, path: str):
            plain = _plain(path)
            for depth in range(len(instance), -1, -1):
                hit = values.get(instance[:depth], {}).get(plain)
                if hit is not None:
                    return hit[0]
            if any(inst[-1][0] == plain for inst in blocks):
                return SET  # the path names a nested block that is written
            return NULL

        condition = ", ".join(f"var.{k} = {'another value' if v is OTHER else json.dumps(v)}" for k, v in env.items())

        def report(line, message, file=rel, address=where):
            key = (file, line, message)
            if key not in reported:
                reported.add(key)
                self.err(file, line, address, message + (f" (when {condition})" if condition else ""))

        for instance, table in values.items():
            for path, (state, attr, found) in table.items():
                rule = rules.get(path)
                if not rule or state is NULL:
                    continue
                if state is SET:
                    for other in rule.get("required_with", []):
                        if lookup(instance, other) is NULL:
                            report(
                                attr.line,
                                f"{path} is set, so azurerm requires {_plain(other)} (RequiredWith), "
                                f"which is null: pass null for {path} as well",
                            )
                    for other in rule.get("conflicts_with", []):
                        if lookup(instance, other) is SET:
                            report(attr.line, f"{path} conflicts with {_plain(other)} (ConflictsWith): set only one")
                for leaf in found:
                    self._check_value(attr, path, leaf, rule, variables, env, where, report)
            block_path = instance[-1][0] + "." if instance else ""
            judged = set()
            for path, rule in rules.items():
                if not path.startswith(block_path) or "." in path[len(block_path) :]:
                    continue
                for kind, label in (("exactly_one_of", "ExactlyOneOf"), ("at_least_one_of", "AtLeastOneOf")):
                    members = rule.get(kind)
                    if not members or (kind, tuple(members)) in judged:
                        continue
                    judged.add((kind, tuple(members)))  # every member carries the same list: judge it once
                    states = [lookup(instance, m) for m in members]
                    written = [table[_plain(m)][1].line for m in members if _plain(m) in table]
                    line = min(written) if written else (blocks[instance].line if instance else block.line)
                    names = ", ".join(_plain(m) for m in members)
                    if all(st is NULL for st in states):
                        report(line, f"azurerm requires one of {names} ({label}); none is set")
                    elif kind == "exactly_one_of" and states.count(SET) > 1:
                        both = ", ".join(_plain(m) for m, st in zip(members, states) if st is SET)
                        report(line, f"azurerm takes exactly one of {names} ({label}); {both} are all set")

    def _check_value(self, attr, path, leaf, rule, variables, env, where, report) -> None:
        for prefix in ("", "each_"):
            if not has_value_rule(rule, prefix):
                continue
            value = X.evaluate(leaf, env)
            if value is not X.UNKNOWN and value is not None:
                items = value if prefix else [value]
                if not isinstance(items, list) or (not prefix and isinstance(value, list)):
                    continue
                for item in items:
                    why = allowed(rule, item, prefix)
                    if why:
                        report(attr.line, f"{path}: azurerm rejects {why}")
                continue
            for name in sorted(X.variables(leaf) - set(env)):
                if name in variables and not prefix:
                    self._check_variable(path, leaf, name, rule, variables, env, where, report)

    def _check_variable(self, path, leaf, name, rule, variables, env, where, report) -> None:
        var, var_file = variables[name]
        label = f"var.{name} (for {where}.{path})"
        default = var.attrs.get("default")
        seeds = []
        if default is not None:
            value = literal(default.expr.serialize())
            if value is not X.UNKNOWN and value is not None:
                seeds.append(value)
                result = X.evaluate(leaf, {**env, name: value})
                why = allowed(rule, result) if result is not X.UNKNOWN and result is not None else None
                if why:
                    report(default.line, f"default: azurerm rejects {why}", var_file, label)
        checks = []
        for validation in (b for b in var.blocks if b.type == "validation"):
            condition = validation.attrs.get("condition")
            if condition is not None:
                node = node_of(condition.expr)
                checks.append(node)
                seeds += [v for vals in X.comparisons(node, {}).values() for v in vals]
        kind = var.attrs.get("type")
        kind = _text_of(kind.expr) if kind else ""
        for probe in probes(rule, "", seeds):
            number = isinstance(probe, (int, float)) and not isinstance(probe, bool)
            if (kind == "number" and not number) or (kind == "string" and not isinstance(probe, str)):
                continue
            result = X.evaluate(leaf, {**env, name: probe})
            if result is X.UNKNOWN or result is None:
                continue
            why = allowed(rule, result)
            if not why:
                continue
            verdicts = [X.evaluate(node, {**env, name: probe}) for node in checks]
            if all(v is not False for v in verdicts):
                line = var.line
                how = (
                    "has no validation"
                    if not checks
                    else "has a validation that admits it"
                    if all(v is True for v in verdicts)
                    else "has a validation this check cannot decide for it"
                )
                report(
                    line,
                    f"validation is looser than azurerm: var.{name} = {probe!r} {how}, but azurerm rejects {why}",
                    var_file,
                    label,
                )
                return


def _text_of(expr) -> str:
    value = expr.serialize()
    return value[2:-1] if isinstance(value, str) and value.startswith("${") else str(value)


def _describe(rule: dict, prefix: str) -> str:
    return ", ".join(
        f"{k[len(prefix) :]}={rule[k]}" for k in rule if k.startswith(prefix) and k[len(prefix) :] in VALUE_KEYS
    )


def _plain(path: str) -> str:
    return re.sub(r"\.\d+(?=\.|$)", "", path)


def _block_line(block: Block, instance: tuple) -> int:
    current = block
    for _, index in instance:
        inner = current.blocks[index]
        if inner.type == "dynamic":
            inner = next(b for b in inner.blocks if b.type == "content")
        current = inner
    return current.line


def check_rules(directory: Path, rules: dict | None = None) -> list[str]:
    """Provider-rule problems of every module (folder with .tf files) below `directory`."""
    directory = Path(directory)
    checker = RuleChecker(rules or load_rules(), directory.parent)
    for module in sorted({p.parent for p in directory.rglob("*.tf")}):
        if ".terraform" not in module.parts:
            checker.check_module(module)
    return checker.problems
