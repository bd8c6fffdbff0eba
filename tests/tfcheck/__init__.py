"""Offline Terraform checks for rendered nimbus projects, on one parser: python-hcl2.

    from tfcheck import check_terraform_dir, check_fmt, check_rules

    problems = check_terraform_dir(project / "terraform")   # schema, references, module calls, terraform fmt
    problems = check_rules(project / "terraform")           # the azurerm provider's plan-time rules
    problems = check_fmt(project / "terraform" / "main.tf")  # the real `terraform fmt -check`

Each problem is one string, `path:line: address: message`. Files are read with python-hcl2's rule tree
(tfcheck.hcl), which keeps the line numbers its dict output drops, once per distinct content in a session.
Provider schemas come from tests/data (tools/refresh_azurerm_schema.py), provider rules from
tests/data/azurerm_provider_rules.json (tools/refresh_provider_rules.py). Formatting is checked by the real
terraform binary (a prerequisite of the suite).
"""

from .check import check_terraform_dir, module_dirs
from .fmt import check_fmt
from .hcl import ParseError, parse_text
from .roles import granted_roles
from .rules import check_rules
from .schema import Schema, load_schema

__all__ = [
    "ParseError",
    "Schema",
    "check_fmt",
    "check_rules",
    "check_terraform_dir",
    "granted_roles",
    "load_schema",
    "module_dirs",
    "parse_text",
]
