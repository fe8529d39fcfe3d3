"""Leads (线索): three containers (待分配 / 销售线索 / 公共线索池) and one state machine (LEAD-24)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import TenantModel, unindexed_tenant_key
from tidecrm.core.ownership import OwnershipFlow


class Lead(TenantModel):
    """A lead (线索, LEAD-24): one of four containers, one state machine.

    ``state``: ``unallocated`` (待分配, no owner, seen by allocators; ``recycled`` when 回收 brought
    it back), ``owned`` (销售线索, held by ``owner``), ``pool`` (公共线索池, no owner, claimable by
    everyone) or ``converted`` (已转客户: ``customer`` set, the owner kept). ``status`` is what has
    been done with an owned lead: 待处理 on allocation or creation with an owner, 领取待处理 on a
    claim, then 待回访 / 无效 as its owner sets it (LEAD-14/15); follow-ups, status changes and
    conversion take an owned lead.
    Every move is a function of leads.services (allocate, recycle, release, claim, convert,
    inherit) that re-checks the state under a row lock (``invalid_transition``,
    :meth:`state_refusal`), reserves holding-limit capacity for a new owner and writes a
    :class:`LeadFlow` row, or a set-based writer that writes the same rows (the import, LEAD-04;
    the timeout job, LEAD-08); ``previous_owner`` remembers who held it.

    Invariant: among live leads the normalised ``phone`` and a non-empty ``company_key`` are unique
    (LEAD-27, enforced by the constraints: ``duplicate_lead``); a soft delete (``deleted_at``) frees
    both and hides the lead from everyone."""

    tenant = unindexed_tenant_key()

    class State(models.TextChoices):
        UNALLOCATED = "unallocated", _("待分配")
        OWNED = "owned", _("销售线索")
        POOL = "pool", _("公共线索池")
        CONVERTED = "converted", _("已转客户")

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        CALLBACK = "callback", _("待回访")
        INVALID = "invalid", _("无效")
        CLAIMED_PENDING = "claimed_pending", _("领取待处理")

    phone = models.CharField(_("手机号"), max_length=20)  # normalised (core.normalize.normalize_phone)
    name = models.CharField(_("姓名"), max_length=40, blank=True)
    company_name = models.CharField(_("客户名称"), max_length=100, blank=True)
    company_key = models.CharField(max_length=100, blank=True)  # core.normalize.normalize_company
    qq = models.CharField("QQ", max_length=20, blank=True)
    email = models.CharField(_("邮箱"), max_length=100, blank=True)
    wechat = models.CharField(_("微信"), max_length=40, blank=True)
    source = models.CharField(_("来源"), max_length=40, blank=True)
    remark = models.CharField(_("备注"), max_length=500, blank=True)
    tag_ids = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNALLOCATED)
    status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    recycled = models.BooleanField(default=False)
    owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    previous_owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    allocated_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    recycled_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    last_followup_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "state", "-created_at"], name="lead_state_recent"),
            models.Index(fields=["tenant", "owner", "state", "-created_at"], name="lead_owner_state"),
        ]
        constraints = [
            # LEAD-27 duplicates, race-safe: one live lead per phone, and per company name when given.
            models.UniqueConstraint(
                fields=["tenant", "phone"], condition=Q(deleted_at__isnull=True), name="lead_unique_phone"
            ),
            models.UniqueConstraint(
                fields=["tenant", "company_key"],
                condition=Q(deleted_at__isnull=True) & ~Q(company_key=""),
                name="lead_unique_company",
            ),
        ]

    def __str__(self):
        return self.company_name or self.name or self.phone

    def state_refusal(self, action):
        """Why ``action`` cannot be done from the lead's container (core.ownership.require_state)."""
        return _("当前线索在“%(where)s”，不能%(action)s") % {
            "where": self.get_state_display(),
            "action": action,
        }


class LeadFlow(OwnershipFlow):
    """Append-only ownership history of a lead (type, from, to, operator, reason)."""

    subject_field = "lead"

    class Kind(models.TextChoices):
        CREATE = "create", _("新建")
        ALLOCATE = "allocate", _("分配")
        RECYCLE = "recycle", _("回收")
        RELEASE = "release", _("放弃")
        CLAIM = "claim", _("领取")
        DELETE = "delete", _("删除")
        INHERIT = "inherit", _("离职继承")
        CONVERT = "convert", _("转客户")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="flows", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "lead", "-created_at"], name="lead_flow_lead"),
            models.Index(fields=["tenant", "to_owner", "kind", "created_at"], name="lead_flow_claims"),
        ]


class LeadSettings(TenantModel):
    """The lead pools' rules (API ``/settings/lead-rules``); one row per enterprise, None = off."""

    daily_claim_limit = models.PositiveIntegerField(null=True, blank=True)
    reclaim_cooldown_days = models.PositiveIntegerField(null=True, blank=True)
    timeout_recycle_hours = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="lead_settings_one")]
