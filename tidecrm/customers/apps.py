from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """The customers app; ``ready`` imports the modules that register its access policy,
    extension points, importers and permissions."""

    name = "tidecrm.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self):
        from . import access, hooks, imports, permissions  # noqa: F401
