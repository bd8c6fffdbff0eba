#!/usr/bin/env bash
# Install what the test suite uses and run it: the README's test command, and what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# The suite runs the real `terraform fmt -check` (tests/tfcheck/fmt.py): Terraform is a prerequisite.
command -v terraform >/dev/null 2>&1 || { echo "tools/test.sh: terraform not found: install Terraform >= 1.9 (https://developer.hashicorp.com/terraform/install) and rerun" >&2; exit 1; }
python3 -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt
# checkov depends on bc-python-hcl2, which installs a package also named `hcl2` over python-hcl2's:
# it gets a virtual environment of its own so the tests parse with the real python-hcl2.
python3 -m venv .venv-checkov
.venv-checkov/bin/pip install -q -r requirements-checkov.txt
.venv/bin/python -m pytest -n 2 "$@"
