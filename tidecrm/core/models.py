"""Tenancy base, the enterprise itself, and the timeline/audit event every change writes."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import clock
from .tenancy import require_tenant


def _new_enterprise_code():
    return str(secrets.randbelow(90_000_000) + 10_000_000)


class Tenant(models.Model):
    """An enterprise (企业): the unit of isolation. Every business row points here."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        FROZEN = "frozen", _("已冻结")

    name = models.CharField(_("企业名称"), max_length=100)
    code = models.CharField(_("企业号"), max_length=12, unique=True, default=_new_enterprise_code)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai")
    seats_total = models.PositiveIntegerField(_("账号数量"), default=100)
    expires_at = models.DateTimeField(_("到期日期"), null=True, blank=True)
    # The one super admin (TEN-15); transferable (TEN-16).
    owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # sudo mode may use a separate admin password (≥ 6 digits) when turned on.
    admin_password_enabled = models.BooleanField(default=False)
    admin_password = models.CharField(max_length=255, blank=True)
    # Q-22 / ROLE-10: supervisors see (and work) their subordinates' records on top of role scopes.
    supervisors_see_subordinates = models.BooleanField(_("上级自动可见下级数据"), default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("企业")

    def __str__(self):
        return self.name


class TenantQuerySet(models.QuerySet):
    """The queryset of tenant-owned rows: bulk inserts take the bound tenant, like ``save``."""

    def bulk_create(self, objs, *args, **kwargs):
        """Fill the bound tenant on new rows, as ``save`` does."""
        objs = list(objs)
        for obj in objs:
            if obj.tenant_id is None:
                obj.tenant = require_tenant()
        return super().bulk_create(objs, *args, **kwargs)


_TenantBaseManager = models.Manager.from_queryset(TenantQuerySet)


class TenantManager(_TenantBaseManager):
    """Scope every query to the bound tenant; refuse to query without one."""

    def get_queryset(self):
        return super().get_queryset().filter(tenant=require_tenant())


def unindexed_tenant_key():
    """TenantModel's tenant key without its single-column index, for the big, write-heavy tables
    (leads, customers, contacts and their flows) whose composite indexes all start with
    tenant_id: there the extra index only slows every insert (imports of 100,000 rows).
    tests/core/test_schema.py checks that such a table keeps an index led by tenant_id."""
    return models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False
    )


class TenantModel(models.Model):
    """Base of every tenant-owned row: non-null ``tenant_id``, scoped default manager.

    ``objects`` filters by the bound tenant (and raises without one); ``unscoped`` is for the
    few places that legitimately cross tenants (rules over all tenants, login, schema checks).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", editable=False)

    objects = TenantManager()
    unscoped = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "unscoped"
        default_manager_name = "objects"

    def save(self, *args, **kwargs):
        if self.tenant_id is None:
            self.tenant = require_tenant()
        super().save(*args, **kwargs)


class TimelineEvent(TenantModel):
    """One business change (DESIGN "Every change leaves a trace"): who, when, what, old → new.

    ``changes`` is ``{field: [old, new]}``; ``data`` carries verb-specific facts (e.g. the
    owner before and after). Journey, audit and reports read these rows.
    """

    actor = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    object_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["tenant", "object_type", "object_id", "-created_at"], name="timeline_object"
            ),
            models.Index(fields=["tenant", "-created_at"], name="timeline_recent"),
        ]

    def __str__(self):
        return f"{self.verb} {self.object_type}#{self.object_id}"


class ImportJob(TenantModel):
    """One spreadsheet import (GEN-06): the file, its options, progress and outcome.

    A job is recorded before any row is imported, so a file is never half-imported without a
    record: counts are updated chunk by chunk, and a crash leaves status ``failed`` with the
    counts reached and the reason.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(max_length=32)
    file_name = models.CharField(_("文件名称"), max_length=200)
    file_path = models.CharField(max_length=300)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    failure_path = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        "org.Employee", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "kind", "-created_at"], name="import_job_recent")]

    def __str__(self):
        return self.file_name
