from django.utils.translation import gettext_lazy as _

from tidecrm.core.permissions import register

register(
    "org",
    _("组织架构"),
    {
        "org.view": _("查看组织架构"),
        "org.manage_departments": _("管理部门"),
        "org.manage_employees": _("管理员工"),
        "org.manage_roles": _("管理角色权限"),
        "org.inherit": _("离职继承"),
    },
    defaults={"sales_manager": ["org.view"], "marketing_manager": ["org.view"]},
)
