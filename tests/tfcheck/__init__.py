"""Offline Terraform validation for rendered nimbus projects.

    from tfcheck import check_terraform_dir, check_fmt

    problems = check_terraform_dir(project / "terraform")   # [] when valid
    problems = check_fmt(project / "terraform" / "main.tf")  # terraform fmt -check

Each problem is one string, `path:line: address: message`. Provider schemas
come from tests/data (tools/refresh_azurerm_schema.py).

Why not python-hcl2: the checks need line numbers for every argument, must
tell `x = {...}` from a block `x {...}`, and the formatter check needs the
exact token stream terraform sees. python-hcl2 8.x serialises without any
line numbers (its `with_meta` option is declared but not implemented), and
in this environment checkov's bc-python-hcl2 0.4.3 overwrites the `hcl2`
package files, so `import hcl2` gives a 0.4.3 parser that rejects valid
Terraform (`a = 1.5e3`) and rewrites values (`null` becomes `None`). The
small lexer/parser here follows hclsyntax instead and is checked against
terraform 1.11 itself (tests/data/terraform_fmt_fixtures.json).
"""

from .check import check_terraform_dir, module_dirs
from .fmt import check_fmt
from .lexer import LexError, tokenize
from .parser import ParseError, parse_text
from .schema import Schema, load_schema

__all__ = [
    "LexError",
    "ParseError",
    "Schema",
    "check_fmt",
    "check_terraform_dir",
    "load_schema",
    "module_dirs",
    "parse_text",
    "tokenize",
]
