"""Canonical-format check equivalent to `terraform fmt -check`.

Rather than approximating the style with line regexes, this replays what
`terraform fmt` does, on the same tokens:

1. terraform's own rewrites (internal/command/fmt.go): an argument whose
   whole value is a single interpolation `"${x}"` becomes `x`; legacy
   `type = "string"` / `list` / `map` / `set` in variable blocks become
   `string` / `list(any)`...; unquoted block labels get quoted;
2. hclwrite's formatter: indentation of two spaces per net open bracket
   (`{ [ ( ${ %{`) on the previous lines, the spacing rules between tokens,
   and vertical alignment of `=` (and of trailing comments) across runs of
   consecutive single-line `name = value` lines. A blank line, a comment
   line, a block header or a multi-line value breaks such a run.

Then the result is compared with the file. Everything else (blank lines,
trailing whitespace inside comments and heredocs, extra newlines at the end
of the file) is left alone, as terraform leaves it. Verified against
terraform 1.11 on the corpus in tests/data/terraform_fmt_fixtures.json.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from . import lexer as L
from .lexer import Token
from .parser import ParseError, parse_tokens

_OPEN = {"OBrace", "OBrack", "OParen", L.INTERP, L.CONTROL}
_CLOSE = {"CBrace", "CBrack", "CParen", L.SEQ_END}
_NO_SPACE_NEIGHBOURS = {L.QUOTED_LIT, L.STRING_LIT}
_NEG_CONTEXT = {
    None,
    "OParen",
    "OBrace",
    "OBrack",
    "Equal",
    "Colon",
    "Comma",
    "Question",
    "Plus",
    "Star",
    "Slash",
    "Percent",
    "Minus",
    "EqualOp",
    "NotEqual",
    "GreaterThan",
    "GreaterThanEq",
    "LessThan",
    "LessThanEq",
    "And",
    "Or",
    "Bang",
}


def _bracket(t: Token) -> int:
    if t.type in _OPEN:
        return 1
    if t.type in _CLOSE:
        return -1
    return 0


def _is_line_end(t: Token) -> bool:
    return t.type == L.NEWLINE or (t.type == L.COMMENT and t.text.endswith("\n"))


def _space_after(subject: Token, before: Token | None, after: Token | None) -> bool:
    """hclwrite's spacing rule between two adjacent tokens of one line."""
    st = subject.type
    at = after.type if after is not None else None
    bt = before.type if before is not None else None
    if at is None or at == L.NEWLINE:
        return False
    if st == L.IDENT and at == "OParen":
        return False  # function call
    if (st == L.IDENT and at == "DoubleColon") or (st == "DoubleColon" and at == L.IDENT):
        return False  # provider::ns::func
    if st == "Dot" or at == "Dot":
        return False
    if at in ("Comma", "Ellipsis"):
        return False
    if st == "Comma":
        return True
    if st in (L.QUOTED_LIT, L.STRING_LIT, L.OQUOTE, L.OHEREDOC) or at in (
        L.QUOTED_LIT,
        L.STRING_LIT,
        L.CQUOTE,
        L.CHEREDOC,
    ):
        return False  # never touch template contents
    if st == L.IDENT and subject.text == "in" and bt == L.IDENT:
        return True  # `for x in [..]`
    if at == "OBrack" and (st in (L.IDENT, L.NUMBER) or _bracket(subject) < 0):
        return False  # indexing
    if st == "Bang":
        return False
    if st == "Minus":
        return bt not in _NEG_CONTEXT  # binary minus gets spaces, negation doesn't
    if st == "OBrace" or at == "CBrace":
        return not (st == "OBrace" and at == "CBrace")  # `{ a = 1 }` but `{}`
    if st in (L.INTERP, L.CONTROL) and at == "OBrace":
        return True
    if st == "CBrace" and at == L.SEQ_END:
        return True
    if st == L.SEQ_END and at in (L.INTERP, L.CONTROL):
        return False
    return not (_bracket(subject) > 0 or (after is not None and _bracket(after) < 0))


def _columns(tokens) -> int:
    return sum(t.spaces + len(t.text) for t in tokens) if tokens else 0


def _format_tokens(tokens: list[Token]) -> None:
    """hclwrite.format: adjust Token.spaces in place."""
    lines: list[list] = []
    cur: list[Token] = []
    for t in tokens:
        if t.type == L.EOF:
            break
        cur.append(t)
        if _is_line_end(t):
            lines.append(cur)
            cur = []
    lines.append(cur)

    cells = []  # (lead, assign, comment)
    for lead in lines:
        assign = comment = None
        if len(lead) > 1 and lead[-1].type == L.COMMENT:
            comment, lead = lead[-1:], lead[:-1]
        for i, t in enumerate(lead):
            if i > 0 and t.type == "Equal":
                if sum(_bracket(x) for x in lead[i:]) == 0:
                    assign, lead = lead[i:], lead[:i]
                break
        cells.append((lead, assign, comment))

    # Indentation: two spaces per remembered net-open-bracket line.
    indents: list[int] = []
    for lead, assign, _ in cells:
        if not lead:
            continue
        if lead[0].type == L.NEWLINE:
            lead[0].spaces = 0
            continue
        net = 0
        for t in lead:
            net += _bracket(t)
            if t.type == L.OHEREDOC:
                break
        for t in assign or ():
            net += _bracket(t)
        if net > 0:
            lead[0].spaces = 2 * len(indents)
            indents.append(net)
            continue
        closed = -net
        while closed > 0 and indents:
            if closed > indents[-1]:
                closed -= indents.pop()
            elif closed < indents[-1]:
                indents[-1] -= closed
                closed = 0
            else:
                indents.pop()
                closed = 0
        lead[0].spaces = 2 * len(indents)

    # Spaces between tokens within the lead and assign cells.
    for lead, assign, _ in cells:
        for cell in (lead, assign):
            if not cell:
                continue
            if cell is assign:
                cell[0].spaces = 1
            for i, t in enumerate(cell):
                before = cell[i - 1] if i > 0 else None
                after = cell[i + 1] if i + 1 < len(cell) else None
                if after is not None:
                    after.spaces = 1 if _space_after(t, before, after) else 0

    # Align `=` across consecutive assignment lines, then trailing comments.
    def align(get_cell, width_of):
        run: list = []
        for c in cells + [(None, None, None)]:
            if c[0] is not None and get_cell(c) is not None:
                run.append(c)
                continue
            if run:
                widest = max(width_of(r) for r in run)
                for r in run:
                    get_cell(r)[0].spaces = widest - width_of(r) + 1
                run = []

    align(lambda c: c[1], lambda c: _columns(c[0]))
    align(lambda c: c[2], lambda c: _columns(c[0]) + _columns(c[1]))


def _unwrap_interpolation(toks: list[Token]) -> list[Token] | None:
    """terraform fmt turns `"${expr}"` into `expr`; None if not applicable."""
    if len(toks) < 5:
        return None
    if (toks[0].type, toks[1].type, toks[-2].type, toks[-1].type) != (L.OQUOTE, L.INTERP, L.SEQ_END, L.CQUOTE):
        return None
    inside = toks[2:-2]
    quotes = 0
    for t in inside:
        if t.type == L.OQUOTE:
            quotes += 1
        elif t.type == L.CQUOTE:
            quotes -= 1
        elif quotes > 0:
            continue
        elif t.type in (L.INTERP, L.SEQ_END, L.QUOTED_LIT):
            return None  # "${a}${b}" or "x${a}" stay templates
    while inside and inside[0].type == L.NEWLINE:
        inside = inside[1:]
    while inside and inside[-1].type == L.NEWLINE:
        inside = inside[:-1]
    multiline = any(t.type == L.NEWLINE for t in inside)
    wrapped = inside and inside[0].type == "OParen" and inside[-1].type == "CParen"
    if multiline and not wrapped:
        return [Token("OParen", "(", inside[0].line)] + inside + [Token("CParen", ")", inside[-1].line)]
    return list(inside)


_LEGACY_TYPES = {"string": ["string"], "list": ["list", "(", "string", ")"], "map": ["map", "(", "string", ")"]}


def _normalise_type(toks: list[Token]) -> list[Token] | None:
    """terraform fmt's variable `type` clean-up (list -> list(any), "string" -> string)."""

    def make(words):
        kinds = {"(": "OParen", ")": "CParen"}
        return [Token(kinds.get(w, L.IDENT), w, toks[0].line) for w in words]

    if len(toks) == 1 and toks[0].type == L.IDENT and toks[0].text in ("list", "map", "set"):
        return make([toks[0].text, "(", "any", ")"])
    if len(toks) == 3 and [t.type for t in toks] == [L.OQUOTE, L.QUOTED_LIT, L.CQUOTE]:
        words = _LEGACY_TYPES.get(toks[1].text)
        return make(words) if words else None
    return None


def format_source(text: str) -> str:
    """Return `text` the way `terraform fmt` would write it (raises on syntax errors)."""
    tokens = L.tokenize(text)
    return format_tokens(tokens, parse_tokens(tokens, "<fmt>"))


def format_tokens(tokens: list[Token], body) -> str:
    """terraform fmt over already tokenized and parsed source (Token.spaces is overwritten)."""
    # Collect terraform's token rewrites as (start, end, replacement) on the token list.
    edits: list[tuple[int, int, list[Token]]] = []

    def walk(block, path):
        for name, attr in block.attrs.items():
            span = [t for t in tokens[attr.start : attr.end]]
            # hclwrite sees comments inside the span as part of the expression.
            if len(path) == 1 and path[0] == "variable" and name == "type":
                new = _normalise_type([t for t in span if t.type != L.COMMENT])
            else:
                new = _unwrap_interpolation(span)
            if new is not None:
                edits.append((attr.start, attr.end, new))
        for child in block.blocks:
            for start, end in child.label_tokens:
                if start == end and tokens[start].type == L.IDENT:
                    word = tokens[start].text
                    line = tokens[start].line
                    edits.append(
                        (
                            start,
                            end + 1,
                            [
                                Token(L.OQUOTE, '"', line),
                                Token(L.QUOTED_LIT, word, line),
                                Token(L.CQUOTE, '"', line),
                            ],
                        )
                    )
            walk(child, path + [child.type])

    walk(body, [])
    if edits:
        out: list[Token] = []
        pos = 0
        for start, end, new in sorted(edits, key=lambda e: e[0]):
            out.extend(tokens[pos:start])
            out.extend(new)
            pos = end
        out.extend(tokens[pos:])
        tokens = out

    _format_tokens(tokens)
    # The EOF token keeps its original leading whitespace: fmt does not own it.
    return "".join(" " * t.spaces + t.text for t in tokens)


def _describe(orig: str, want: str) -> str:
    if "\t" in orig and orig.replace("\t", "") != orig:
        return "tab character (terraform fmt uses spaces)"
    if orig.rstrip(" \t") == want.rstrip(" \t"):
        return "trailing whitespace"
    if orig.strip() == want.strip():
        return f"indentation should be {len(want) - len(want.lstrip(' '))} spaces"
    if "".join(orig.split()) == "".join(want.split()):
        if "=" in want and want.split("=")[0].rstrip() == orig.split("=")[0].rstrip():
            return "'=' not aligned with the neighbouring arguments (or not one space after the name)"
        return "spacing"
    return "not in canonical form"


def fmt_problems(text: str, tokens: list[Token], body) -> list[tuple[int, str]]:
    """(line, message) for each line `terraform fmt` would change (at most 20 listed)."""
    want = format_tokens(tokens, body)
    if want == text:
        return []
    have_lines = text.splitlines()
    want_lines = want.splitlines()
    if len(have_lines) == len(want_lines):
        pairs = [(i, h, w) for i, (h, w) in enumerate(zip(have_lines, want_lines, strict=True)) if h != w]
    else:
        pairs = []
        sm = difflib.SequenceMatcher(a=have_lines, b=want_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag != "equal":
                pairs.append((i1, "\n".join(have_lines[i1:i2]), "\n".join(want_lines[j1:j2])))
    problems = [(i + 1, f"fmt: {_describe(h, w)}: expected {w!r}, found {h!r}") for i, h, w in pairs[:20]]
    if len(pairs) > 20:
        problems.append((pairs[20][0] + 1, f"fmt: {len(pairs) - 20} more lines differ from `terraform fmt` output"))
    return problems


def check_fmt_text(text: str, name: str = "<string>") -> list[str]:
    """Problems `terraform fmt -check` would flag in `text`, as `name:line: fmt: ...` strings."""
    try:
        tokens = L.tokenize(text)
        body = parse_tokens(tokens, name)
    except (L.LexError, ParseError) as e:
        return [f"{name}:{e.line}: syntax error: {e.msg}"]
    return [f"{name}:{line}: {msg}" for line, msg in fmt_problems(text, tokens, body)]


def check_fmt(path) -> list[str]:
    """Check one .tf file (or every .tf file under a directory) for canonical formatting."""
    path = Path(path)
    if path.is_dir():  # like `terraform fmt -recursive`, skipping .terraform and other hidden folders
        files = sorted(f for f in path.rglob("*.tf") if not any(p.startswith(".") for p in f.relative_to(path).parts))
    else:
        files = [path]
    problems: list[str] = []
    for f in files:
        problems.extend(check_fmt_text(f.read_text(encoding="utf-8"), str(f)))
    return problems
