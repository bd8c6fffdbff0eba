"""A small evaluator for the Terraform expressions the provider-rule check must decide.

It reads the expression text python-hcl2 serializes (`var.x == "java" ? var.v : null`) and evaluates it with some
variables bound: literals, `var.x`, `== != < <= > >= && || !`, `? :`, parentheses, lists, string templates over
variables, and the functions `contains`, `can`, `regex`, `floor`, `length`. Anything else is UNKNOWN, and UNKNOWN
spreads (`UNKNOWN == 1` is UNKNOWN), so a caller can tell "false" from "cannot tell".
"""

from __future__ import annotations

import math
import re


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
_TOKEN = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>")|(?P<op>==|!=|<=|>=|&&|\|\||[<>!?:()\[\],.{}=+\-*/%])'
    r"|(?P<name>[A-Za-z_][\w-]*))"
)


class ParseError(Exception):
    pass


def _read_string(text: str, i: int) -> tuple[list, int]:
    """Parts of a quoted template starting after its opening quote: str pieces and ('expr', text) pieces."""
    parts, buf = [], []
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1]
            buf.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, nxt))
            i += 2
        elif c == '"':
            if buf:
                parts.append("".join(buf))
            return parts, i + 1
        elif text.startswith("${", i):
            if buf:
                parts.append("".join(buf))
                buf = []
            depth, j = 1, i + 2
            while depth:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                j += 1
            parts.append(("expr", text[i + 2 : j - 1]))
            i = j
        else:
            buf.append(c)
            i += 1
    raise ParseError("unterminated string")


def tokenize(text: str) -> list:
    tokens, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        if not m:
            raise ParseError(f"unexpected {text[i : i + 10]!r}")
        if m.group("num"):
            tokens.append(
                ("num", float(m.group("num")) if re.search(r"[.eE]", m.group("num")) else int(m.group("num")))
            )
            i = m.end()
        elif m.group("str"):
            parts, i = _read_string(text, m.end())
            tokens.append(("str", parts))
        elif m.group("op"):
            tokens.append(("op", m.group("op")))
            i = m.end()
        else:
            tokens.append(("name", m.group("name")))
            i = m.end()
    return tokens


class _Parser:
    """Recursive descent to a tuple tree."""

    def __init__(self, tokens: list):
        self.tokens, self.pos = tokens, 0

    def peek(self, value=None):
        if self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if value is None or tok == ("op", value):
                return tok
        return None

    def take(self, value):
        if not self.peek(value):
            raise ParseError(f"expected {value}")
        self.pos += 1

    def parse(self):
        node = self.conditional()
        if self.pos != len(self.tokens):
            raise ParseError("trailing tokens")
        return node

    def conditional(self):
        cond = self.binary(0)
        if self.peek("?"):
            self.take("?")
            a = self.conditional()
            self.take(":")
            b = self.conditional()
            return ("if", cond, a, b)
        return cond

    LEVELS = [("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%")]

    def binary(self, level):
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek() and self.peek()[0] == "op" and self.peek()[1] in self.LEVELS[level]:
            op = self.tokens[self.pos][1]
            self.pos += 1
            node = ("bin", op, node, self.binary(level + 1))
        return node

    def unary(self):
        if self.peek("!"):
            self.take("!")
            return ("not", self.unary())
        if self.peek("-"):
            self.take("-")
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node):
        while True:
            if self.peek("."):
                self.take(".")
                tok = self.tokens[self.pos]
                self.pos += 1
                node = ("attr", node, tok[1])
            elif self.peek("["):
                self.take("[")
                index = self.conditional()
                self.take("]")
                node = ("index", node, index)
            else:
                return node

    def primary(self):
        tok = self.tokens[self.pos] if self.pos < len(self.tokens) else None
        if tok is None:
            raise ParseError("unexpected end")
        self.pos += 1
        kind, value = tok
        if kind == "num":
            return ("lit", value)
        if kind == "str":
            parts = [p if isinstance(p, str) else _Parser(tokenize(p[1])).parse() for p in value]
            if all(isinstance(p, str) for p in parts):
                return ("lit", "".join(parts))
            return ("tmpl", parts)
        if kind == "op" and value == "(":
            node = self.conditional()
            self.take(")")
            return node
        if kind == "op" and value == "[":
            items = []
            while not self.peek("]"):
                items.append(self.conditional())
                if self.peek(","):
                    self.take(",")
            self.take("]")
            return ("list", items)
        if kind == "name":
            if value in ("true", "false"):
                return ("lit", value == "true")
            if value == "null":
                return ("lit", None)
            if self.peek("("):
                self.take("(")
                args = []
                while not self.peek(")"):
                    args.append(self.conditional())
                    if self.peek(","):
                        self.take(",")
                self.take(")")
                return ("call", value, args)
            return ("name", value)
        raise ParseError(f"unexpected {value!r}")


def parse(text: str):
    return _Parser(tokenize(text)).parse()


def _var(node) -> str | None:
    if node[0] == "attr" and node[1] == ("name", "var"):
        return node[2]
    return None


def variables(node, out: set | None = None) -> set:
    """Names of the variables an expression reads."""
    out = set() if out is None else out
    name = _var(node)
    if name:
        out.add(name)
        return out
    for child in node[1:]:
        if isinstance(child, tuple):
            variables(child, out)
        elif isinstance(child, list):
            for item in child:
                if isinstance(item, tuple):
                    variables(item, out)
    return out


def comparisons(node, out: dict) -> dict:
    """var name -> literals it is compared with (==, !=, contains lists): the values worth trying."""
    if node[0] == "bin" and node[1] in ("==", "!="):
        for a, b in ((node[2], node[3]), (node[3], node[2])):
            if _var(a) and b[0] == "lit":
                out.setdefault(_var(a), set()).add(b[1])
    if node[0] == "call" and node[1] == "contains" and len(node[2]) == 2 and _var(node[2][1]):
        if node[2][0][0] == "list":
            out.setdefault(_var(node[2][1]), set()).update(i[1] for i in node[2][0][1] if i[0] == "lit")
    for child in node[1:]:
        if isinstance(child, tuple):
            comparisons(child, out)
        elif isinstance(child, list):
            for item in child:
                if isinstance(item, tuple):
                    comparisons(item, out)
    return out


def evaluate(node, env: dict):
    kind = node[0]
    if kind == "lit":
        return node[1]
    name = _var(node)
    if name is not None:
        return env.get(name, UNKNOWN)
    if kind == "tmpl":
        out = []
        for part in node[1]:
            value = part if isinstance(part, str) else evaluate(part, env)
            if value is UNKNOWN or value is None:
                return UNKNOWN
            out.append(value if isinstance(value, str) else _fmt(value))
        return "".join(out)
    if kind == "list":
        items = [evaluate(i, env) for i in node[1]]
        return UNKNOWN if any(i is UNKNOWN for i in items) else items
    if kind == "if":
        cond = evaluate(node[1], env)
        if cond is UNKNOWN:
            return UNKNOWN
        return evaluate(node[2] if cond else node[3], env)
    if kind == "not":
        value = evaluate(node[1], env)
        return UNKNOWN if value is UNKNOWN else not value
    if kind == "neg":
        value = evaluate(node[1], env)
        return UNKNOWN if not isinstance(value, (int, float)) else -value
    if kind == "bin":
        return _binary(node[1], node[2], node[3], env)
    if kind == "call":
        return _call(node[1], node[2], env)
    return UNKNOWN


def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _binary(op, left, right, env):
    if op in ("&&", "||"):
        a = evaluate(left, env)
        if op == "&&" and a is False:
            return False
        if op == "||" and a is True:
            return True
        b = evaluate(right, env)
        if op == "&&" and b is False:
            return False
        if op == "||" and b is True:
            return True
        return UNKNOWN if UNKNOWN in (a, b) else (a and b if op == "&&" else a or b)
    a, b = evaluate(left, env), evaluate(right, env)
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    try:
        if op == "==":
            return _same(a, b)
        if op == "!=":
            return not _same(a, b)
        if None in (a, b) or isinstance(a, str) or isinstance(b, str):
            return UNKNOWN
        return {
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "%": lambda: a % b,
        }[op]()
    except (TypeError, ZeroDivisionError):
        return UNKNOWN


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


class _Failed(Exception):
    pass


def _call(name, args, env):
    if name == "can":
        try:
            value = _strict(args[0], env)
        except _Failed:
            return False
        return UNKNOWN if value is UNKNOWN else True
    values = [evaluate(a, env) for a in args]
    if any(v is UNKNOWN for v in values):
        return UNKNOWN
    if name == "contains" and len(values) == 2 and isinstance(values[0], list):
        return any(_same(item, values[1]) for item in values[0])
    if name == "floor" and isinstance(values[0], (int, float)) and not isinstance(values[0], bool):
        return math.floor(values[0])
    if name == "length" and isinstance(values[0], (str, list)):
        return len(values[0])
    if name == "regex" and all(isinstance(v, str) for v in values):
        found = re.search(values[0], values[1])
        return found.group(0) if found else UNKNOWN
    return UNKNOWN


def _strict(node, env):
    """For can(): a regex that does not match is an error, so can() is false."""
    if node[0] == "call" and node[1] == "regex":
        values = [evaluate(a, env) for a in node[2]]
        if any(v is UNKNOWN for v in values) or not all(isinstance(v, str) for v in values):
            return UNKNOWN
        if not re.search(values[0], values[1]):
            raise _Failed
        return True
    return evaluate(node, env)
