#!/usr/bin/env python3
"""Regenerate tests/data/azurerm_provider_rules.json from the azurerm provider's Go source at a tag.

The provider schema (tests/data/azurerm_schema.json) says which arguments exist and their types. What it does not
say is what the provider enforces when it validates a configuration: arguments that need, exclude or stand in for
each other (`RequiredWith`, `ConflictsWith`, `ExactlyOneOf`, `AtLeastOneOf`) and the values an argument accepts
(`validation.StringInSlice`, `IntInSlice`, `FloatInSlice`, `IntBetween`, `FloatBetween`, `IntAtLeast`, the SDK's
`PossibleValuesForX()` enum helpers and the one-regex functions of the provider's validate packages). This tool reads
those from the source with a small Go-literal reader (comments stripped, braces matched, composite literals split
at top-level commas) and writes them per attribute path for every azurerm resource type the template can render
(the same scan as tools/refresh_azurerm_schema.py).

It reads a git directory (no work tree needed), e.g. the mirror the library's `fetch` tool brings:

  python tools/refresh_provider_rules.py /work/.mirror/hashicorp+terraform-provider-azurerm/repo v5.2.0
  python tools/refresh_provider_rules.py REPO TAG --check     # exit 1 when the committed file differs

What the reader cannot resolve (a validator it does not understand, a schema built in code) is listed in the
file's `unresolved` section, so a reader of the data knows where the check is blind.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "tests" / "data" / "azurerm_provider_rules.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from refresh_azurerm_schema import scan_template  # noqa: E402

MODULE = "github.com/hashicorp/terraform-provider-azurerm/"
RELATION_KEYS = {
    "RequiredWith": "required_with",
    "ConflictsWith": "conflicts_with",
    "ExactlyOneOf": "exactly_one_of",
    "AtLeastOneOf": "at_least_one_of",
}
# Validators that check a format (IDs, non-empty strings, URLs...), not a set of values: nothing to resolve.
FORMAT_VALIDATOR = re.compile(
    r"(Validate\w*ID|IsNotEmpty|IsNotWhiteSpace|IsUUID|IsURL\w*|IsJSON|IsBase64|IsIPv4\w*|IsCIDR\w*|IsRFC3339Time"
    r"|StringLenBetween|StringIsEmailAddress|IsIPAddress|NoZeroValues|ValidateDiagFunc|StringIsBase64|IsPortNumber"
    r"|StringDoesNotContainAny|StringMatch|IsEmailAddress|Location|IsDayOfTheWeek|IsMonth|EnhancedValidate|Name\(?\)?$"
    r"|^Validate$|Tags|Password|CIDR|IPv4Address|TimeInterval|Collation|Charset|ID$|Validate\w*Name|Alias)"
)


# -- git tree access ------------------------------------------------------------------------------------------------
class Tree:
    def __init__(self, git_dir: Path, tag: str):
        self.git_dir, self.tag = str(git_dir), tag
        self.commit = self.git("rev-parse", f"{tag}^{{commit}}").strip()

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", self.git_dir, *args], check=True, capture_output=True, text=True).stdout

    @cache
    def read(self, path: str) -> str:
        try:
            return strip_comments(self.git("show", f"{self.commit}:{path}"))
        except subprocess.CalledProcessError:
            return ""

    @cache
    def dir_files(self, directory: str) -> tuple[str, ...]:
        try:
            out = self.git("ls-tree", "--name-only", f"{self.commit}:{directory}") if directory else ""
        except subprocess.CalledProcessError:
            return ()  # the standard library, or a vendored package missing from the tree
        return tuple(f"{directory}/{n}" for n in out.split() if n.endswith(".go") and not n.endswith("_test.go"))

    def grep(self, pattern: str, *paths: str) -> list[str]:
        result = subprocess.run(
            ["git", "-C", self.git_dir, "grep", "-l", "-E", pattern, self.commit, "--", *paths],
            capture_output=True,
            text=True,
        )
        return sorted({line.split(":", 1)[1] for line in result.stdout.splitlines() if line.endswith(".go")})


# -- Go text helpers ------------------------------------------------------------------------------------------------
def strip_comments(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if (text[j] == "\\" and c != "`") else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def string_end(text: str, start: int) -> int:
    """Index of the quote closing the Go string or rune literal opened at `start` (raw strings have no escapes)."""
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if (text[i] == "\\" and quote != "`") else 1
    return i


def closing(text: str, start: int) -> int:
    """Index of the bracket closing the one at `start` (strings skipped)."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack, i = [], start
    while i < len(text):
        c = text[i]
        if c in "\"'`":
            i = string_end(text, i)
        elif c in pairs:
            stack.append(pairs[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return i
        i += 1
    raise ValueError("unbalanced brackets")


def split_top(text: str, sep: str = ",") -> list[str]:
    parts, depth, i, start = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in "\"'`":
            i = string_end(text, i)
        elif c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def braced(text: str, start: int) -> str:
    """The inside of the `{...}` whose `{` is the first one at or after `start`."""
    open_at = text.find("{", start)
    if open_at < 0:
        raise Unresolved(f"no literal in {text[:60]}")
    return text[open_at + 1 : closing(text, open_at)]


def go_string(token: str) -> str | None:
    token = token.strip()
    if token.startswith("`") and token.endswith("`"):
        return token[1:-1]
    if token.startswith('"') and token.endswith('"'):
        return json.loads(token)
    return None


def fields(body: str) -> dict[str, str]:
    """`Key: value` pairs of a struct literal body."""
    out = {}
    for part in split_top(body):
        m = re.match(r"(\w+)\s*:\s*(.*)", part, re.DOTALL)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def imports(text: str) -> dict[str, str]:
    """Package name -> import path of a Go file."""
    out = {}
    block = re.search(r"^import \((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    lines = block.group(1).splitlines() if block else re.findall(r"^import (.*)$", text, re.MULTILINE)
    for line in lines:
        m = re.match(r'\s*(\w+)?\s*"([^"]+)"', line)
        if m:
            out[m.group(1) or m.group(2).rsplit("/", 1)[-1]] = m.group(2)
    return out


class Unresolved(Exception):
    pass


# -- the reader -----------------------------------------------------------------------------------------------------
class Reader:
    def __init__(self, tree: Tree):
        self.tree = tree
        self.unresolved: dict[str, list[str]] = {}

    def package_dir(self, file: str, package: str | None) -> str:
        if package is None:
            return file.rsplit("/", 1)[0]
        path = imports(self.tree.read(file)).get(package)
        if path is None:
            raise Unresolved(f"unknown package {package}")
        if path.startswith(MODULE):
            return path[len(MODULE) :]
        return f"vendor/{path}"

    def find_func(self, directory: str, name: str, receiver: str | None = None) -> tuple[str, str]:
        """(file, body) of `func name(` (or a method of `receiver`) in a package directory."""
        recv = rf"\(\w*\s*\*?{receiver}\)\s*" if receiver else ""
        pattern = re.compile(rf"^func {recv}{name}\(.*?\)[^{{\n]*\{{", re.MULTILINE)
        for file in self.tree.dir_files(directory):
            text = self.tree.read(file)
            m = pattern.search(text)
            if m:
                return file, text[m.end() : closing(text, m.end() - 1)]
        raise Unresolved(f"no func {name} in {directory}")

    def constant(self, directory: str, name: str):
        pattern = re.compile(rf"^\s*(?:const\s+)?{name}\s+(?:\w+\s+)?=\s*(.+)$", re.MULTILINE)
        for file in self.tree.dir_files(directory):
            m = pattern.search(self.tree.read(file))
            if m:
                return self.scalar(file, m.group(1).strip())
        raise Unresolved(f"no constant {name} in {directory}")

    def scalar(self, file: str, expr: str):
        expr = expr.strip()
        s = go_string(expr)
        if s is not None:
            return s
        if re.fullmatch(r"-?\d+", expr):
            return int(expr)
        if re.fullmatch(r"-?\d*\.\d+", expr):
            return float(expr)
        go_math = {"math.MaxInt32": 2**31 - 1, "math.MaxInt64": 2**63 - 1, "math.MaxInt": 2**63 - 1}
        if expr in go_math:
            return go_math[expr]
        m = re.fullmatch(r"(?:string|int|int64|float64)\((.*)\)", expr, re.DOTALL)
        if m:
            return self.scalar(file, m.group(1))
        m = re.fullmatch(r"(?:(\w+)\.)?([A-Za-z_]\w*)", expr)
        if m:
            return self.constant(self.package_dir(file, m.group(1)), m.group(2))
        raise Unresolved(f"value {expr}")

    def values(self, file: str, expr: str) -> list:
        """A Go slice expression: a literal, `pkg.PossibleValuesForX()`, or a function returning a literal."""
        expr = expr.strip()
        m = re.match(r"\[\]\w+\{", expr)
        if m:
            return [self.scalar(file, e) for e in split_top(braced(expr, 0))]
        m = re.fullmatch(r"(?:(\w+)\.)?(\w+)\(\)", expr)
        if m:
            directory = self.package_dir(file, m.group(1))
            found, body = self.find_func(directory, m.group(2))
            ret = re.search(r"return\s+(\[\]\w+\{)", body)
            if ret:
                return self.values(found, body[ret.start(1) :])
            out = []  # `for _, v := range x { out = append(out, string(v)) }` over PossibleValuesFor...
            for call in re.findall(r"(\w+\.PossibleValuesFor\w+\(\)|PossibleValuesFor\w+\(\))", body):
                out.extend(self.values(found, call))
            if out:
                return out
        m = re.fullmatch(r"(?:(\w+)\.)?([A-Za-z_]\w*)", expr)
        if m:  # a package-level `var name = []string{...}`
            directory = self.package_dir(file, m.group(1))
            for found in self.tree.dir_files(directory):
                text = self.tree.read(found)
                var = re.search(rf"^\s*(?:var\s+)?{m.group(2)}\s*=\s*(\[\]\w+\{{)", text, re.MULTILINE)
                if var:
                    return self.values(found, text[var.start(1) :])
        raise Unresolved(f"values {expr[:80]}")

    def validator(self, file: str, expr: str) -> dict:
        expr = expr.strip()
        m = re.match(r"validation\.(\w+)\((.*)\)$", expr, re.DOTALL)
        if m:
            name, args = m.group(1), split_top(m.group(2))
            if name in ("StringInSlice", "IntInSlice", "FloatInSlice"):
                rule = {"one_of": self.values(file, args[0])}
                if name == "StringInSlice" and len(args) > 1 and args[1] == "true":
                    rule["ignore_case"] = True
                return rule
            if name in ("IntBetween", "FloatBetween"):
                return {"between": [self.scalar(file, args[0]), self.scalar(file, args[1])]}
            if name in ("IntAtLeast", "FloatAtLeast"):
                return {"at_least": self.scalar(file, args[0])}
            if name in ("IntAtMost", "FloatAtMost"):
                return {"at_most": self.scalar(file, args[0])}
            if name == "All":
                merged: dict = {}
                for arg in args:
                    try:
                        merged.update(self.validator(file, arg))
                    except Unresolved:
                        pass
                if merged:
                    return merged
        m = re.fullmatch(r"(?:(\w+)\.)?(\w+)", expr)
        if m:
            try:
                _, body = self.find_func(self.package_dir(file, m.group(1)), m.group(2))
            except Unresolved:
                body = ""
            patterns = re.findall(r"(!?)regexp\.MustCompile\((`[^`]*`|\"(?:[^\"\\]|\\.)*\")\)\.MatchString", body)
            if len(patterns) == 1:  # `if !re.MatchString(v) {error}`: must match; without `!`: must not match
                return {"pattern" if patterns[0][0] else "forbidden_pattern": go_string(patterns[0][1])}
        if FORMAT_VALIDATOR.search(expr.split("(")[0]):
            return {}
        raise Unresolved(f"validator {expr[:100]}")

    # -- schema maps ------------------------------------------------------------------------------------------------
    def schema_map(self, file: str, expr: str, prefix: str, out: dict, where: str) -> None:
        """Walk `map[string]*pluginsdk.Schema{...}` (or a call returning one) into `out` by attribute path."""
        expr = expr.strip()
        if not expr.startswith("map["):
            m = re.fullmatch(r"(?:(\w+)\.)?(\w+)\((.*)\)", expr, re.DOTALL)
            if not m:
                raise Unresolved(f"schema map {expr[:80]}")
            found, body = self.find_func(self.package_dir(file, m.group(1)), m.group(2))
            ret = re.search(r"return\s+(map\[)", body)
            if not ret:
                raise Unresolved(f"schema map built in code: {m.group(2)}")
            return self.schema_map(found, body[ret.start(1) :], prefix, out, where)
        for entry in split_top(braced(expr, 0)):
            m = re.match(r'("(?:[^"\\]|\\.)*")\s*:\s*(.*)', entry, re.DOTALL)
            if not m:
                continue
            name = prefix + json.loads(m.group(1))
            try:
                self.schema_entry(file, m.group(2).strip(), name, out, where)
            except (Unresolved, ValueError) as e:
                self.unresolved.setdefault(where, []).append(f"{name}: {e}")

    def schema_entry(self, file: str, expr: str, path: str, out: dict, where: str) -> None:
        if expr.startswith("{") or expr.startswith("&pluginsdk.Schema{") or expr.startswith("&schema.Schema{"):
            body = braced(expr, 0)
        else:
            m = re.fullmatch(r"(?:(\w+)\.)?(\w+)\((.*)\)", expr, re.DOTALL)
            if not m:
                raise Unresolved(f"schema {expr[:80]}")
            try:
                directory = self.package_dir(file, m.group(1))
            except Unresolved:
                return  # a helper from the SDK's own packages (commonschema...) outside the tree: no rules read
            file, fbody = self.find_func(directory, m.group(2))
            ret = re.search(r"return\s+&(?:pluginsdk|schema)\.Schema\{", fbody)
            if not ret:
                raise Unresolved(f"schema built in code: {m.group(2)}")
            body = braced(fbody, ret.start())
        info = fields(body)
        rules: dict = {}
        for key, name in RELATION_KEYS.items():
            if key in info:
                rules[name] = self.values(file, info[key])
        if "ValidateFunc" in info:
            rules.update(self.validator(file, info["ValidateFunc"]))
        elem = info.get("Elem", "")
        if re.match(r"&(pluginsdk|schema)\.Resource\{", elem):
            inner = fields(braced(elem, 0)).get("Schema")
            if inner:
                self.schema_map(file, inner, path + ".", out, where)
        elif re.match(r"&(pluginsdk|schema)\.Schema\{", elem):
            element = fields(braced(elem, 0))
            if "ValidateFunc" in element:
                rules.update({f"each_{k}": v for k, v in self.validator(file, element["ValidateFunc"]).items()})
        if rules:
            out[path] = rules


# -- resources ------------------------------------------------------------------------------------------------------
def locate(tree: Tree, type_name: str) -> tuple[str, str, str]:
    """(file, kind, name): an untyped resource's constructor function or a typed resource's struct."""
    typed = tree.grep(rf'return "{type_name}"$', "internal/services")
    for file in typed:
        text = tree.read(file)
        m = re.search(rf'func \(\w*\s*\*?(\w+)\) ResourceType\(\) string \{{\s*return "{type_name}"', text)
        if m and not m.group(1).endswith("DataSource"):
            return file, "typed", m.group(1)
    for file in tree.grep(rf'"{type_name}":\s+\w+\(\),', "internal/services"):
        text = tree.read(file)
        m = re.search(rf'"{type_name}":\s+(\w+)\(\),', text)
        if m and "Resources()" in text[: m.start()].rsplit("func", 1)[-1] or m:
            # the data source map comes first in registration.go; take the entry inside SupportedResources
            for fm in re.finditer(r"func \(\w+ Registration\) SupportedResources\(\)[^{]*\{", text):
                body = text[fm.end() : closing(text, fm.end() - 1)]
                inner = re.search(rf'"{type_name}":\s+(\w+)\(\),', body)
                if inner:
                    return file, "untyped", inner.group(1)
    raise Unresolved(f"{type_name}: not found")


def resource_rules(reader: Reader, type_name: str) -> dict:
    tree = reader.tree
    file, kind, name = locate(tree, type_name)
    directory = file.rsplit("/", 1)[0]
    out: dict = {}
    if kind == "typed":
        found, body = reader.find_func(directory, "Arguments", receiver=name)
        ret = re.search(r"return\s+(map\[)", body)
        if not ret:
            raise Unresolved(f"{type_name}: Arguments() built in code")
        reader.schema_map(found, body[ret.start(1) :], "", out, type_name)
    else:
        found, body = reader.find_func(directory, name)
        schema = fields(braced(body, body.index("&pluginsdk.Resource{") if "&pluginsdk.Resource{" in body else 0))
        if "Schema" not in schema:
            raise Unresolved(f"{type_name}: no Schema in {name}")
        reader.schema_map(found, schema["Schema"], "", out, type_name)
    return dict(sorted(out.items()))


def resource_providers(tree: Tree) -> list[str]:
    """Every name the provider's registration sets spell (resourceproviders is case-sensitive)."""
    return sorted(set(re.findall(r'^\s*"([\w.]+)":\s*\{\}', tree.read("internal/resourceproviders/required.go"), re.M)))


def build(git_dir: Path, tag: str, types: list[str] | None = None) -> dict:
    tree = Tree(git_dir, tag)
    reader = Reader(tree)
    types = sorted(t for t in (types or scan_template()) if not t.startswith("data."))
    resources = {}
    for type_name in types:
        try:
            resources[type_name] = resource_rules(reader, type_name)
        except Unresolved as e:
            reader.unresolved.setdefault(type_name, []).append(str(e))
    return {
        "_comment": (
            "Generated by tools/refresh_provider_rules.py from the azurerm provider's Go source; do not edit by "
            "hand. Paths are attribute paths (nested blocks joined with '.'); relation paths are as the provider "
            "writes them ('.0.' marks a block's single element)."
        ),
        "provider": {
            "source": "registry.terraform.io/hashicorp/azurerm",
            "version": tag.lstrip("v"),
            "tag": tag,
            "commit": tree.commit,
        },
        "resource_providers": resource_providers(tree),
        "resources": resources,
        "unresolved": {k: sorted(v) for k, v in sorted(reader.unresolved.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("git_dir", type=Path, help="a git directory of hashicorp/terraform-provider-azurerm")
    parser.add_argument("tag", help="the release tag to read, e.g. v5.2.0")
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed file is not current")
    args = parser.parse_args(argv)
    try:
        data = build(args.git_dir, args.tag)
    except subprocess.CalledProcessError as e:
        print(f"git failed: {e.stderr.strip() or e}", file=sys.stderr)
        return 2
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(REPO)} is stale: run tools/refresh_provider_rules.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    count = sum(len(v) for v in data["resources"].values())
    print(
        f"wrote {OUTPUT.relative_to(REPO)}: {len(data['resources'])} resource types, {count} attribute rules, "
        f"{sum(len(v) for v in data['unresolved'].values())} unresolved"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
