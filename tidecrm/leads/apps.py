from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "tidecrm.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self):
        from . import access, hooks, imports, permissions  # noqa: F401
