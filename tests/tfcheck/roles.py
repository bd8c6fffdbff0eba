"""The Azure roles a set of Terraform files grants: what the service catalogue's `roles` and the CI identity's
role-assignment condition (terraform/nimbus.json `assignable_roles`) must cover."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .hcl import NOT_LITERAL, StringRule, _literal_of, parse_cached


def _strings(node) -> list:
    """The string literals inside an expression (the elements of `toset(["A", "B"])`)."""
    if isinstance(node, StringRule):
        return [_literal_of(node)]
    return [found for child in getattr(node, "children", None) or [] for found in _strings(child)]


def granted_roles(paths: Iterable[Path]) -> set[str]:
    """Role names the `azurerm_role_assignment` resources of these .tf files grant: a literal
    `role_definition_name`, or `each.key` / `each.value` over a literal list in the resource's `for_each`.
    Any other spelling (a variable, `role_definition_id`) is an AssertionError: the caller cannot vouch for it."""
    roles: set[str] = set()
    for path in paths:
        for block in parse_cached(path.read_text(encoding="utf-8")).blocks:
            if block.type != "resource" or block.labels[0] != "azurerm_role_assignment":
                continue
            name = block.attrs.get("role_definition_name")
            where = f"{path}: azurerm_role_assignment.{block.labels[1]}"
            assert name is not None, f"{where} names no role_definition_name"
            if name.kind == "str":
                roles.add(name.value)
                continue
            each = [ref.text() for ref in name.refs]
            listed = block.attrs.get("for_each")
            assert each in (["each.key"], ["each.value"]) and listed, f"{where}: a role this check cannot read"
            found = _strings(listed.expr)
            assert found and NOT_LITERAL not in found, f"{where}: for_each is not a literal list of role names"
            roles.update(found)
    return roles
