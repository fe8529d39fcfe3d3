from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tidecrm.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from . import lookups, permissions  # noqa: F401  (registers __any and the core permission codes)
