from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "tidecrm.rules"
    label = "rules"
    verbose_name = "Rules"

    def ready(self):
        from . import permissions, tasks  # noqa: F401
