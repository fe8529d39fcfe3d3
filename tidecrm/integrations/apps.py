from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "tidecrm.integrations"
    label = "integrations"
    verbose_name = "Integrations"
