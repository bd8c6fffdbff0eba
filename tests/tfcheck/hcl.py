"""Terraform files read with python-hcl2, the suite's one HCL parser, into what the checks need.

python-hcl2 8.x keeps line numbers on its rule tree (`hcl2.parses`), not in the dicts `hcl2.load` returns, so
this walks the tree: blocks with labels and lines, arguments with a line, a literal value where the expression is
a plain literal, the references (traversals such as `azurerm_x.y.identity[0].id`) each expression makes, and
the functions it calls. Names bound by `for` expressions and template `for` directives are not references.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule
from hcl2.rules.containers import ObjectElemKeyRule, ObjectRule, TupleRule
from hcl2.rules.directives import TemplateForRule, TemplateForStartRule
from hcl2.rules.expressions import BinaryOpRule, ConditionalRule, ExprTermRule, UnaryOpRule
from hcl2.rules.for_expressions import ForIntroRule, ForObjectExprRule, ForTupleExprRule
from hcl2.rules.functions import FunctionCallRule
from hcl2.rules.indexing import (
    AttrSplatExprTermRule,
    FullSplatExprTermRule,
    GetAttrExprTermRule,
    GetAttrRule,
    IndexExprTermRule,
    ShortIndexRule,
    SqbIndexRule,
)
from hcl2.rules.literal_rules import FloatLitRule, IdentifierRule, IntLitRule, LiteralValueRule
from hcl2.rules.strings import HeredocTemplateRule, StringRule

NOT_LITERAL = object()  # Attribute.value when the expression is not a plain literal


class ParseError(Exception):
    def __init__(self, msg: str, line: int):
        super().__init__(msg)
        self.msg = msg
        self.line = line


@dataclass
class Ref:
    """A traversal: root name plus steps ('attr', name) | ('index', key or None) | ('splat',)."""

    root: str
    steps: tuple
    line: int

    def text(self) -> str:
        out = self.root
        for s in self.steps:
            if s[0] == "attr":
                out += "." + s[1]
            elif s[0] == "splat":
                out += "[*]"
            else:
                out += f"[{s[1]!r}]" if s[1] is not None else "[...]"
        return out


@dataclass
class Attribute:
    name: str
    line: int
    kind: str  # lit | str | tmpl | heredoc | tuple | object | call | ref | op | for
    value: object  # python value when kind is lit/str/heredoc, else NOT_LITERAL
    refs: list
    items: list = field(default_factory=list)  # per-element refs of a tuple expression
    calls: set = field(default_factory=set)  # names of the functions the expression calls
    expr: object = None  # the python-hcl2 expression rule


@dataclass
class Block:
    type: str
    labels: list
    line: int
    end_line: int = 0
    attrs: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)


def _inner(node):
    """Through the (optionally parenthesised) expression terms python-hcl2 wraps every expression in."""
    while isinstance(node, ExprTermRule):
        node = node.expression
    return node


def _line(node) -> int:
    meta = getattr(node, "_meta", None)
    return meta.line if meta is not None and not meta.empty else 0


def _name(identifier) -> str:
    return str(identifier.serialize())


class _Walker:
    """Collects the references and calls of one expression."""

    def __init__(self, line: int):
        self.refs: list[Ref] = []
        self.calls: set[str] = set()
        self.scopes: list[set] = []
        self.line = line

    def bound(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def walk(self, node) -> None:
        if node is None or not hasattr(node, "children"):
            return
        if isinstance(node, ExprTermRule):
            node = _inner(node)
        if isinstance(node, IdentifierRule):
            self.reference(node, ())
            return
        if isinstance(node, (GetAttrExprTermRule, IndexExprTermRule, AttrSplatExprTermRule, FullSplatExprTermRule)):
            self.traversal(node)
            return
        if isinstance(node, FunctionCallRule):
            self.calls.add("::".join(_name(i) for i in node.identifiers))
            if node.arguments is not None:
                for argument in node.arguments.arguments:
                    self.walk(argument)
            return
        if isinstance(node, (ForTupleExprRule, ForObjectExprRule)):
            intro: ForIntroRule = node.for_intro
            self.walk(intro.iterable)
            names = {_name(intro.first_iterator)}
            if intro.second_iterator is not None:
                names.add(_name(intro.second_iterator))
            self.scopes.append(names)
            for child in node.children:
                if child is not intro:
                    self.walk(child)
            self.scopes.pop()
            return
        if isinstance(node, TemplateForRule):
            start = next(c for c in node.children if isinstance(c, TemplateForStartRule))
            names = {_name(c) for c in start.children if isinstance(c, IdentifierRule)}
            for child in start.children:
                if isinstance(child, ExprTermRule):
                    self.walk(child)
            self.scopes.append(names)
            for child in node.children:
                if child is not start:
                    self.walk(child)
            self.scopes.pop()
            return
        if isinstance(node, ObjectElemKeyRule):
            return  # a bare key (`name = ...`) is a literal name; `(expr) = ...` keys are ObjectElemKeyExpressionRule
        if isinstance(node, HeredocTemplateRule):
            self.template_text(str(node.serialize()))
            return
        for child in node.children:
            self.walk(child)

    def template_text(self, text: str) -> None:
        """A heredoc arrives as one token: read its `${...}` and `%{ for ... }` pieces."""
        names: set = set()
        for directive in re.finditer(r"%\{~?\s*for\s+(\w+)(?:\s*,\s*(\w+))?\s+in\s+(.*?)~?\}", text):
            self.expression_text(directive.group(3))
            names |= {n for n in directive.groups()[:2] if n}
        self.scopes.append(names)
        for interpolation in re.finditer(r"\$\{~?(.*?)~?\}", text, re.DOTALL):
            self.expression_text(interpolation.group(1))
        self.scopes.pop()

    def expression_text(self, text: str) -> None:
        try:
            tree = hcl2.parses(f"x = {text.strip()}\n")
        except Exception:  # noqa: BLE001 - a piece this reader cannot split is left to terraform
            return
        self.walk(tree.body.children[0].expression)

    def reference(self, root_term, steps: tuple) -> None:
        name = _name(root_term)
        if name in ("true", "false", "null"):
            return
        if not self.bound(name):
            self.refs.append(Ref(name, steps, _line(root_term) or self.line))

    def traversal(self, node) -> None:
        steps: list = []
        while True:
            if isinstance(node, GetAttrExprTermRule):
                steps.append(("attr", _name(node.get_attr.children[-1])))
                node = node.children[0]
            elif isinstance(node, IndexExprTermRule):
                index = node.children[1]
                if isinstance(index, ShortIndexRule):
                    steps.append(("index", int(str(index.children[-1].serialize()))))
                else:
                    key_node = index.index_expression if isinstance(index, SqbIndexRule) else None
                    key = _literal_of(key_node)
                    steps.append(("index", None if key is NOT_LITERAL else key))
                    self.walk(key_node)
                node = node.children[0]
            elif isinstance(node, (AttrSplatExprTermRule, FullSplatExprTermRule)):
                splat = node.children[1]
                after = [("attr", _name(c.children[-1])) for c in splat.children if isinstance(c, GetAttrRule)]
                steps = after[::-1] + [("splat",)] if not steps else steps + after[::-1] + [("splat",)]
                for child in splat.children:
                    if not isinstance(child, (GetAttrRule,)) and hasattr(child, "children"):
                        self.walk(child)
                node = node.children[0]
            elif isinstance(node, ExprTermRule):
                node = _inner(node)
            else:
                break
        steps.reverse()
        if isinstance(node, IdentifierRule):
            self.reference(node, tuple(steps))
        else:
            self.walk(node)


def _literal_of(node):
    """The Python value of a literal expression, else NOT_LITERAL (None for `null`)."""
    if node is None:
        return NOT_LITERAL
    node = _inner(node)
    if isinstance(node, (IntLitRule, FloatLitRule)):
        value = node.serialize()
        return float(value) if isinstance(value, str) else value
    if isinstance(node, LiteralValueRule):
        value = node.serialize()
        if value is None or isinstance(value, bool):
            return value
        return {"true": True, "false": False, "null": None}.get(str(value), NOT_LITERAL)
    if isinstance(node, IdentifierRule):
        return {"true": True, "false": False, "null": None}.get(_name(node), NOT_LITERAL)
    if isinstance(node, UnaryOpRule) and str(node.operator) == "-":
        inner = _literal_of(node.children[-1])
        return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else NOT_LITERAL
    if isinstance(node, StringRule):
        if any(hasattr(part.children[0], "children") for part in node.string_parts):
            return NOT_LITERAL  # an interpolation or a template directive
        return json.loads(str(node.serialize()))
    return NOT_LITERAL


def _kind(node) -> str:
    node = _inner(node)
    if isinstance(node, (IntLitRule, FloatLitRule, LiteralValueRule)):
        return "lit"
    if isinstance(node, IdentifierRule):
        return "lit" if _name(node) in ("true", "false", "null") else "ref"
    if isinstance(node, UnaryOpRule):
        return "lit" if _literal_of(node) is not NOT_LITERAL else "op"
    if isinstance(node, StringRule):
        return "str" if _literal_of(node) is not NOT_LITERAL else "tmpl"
    if isinstance(node, HeredocTemplateRule):
        return "heredoc"
    if isinstance(node, TupleRule):
        return "tuple"
    if isinstance(node, ObjectRule):
        return "object"
    if isinstance(node, FunctionCallRule):
        return "call"
    if isinstance(node, (ForTupleExprRule, ForObjectExprRule)):
        return "for"
    if isinstance(node, (GetAttrExprTermRule, IndexExprTermRule, AttrSplatExprTermRule, FullSplatExprTermRule)):
        root = node
        while isinstance(root, (GetAttrExprTermRule, IndexExprTermRule, AttrSplatExprTermRule, FullSplatExprTermRule)):
            root = _inner(root.children[0])
        return "ref" if isinstance(root, IdentifierRule) else "op"
    if isinstance(node, (BinaryOpRule, ConditionalRule)):
        return "op"
    return "op"


def _heredoc_value(node) -> object:
    text = str(node.serialize())
    match = re.match(r"<<(-?)(\w+)\r?\n(.*)\2\s*$", text, re.DOTALL)
    if not match or "${" in match.group(3) or "%{" in match.group(3):
        return NOT_LITERAL
    return match.group(3)


def attribute(rule: AttributeRule) -> Attribute:
    expr = rule.expression
    line = _line(rule)
    walker = _Walker(line)
    kind = _kind(expr)
    items: list = []
    inner = _inner(expr)
    if isinstance(inner, TupleRule):
        for element in inner.elements:
            before = len(walker.refs)
            walker.walk(element)
            items.append(walker.refs[before:])
    else:
        walker.walk(expr)
    if kind == "heredoc":
        value = _heredoc_value(inner)
    else:
        value = _literal_of(expr) if kind in ("lit", "str") else NOT_LITERAL
    return Attribute(_name(rule.identifier), line, kind, value, walker.refs, items, walker.calls, expr)


def _body(rule, block: Block) -> None:
    for child in rule.children:
        if isinstance(child, AttributeRule):
            attr = attribute(child)
            if attr.name in block.attrs:
                first = block.attrs[attr.name].line
                raise ParseError(f"argument {attr.name!r} defined twice (first on line {first})", attr.line)
            block.attrs[attr.name] = attr
        elif isinstance(child, BlockRule):
            labels = [str(label.serialize()) for label in child.labels]
            labels = [json.loads(label) if label.startswith('"') else label for label in labels]
            meta = child._meta
            inner = Block(labels[0], labels[1:], _line(child), getattr(meta, "end_line", 0) or _line(child))
            _body(child.body, inner)
            block.blocks.append(inner)


def parse_text(text: str) -> Block:
    """The file's top level as a Block of type ''; ParseError (with a line) when python-hcl2 rejects it."""
    try:
        tree = hcl2.parses(text)
    except Exception as e:  # noqa: BLE001 - lark raises several error types, all with a line
        line = getattr(e, "line", None) or 1
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ParseError(message, line) from None
    body = Block("", [], 1, text.count("\n") + 1)
    _body(tree.body, body)
    return body


_CACHE: dict[str, object] = {}


def parse_cached(text: str) -> Block:
    """parse_text, once per distinct file content in a session (rendered projects share most files); a
    ParseError is cached and raised again."""
    key = hashlib.sha1(text.encode("utf-8")).hexdigest()
    if key not in _CACHE:
        try:
            _CACHE[key] = parse_text(text)
        except ParseError as e:
            _CACHE[key] = e
    hit = _CACHE[key]
    if isinstance(hit, ParseError):
        raise hit
    return hit
