from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "tidecrm.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self):
        from tidecrm.core import hooks

        from . import imports, permissions, scopes  # noqa: F401

        hooks.provide(hooks.OWNER_SCOPE, scopes.visible_owner_q)
