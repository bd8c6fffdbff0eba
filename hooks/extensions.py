"""Jinja extensions for nimbus: answer validators for copier.yml and the derived-values context hook.

Loaded by copier through copier-template-extensions (see `_jinja_extensions` in copier.yml). The logic
lives in hooks/answers.py so that the post-copy task and the tests use exactly the same rules.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from copier_template_extensions import ContextHook
from jinja2.ext import Extension

sys.path.insert(0, str(Path(__file__).parent))
import answers  # noqa: E402  (a sibling module, importable once hooks/ is on the path)

sys.path.pop(0)


def _plain(value: Any) -> Any:
    """Copier hands multiselect answers over as lists; Jinja may give other sequences."""
    return list(value) if isinstance(value, (tuple, set)) else value


class NimbusFilters(Extension):
    """Filters used by copier.yml validators and defaults. Each returns '' when the answer is valid."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(
            {
                "nimbus_check_project_name": answers.check_project_name,
                "nimbus_check_region": answers.check_region,
                "nimbus_check_addons": lambda value: answers.check_addons(_plain(value)),
                "nimbus_check_env_branch_prefix": answers.check_env_branch_prefix,
                "nimbus_check_combination": lambda context: answers.check_combination(dict(context)),
                "nimbus_default_project_name": answers.default_project_name,
            }
        )
        environment.globals.update(
            nimbus_regions=answers.regions(),
            nimbus_java_runtimes=answers.java_runtimes(),
        )


class NimbusContext(ContextHook):
    """Adds `nimbus`, the derived values, to the render context once all questions are answered."""

    def hook(self, context: dict[str, Any]) -> None:
        if "project_name" not in context or "network" not in context:
            return  # still asking questions: nothing to derive yet
        if "nimbus" in context:
            return
        given = {
            key: _plain(context.get(key))
            for key in (
                "compute",
                "runtime",
                "java_build_tool",
                "database",
                "addons",
                "network",
                "gitops",
                "env_branch_prefix",
            )
        }
        try:
            derived = answers.derive(given)
        except (KeyError, TypeError):
            return  # an answer is invalid; its question's validator reports it
        commit = (context.get("_copier_answers") or {}).get("_commit")
        derived["template_version"] = str(commit) if commit else "unreleased"
        context["nimbus"] = derived
