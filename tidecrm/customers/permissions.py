from django.utils.translation import gettext_lazy as _

from tidecrm.core.permissions import register

register(
    "customer",
    _("客户"),
    {"customer.create": _("新建客户"), "lead.convert": _("线索转客户")},
    defaults={
        "sales": ["customer.create", "lead.convert"],
        "sales_manager": ["customer.create", "lead.convert"],
        "marketing_manager": ["lead.convert"],
    },
)
