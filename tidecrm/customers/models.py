"""Customers (客户), contacts, libraries and their pools, stages, tags, collaborators, flows.

Ownership: a customer is ``owned`` by one employee, in its library's ``pool`` (公海) with no
owner, or ``deleted`` (回收站). Every move writes a :class:`CustomerFlow` row (CUST-29) and a
timeline event. Tags live in :class:`CustomerTag` rows (filterable by index on every database).
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import TenantModel, unindexed_tenant_key
from tidecrm.core.ownership import OwnershipFlow


class Library(TenantModel):
    """A customer library (客户库, CUST-13) with its own pool, duplicate rule and claim rules."""

    class Match(models.TextChoices):
        ANY = "any", _("满足任意一项")
        ALL = "all", _("满足全部条件")

    DUPLICATE_FIELDS = {
        "customer_name": _("客户名称"),
        "contact_name": _("联系人姓名"),
        "contact_mobile": _("联系人手机号"),
    }

    name = models.CharField(_("客户库名称"), max_length=40)
    is_default = models.BooleanField(default=False)
    duplicate_fields = models.JSONField(default=list, blank=True)  # subset of DUPLICATE_FIELDS
    duplicate_match = models.CharField(max_length=8, choices=Match.choices, default=Match.ANY)
    daily_claim_limit = models.PositiveIntegerField(null=True, blank=True)  # POOL-13, None = off
    reclaim_cooldown_days = models.PositiveIntegerField(null=True, blank=True)  # POOL-12, None = off
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="library_unique_name"),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True), name="library_one_default"
            ),
        ]

    def __str__(self):
        return self.name


class LibraryDepartment(TenantModel):
    """A department assigned to a library; its sub-departments follow unless assigned themselves."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="departments", db_index=False)
    department = models.ForeignKey(
        "org.Department", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "department"], name="library_department_once"),
        ]
        indexes = [models.Index(fields=["tenant", "library"], name="library_department_library")]


class Stage(TenantModel):
    """A progress stage (客户进展, CUST-11); the last one is the fixed terminal stage 已签约."""

    MAX = 10
    DEFAULTS = ("初步接触", "需求确认", "方案报价", "商务谈判", "已签约")

    name = models.CharField(_("进展名称"), max_length=20)
    position = models.PositiveSmallIntegerField(default=0)
    is_terminal = models.BooleanField(default=False)

    class Meta:
        ordering = ["is_terminal", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="stage_unique_name"),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_terminal=True), name="stage_one_terminal"
            ),
        ]

    def __str__(self):
        return self.name


class TagGroup(TenantModel):
    """A tag group (标签组, CUST-10): a question of the call script; single- or multi-select."""

    COLOR_LABELS = {  # Tabler's colour names, as the settings page names them
        "blue": _("蓝色"),
        "azure": _("天蓝"),
        "indigo": _("靛蓝"),
        "purple": _("紫色"),
        "pink": _("粉色"),
        "red": _("红色"),
        "orange": _("橙色"),
        "yellow": _("黄色"),
        "lime": _("青柠"),
        "green": _("绿色"),
        "teal": _("蓝绿"),
        "cyan": _("青色"),
    }
    COLORS = tuple(COLOR_LABELS)

    name = models.CharField(_("标签组名称"), max_length=20)
    color = models.CharField(_("颜色"), max_length=16, default="blue")
    multiple = models.BooleanField(_("可多选"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tag_group_unique_name")]

    def __str__(self):
        return self.name


class Tag(TenantModel):
    """A tag (标签, CUST-10) of a :class:`TagGroup`, its name unique within the group.

    Administrators (``customer.settings``) add and delete tags (config.tag_create / tag_delete). A
    customer carries tags as :class:`CustomerTag` rows, at most one of a single-select group
    (services.validate_tags); a lead keeps the chosen ids in ``Lead.tag_ids`` until it converts.
    Deleting a tag, or its group, simply takes it off every customer."""

    group = models.ForeignKey(TagGroup, on_delete=models.CASCADE, related_name="tags", db_index=False)
    name = models.CharField(_("标签名称"), max_length=20)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "group", "name"], name="tag_unique_name")]
        indexes = [models.Index(fields=["tenant", "group"], name="tag_group")]

    def __str__(self):
        return self.name


class Customer(TenantModel):
    """A customer (客户, CUST-04): owned by one employee, in a pool, or in the recycle bin.

    ``owned``: held by ``owner`` since ``acquired_at``; ``pool``: in its library's 公海 with no
    owner (``released_at``, ``release_reason``; ``targeted`` while sent to departments, POOL-05);
    ``deleted``: in the recycle bin (回收站, CUST-22), no owner, ``state_before_delete`` remembering
    where it came from. Only services move it: creation (services.customers), the imports and
    services.ownership (transfer, release, claim, assign, delete, restore, inherit), each
    re-checking the state under a row lock (``invalid_transition``, :meth:`state_refusal`),
    reserving holding-limit capacity for a new owner and writing a :class:`CustomerFlow` row
    (CUST-29); ``previous_owner`` is 原跟进人. Edits, contacts, tags and collaborators change
    only an owned customer.

    Invariants: an owned customer has an owner, a pool or deleted one has none; no two live
    customers share the keys of the library's duplicate rule (``name_key``, contact names, contact
    mobiles; ``duplicate_customer``, CUST-13/14); it counts toward its owner's holding limit unless
    it is at the terminal stage or has been won (HOLD-04); ``deal_status`` and ``has_won`` are
    derived from its opportunities (CUST-09), never set by hand. Its opportunities and contracts
    follow its owner (POOL-14). Who sees it is :mod:`tidecrm.customers.access`."""

    tenant = unindexed_tenant_key()

    class State(models.TextChoices):
        OWNED = "owned", _("已领取")
        POOL = "pool", _("公海")
        DELETED = "deleted", _("回收站")

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业客户")
        PERSONAL = "personal", _("个人客户")

    class DealStatus(models.TextChoices):
        OPEN = "open", _("未成交")
        CLOSED = "closed", _("已结单")

    name = models.CharField(_("客户名称"), max_length=100)
    name_key = models.CharField(max_length=100)  # core.normalize.normalize_company
    kind = models.CharField(_("客户类型"), max_length=16, choices=Kind.choices, default=Kind.ENTERPRISE)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OWNED)
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+", db_index=False)
    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    deal_status = models.CharField(max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN)
    has_won = models.BooleanField(default=False)
    owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    previous_owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    source = models.CharField(_("来源"), max_length=40, blank=True)
    remark = models.CharField(_("描述"), max_length=500, blank=True)
    from_lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    acquired_at = models.DateTimeField(null=True, blank=True, default=clock.now)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=200, blank=True)
    last_followup_at = models.DateTimeField(null=True, blank=True)
    last_contact_method = models.CharField(max_length=16, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    state_before_delete = models.CharField(max_length=16, blank=True)
    # 定向公海 (POOL-05): in the pool for some departments only (their PoolTarget rows).
    targeted = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Key columns rather than INCLUDE (SQLite has none): lists and counts by owner and the
            # newest-first walk both read these indexes alone (index-only scans on PostgreSQL).
            models.Index(
                fields=["tenant", "owner", "state", "-created_at", "-id"], name="customer_owner_state"
            ),
            models.Index(fields=["tenant", "name_key"], name="customer_name_key"),
            models.Index(
                fields=["tenant", "state", "-created_at", "-id", "owner"], name="customer_state_recent"
            ),
            models.Index(fields=["tenant", "library", "state", "-released_at"], name="customer_pool"),
            models.Index(fields=["tenant", "stage", "state"], name="customer_stage"),
        ]

    def __str__(self):
        return self.name

    def state_refusal(self, action):
        """Why ``action`` cannot be done from the customer's state (core.ownership.require_state)."""
        where = {
            self.State.OWNED: _("已有跟进人"),
            self.State.POOL: _("在公海中"),
            self.State.DELETED: _("在回收站中"),
        }
        return _("该客户%(where)s，不能%(action)s") % {"where": where[self.state], "action": action}


class PoolTarget(TenantModel):
    """定向公海 (POOL-05): a pool customer sent to a department. While a customer has targets only
    members of those departments and their sub-departments (and pool managers) see and claim it;
    the targets go when it leaves the pool."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    department = models.ForeignKey(
        "org.Department", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "department", "customer"], name="pool_target_department")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "department"], name="pool_target_unique")
        ]


class Contact(TenantModel):
    """A customer's contact person (联系人, CUST-07), deleted with its customer.

    At most ``MAX_PER_CUSTOMER`` per customer (``contact_limit_reached``) and never none: the last
    one cannot be deleted (``last_contact``). One is primary (``contact_one_primary``; the first
    contact is), and deleting it names the next (``primary_contact_required``). Written only while
    the customer is owned (services.contacts). The mobile is normalised, unique within the customer
    and checked against other customers (LEAD-27: one phone, one holder); ``name_key`` feeds the
    duplicate rule and ``mobile_last4`` the last-four-digits search (BEYOND-01). Phone, QQ, e-mail
    and WeChat are shown masked in the pool, the recycle bin and to employees under data protection
    (GEN-03, CUST-15)."""

    tenant = unindexed_tenant_key()
    MAX_PER_CUSTOMER = 10  # CUST-07

    class Gender(models.TextChoices):
        UNKNOWN = "unknown", _("未知")
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", db_index=False)
    name = models.CharField(_("联系人"), max_length=40)
    name_key = models.CharField(max_length=40, blank=True)  # trimmed, for the duplicate rule
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    # Search by the last four digits (BEYOND-01) as an exact index lookup, not a scan.
    mobile_last4 = models.GeneratedField(
        expression=Right("mobile", 4), output_field=models.CharField(max_length=4), db_persist=True
    )
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    title = models.CharField(_("职务"), max_length=40, blank=True)
    email = models.CharField(_("邮箱"), max_length=100, blank=True)
    qq = models.CharField("QQ", max_length=20, blank=True)
    wechat = models.CharField(_("微信"), max_length=40, blank=True)
    remark = models.CharField(_("描述"), max_length=150, blank=True)
    is_primary = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "customer"], name="contact_customer"),
            models.Index(fields=["tenant", "mobile"], name="contact_mobile"),
            models.Index(fields=["tenant", "mobile_last4", "customer"], name="contact_mobile_last4"),
            models.Index(fields=["tenant", "name_key"], name="contact_name_key"),
            models.Index(fields=["tenant", "name"], name="contact_name"),  # search by contact name
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer"], condition=Q(is_primary=True), name="contact_one_primary"
            )
        ]

    def __str__(self):
        return self.name


class CustomerTag(TenantModel):
    """A customer carrying a tag (CUST-10): one row per (customer, tag), deleted with either.

    Indexed by tag, so a list filters by tag with an index lookup on every database. Written by
    customer creation, imports and services.tags, which keep a single-select group to one tag per
    customer; config.tag_group_update refuses turning a group single-select while customers hold
    several of its tags (``tag_group_in_use``)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tag_links", db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "tag"], name="customer_tag_once")
        ]
        indexes = [models.Index(fields=["tenant", "tag", "customer"], name="customer_tag_tag")]


class Collaborator(TenantModel):
    """A joint follower (联合跟进人, CUST-17): sees the customer; ``write`` may also follow up and edit."""

    class Access(models.TextChoices):
        READ = "read", _("只读")
        WRITE = "write", _("可编辑")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="collaborators", db_index=False
    )
    employee = models.ForeignKey("org.Employee", on_delete=models.CASCADE, related_name="+", db_index=False)
    access = models.CharField(max_length=8, choices=Access.choices, default=Access.READ)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "employee"], name="collaborator_once")
        ]
        indexes = [models.Index(fields=["tenant", "employee", "customer"], name="collaborator_employee")]


class CustomerFlow(OwnershipFlow):
    """Append-only ownership history of a customer (流转记录, CUST-29)."""

    subject_field = "customer"

    class Kind(models.TextChoices):
        CREATE = "create", _("新建")
        CLAIM = "claim", _("领取")
        TRANSFER = "transfer", _("转让")
        ASSIGN = "assign", _("分配")
        RELEASE = "release", _("放弃")
        RECYCLE = "recycle", _("回收")
        AUTOFLOW = "autoflow", _("自动流转")
        INHERIT = "inherit", _("继承")
        DELETE = "delete", _("删除")
        RESTORE = "restore", _("恢复")
        IMPORT = "import", _("导入")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="flows", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "customer", "-created_at"], name="customer_flow_customer"),
            models.Index(fields=["tenant", "to_owner", "kind", "created_at"], name="customer_flow_claims"),
        ]


class CustomerSettings(TenantModel):
    """Enterprise-wide customer settings; one row per enterprise."""

    cross_library_duplicates = models.BooleanField(default=False)  # CUST-13 允许跨库重复
    masked_employee_ids = models.JSONField(default=list, blank=True)  # CUST-15 资料保护
    forbid_delete = models.BooleanField(default=False)  # CUST-21 禁止删除客户

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="customer_settings_one")]


class SavedView(TenantModel):
    """A user-saved customer view (CUST-03): the list's query string and chosen columns."""

    employee = models.ForeignKey("org.Employee", on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(_("视图名称"), max_length=20)
    query = models.CharField(max_length=1000, blank=True)
    columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "employee", "name"], name="saved_view_unique_name")
        ]


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
    # DO_NOTHING: services.contact_delete clears it first, tenant-scoped and by followup_contact.
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    content = models.TextField(_("跟进内容"), max_length=2000)
    method = models.CharField(_("跟进方式"), max_length=16, choices=Method.choices, default=Method.CALL)
    next_followup_at = models.DateTimeField(_("下次跟进时间"), null=True, blank=True)
    # FUP-02: a follow-up logged on an opportunity or contract is the customer's record too; the
    # sales records are referenced by id (sales depends on customers, not the other way round).
    opportunity_pk = models.BigIntegerField(null=True, blank=True)
    contract_pk = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        "org.Employee", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "lead", "-created_at"], name="followup_lead"),
            models.Index(fields=["tenant", "customer", "-created_at"], name="followup_customer"),
            models.Index(fields=["tenant", "-created_at"], name="followup_recent"),
            models.Index(fields=["tenant", "opportunity_pk"], name="followup_opportunity"),
            models.Index(
                fields=["tenant", "contact"], name="followup_contact", condition=Q(contact__isnull=False)
            ),
        ]


class FollowupAttachment(TenantModel):
    """A file on a follow-up (FUP-01: 图片、附件、语音), checked by content (core.uploads)."""

    followup = models.ForeignKey(
        Followup, on_delete=models.CASCADE, related_name="attachments", db_index=False
    )
    file = models.FileField(max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    is_image = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "followup"], name="followup_attachment")]
