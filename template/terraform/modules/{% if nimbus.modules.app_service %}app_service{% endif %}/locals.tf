locals {
  is_docker = var.runtime_family == "docker"

  # Settings the platform reads; the app's own settings (and secrets) come from the app_settings module.
  platform_settings = local.is_docker ? {
    WEBSITES_PORT                       = tostring(var.app_port)
    WEBSITES_ENABLE_APP_SERVICE_STORAGE = "false"
    } : var.runtime_family == "python" ? {
    # Code deployments of Python apps are built on the server (Oryx installs requirements.txt).
    SCM_DO_BUILD_DURING_DEPLOYMENT = "true"
  } : {}
}
