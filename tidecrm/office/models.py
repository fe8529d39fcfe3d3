"""Office collaboration (SPEC 18). For now the approval component (OFF-08 / CON-03)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import TenantModel


class ApprovalRequest(TenantModel):
    """One approval of one record: up to two levels of approvers with or-sign, CC on completion.

    The approvers of each level are copied in when the request starts, so changing the settings
    later does not move a running approval.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("审批中")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤回")

    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=200)
    initiator = models.ForeignKey("org.Employee", on_delete=models.PROTECT, related_name="+", db_index=False)
    levels = models.JSONField(default=list)  # [[employee ids of level 1], [level 2]]
    cc_ids = models.JSONField(default=list, blank=True)
    current_level = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["tenant", "object_type", "object_id", "-created_at"], name="approval_object"
            ),
            models.Index(fields=["tenant", "status", "-created_at"], name="approval_status"),
        ]

    def approvers(self, level=None):
        level = level or self.current_level
        return list(self.levels[level - 1]) if 0 < level <= len(self.levels) else []


class ApprovalAction(TenantModel):
    """What one approver decided at one level (immutable)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("同意")
        REJECT = "reject", _("驳回")
        WITHDRAW = "withdraw", _("撤回")

    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.CASCADE, related_name="actions", db_index=False
    )
    level = models.PositiveSmallIntegerField()
    actor = models.ForeignKey("org.Employee", on_delete=models.PROTECT, related_name="+", db_index=False)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "request"], name="approval_action_request")]
