"""Provider schemas checked in under tests/data (see tools/refresh_azurerm_schema.py).

A schema node is {"attributes": {name: {"mode", "type", ...}}, "blocks": {name: node + nesting info}}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
AZURERM_FILE = DATA / "azurerm_schema.json"
EXTRA_FILE = DATA / "extra_provider_schema.json"

REFRESH_HINT = (
    "run `python tools/refresh_azurerm_schema.py --include {}` (or add it to the template) to refresh the schema"
)


@dataclass
class Provider:
    name: str
    resources: dict
    data_sources: dict
    config: dict
    sensitive: dict = field(default_factory=dict)  # resource type -> set of sensitive attribute names
    version: str = ""  # the provider release the schema was taken from


@dataclass
class Schema:
    providers: dict  # local provider name ("azurerm") -> Provider

    def provider_for(self, type_name: str) -> Provider | None:
        return self.providers.get(type_name.split("_", 1)[0])

    def resource(self, type_name: str, data: bool = False) -> dict | None:
        p = self.provider_for(type_name)
        if p is None:
            return None
        return (p.data_sources if data else p.resources).get(type_name)

    def sensitive_attrs(self, type_name: str) -> set:
        p = self.provider_for(type_name)
        return p.sensitive.get(type_name, set()) if p else set()


def _sensitive_from_nodes(nodes: dict) -> dict:
    return {t: {n for n, a in node["attributes"].items() if a.get("sensitive")} for t, node in nodes.items()}


@cache
def load_schema(azurerm_file: Path = AZURERM_FILE, extra_file: Path = EXTRA_FILE) -> Schema:
    providers = {}
    az = json.loads(Path(azurerm_file).read_text(encoding="utf-8"))
    extra = json.loads(Path(extra_file).read_text(encoding="utf-8")) if Path(extra_file).exists() else {}
    providers["azurerm"] = Provider(
        "azurerm",
        az["resources"],
        az["data_sources"],
        az["provider_config"],
        {t: set(names) for t, names in extra.get("azurerm_sensitive_attributes", {}).items()},
        az["provider"]["version"],
    )
    for name, p in extra.get("providers", {}).items():
        providers[name] = Provider(
            name, p["resources"], p["data_sources"], p["provider_config"], _sensitive_from_nodes(p["resources"])
        )
    return Schema(providers)
