# Moved resources: `moved {}` blocks that tell Terraform a resource changed address (a module was renamed, or a
# resource moved to another module), so that `terraform apply` moves it in the state instead of destroying it
# and creating it again. nimbus's own blocks arrive with `copier update`; you may add your own here. Keep every
# block while any environment may still hold the old address: a block whose old address is not in an
# environment's state does nothing.
