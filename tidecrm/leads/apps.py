from django.apps import AppConfig


class LeadsConfig(AppConfig):
    """The leads app; ``ready`` imports the modules that register its access policy, extension
    points, importer and permissions."""

    name = "tidecrm.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self):
        from . import access, hooks, imports, permissions  # noqa: F401
