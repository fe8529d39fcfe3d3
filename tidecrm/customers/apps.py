from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tidecrm.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self):
        from . import access, hooks, imports, permissions  # noqa: F401
