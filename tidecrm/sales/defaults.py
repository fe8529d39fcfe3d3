"""What an enterprise's sales module starts with, read by services and selectors alike: its
opportunity stages (OPP-04, seeded with ``OpportunityStage.DEFAULTS`` at registration), its sales
settings row (contract numbering, approvals, the orders switch) and the orders switch itself
(ORD-04). A neutral module, so the reads need no import of the writes.
"""

from django.utils.translation import gettext as _

from tidecrm.core import codes
from tidecrm.core.errors import BusinessError
from tidecrm.customers.config import _get_or_create

from .models import ContractSettings, OpportunityStage


def seed_defaults():
    """What an enterprise's sales module starts with (at registration, core.hooks.TENANT_CREATED;
    idempotent): the default opportunity stages (OPP-04) and the sales settings row."""
    if not OpportunityStage.objects.exists():
        for position, (name, probability) in enumerate(OpportunityStage.DEFAULTS):
            _get_or_create(
                OpportunityStage, {"name": name}, {"position": position, "win_probability": probability}
            )
    _get_or_create(ContractSettings, {}, {})


def stages():
    """The enterprise's stages in order (the last is the won stage; seeded at registration)."""
    return list(OpportunityStage.objects.order_by("position", "id"))


def won_stage():
    """Return the won stage: the last of :func:`stages` (OPP-04/05), where 赢单 moves an
    opportunity."""
    return stages()[-1]


def sales_settings():
    """Return the enterprise's sales settings row (contract numbering, approvals CON-03, the
    orders switch ORD-04, the order form ORD-02; seeded at registration)."""
    return ContractSettings.objects.get()


def require_orders():
    """ORD-04: orders -- pages, reads and writes -- are behind the enterprise's switch; return
    the settings when it is on, else 403 ``feature_disabled``."""
    settings = sales_settings()
    if not settings.orders_enabled:
        raise BusinessError(
            codes.FEATURE_DISABLED, _("企业未开启订单功能，请管理员在 合同设置 中开启"), status=403
        )
    return settings
