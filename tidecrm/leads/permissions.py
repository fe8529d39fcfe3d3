from django.utils.translation import gettext_lazy as _

from tidecrm.core.permissions import register

SALES = ["lead.create", "lead.release", "lead.claim"]
MANAGER = [*SALES, "lead.allocate", "lead.recycle", "lead.delete", "lead.import", "lead.export"]

register(
    "lead",
    _("线索"),
    {
        "lead.create": _("新建线索"),
        "lead.allocate": _("管理待分配线索（分配）"),
        "lead.recycle": _("回收线索"),
        "lead.release": _("放弃线索"),
        "lead.claim": _("领取公共线索"),
        "lead.delete": _("删除线索"),
        "lead.import": _("导入线索"),
        "lead.export": _("导出线索"),
        "lead.settings": _("线索规则设置"),
    },
    defaults={"sales": SALES, "sales_manager": MANAGER, "marketing_manager": MANAGER},
)
