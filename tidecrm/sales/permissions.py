from django.utils.translation import gettext_lazy as _

from tidecrm.core.permissions import register

SALES = ["opportunity.create", "contract.create", "payment.create"]
MANAGER = [*SALES, "opportunity.delete", "contract.void", "order.create", "product.manage"]

register(
    "sales",
    _("商机与合同"),
    {
        "opportunity.create": _("新建和跟进商机"),
        "opportunity.delete": _("删除商机"),
        "opportunity.settings": _("商机阶段设置"),
        "product.manage": _("管理产品和分类"),
        "contract.create": _("新建合同"),
        "contract.void": _("作废合同"),
        "contract.settings": _("合同设置（编号、审批流程、订单开关）"),
        "payment.create": _("录入回款计划、回款和开票"),
        "order.create": _("新建订单"),
    },
    defaults={"sales": SALES, "sales_manager": MANAGER},
)
