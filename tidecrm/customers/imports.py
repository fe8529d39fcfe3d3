"""Customer import (CUST-20) and pool import (POOL-06) on the shared import framework.

Two kinds: ``customer`` (客户导入) — each row becomes a customer owned by the importer, or dealt
round-robin over the chosen owners, skipping anyone at their holding limit (HOLD-05); and
``customer_pool`` (客户池导入) — rows land ownerless in the chosen library's pool.

Every imported customer is what :func:`services.customer_create` would have made (same
validation, library, first stage, state and times, one primary contact, tags, a flow row and a
timeline event), but a chunk is checked and written set-based: the duplicate keys of the chunk
are looked up with two queries and matched in memory with the library's rule (CUST-14,
the one rule of :func:`services.duplicate_rule` that `find_duplicate` applies, earlier rows of the file included), the owners'
remaining capacity is read once under a lock on them, and the rows are inserted in bulk.
"""

import re

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import clock
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.imports import Column, Importer, register
from tidecrm.core.models import TimelineEvent
from tidecrm.core.permissions import check
from tidecrm.core.web import parse_ids, parse_int
from tidecrm.org.models import Employee
from tidecrm.org.scopes import visible_owner_q
from tidecrm.rules import holding

from . import config, services
from .models import Contact, Customer, CustomerFlow, CustomerTag, Library, Tag

State = Customer.State
KINDS = {
    "": Customer.Kind.ENTERPRISE,
    "企业": Customer.Kind.ENTERPRISE,
    "企业客户": Customer.Kind.ENTERPRISE,
    "enterprise": Customer.Kind.ENTERPRISE,
    "个人": Customer.Kind.PERSONAL,
    "个人客户": Customer.Kind.PERSONAL,
    "personal": Customer.Kind.PERSONAL,
}
GENDERS = {
    "": Contact.Gender.UNKNOWN,
    "未知": Contact.Gender.UNKNOWN,
    "unknown": Contact.Gender.UNKNOWN,
    "男": Contact.Gender.MALE,
    "先生": Contact.Gender.MALE,
    "male": Contact.Gender.MALE,
    "女": Contact.Gender.FEMALE,
    "女士": Contact.Gender.FEMALE,
    "female": Contact.Gender.FEMALE,
}
TAG_SEPARATORS = re.compile(r"[、,，;；]+")
# Contact fields clean_contact does not bound (the API schema does): checked here.
LENGTHS = (
    ("title", 40, gettext_lazy("职务")),
    ("email", 100, gettext_lazy("邮箱")),
    ("qq", 20, "QQ"),
    ("wechat", 40, gettext_lazy("微信")),
)
FIELD_ORDER = (
    "name",
    "kind",
    "contact_name",
    "mobile",
    "gender",
    "title",
    "email",
    "qq",
    "wechat",
    "source",
    "remark",
)

COLUMNS = (
    Column(
        "name",
        "客户名称",
        required=True,
        synonyms=("客户", "公司名称", "企业名称", "公司", "单位", "单位名称", "客户全称"),
    ),
    Column("contact_name", "联系人", required=True, synonyms=("联系人姓名", "姓名", "联系人名称", "名字")),
    Column(
        "mobile",
        "手机号",
        required=True,
        synonyms=("手机", "手机号码", "电话", "联系电话", "联系方式", "联系人手机号", "联系人电话", "mobile"),
    ),
    Column("gender", "性别", hint="男 / 女 / 未知"),
    Column("title", "职务", synonyms=("职位", "岗位")),
    Column("email", "邮箱", synonyms=("电子邮箱", "邮件", "email", "e-mail")),
    Column("qq", "QQ", synonyms=("qq号", "qq号码")),
    Column("wechat", "微信", synonyms=("微信号",)),
    Column("source", "来源", synonyms=("客户来源", "渠道")),
    Column("remark", "描述", synonyms=("备注", "说明", "客户描述")),
    Column(
        "tags",
        "标签",
        synonyms=("客户标签",),
        hint="多个标签用、或逗号分隔；须是已有的标签，不同标签组有同名标签时写成 标签组/标签",
    ),
    Column("kind", "客户类型", synonyms=("类型",), hint="企业客户 或 个人客户，不填为企业客户"),
)


class RowFailed(Exception):
    """A row that cannot be imported; the message is its 失败原因."""


# ---------------------------------------------------------------- duplicates in memory


class DuplicateIndex:
    """Customers by duplicate key (name key, contact name key, contact mobile): the in-memory
    side of :func:`services.find_duplicate`, applying the same :func:`services.duplicate_rule`. A reference is ``(order, holder, library_id)``:
    ``order`` sorts like the database's ``first()`` (existing customers by pk, then file rows)."""

    def __init__(self):
        self.keys = {"customer_name": {}, "contact_name": {}, "contact_mobile": {}}

    def add(self, field, key, ref):
        if key:
            self.keys[field].setdefault(key, []).append(ref)

    def add_row(self, keys, ref):
        for field, key in keys.items():
            self.add(field, key, ref)

    def match(self, library, keys, *, per_library):
        """Return the reference ``library``'s rule finds for ``keys``, or None."""

        def hits(field):
            found = self.keys[field].get(keys[field]) or []
            if per_library:
                found = [ref for ref in found if ref[2] == library.pk]
            return {ref[0]: ref for ref in found}

        rule = services.duplicate_rule(library, keys)
        if rule.together:
            matched = [hits(field) for field in rule.together]
            common = set.intersection(*(set(found) for found in matched))
            if common:
                return matched[0][min(common)]
        for field in rule.each:
            found = hits(field)
            if found:
                return found[min(found)]
        if rule.mobile_after:
            found = hits("contact_mobile")
            if found:
                return found[min(found)]
        return None


def _existing_index(rows, libraries, *, per_library):
    """Index the customers the chunk's rows could duplicate: two queries (contacts by mobile or
    name, customers by name key or those contacts), within the libraries checked."""
    name_keys = {row["keys"]["customer_name"] for row in rows} - {""}
    mobiles = {row["keys"]["contact_mobile"] for row in rows} - {""}
    contact_names = set()
    if any("contact_name" in (library.duplicate_fields or []) for library in libraries):
        contact_names = {row["keys"]["contact_name"] for row in rows} - {""}
    contacts = Contact.objects.filter(Q(mobile__in=mobiles) | Q(name_key__in=contact_names))
    # The customers services.find_duplicate checks against (services._candidates: which states,
    # which libraries), for every library the chunk may land in.
    candidates = services._candidates(libraries[0])
    for library in libraries[1:] if per_library else ():
        candidates |= services._candidates(library)
    customers = candidates.filter(Q(name_key__in=name_keys) | Q(pk__in=contacts.values("customer_id")))
    index, refs = DuplicateIndex(), {}
    for pk, name_key, state, owner_name, library_id in customers.values_list(
        "pk", "name_key", "state", "owner__name", "library_id"
    ):
        refs[pk] = ((0, pk), (state, owner_name), library_id)
        index.add("customer_name", name_key, refs[pk])
    for customer_id, name_key, mobile in contacts.values_list("customer_id", "name_key", "mobile"):
        if customer_id in refs:
            if name_key in contact_names:
                index.add("contact_name", name_key, refs[customer_id])
            if mobile in mobiles:
                index.add("contact_mobile", mobile, refs[customer_id])
    return index


def _duplicate_reason(holder):
    state, owner_name = holder
    if state == State.OWNED and owner_name:
        return _("客户已存在（跟进人：%(holder)s）") % {"holder": owner_name}
    if state == State.POOL:
        return _("客户已存在于公海")
    return _("客户已存在于回收站")


# ---------------------------------------------------------------- rows


def _tag_lookup():
    """{tag name: [tag], "组/标签": [tag]} of the enterprise's tags, read once per job."""
    lookup = {}
    for tag in Tag.objects.select_related("group"):
        lookup.setdefault(tag.name, []).append(tag)
        lookup.setdefault(f"{tag.group.name}/{tag.name}", []).append(tag)
    return lookup


def _tags(text, lookup):
    """Return the tag ids named in ``text`` (unknown or ambiguous names fail the row)."""
    tags = {}
    for name in filter(None, (part.strip() for part in TAG_SEPARATORS.split(text or ""))):
        found = lookup.get(name.replace("／", "/"))
        if not found:
            raise RowFailed(_("标签“%(name)s”不存在") % {"name": name})
        if len(found) > 1:
            raise RowFailed(_("标签“%(name)s”在多个标签组中重名，请写成 标签组/标签") % {"name": name})
        tags[found[0].pk] = found[0]
    groups = {}
    for tag in tags.values():
        if not tag.group.multiple and groups.get(tag.group_id, tag.pk) != tag.pk:
            raise RowFailed(_("标签组“%(group)s”只能选一个标签") % {"group": tag.group.name})
        groups[tag.group_id] = tag.pk
    return list(tags)


def clean_row(row, tag_lookup):
    """Validate one row as customer_create would (the customer, its contact) plus the columns
    only the import has (gender text, lengths, tag names); return the cleaned row."""
    errors = {}
    kind = KINDS.get((row.get("kind") or "").strip().lower())
    if kind is None:
        errors["kind"] = [_("客户类型只能填 企业客户 或 个人客户")]
    try:
        customer = services._clean_customer(
            {
                "name": row.get("name"),
                "kind": kind or Customer.Kind.ENTERPRISE,
                "source": row.get("source"),
                "remark": row.get("remark"),
            }
        )
    except ValidationFailed as error:
        labels = {"source": _("来源"), "remark": _("描述")}
        for field, messages in error.fields.items():
            errors[field] = [f"{labels[field]}{m}" if field in labels else m for m in messages]
        customer = {}
    gender = GENDERS.get((row.get("gender") or "").strip().lower())
    if gender is None:
        errors["gender"] = [_("性别只能填 男、女 或 未知")]
    values = {field: row.get(field) or "" for field in ("mobile", "title", "email", "qq", "wechat")}
    try:
        contact = services.clean_contact(
            {
                "name": row.get("contact_name"),
                "gender": gender or Contact.Gender.UNKNOWN,
                "remark": "",
                **values,
            }
        )
    except ValidationFailed as error:
        for field, messages in error.fields.items():
            errors["contact_name" if field == "name" else field] = messages
        contact = {}
    for field, limit, label in LENGTHS:
        if len((values[field] or "").strip()) > limit:
            errors.setdefault(field, []).append(
                _("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}
            )
    if errors:
        order = {field: index for index, field in enumerate(FIELD_ORDER)}
        raise RowFailed("；".join(m for f in sorted(errors, key=order.get) for m in errors[f]))
    tag_ids = _tags(row.get("tags"), tag_lookup)
    return {
        "customer": customer,
        "contact": contact,
        "tag_ids": tag_ids,
        "keys": {
            "customer_name": customer["name_key"],
            "contact_name": contact["name_key"],
            "contact_mobile": contact["mobile"],
        },
    }


# ---------------------------------------------------------------- importers


class CustomerImporter(Importer):
    """客户导入: owned by the importer, or round-robin over the chosen owners."""

    def options_context(self, actor):
        owners = []
        if actor.has_permission("customer.transfer"):
            owners = Employee.objects.filter(
                visible_owner_q(actor, "customer", owner_field="pk"),
                status=Employee.Status.ACTIVE,
                deleted_at__isnull=True,
            ).order_by("name")
        return {"customer_owners": owners}

    def options_from_form(self, data):
        return {"owner_ids": parse_ids(data.getlist("owner_ids"))}

    def prepare(self, actor, options):
        owner_ids = list(dict.fromkeys(int(pk) for pk in options.get("owner_ids") or []))
        if not owner_ids:
            owners = [actor]
        else:
            found = {
                o.pk: o
                for o in Employee.objects.filter(pk__in=owner_ids, deleted_at__isnull=True).select_related(
                    "main_department"
                )
            }
            if len(found) != len(owner_ids):
                raise ValidationFailed({"owner_ids": [_("跟进员工不存在")]})
            owners = [found[pk] for pk in owner_ids]
            inactive = [o.name for o in owners if o.status != Employee.Status.ACTIVE]
            if inactive:
                raise ValidationFailed(
                    {"owner_ids": [_("跟进员工已离职或被禁用：%(names)s") % {"names": "、".join(inactive)}]}
                )
            if owner_ids != [actor.pk]:  # others as owners: as customer_create with owner
                check(actor, "customer.transfer")
                visible = Employee.objects.filter(
                    visible_owner_q(actor, "customer", owner_field="pk"), pk__in=owner_ids
                ).count()
                if visible != len(owner_ids):
                    raise ValidationFailed({"owner_ids": [_("只能选择您管理范围内的员工")]})
        return self._context(owners=owners, libraries={o.pk: config.library_of(o) for o in owners})

    def _context(self, *, owners=(), libraries=None, pool_library=None):
        return {
            "owners": list(owners),
            "libraries": libraries or {},
            "pool_library": pool_library,
            "turn": 0,
            "stage_id": config.first_stage().pk,
            "tags": _tag_lookup(),
            "seen": DuplicateIndex(),  # the file's imported rows, across chunks
        }

    def import_rows(self, actor, rows, context):
        outcomes = [None] * len(rows)
        cleaned = []
        for index, row in enumerate(rows):
            try:
                cleaned.append((index, clean_row(row, context["tags"])))
            except RowFailed as failure:
                outcomes[index] = str(failure)
        if not cleaned:
            return outcomes
        owners, pool_library = context["owners"], context["pool_library"]
        libraries = sorted(
            {lib.pk: lib for lib in [*context["libraries"].values(), pool_library] if lib}.values(),
            key=lambda lib: lib.pk,
        )
        offset = context.get("row_offset", 0)
        with transaction.atomic():
            capacity = {}
            if owners:  # lock the owners first, as holding.reserve does in customer_create
                list(
                    Employee.objects.select_for_update(no_key=True)
                    .filter(pk__in=[o.pk for o in owners])
                    .order_by("pk")
                )
                limits = holding.limits_for(owners, "customer")
                held = holding.require_counter("customer")([o.pk for o in owners])
                # HOLD-04: new customers count unless they start at the terminal stage.
                counts = services.counts_toward_limit(Customer(stage_id=context["stage_id"]))
                for owner in owners:
                    limit = limits[owner.pk] if counts else None
                    capacity[owner.pk] = None if limit is None else max(limit - held.get(owner.pk, 0), 0)
            for library in libraries:  # then the duplicate lock, as customer_create does
                services._duplicate_lock(library)
            per_library = config.customer_settings().cross_library_duplicates
            existing = _existing_index([row for _i, row in cleaned], libraries, per_library=per_library)
            accepted = []
            for index, row in cleaned:
                position = self._peek(owners, capacity, context["turn"])
                owner = owners[position] if position is not None else None
                library = pool_library or context["libraries"][(owner or owners[0]).pk]
                twin = context["seen"].match(library, row["keys"], per_library=per_library)
                if twin:
                    outcomes[index] = _("文件内重复（与第 %(n)s 行）") % {"n": twin[1] + 2}
                    continue
                twin = existing.match(library, row["keys"], per_library=per_library)
                if twin:
                    outcomes[index] = _duplicate_reason(twin[1])
                    continue
                if owners and owner is None:
                    outcomes[index] = _("超过客户保有量上限")
                    continue
                if owner is not None:
                    context["turn"] = position + 1
                    if capacity[owner.pk] is not None:
                        capacity[owner.pk] -= 1
                context["seen"].add_row(row["keys"], ((1, offset + index), offset + index, library.pk))
                accepted.append((row, owner, library))
            self._insert(actor, accepted, context)
        return outcomes

    @staticmethod
    def _peek(owners, capacity, turn):
        """The position of the next owner with capacity left, round-robin from ``turn``."""
        for attempt in range(len(owners)):
            position = (turn + attempt) % len(owners)
            left = capacity[owners[position].pk]
            if left is None or left > 0:
                return position
        return None

    @staticmethod
    def _insert(actor, accepted, context):
        """Write the accepted rows as customer_create would: customer, primary contact, tags,
        flow (导入) and timeline event, each set with one bulk insert."""
        if not accepted:
            return
        now = clock.now()
        customers = [
            Customer(
                **row["customer"],
                stage_id=context["stage_id"],
                library=library,
                state=State.OWNED if owner else State.POOL,
                owner=owner,
                acquired_at=now if owner else None,
                released_at=None if owner else now,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            for row, owner, library in accepted
        ]
        Customer.objects.bulk_create(customers, batch_size=500)
        Contact.objects.bulk_create(
            [
                Contact(
                    customer=customer, created_by=actor, is_primary=True, created_at=now, **row["contact"]
                )
                for customer, (row, _owner, _library) in zip(customers, accepted, strict=True)
            ],
            batch_size=500,
        )
        CustomerTag.objects.bulk_create(
            [
                CustomerTag(customer=customer, tag_id=tag_id)
                for customer, (row, _owner, _library) in zip(customers, accepted, strict=True)
                for tag_id in row["tag_ids"]
            ],
            batch_size=1000,
        )
        CustomerFlow.objects.bulk_create(
            [
                CustomerFlow(
                    customer=customer,
                    kind=CustomerFlow.Kind.IMPORT,
                    to_owner=owner,
                    operator=actor,
                    created_at=now,
                )
                for customer, (_row, owner, _library) in zip(customers, accepted, strict=True)
            ],
            batch_size=1000,
        )
        TimelineEvent.objects.bulk_create(
            [
                TimelineEvent(
                    actor=actor,
                    verb=f"customer.{CustomerFlow.Kind.IMPORT}",
                    object_type="customer",
                    object_id=customer.pk,
                    object_label=customer.name[:200],
                    changes={"owner": [None, owner.name]} if owner else {},
                    created_at=now,
                )
                for customer, (_row, owner, _library) in zip(customers, accepted, strict=True)
            ],
            batch_size=1000,
        )
        # services.OWNER_LISTENERS are not called: they move the records (opportunities,
        # contracts) that follow an existing customer's owner; a customer inserted just now has none.


class CustomerPoolImporter(CustomerImporter):
    """客户池导入 (POOL-06): rows land ownerless in the chosen library's pool (pool managers)."""

    def options_context(self, actor):
        return {
            "pool_libraries": Library.objects.order_by("-is_default", "id"),
            "pool_library_id": config.library_of(actor).pk,
        }

    def options_from_form(self, data):
        value = data.get("library_id")
        return {"library_id": parse_int(value)}

    def prepare(self, actor, options):
        check(actor, "customer.assign")
        library_id = options.get("library_id")
        if library_id:
            library = Library.objects.filter(pk=library_id).first()
            if library is None:
                raise ValidationFailed({"library_id": [_("客户库不存在")]})
        else:
            library = config.library_of(actor)
        return self._context(pool_library=library)


CUSTOMER_IMPORTER = register(
    CustomerImporter(
        kind="customer",
        scope_module="customer",
        label=gettext_lazy("客户"),
        permission="customer.import",
        columns=COLUMNS,
        options_template="imports/_customer_options.html",  # a dataclass field: set here, not on the class
    )
)
CUSTOMER_POOL_IMPORTER = register(
    CustomerPoolImporter(
        kind="customer_pool",
        scope_module="customer",
        label=gettext_lazy("公海客户"),
        permission="customer.import",
        columns=COLUMNS,
        options_template="imports/_customer_pool_options.html",
    )
)
