#!/usr/bin/env bash
# Install what the test suite uses and run it: the README's test command, and what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt
# checkov depends on bc-python-hcl2, which installs a package also named `hcl2` over python-hcl2's:
# it gets a virtual environment of its own so the tests parse with the real python-hcl2.
python3 -m venv .venv-checkov
.venv-checkov/bin/pip install -q -r requirements-checkov.txt
.venv/bin/python -m pytest -n 2 "$@"
