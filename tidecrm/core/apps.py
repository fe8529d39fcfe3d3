from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tidecrm.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from . import permissions  # noqa: F401  (registers the core permission codes)
