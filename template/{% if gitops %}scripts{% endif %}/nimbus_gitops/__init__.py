"""nimbus GitOps CLI, as a package: scripts/gitops.py is its entry point (see its docstring)."""
