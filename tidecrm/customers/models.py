"""Customers and contacts: the minimal model lead conversion needs (LEAD-16).

The customers issue grows this into libraries, pools, stages, tags, follow-ups and the journey;
what is here is already the shape it keeps: tenant-keyed, owner by id, a normalised name key.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import TenantModel


class Customer(TenantModel):
    class State(models.TextChoices):
        OWNED = "owned", _("我的客户")
        POOL = "pool", _("公海")
        DELETED = "deleted", _("回收站")

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业客户")
        PERSONAL = "personal", _("个人客户")

    name = models.CharField(_("客户名称"), max_length=100)
    name_key = models.CharField(max_length=100)  # core.normalize.normalize_company
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ENTERPRISE)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OWNED)
    owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    previous_owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    source = models.CharField(_("来源"), max_length=40, blank=True)
    remark = models.CharField(_("备注"), max_length=500, blank=True)
    tag_ids = models.JSONField(default=list, blank=True)
    from_lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    acquired_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "owner", "state", "-created_at"], name="customer_owner_state"),
            models.Index(fields=["tenant", "name_key"], name="customer_name_key"),
            models.Index(fields=["tenant", "state", "-created_at"], name="customer_state_recent"),
        ]

    def __str__(self):
        return self.name


class Contact(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", db_index=False)
    name = models.CharField(_("联系人"), max_length=40)
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    email = models.CharField(_("邮箱"), max_length=100, blank=True)
    qq = models.CharField("QQ", max_length=20, blank=True)
    wechat = models.CharField(_("微信"), max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "customer"], name="contact_customer"),
            models.Index(fields=["tenant", "mobile"], name="contact_mobile"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer"], condition=Q(is_primary=True), name="contact_one_primary"
            )
        ]

    def __str__(self):
        return self.name


class Followup(TenantModel):
    """A follow-up record (跟进记录, FUP-01): one row, referenced by every timeline it belongs to
    (FUP-02). A lead's follow-ups move to its customer when it converts (LEAD-16)."""

    class Method(models.TextChoices):
        CALL = "call", _("电话")
        WECHAT = "wechat", _("微信")
        VISIT = "visit", _("拜访")
        MEETING = "meeting", _("面谈")
        EMAIL = "email", _("邮件")
        SMS = "sms", _("短信")
        OTHER = "other", _("其他")

    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="followups", db_index=False
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    content = models.TextField(_("跟进内容"), max_length=2000)
    method = models.CharField(_("跟进方式"), max_length=16, choices=Method.choices, default=Method.CALL)
    next_followup_at = models.DateTimeField(_("下次跟进时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        "org.Employee", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "lead", "-created_at"], name="followup_lead"),
            models.Index(fields=["tenant", "customer", "-created_at"], name="followup_customer"),
        ]
