"""Rules as data (STYLE habit 7): holding limits today; recycle, auto-flow and timeouts next."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import TenantModel


class HoldingLimitRule(TenantModel):
    """One 保有量 rule (HOLD-01/02): how many leads or customers its members may own.

    ``is_default`` marks the rule for everyone no other rule names; ``limit`` None = unlimited.
    Members are employees and departments (a department rule covers its sub-departments).
    """

    class Object(models.TextChoices):
        LEAD = "lead", _("线索")
        CUSTOMER = "customer", _("客户")

    object = models.CharField(max_length=16, choices=Object.choices)
    name = models.CharField(_("规则名"), max_length=40)
    limit = models.PositiveIntegerField(_("上限"), null=True, blank=True)
    is_default = models.BooleanField(default=False)
    employee_ids = models.JSONField(default=list, blank=True)
    department_ids = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "object", "position"], name="holding_rule_object")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "object"],
                condition=models.Q(is_default=True),
                name="holding_rule_one_default",
            )
        ]

    def __str__(self):
        return self.name
