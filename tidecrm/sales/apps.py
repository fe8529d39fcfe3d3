from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The sales app; ``ready`` imports the modules that register its access policy, extension
    points, importers and permissions."""

    name = "tidecrm.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self):
        from . import access, hooks, imports, permissions  # noqa: F401
