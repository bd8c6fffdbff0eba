"""Tokenizer for HCL native syntax.

Token types and boundaries mirror hashicorp/hcl's hclsyntax scanner, because
the formatter check (fmt.py) replays hclwrite's whitespace rules token by
token and must see exactly the tokens `terraform fmt` sees. Notable details:

* a line comment (`#`, `//`) owns its terminating newline, a `/* */` comment
  does not;
* quoted strings become OQuote, QuotedLit*, CQuote with TemplateInterp
  (`${`), TemplateControl (`%{`) and TemplateSeqEnd (`}`) around nested
  expression tokens;
* a heredoc is OHeredoc (`<<EOT` plus its newline), StringLit chunks (each
  content line keeps its newline, so heredoc content never produces Newline
  tokens) and CHeredoc (the closing marker with its indentation).
"""

from __future__ import annotations

import re

# Token type names (hclsyntax names without the "Token" prefix).
IDENT = "Ident"
NUMBER = "NumberLit"
OQUOTE = "OQuote"
CQUOTE = "CQuote"
QUOTED_LIT = "QuotedLit"
STRING_LIT = "StringLit"
OHEREDOC = "OHeredoc"
CHEREDOC = "CHeredoc"
INTERP = "TemplateInterp"
CONTROL = "TemplateControl"
SEQ_END = "TemplateSeqEnd"
COMMENT = "Comment"
NEWLINE = "Newline"
EOF = "EOF"

PUNCT = {
    "{": "OBrace",
    "}": "CBrace",
    "[": "OBrack",
    "]": "CBrack",
    "(": "OParen",
    ")": "CParen",
    "=": "Equal",
    "==": "EqualOp",
    "!=": "NotEqual",
    "<": "LessThan",
    "<=": "LessThanEq",
    ">": "GreaterThan",
    ">=": "GreaterThanEq",
    "&&": "And",
    "||": "Or",
    "!": "Bang",
    "+": "Plus",
    "-": "Minus",
    "*": "Star",
    "/": "Slash",
    "%": "Percent",
    "?": "Question",
    ":": "Colon",
    ".": "Dot",
    ",": "Comma",
    "=>": "FatArrow",
    "...": "Ellipsis",
    "::": "DoubleColon",
}


class LexError(Exception):
    def __init__(self, msg: str, line: int):
        super().__init__(msg)
        self.msg = msg
        self.line = line


class Token:
    __slots__ = ("line", "spaces", "text", "type")

    def __init__(self, type_: str, text: str, line: int, spaces: int = 0):
        self.type = type_
        self.text = text
        self.line = line
        self.spaces = spaces  # whitespace columns before the token (as in hclwrite)

    def __repr__(self) -> str:
        return f"Token({self.type}, {self.text!r}, line={self.line})"


# One alternation for everything that can appear outside string templates.
_NORMAL = re.compile(
    r"""
    (?P<ws>[ \t]+)
  | (?P<nl>\r?\n)
  | (?P<lcomment>(?:\#|//)[^\n]*\n?)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<heredoc><<-?(?P<marker>[^\W\d][\w-]*)\r?\n)
  | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<ident>[^\W\d][\w-]*)
  | (?P<seqend>~\})
  | (?P<punct>\.\.\.|::|==|!=|<=|>=|&&|\|\||=>|[{}\[\]()=<>!+\-*/%?:.,])
  | (?P<quote>")
    """,
    re.VERBOSE | re.DOTALL,
)
# Literal text inside "...": escapes, and $${ / %%{ which are literal.
_QUOTED_LIT = re.compile(r'(?:[^"\\$%\n]|\\.|\$\$\{|%%\{|\$(?!\{)|%(?!\{))+')
# Literal text inside a heredoc, up to and including the end of the line.
_HEREDOC_LIT = re.compile(r"(?:[^$%\n]|\$\$\{|%%\{|\$(?!\{)|%(?!\{))+\n?|\n")
_TEMPLATE_OPEN = re.compile(r"([$%])\{(~?)")


def tokenize(text: str) -> list[Token]:
    """Split HCL source into tokens; raise LexError on malformed input."""
    toks: list[Token] = []
    pos = 0
    line = 1
    n = len(text)
    # Mode stack: "n" normal, "b" inside { } (object/block), "i" inside ${ } or %{ },
    # "q" inside a quoted template, ("h", marker, at_line_start) inside a heredoc.
    stack: list = ["n"]
    spaces = 0

    def add(type_: str, s: str) -> None:
        nonlocal spaces, line
        toks.append(Token(type_, s, line, spaces))
        spaces = 0
        line += s.count("\n")

    while pos < n:
        mode = stack[-1]
        if mode == "q":
            c = text[pos]
            if c == '"':
                add(CQUOTE, c)
                pos += 1
                stack.pop()
                continue
            m = _TEMPLATE_OPEN.match(text, pos)
            if m:
                add(INTERP if m.group(1) == "$" else CONTROL, m.group(0))
                pos = m.end()
                stack.append("i")
                continue
            m = _QUOTED_LIT.match(text, pos)
            if not m:
                raise LexError("unterminated quoted string (newline inside quotes)", line)
            add(QUOTED_LIT, m.group(0))
            pos = m.end()
            continue
        if isinstance(mode, tuple):  # heredoc
            _, marker, at_start = mode
            if at_start:
                m = re.compile(r"[ \t]*" + re.escape(marker) + r"[ \t]*(?=\r?\n|$)").match(text, pos)
                if m:
                    add(CHEREDOC, m.group(0))
                    pos = m.end()
                    stack.pop()
                    continue
            m = _TEMPLATE_OPEN.match(text, pos)
            if m:
                add(INTERP if m.group(1) == "$" else CONTROL, m.group(0))
                pos = m.end()
                stack[-1] = ("h", marker, False)
                stack.append("i")
                continue
            m = _HEREDOC_LIT.match(text, pos)
            if not m:
                raise LexError(f"unterminated heredoc <<{marker}", line)
            s = m.group(0)
            add(STRING_LIT, s)
            pos = m.end()
            stack[-1] = ("h", marker, s.endswith("\n"))
            continue

        m = _NORMAL.match(text, pos)
        if not m:
            if text.startswith("/*", pos):
                raise LexError("unterminated /* comment", line)
            raise LexError(f"unexpected character {text[pos]!r}", line)
        kind = m.lastgroup
        s = m.group(0)
        pos = m.end()
        if kind == "ws":
            spaces += len(s)
        elif kind == "nl":
            add(NEWLINE, s)
        elif kind in ("lcomment", "bcomment"):
            add(COMMENT, s)
        elif kind == "heredoc":
            add(OHEREDOC, s)
            stack.append(("h", m.group("marker"), True))
        elif kind == "number":
            add(NUMBER, s)
        elif kind == "ident":
            add(IDENT, s)
        elif kind == "quote":
            add(OQUOTE, s)
            stack.append("q")
        elif kind == "seqend":
            if mode != "i":
                raise LexError("unexpected '~}'", line)
            add(SEQ_END, s)
            stack.pop()
        else:  # punct
            if s == "{":
                stack.append("b")
            elif s == "}":
                if mode == "i":
                    add(SEQ_END, s)
                    stack.pop()
                    continue
                if mode == "b":
                    stack.pop()
                else:
                    raise LexError("unbalanced '}'", line)
            add(PUNCT[s], s)
    if len(stack) > 1:
        what = stack[-1]
        if what == "q":
            raise LexError("unterminated quoted string", line)
        if isinstance(what, tuple):
            raise LexError(f"unterminated heredoc <<{what[1]}", line)
        if what == "i":
            raise LexError("unterminated template interpolation", line)
        raise LexError("unclosed '{'", line)
    toks.append(Token(EOF, "", line, spaces))
    return toks
