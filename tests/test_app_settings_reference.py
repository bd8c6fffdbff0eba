"""docs/reference/app-settings.md is generated from the app_settings module's data file (the very file the module
reads with jsondecode), so the page, the module and the tests share one list of names."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT

DATA = ROOT / "template" / "terraform" / "modules" / "app_settings" / "settings.json"
PAGE = ROOT / "docs" / "reference" / "app-settings.md"


def test_app_settings_reference_page_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "app_settings_reference.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_module_reads_the_data_file_and_hard_codes_no_setting_name():
    main = (DATA.parent / "main.tf").read_text()
    assert 'jsondecode(file("${path.module}/settings.json"))' in main
    names = {
        name
        for service in json.loads(DATA.read_text())["services"].values()
        for convention in service
        for name in [*convention["settings"], *convention["secrets"]]
    }
    code = "\n".join(line for line in main.splitlines() if not line.lstrip().startswith("#"))
    assert not [name for name in names if re.search(rf"\b{name}\b", code)]


def test_each_runtime_section_lists_its_frameworks_database_names():
    page = PAGE.read_text()
    sections = dict(re.findall(r"^## `(\w+)`\n(.*?)(?=^## |\Z)", page, re.MULTILINE | re.DOTALL))
    expected = {
        "spring": ["SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_PASSWORD", "SPRING_DATA_MONGODB_URI", "DATABASE_URL"],
        "quarkus": ["QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_PASSWORD"],
        "micronaut": ["DATASOURCES_DEFAULT_URL", "DATASOURCES_DEFAULT_PASSWORD"],
        "dotnet": ["ConnectionStrings__Default"],
        "nodejs": ["DATABASE_URL", "DATABASE_USERNAME", "DATABASE_PASSWORD", "DATABASE_HOST", "MONGODB_URI"],
        "python": ["DATABASE_URL", "DATABASE_USERNAME", "DATABASE_PASSWORD", "DATABASE_HOST", "MONGODB_URI"],
    }
    for runtime, names in expected.items():
        assert all(f"| `{name}` |" in sections[runtime] for name in names), runtime
    assert "SPRING_DATASOURCE_URL" not in sections["nodejs"]
    assert "postgresql+psycopg2://" in sections["python"] and "postgresql+psycopg2://" not in sections["nodejs"]


def test_each_section_says_which_answers_bring_it_as_the_catalogue_does():
    """The page's "when it applies" comes from hooks/data/services.json: every add-on whose module fills an
    app_settings input is named in that input's heading, and a runtime is a section for each runtime answer."""
    sys.path.insert(0, str(ROOT / "hooks"))
    import answers

    page = PAGE.read_text()
    headings = re.findall(r"^### (\w+): (.+)$", page, re.MULTILINE)
    assert {runtime for runtime, _ in headings} == set(answers.runtimes())
    catalogue = answers.catalogue()
    for addon, spec in answers.services()["addons"].items():
        if catalogue[spec["module"]].get("app_settings") not in (None, "key_vault"):
            assert any(f"addon {addon}" in when for _, when in headings), addon
    databases = [value for value, spec in answers.services()["database"].items() if spec["module"]]
    assert any(when == f"database ({', '.join(databases)})" for _, when in headings)


def test_a_settings_service_no_catalogue_module_fills_is_refused():
    sys.path.insert(0, str(ROOT / "tools"))
    import app_settings_reference as tool

    with pytest.raises(SystemExit, match=r"'queue': no catalogue module fills the app_settings input 'queue'"):
        tool.applies_when("queue")
