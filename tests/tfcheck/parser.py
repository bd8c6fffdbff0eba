"""A small recursive-descent parser for Terraform's HCL native syntax.

It builds just what the checks need: blocks with labels, attributes with line
numbers and token spans, a literal value where the expression is a plain
literal, and the references (traversals such as `azurerm_x.y.identity[0].id`)
each expression makes. Names bound by `for` expressions and template `for`
directives are resolved while parsing, so they never show up as references.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from . import lexer as L
from .lexer import Token

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
    value: object  # python value when kind is lit/str, else NOT_LITERAL
    refs: list
    start: int  # expression token span [start, end) in the full token list
    end: int
    items: list = field(default_factory=list)  # per-element refs of a tuple expression
    calls: set = field(default_factory=set)  # names of the functions the expression calls


@dataclass
class Block:
    type: str
    labels: list
    line: int
    end_line: int = 0
    attrs: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)
    label_tokens: list = field(default_factory=list)  # full-token indices of the labels


@dataclass
class File:
    path: str
    tokens: list
    body: Block  # pseudo block of type "" holding the top-level content


class _Parser:
    BINARY: ClassVar[dict] = {
        "Or": 1,
        "And": 2,
        "EqualOp": 3,
        "NotEqual": 3,
        "LessThan": 4,
        "LessThanEq": 4,
        "GreaterThan": 4,
        "GreaterThanEq": 4,
        "Plus": 5,
        "Minus": 5,
        "Star": 6,
        "Slash": 6,
        "Percent": 6,
    }

    def __init__(self, tokens: list[Token], path: str):
        self.path = path
        # Comments are invisible to the grammar, except that a line comment ends a line.
        self.toks: list[Token] = []
        self.index: list[int] = []
        for i, t in enumerate(tokens):
            if t.type == L.COMMENT:
                if t.text.endswith("\n"):
                    self.toks.append(Token(L.NEWLINE, "\n", t.line))
                    self.index.append(i)
                continue
            self.toks.append(t)
            self.index.append(i)
        self.i = 0
        self.nl = [True]  # are newlines significant in the current context?
        self.scopes: list[set] = []
        self.refs: list[Ref] = []
        self.calls: set[str] = set()

    # -- token helpers -------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        i = self.i
        skip = not self.nl[-1]
        while True:
            t = self.toks[i]
            if skip and t.type == L.NEWLINE:
                i += 1
                continue
            if ahead == 0:
                return t
            ahead -= 1
            i += 1

    def next(self) -> Token:
        if not self.nl[-1]:
            while self.toks[self.i].type == L.NEWLINE:
                self.i += 1
        t = self.toks[self.i]
        if t.type != L.EOF:
            self.i += 1
        return t

    def expect(self, type_: str, what: str) -> Token:
        t = self.next()
        if t.type != type_:
            raise ParseError(f"expected {what}, found {t.text or t.type!r}", t.line)
        return t

    def skip_newlines(self) -> None:
        while self.toks[self.i].type == L.NEWLINE:
            self.i += 1

    # -- bodies ----------------------------------------------------------------
    def parse_file(self) -> Block:
        body = Block("", [], 1)
        self.parse_body(body, top=True)
        return body

    def parse_body(self, block: Block, top: bool = False) -> None:
        while True:
            self.skip_newlines()
            t = self.toks[self.i]
            if t.type == L.EOF:
                if not top:
                    raise ParseError(f"unclosed block {block.type!r} opened on line {block.line}", t.line)
                block.end_line = t.line
                return
            if t.type == "CBrace" and not top:
                block.end_line = t.line
                self.i += 1
                return
            self.parse_item(block)
            t = self.toks[self.i]
            if t.type == L.NEWLINE:
                self.i += 1
            elif t.type != L.EOF and not (t.type == "CBrace" and not top):
                raise ParseError(f"expected a newline after the definition, found {t.text!r}", t.line)

    def parse_item(self, parent: Block) -> None:
        name = self.toks[self.i]
        if name.type != L.IDENT:
            raise ParseError(f"expected an argument or block name, found {name.text or name.type!r}", name.line)
        self.i += 1
        if self.toks[self.i].type == "Equal":
            self.i += 1
            attr = self.parse_attr_value(name)
            if name.text in parent.attrs:
                raise ParseError(
                    f"argument {name.text!r} defined twice (first on line {parent.attrs[name.text].line})", name.line
                )
            parent.attrs[name.text] = attr
            return
        block = Block(name.text, [], name.line)
        while True:
            t = self.toks[self.i]
            if t.type == L.IDENT:
                block.labels.append(t.text)
                block.label_tokens.append((self.index[self.i], self.index[self.i]))
                self.i += 1
            elif t.type == L.OQUOTE:
                start = self.i
                self.i += 1
                text = ""
                while self.toks[self.i].type == L.QUOTED_LIT:
                    text += self.toks[self.i].text
                    self.i += 1
                if self.toks[self.i].type != L.CQUOTE:
                    raise ParseError("block labels must be plain quoted strings", t.line)
                self.i += 1
                block.labels.append(text)
                block.label_tokens.append((self.index[start], self.index[self.i - 1]))
            else:
                break
        t = self.toks[self.i]
        if t.type != "OBrace":
            raise ParseError(f"expected '=' or '{{' after {name.text!r}, found {t.text or t.type!r}", t.line)
        self.i += 1
        if self.toks[self.i].type == L.NEWLINE:
            self.parse_body(block)
        else:  # single-line block: `x {}` or `x { a = 1 }`
            if self.toks[self.i].type != "CBrace":
                n = self.toks[self.i]
                if n.type != L.IDENT or self.toks[self.i + 1].type != "Equal":
                    raise ParseError("a single-line block may only contain one argument", n.line)
                self.parse_item(block)
            if self.toks[self.i].type != "CBrace":
                raise ParseError("a single-line block may only contain one argument", self.toks[self.i].line)
            block.end_line = self.toks[self.i].line
            self.i += 1
        parent.blocks.append(block)

    def parse_attr_value(self, name: Token) -> Attribute:
        self.refs = []
        self.calls = set()
        start = self.i
        if self.toks[start].type in (L.NEWLINE, L.EOF):
            raise ParseError(f"missing value for argument {name.text!r}", name.line)
        kind, value, items = self.parse_expr_top()
        end = self.index[self.i - 1] + 1
        t = self.toks[self.i]
        if t.type not in (L.NEWLINE, L.EOF, "CBrace"):
            raise ParseError(f"unexpected {t.text!r} after the value of {name.text!r}", t.line)
        return Attribute(name.text, name.line, kind, value, self.refs, self.index[start], end, items, self.calls)

    def parse_expr_top(self):
        """Parse an expression; for a tuple also return each element's references."""
        if self.peek().type == "OBrack" and self.peek(1).text != "for":
            # Tuples get their elements' references kept apart (depends_on, ignore_changes).
            self.next()
            self.nl.append(False)
            items = []
            while self.peek().type != "CBrack":
                before = len(self.refs)
                self.parse_expr()
                items.append(self.refs[before:])
                if self.peek().type == "Comma":
                    self.next()
                elif self.peek().type != "CBrack":
                    raise ParseError(f"expected ',' or ']' in list, found {self.peek().text!r}", self.peek().line)
            self.next()
            self.nl.pop()
            kind, value = self.postfix("tuple", NOT_LITERAL, None)
            if kind == "tuple":
                kind, value = self.finish_expr(kind, value)
            return kind, value, items if kind == "tuple" else []
        kind, value = self.parse_expr()
        return kind, value, []

    # -- expressions -------------------------------------------------------------
    def finish_expr(self, kind, value):
        """Continue after a primary/postfix expression with operators and `?:`."""
        kind, value = self.binary_rest(kind, value, 1)
        return self.conditional_rest(kind, value)

    def parse_expr(self):
        kind, value = self.parse_binary(1)
        return self.conditional_rest(kind, value)

    def conditional_rest(self, kind, value):
        if self.peek().type == "Question":
            self.next()
            self.parse_expr()
            self.expect("Colon", "':' in conditional expression")
            self.parse_expr()
            return "op", NOT_LITERAL
        return kind, value

    def parse_binary(self, min_prec: int):
        kind, value = self.parse_unary()
        return self.binary_rest(kind, value, min_prec)

    def binary_rest(self, kind, value, min_prec: int):
        while True:
            prec = self.BINARY.get(self.peek().type)
            if prec is None or prec < min_prec:
                return kind, value
            self.next()
            self.parse_binary(prec + 1)
            kind, value = "op", NOT_LITERAL

    def parse_unary(self):
        t = self.peek()
        if t.type in ("Minus", "Bang"):
            self.next()
            kind, value = self.parse_unary()
            if t.type == "Minus" and kind == "lit" and isinstance(value, (int, float)):
                return "lit", -value
            return "op", NOT_LITERAL
        return self.parse_postfix()

    def parse_postfix(self):
        t = self.next()
        root = None
        if t.type == L.NUMBER:
            kind, value = "lit", (float(t.text) if any(c in t.text for c in ".eE") else int(t.text))
        elif t.type == L.IDENT:
            if t.text in ("true", "false"):
                kind, value = "lit", t.text == "true"
            elif t.text == "null":
                kind, value = "lit", None
            elif self.peek().type in ("OParen", "DoubleColon"):
                self.parse_call(t)
                kind, value = "call", NOT_LITERAL
            else:
                root = t
                kind, value = "ref", NOT_LITERAL
        elif t.type == L.OQUOTE:
            kind, value = self.parse_template(L.CQUOTE)
        elif t.type == L.OHEREDOC:
            kind, value = self.parse_template(L.CHEREDOC)
            kind, value = "heredoc", (value if kind == "str" else NOT_LITERAL)
        elif t.type == "OParen":
            self.nl.append(False)
            kind, value = self.parse_expr()
            self.expect("CParen", "')'")
            self.nl.pop()
        elif t.type == "OBrack":
            kind, value = self.parse_tuple()
        elif t.type == "OBrace":
            kind, value = self.parse_object()
        else:
            raise ParseError(f"expected an expression, found {t.text or t.type!r}", t.line)
        return self.postfix(kind, value, root)

    def postfix(self, kind, value, root):
        steps = []
        while True:
            t = self.peek()
            if t.type == "Dot":
                self.next()
                n = self.next()
                if n.type == L.IDENT:
                    steps.append(("attr", n.text))
                elif n.type == L.NUMBER:
                    steps.append(("index", int(float(n.text))))
                elif n.type == "Star":
                    steps.append(("splat",))
                else:
                    raise ParseError(f"expected an attribute name after '.', found {n.text!r}", n.line)
            elif t.type == "OBrack":
                self.next()
                self.nl.append(False)
                if self.peek().type == "Star":
                    self.next()
                    steps.append(("splat",))
                else:
                    k, v = self.parse_expr()
                    steps.append(("index", v if k in ("lit", "str") else None))
                self.expect("CBrack", "']'")
                self.nl.pop()
            else:
                break
        if root is not None and not any(root.text in s for s in self.scopes):
            self.refs.append(Ref(root.text, tuple(steps), root.line))
        if steps:
            return ("ref" if root is not None else "op"), NOT_LITERAL
        return kind, value

    def parse_call(self, name: Token) -> None:
        self.calls.add(name.text)
        while self.peek().type == "DoubleColon":  # provider::ns::func
            self.next()
            self.expect(L.IDENT, "a function name")
        self.expect("OParen", "'('")
        self.nl.append(False)
        while self.peek().type != "CParen":
            self.parse_expr()
            if self.peek().type == "Ellipsis":
                self.next()
            if self.peek().type == "Comma":
                self.next()
            elif self.peek().type != "CParen":
                raise ParseError(
                    f"expected ',' or ')' in call to {name.text}(), found {self.peek().text!r}", self.peek().line
                )
        self.next()
        self.nl.pop()

    def parse_template(self, closer: str):
        literal = ""
        only_literal = True
        depth: list[str] = []  # open directives
        while True:
            t = self.toks[self.i]
            self.i += 1
            if t.type == closer:
                break
            if t.type in (L.QUOTED_LIT, L.STRING_LIT):
                literal += t.text
            elif t.type == L.INTERP:
                only_literal = False
                self.nl.append(False)
                self.parse_expr()
                self.expect(L.SEQ_END, "'}' closing the interpolation")
                self.nl.pop()
            elif t.type == L.CONTROL:
                only_literal = False
                self.nl.append(False)
                self.parse_directive(depth, t)
                self.expect(L.SEQ_END, "'}' closing the template directive")
                self.nl.pop()
            else:
                raise ParseError(f"unterminated template (found {t.text or t.type!r})", t.line)
        if depth:
            raise ParseError(f"template directive %{{{depth[-1]}}} is never closed", self.toks[self.i - 1].line)
        if only_literal:
            return "str", literal
        return "tmpl", NOT_LITERAL

    def parse_directive(self, depth: list, start: Token) -> None:
        kw = self.expect(L.IDENT, "a template directive keyword")
        if kw.text == "if":
            self.parse_expr()
            depth.append("if")
        elif kw.text == "else":
            if not depth or depth[-1] != "if":
                raise ParseError("%{else} without %{if}", kw.line)
        elif kw.text == "endif":
            if not depth or depth.pop() != "if":
                raise ParseError("%{endif} without %{if}", kw.line)
        elif kw.text == "for":
            names = {self.expect(L.IDENT, "a loop variable").text}
            if self.peek().type == "Comma":
                self.next()
                names.add(self.expect(L.IDENT, "a loop variable").text)
            if self.next().text != "in":
                raise ParseError("expected 'in' in template for directive", kw.line)
            self.parse_expr()
            self.scopes.append(names)
            depth.append("for")
        elif kw.text == "endfor":
            if not depth or depth.pop() != "for":
                raise ParseError("%{endfor} without %{for}", kw.line)
            self.scopes.pop()
        else:
            raise ParseError(f"unknown template directive %{{{kw.text}}}", kw.line)

    def parse_for(self, closer: str, is_object: bool) -> None:
        self.next()  # 'for'
        names = {self.expect(L.IDENT, "a for-expression variable").text}
        if self.peek().type == "Comma":
            self.next()
            names.add(self.expect(L.IDENT, "a for-expression variable").text)
        t = self.next()
        if t.text != "in":
            raise ParseError(f"expected 'in' in for expression, found {t.text!r}", t.line)
        self.parse_expr()
        self.expect("Colon", "':' in for expression")
        self.scopes.append(names)
        self.parse_expr()
        if is_object:
            self.expect("FatArrow", "'=>' in object for expression")
            self.parse_expr()
            if self.peek().type == "Ellipsis":
                self.next()
        if self.peek().type == L.IDENT and self.peek().text == "if":
            self.next()
            self.parse_expr()
        self.scopes.pop()
        self.expect(closer, "the end of the for expression")

    def parse_tuple(self):
        self.nl.append(False)
        if self.peek().type == L.IDENT and self.peek().text == "for" and self.peek(1).type == L.IDENT:
            self.parse_for("CBrack", False)
            self.nl.pop()
            return "for", NOT_LITERAL
        while self.peek().type != "CBrack":
            self.parse_expr()
            if self.peek().type == "Comma":
                self.next()
            elif self.peek().type != "CBrack":
                raise ParseError(f"expected ',' or ']' in list, found {self.peek().text!r}", self.peek().line)
        self.next()
        self.nl.pop()
        return "tuple", NOT_LITERAL

    def parse_object(self):
        self.nl.append(False)
        if self.peek().type == L.IDENT and self.peek().text == "for" and self.peek(1).type == L.IDENT:
            self.parse_for("CBrace", True)
            self.nl.pop()
            return "for", NOT_LITERAL
        self.nl[-1] = True  # newlines separate object items
        while True:
            self.skip_newlines()
            t = self.peek()
            if t.type == "CBrace":
                self.next()
                break
            if t.type == L.IDENT and self.peek(1).type in ("Equal", "Colon"):
                self.next()  # a bare key is a literal name, not a reference
            else:
                self.parse_expr()
            sep = self.next()
            if sep.type not in ("Equal", "Colon"):
                raise ParseError(f"expected '=' after object key, found {sep.text or sep.type!r}", sep.line)
            self.parse_expr()
            t = self.peek()
            if t.type in ("Comma", L.NEWLINE):
                self.next()
            elif t.type != "CBrace":
                raise ParseError(f"expected ',' or a newline between object items, found {t.text!r}", t.line)
        self.nl.pop()
        return "object", NOT_LITERAL


def parse_tokens(tokens: list[Token], path: str) -> Block:
    """Parse a token list into the top-level pseudo block; raise ParseError."""
    return _Parser(tokens, path).parse_file()


def parse_text(text: str, path: str = "<string>") -> File:
    tokens = L.tokenize(text)
    return File(path, tokens, parse_tokens(tokens, path))
