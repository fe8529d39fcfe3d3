from django.utils.translation import gettext_lazy as _

from tidecrm.core.permissions import register

SALES = ["customer.create", "lead.convert", "customer.release", "customer.claim"]
MANAGER = [
    *SALES,
    "customer.transfer",
    "customer.assign",
    "customer.delete",
    "customer.export",
    "customer.import",
    "followup.export",
]

register(
    "customer",
    _("客户"),
    {
        "customer.create": _("新建客户"),
        "lead.convert": _("线索转客户"),
        "customer.release": _("移入公海"),
        "customer.claim": _("领取公海客户"),
        "customer.transfer": _("转移客户"),
        "customer.assign": _("分配公海客户、查看全部公海"),
        "customer.delete": _("删除客户、管理回收站"),
        "customer.export": _("导出客户"),
        "customer.import": _("导入客户"),
        "followup.export": _("导出跟进记录"),
        "customer.settings": _("客户设置（客户库、进展、标签、查重、公海规则）"),
    },
    defaults={"sales": SALES, "sales_manager": MANAGER, "marketing_manager": ["lead.convert"]},
)
