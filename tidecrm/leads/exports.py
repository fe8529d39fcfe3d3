"""Lead export (GEN-06): the xlsx of one container, as the caller sees it on the list.

The rows are exactly :func:`selectors.lead_list` (same container, filters and visibility) and
the contact fields go through :func:`selectors.contact_fields`, so pool leads are masked in the
file as on the screen (GEN-03 / LEAD-21): an export never reveals more than the list.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import exports
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.permissions import check

from . import selectors
from .models import Lead

State = Lead.State
# The file (and sheet) name of each container's export.
NAMES = {
    State.UNALLOCATED: gettext_lazy("待分配线索"),
    State.OWNED: gettext_lazy("销售线索"),
    State.POOL: gettext_lazy("公共线索池"),
    State.CONVERTED: gettext_lazy("已转客户线索"),
}


def _contact(field):
    return lambda lead: selectors.contact_fields(lead)[field]


def status_label(lead):
    """Return the status as the lists show it: 待分配 / 回收待分配 in the pending container."""
    if lead.state == State.UNALLOCATED:
        return _("回收待分配") if lead.recycled else _("待分配")
    return lead.get_status_display()


# The owners are select_related by lead_list, so every row is written without a query.
COLUMNS = [
    (gettext_lazy("手机号"), _contact("phone")),
    (gettext_lazy("姓名"), "name"),
    (gettext_lazy("客户名称"), "company_name"),
    ("QQ", _contact("qq")),
    (gettext_lazy("邮箱"), _contact("email")),
    (gettext_lazy("微信"), "wechat"),
    (gettext_lazy("来源"), "source"),
    (gettext_lazy("线索状态"), status_label),
    (gettext_lazy("跟进人"), "owner.name"),
    (gettext_lazy("原跟进人"), "previous_owner.name"),
    (gettext_lazy("导入/创建人"), "created_by.name"),
    (gettext_lazy("新建时间"), "created_at"),
    (gettext_lazy("分配时间"), "allocated_at"),
    (gettext_lazy("领取时间"), "claimed_at"),
    (gettext_lazy("放弃时间"), "released_at"),
    (gettext_lazy("最近回收时间"), "recycled_at"),
    (gettext_lazy("最近跟进时间"), "last_followup_at"),
    (gettext_lazy("备注"), "remark"),
]


def lead_export(*, actor, state=State.OWNED, **filters):
    """Return the xlsx download of the ``state`` container filtered like ``lead_list``.

    Needs ``lead.export`` (and ``lead.allocate`` for the pending container, as its list does);
    more than ``exports.MAX_ROWS`` leads is refused with 409 ``export_too_large``.
    """
    check(actor, "lead.export")
    if state not in State.values:
        raise ValidationFailed({"state": [_("未知的线索类型")]})
    leads = selectors.lead_list(actor=actor, state=state, **filters)
    label = str(NAMES[state])
    return exports.export_response(exports.stamped_name(label), COLUMNS, leads, sheet_name=label)
