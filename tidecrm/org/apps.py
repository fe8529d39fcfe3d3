from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "tidecrm.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self):
        from . import imports, permissions  # noqa: F401
