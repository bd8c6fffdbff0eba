"""The answer sets the test suite renders: named classics, every value of every key, and pairwise coverage.

Built from hooks/data, so a new runtime, add-on or region-dependent rule is covered without editing tests.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hooks"))
import answers as nimbus_answers  # noqa: E402

sys.path.pop(0)

DEFAULTS = {
    "project_name": "my-app",
    "azure_region": "eastus",
    "compute": "app_service",
    "runtime": "spring",
    "java_build_tool": "maven",
    "database": "none",
    "addons": [],
    "network": "public",
    "gitops": True,
    "env_branch_prefix": "env-",
}
ALL_ADDONS = list(nimbus_answers.services()["addons"])

# The combinations NubesGen users generated most, plus the fullest project nimbus can render.
CLASSICS = {
    "spring-appservice-postgres": {"runtime": "spring", "database": "postgresql", "addons": ["application_insights"]},
    "spring-appservice-mysql-kv": {"runtime": "spring", "database": "mysql", "addons": ["key_vault"]},
    "quarkus-containerapps-postgres": {"compute": "container_apps", "runtime": "quarkus", "database": "postgresql"},
    "micronaut-functions-gradle": {"compute": "functions", "runtime": "micronaut", "java_build_tool": "gradle"},
    "node-appservice-cosmos": {"runtime": "nodejs", "addons": ["cosmosdb_mongodb"]},
    "python-functions-storage": {"compute": "functions", "runtime": "python", "addons": ["storage_blob"]},
    "dotnet-appservice-sqlserver": {"runtime": "dotnet", "database": "sql_server"},
    "docker-containerapps-redis": {"compute": "container_apps", "runtime": "docker", "addons": ["redis"]},
    "docker-functions": {"compute": "functions", "runtime": "docker"},
    "no-gitops": {"gitops": False},
    "fullest": {
        "compute": "container_apps",
        "runtime": "spring",
        "java_build_tool": "gradle",
        "database": "postgresql",
        "addons": ALL_ADDONS,
        "network": "vnet",
        "env_branch_prefix": "deploy/env-",
    },
}


def make(**overrides) -> dict:
    answers = {**DEFAULTS, **overrides}
    if answers["runtime"] not in nimbus_answers.java_runtimes():
        answers.pop("java_build_tool", None)
    if not answers["gitops"]:
        answers.pop("env_branch_prefix", None)
    return answers


def _dimensions() -> dict[str, list]:
    dims = {
        "compute": list(nimbus_answers.services()["compute"]),
        "runtime": list(nimbus_answers.runtimes()),
        "database": list(nimbus_answers.services()["database"]),
        "network": list(nimbus_answers.services()["network"]),
        "gitops": [True, False],
        "java_build_tool": ["maven", "gradle"],
    }
    dims.update({f"addon:{name}": [False, True] for name in ALL_ADDONS})
    return dims


def _to_answers(row: dict) -> dict:
    addons = [name for name in ALL_ADDONS if row.get(f"addon:{name}")]
    plain = {key: value for key, value in row.items() if not key.startswith("addon:")}
    return make(**plain, addons=addons)


def pairwise() -> list[dict]:
    """A greedy all-pairs cover over every key, so each pair of values meets in at least one render."""
    dims = _dimensions()
    keys = list(dims)

    def pair(first: str, first_value, second: str, second_value) -> tuple:
        # one spelling per pair: keys in the order of `keys`
        if keys.index(first) > keys.index(second):
            first, first_value, second, second_value = second, second_value, first, first_value
        return (first, first_value, second, second_value)

    uncovered = {pair(a, va, b, vb) for a, b in itertools.combinations(keys, 2) for va in dims[a] for vb in dims[b]}
    rows: list[dict] = []
    while uncovered:
        a, va, b, vb = min(uncovered, key=repr)  # deterministic seed pair
        row = {a: va, b: vb}
        for key in keys:
            if key not in row:
                # the value that covers the most still-uncovered pairs with what the row holds so far
                row[key] = max(
                    dims[key], key=lambda value: sum(pair(key, value, other, row[other]) in uncovered for other in row)
                )
        rows.append(row)
        uncovered -= {pair(a2, row[a2], b2, row[b2]) for a2, b2 in itertools.combinations(keys, 2)}
    return [_to_answers(row) for row in rows]


def every_value() -> dict[str, dict]:
    """One render per value of every key (java_build_tool with a Java runtime)."""
    sets = {}
    for key, values in _dimensions().items():
        for value in values:
            if key.startswith("addon:"):
                if value:
                    sets[f"addon-{key[6:]}"] = make(addons=[key[6:]])
            else:
                sets[f"{key}-{str(value).lower()}"] = make(**{key: value})
    sets["prefix-slash"] = make(env_branch_prefix="env/")
    sets["region-westeurope"] = make(azure_region="westeurope")
    sets["longest-project-name"] = make(project_name="a" * nimbus_answers.naming()["project_name"]["max_length"])
    return sets


def all_answer_sets() -> dict[str, dict]:
    """Named answer sets, deduplicated, in a stable order."""
    named = {name: make(**overrides) for name, overrides in CLASSICS.items()}
    named.update(every_value())
    named.update({f"pairwise-{index:02d}": answers for index, answers in enumerate(pairwise())})
    unique: dict[str, dict] = {}
    seen = set()
    for name, answers in named.items():
        key = repr(sorted(answers.items()))
        if key not in seen:
            seen.add(key)
            unique[name] = answers
    return unique
