from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "tidecrm.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self):
        from . import access, hooks, imports, permissions  # noqa: F401
