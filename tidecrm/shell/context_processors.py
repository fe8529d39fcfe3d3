"""What every page of the shell needs: the caller, their enterprises, the navigation."""

from django.utils.translation import gettext_lazy as _

from tidecrm.core.pagination import PAGE_SIZES
from tidecrm.signin.services import memberships

# Left navigation by module (issue: 客户管理, 线索, 商机/合同, 统计, 办公, 设置). Entries whose
# URL is not built yet show as "即将上线" so the shell is complete from day one.
# The last element is the function permission an entry needs (ROLE-13: a module without any
# granted permission is hidden); None = everyone.
NAVIGATION = (
    ("home", _("工作台"), "ti-home", "home", None),
    ("customers", _("客户管理"), "ti-users", "customer_list", None),
    ("leads", _("线索"), "ti-target-arrow", "lead_list", None),
    ("sales", _("商机/合同"), "ti-briefcase", "opportunity_list", None),
    ("analytics", _("统计"), "ti-chart-bar", None, None),
    ("office", _("办公"), "ti-address-book", "org_contacts", None),
    ("settings", _("设置"), "ti-settings", "org_index", "org.view"),
)


def shell(request):
    employee = getattr(request, "employee", None)
    if employee is None:
        return {"page_sizes": PAGE_SIZES}
    return {
        "me": employee,
        "my_enterprises": memberships(employee.account),
        "navigation": [
            (key, label, icon, url_name)
            for key, label, icon, url_name, code in NAVIGATION
            if code is None or employee.has_permission(code)
        ],
        "page_sizes": PAGE_SIZES,
    }
