"""The answer contract: every key and value is accepted, every bad value and impossible combination refused."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from copier import run_update

import answers as nimbus_answers
from conftest import ANSWER_SETS, ROOT, TEMPLATE_MODULES, render, template_module_folder
from matrix import DEFAULTS, make
from tfcheck import granted_roles

COPIER_YML = yaml.safe_load((ROOT / "copier.yml").read_text())
QUESTIONS = {key: spec for key, spec in COPIER_YML.items() if not key.startswith("_")}


def choice_values(key: str) -> list[str]:
    return list(QUESTIONS[key]["choices"].values())


def test_contract_keys_and_choice_values_are_exact():
    """People script these with --data: the keys and choice values must never drift."""
    assert tuple(QUESTIONS)[:10] == (
        "project_name",
        "azure_region",
        "compute",
        "runtime",
        "java_build_tool",
        "database",
        "addons",
        "network",
        "gitops",
        "env_branch_prefix",
    )
    assert tuple(QUESTIONS)[:10] == nimbus_answers.CONTRACT_KEYS  # the hooks read the same keys
    assert choice_values("compute") == ["app_service", "container_apps", "functions"]
    assert choice_values("runtime") == [
        "spring",
        "quarkus",
        "micronaut",
        "java",
        "dotnet",
        "nodejs",
        "python",
        "docker",
    ]
    assert choice_values("java_build_tool") == ["maven", "gradle"]
    assert choice_values("database") == ["none", "postgresql", "mysql", "sql_server"]
    assert choice_values("addons") == ["application_insights", "key_vault", "redis", "storage_blob", "cosmosdb_mongodb"]
    assert QUESTIONS["addons"]["multiselect"] is True and QUESTIONS["addons"]["default"] == []
    assert choice_values("network") == ["public", "vnet"]
    assert QUESTIONS["gitops"]["type"] == "bool"
    assert QUESTIONS["env_branch_prefix"]["default"] == "env-"


def test_every_question_has_help():
    assert all(spec.get("help") for spec in QUESTIONS.values())


def test_choices_match_the_data_files():
    """copier.yml and hooks/data must name the same values (one source of truth, checked)."""
    assert choice_values("runtime") == list(nimbus_answers.runtimes())
    assert choice_values("compute") == list(nimbus_answers.services()["compute"])
    assert choice_values("database") == list(nimbus_answers.services()["database"])
    assert choice_values("addons") == list(nimbus_answers.services()["addons"])
    assert choice_values("network") == list(nimbus_answers.services()["network"])


def test_default_render(template_repo, tmp_path):
    """`copier copy --defaults` renders a project whose answers are the documented defaults."""
    project = render(template_repo, tmp_path / "my-app", {}, tasks=True)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    expected = {key: value for key, value in DEFAULTS.items()}
    assert {key: recorded[key] for key in expected} == expected
    assert recorded["_commit"] == "99.99.99"
    assert (project / "terraform" / "nimbus.json").is_file()


def test_default_project_name_comes_from_the_folder(template_repo, tmp_path):
    project = render(template_repo, tmp_path / "Billing_API", {}, tasks=False)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["project_name"] == "billing-api"


@pytest.mark.parametrize("name", sorted(ANSWER_SETS))
def test_every_answer_set_is_recorded(rendered, name):
    """Each value of every key (and the pairwise cover) renders and is recorded for `copier update`."""
    recorded = yaml.safe_load((rendered(name) / ".copier-answers.yml").read_text())
    for key, value in ANSWER_SETS[name].items():
        assert recorded[key] == value, key


BAD_VALUES = {
    "empty project": ({"project_name": ""}, "project_name", "must not be empty"),
    "long project": ({"project_name": "a" * 25}, "project_name", "25 characters"),
    "upper case": ({"project_name": "MyApp"}, "project_name", "lowercase"),
    "spaces": ({"project_name": "my app"}, "project_name", "lowercase"),
    "shell metacharacters": ({"project_name": "app;rm -rf"}, "project_name", "lowercase"),
    "command substitution": ({"project_name": "$(id)"}, "project_name", "lowercase"),
    "double hyphen": ({"project_name": "my--app"}, "project_name", "single hyphens"),
    "trailing hyphen": ({"project_name": "my-app-"}, "project_name", "ending with a letter or digit"),
    "starts with digit": ({"project_name": "1app"}, "project_name", "starting with a letter"),
    "unknown region": ({"azure_region": "mars"}, "azure_region", "not an Azure region"),
    "display-name region": ({"azure_region": "West Europe"}, "azure_region", "Did you mean 'westeurope'"),
    "unknown compute": ({"compute": "lambda"}, "compute", "lambda"),
    "unknown runtime": ({"runtime": "ruby"}, "runtime", "ruby"),
    "unknown build tool": ({"java_build_tool": "ant"}, "java_build_tool", "ant"),
    "unknown database": ({"database": "oracle"}, "database", "oracle"),
    "unknown add-on": ({"addons": ["redis", "memcached"]}, "addons", "memcached"),
    "unknown network": ({"network": "private"}, "network", "private"),
    "prefix without separator": ({"env_branch_prefix": "env"}, "env_branch_prefix", "ending with '-', '_' or '/'"),
    "prefix with space": ({"env_branch_prefix": "my env-"}, "env_branch_prefix", "letters, digits"),
    "prefix with shell characters": ({"env_branch_prefix": "$(x)-"}, "env_branch_prefix", "letters, digits"),
    "prefix refs/": ({"env_branch_prefix": "refs/heads/env-"}, "env_branch_prefix", "not starting with 'refs/'"),
    "bad token": ({"repository_token": "ABC"}, "repository_token", "6 lowercase letters and digits"),
    "unknown naming scheme": ({"naming_scheme": "9"}, "naming_scheme", "'1', '2'"),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_values_are_refused_before_anything_is_written(template_repo, tmp_path, case):
    overrides, field, fragment = BAD_VALUES[case]
    destination = tmp_path / "project"
    with pytest.raises(ValueError) as refused:
        render(template_repo, destination, overrides, tasks=True)
    message = str(refused.value)
    assert field in message and fragment in message
    assert not destination.exists()


REFUSED_COMBINATIONS = [
    # Functions run on Flex Consumption, which only some regions offer.
    {"compute": "functions", "runtime": runtime, "azure_region": region}
    for runtime in ("spring", "python")
    for region in sorted(set(nimbus_answers.regions()) - set(nimbus_answers.flex_consumption_regions()))[:3]
]


@pytest.mark.parametrize("overrides", REFUSED_COMBINATIONS, ids=lambda o: f"{o['runtime']}-{o['azure_region']}")
def test_impossible_combinations_are_refused_with_an_alternative(template_repo, tmp_path, overrides):
    destination = tmp_path / "project"
    with pytest.raises(ValueError) as refused:
        render(template_repo, destination, overrides)
    message = str(refused.value)
    assert "compute 'functions'" in message and f"azure_region '{overrides['azure_region']}'" in message
    assert "'app_service'" in message and "'eastus'" in message  # says what to pick instead
    assert not destination.exists()


def test_functions_with_docker_do_not_need_a_flex_region(template_repo, tmp_path):
    """The docker runtime runs Functions on a dedicated plan, so any region works: not a refusal."""
    region = sorted(set(nimbus_answers.regions()) - set(nimbus_answers.flex_consumption_regions()))[0]
    project = render(template_repo, tmp_path / "p", make(compute="functions", runtime="docker", azure_region=region))
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["azure_region"] == region


def test_refusals_are_listed_in_the_docs():
    """Every refused combination is documented, with its alternative."""
    page = (ROOT / "docs" / "reference" / "answers.md").read_text()
    assert "Flex Consumption" in page
    for region in nimbus_answers.flex_consumption_regions():
        assert region in page


def test_data_file_scripting_with_the_cli(template_repo, tmp_path):
    """`copier copy --data-file` with every key set: what teams put in their scripts."""
    data = make(
        project_name="orders",
        azure_region="westeurope",
        compute="container_apps",
        runtime="quarkus",
        java_build_tool="gradle",
        database="mysql",
        addons=["redis", "key_vault"],
        network="vnet",
        env_branch_prefix="env/",
    )
    data_file = tmp_path / "answers.yml"
    data_file.write_text(yaml.safe_dump(data))
    destination = tmp_path / "orders"
    copier = Path(sys.executable).parent / "copier"
    result = subprocess.run(
        [
            str(copier),
            "copy",
            "--trust",
            "--defaults",
            "--data-file",
            str(data_file),
            str(template_repo),
            str(destination),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    recorded = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert sorted(recorded.pop("addons")) == sorted(data.pop("addons"))  # copier keeps the choices' order
    assert {key: recorded[key] for key in data} == data
    assert "git switch -c env/alice" in result.stdout + result.stderr


def test_cli_refuses_bad_data_and_names_the_field(template_repo, tmp_path):
    copier = Path(sys.executable).parent / "copier"
    destination = tmp_path / "bad"
    result = subprocess.run(
        [
            str(copier),
            "copy",
            "--trust",
            "--defaults",
            "-d",
            "addons=[redis, kafka]",
            str(template_repo),
            str(destination),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "addons" in result.stderr and "kafka" in result.stderr
    assert not destination.exists()


def test_answer_reference_page_is_current():
    """docs/reference/answers.md is generated from copier.yml and hooks/data; a stale page fails here."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "answer_reference.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_two_repositories_with_the_same_answers_get_different_state_and_groups(template_repo, tmp_path):
    """Rendered separately (each draws its own repository token), the same answers and the same branch give
    different state keys and resource groups; 20-character project and environment names render and resolve."""
    answers = {"project_name": "inventory-service-eu"}  # 20 characters
    seen = []
    for name in ("team-a", "team-b"):
        project = render(template_repo, tmp_path / name, answers, token=None)
        token = yaml.safe_load((project / ".copier-answers.yml").read_text())["repository_token"]
        assert re.fullmatch(r"[a-z][a-z0-9]{5}", token)
        assert json.loads((project / "terraform" / "nimbus.json").read_text())["repository_token"] == token
        result = subprocess.run(
            [sys.executable, "scripts/gitops.py", "env", "--branch", "env-feature-login-flow-1"],  # 20 characters
            cwd=project, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)
        assert info["environment"] == "feature-login-flow-1"
        assert info["state_key"] == f"{token}/inventory-service-eu/feature-login-flow-1.tfstate"
        assert info["resource_group"] == f"rg-inventory-service-eu--feature-login-flow-1-{token}"
        seen.append((info["state_key"], info["resource_group"]))
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]


def test_the_token_is_never_asked_and_an_update_keeps_it(template_repo, tmp_path):
    assert QUESTIONS["repository_token"]["ask"] is False and QUESTIONS["naming_scheme"]["ask"] is False
    project = render(template_repo, tmp_path / "shop", {}, token=None, tasks=True)
    before = yaml.safe_load((project / ".copier-answers.yml").read_text())
    run_update(str(project), defaults=True, unsafe=True, overwrite=True, quiet=True)
    after = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert after["repository_token"] == before["repository_token"] and after["naming_scheme"] == "2"


# -- the service catalogue (hooks/data/services.json) ------------------------------------------------------------


def test_catalogue_entries_and_module_folders_correspond_one_to_one():
    """Each catalogue module has its folder, rendered exactly when nimbus.modules.<module> is true, and each
    service folder is in the catalogue; each answer value's module is a catalogue module."""
    conditional = {}
    for folder in TEMPLATE_MODULES.iterdir():
        if folder.is_dir() and "{%" in folder.name:
            module = folder.name.split("%}")[1].split("{%")[0]
            assert folder.name == f"{{% if nimbus.modules.{module} %}}{module}{{% endif %}}"
            conditional[module] = folder
    assert sorted(conditional) == nimbus_answers.all_modules() == sorted(nimbus_answers.catalogue())
    services = nimbus_answers.services()
    answer_modules = {
        spec["module"] for field in ("compute", "database", "addons", "network") for spec in services[field].values()
    }
    answer_modules |= set(services["always"]) | {services["container_registry_module"]}
    assert answer_modules - {None} == set(conditional)
    for module, spec in nimbus_answers.catalogue().items():
        assert spec["resources"] and spec["resource_providers"], module
        main = (conditional[module] / "main.tf").read_text(encoding="utf-8")
        # a private DNS zone exactly for the modules that call the shared private endpoint module
        assert bool(spec.get("private_dns_zone")) == ('source = "../private_endpoint"' in main), module
        if spec.get("private_dns_zone"):
            assert spec["data_service"], module
            variables = (conditional[module] / "variables.tf").read_text(encoding="utf-8")
            assert spec["private_dns_zone"].replace(".", "\\\\.") in variables, f"{module}: zone not validated"


def test_each_modules_catalogue_roles_are_the_roles_its_terraform_grants():
    """A module's `roles` are exactly the roles its azurerm_role_assignment resources grant (python-hcl2), and
    role_definition_ids holds one well-formed id for exactly the roles the modules list: the condition
    `gitops.py setup` puts on the CI identity (terraform/nimbus.json assignable_roles) cannot drift from the
    Terraform."""
    listed: set[str] = set()
    for module, spec in nimbus_answers.catalogue().items():
        folder = template_module_folder(module)
        granted = granted_roles(sorted(folder.glob("*.tf")))
        roles = spec.get("roles", [])
        assert sorted(roles) == sorted(granted), f"{module}: catalogue roles {roles}, its Terraform grants {granted}"
        listed.update(roles)
    assert listed, "no module grants a role: the reader above found nothing"
    for helper in (path for path in TEMPLATE_MODULES.iterdir() if path.is_dir() and "{%" not in path.name):
        assert granted_roles(helper.glob("*.tf")) == set(), f"{helper.name} grants roles no catalogue entry lists"
    ids = nimbus_answers.services()["role_definition_ids"]
    assert set(ids) == listed
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", i) for i in ids.values())
    assert len(set(ids.values())) == len(ids)


def test_a_new_catalogue_entry_reaches_every_derived_list(monkeypatch):
    """Adding a data service is one catalogue entry (plus its folder): every list of services derives from it."""
    import destroy_guard

    catalogue = json.loads(json.dumps(nimbus_answers.services()))
    catalogue["addons"]["service_bus"] = {"module": "service_bus"}
    catalogue["modules"]["service_bus"] = {
        "resources": "Service Bus namespace",
        "data_service": True,
        "private_dns_zone": "privatelink.servicebus.windows.net",
        "resource_providers": ["Microsoft.ServiceBus"],
        "lost_when_removed": "every queued message",
        "app_settings": "service_bus",
        "roles": ["Azure Service Bus Data Owner"],
    }
    catalogue["role_definition_ids"]["Azure Service Bus Data Owner"] = "090c5cfd-751d-490a-894a-3ce6f1109419"
    monkeypatch.setattr(nimbus_answers, "services", lambda: catalogue)
    monkeypatch.setattr(destroy_guard, "module_resources", lambda module: ())
    answers = make(addons=["service_bus"], network="vnet")
    assert nimbus_answers.validate(answers) == []
    derived = nimbus_answers.derive(answers)
    assert derived["modules"]["service_bus"] and "service_bus" in derived["module_list"]
    assert "service_bus" in derived["data_modules"] and "service_bus" in derived["private_endpoint_modules"]
    assert derived["catalogue"]["service_bus"]["private_dns_zone"] == "privatelink.servicebus.windows.net"
    assert derived["app_settings_inputs"]["service_bus"] == "service_bus"  # main.tf's app_settings loop
    assert "Microsoft.ServiceBus" in derived["resource_providers"]
    assert derived["assignable_roles"]["Azure Service Bus Data Owner"] == "090c5cfd-751d-490a-894a-3ce6f1109419"
    assert 'service_bus[("Service Bus namespace")]' in derived["diagram"]
    assert "network -. private endpoint .- service_bus" in derived["diagram"]
    assert "lost with it: every queued message" in destroy_guard.describe_module("service_bus")
    previous = make(addons=["service_bus"])
    assert destroy_guard.removed_modules(previous, make()) == ["service_bus"]

