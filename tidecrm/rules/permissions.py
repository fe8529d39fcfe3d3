from django.utils.translation import gettext_lazy as _

from tidecrm.core.permissions import register

register("rules", _("规则设置"), {"rules.holding_limits": _("设置保有量上限")})
