#!/usr/bin/env python3
"""nimbus GitOps CLI: one Azure environment per git branch.

The GitHub Actions workflows and people on laptops call this same script, so an environment behaves the same
wherever Terraform runs. Standard library only (Python 3.9+); the facts it works from are in
terraform/nimbus.json (project, region, branch prefix, protected environments, naming rules).

    env --branch BRANCH        the environment a branch stands for (JSON), or a one-line refusal
    init ENV                   terraform init against ENV's state (shared state storage, Entra ID auth)
    plan ENV                   terraform plan for ENV (-out, -detailed-exitcode, --no-lock)
    apply ENV PLANFILE         apply a plan saved by `plan --out` (checked to be ENV's)
    destroy ENV                terraform destroy (never a protected environment without an explicit flag)
    outputs ENV                the root module's outputs as JSON (sensitive values redacted)
    delete-state ENV           delete ENV's state blob
    list                       environments that have state: branch, protected, age, last apply, owner, status
    sweep INVENTORY            open/update/close orphan and idle issues; print the environments to destroy
    plan-summary PLAN          Markdown summary of a saved plan (add / change / destroy)
    drift-report DIR           open, update or close one GitHub issue per environment from drift records
    setup                      one-time bootstrap: state storage (lifecycle rule, ownership record), OIDC identity,
                               GitHub variables/environments
    dotenv ENV                 the app's settings in ENV as a .env file (--secrets adds the secret ones)
    db-access ENV              let this machine's IP through ENV's database firewall (--remove; -- COMMAND)

init, plan, apply, destroy and delete-state refuse state whose ownership record (written by setup) names another
GitHub repository.

Exit codes: 0 success, 1 failure, 3 refused input (bad branch or environment name, bad arguments).
`plan --detailed-exitcode` passes Terraform's own codes through (0 no changes, 1 error, 2 changes).
"""

import sys
from pathlib import Path

# The package sits beside this file; `python3 scripts/gitops.py ...` works from any directory.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nimbus_gitops.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
