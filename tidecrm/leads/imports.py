"""Lead import (LEAD-04) on the shared import framework: set-based, for 100,000-row files.

Each chunk is checked in a handful of queries: phones and company names are normalised, files'
internal repeats and existing leads are found with one query each, owners' remaining capacity is
read once (under a lock on the owners), and the accepted rows are inserted with ``fast_insert``.
Without an owner the leads land in 待分配; with several owners they are dealt round-robin,
skipping anyone at their holding limit (rows nobody can take fail with 超过保有量上限).
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import clock
from tidecrm.core.bulk import fast_insert
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.imports import Column, Importer, register
from tidecrm.core.models import TimelineEvent
from tidecrm.core.normalize import is_mobile, normalize_company, normalize_phone
from tidecrm.customers.models import Contact, Customer
from tidecrm.org.models import Employee
from tidecrm.rules import holding

from .models import Lead, LeadFlow
from .services import holder_label

TEXT_FIELDS = ("name", "company_name", "qq", "email", "wechat", "source", "remark")


class LeadImporter(Importer):
    options_template = "leads/_import_options.html"

    def options_context(self, actor):
        return {
            "followers": Employee.objects.filter(
                status=Employee.Status.ACTIVE, deleted_at__isnull=True
            ).order_by("name")
        }

    def options_from_form(self, data):
        return {"owner_ids": [int(pk) for pk in data.getlist("owner_ids") if str(pk).isdigit()]}

    def prepare(self, actor, options):
        owner_ids = [int(pk) for pk in options.get("owner_ids") or []]
        owners = list(Employee.objects.filter(pk__in=owner_ids, deleted_at__isnull=True))
        if len(owners) != len(set(owner_ids)):
            raise ValidationFailed({"owner_ids": [_("跟进员工不存在")]})
        inactive = [o.name for o in owners if o.status != Employee.Status.ACTIVE]
        if inactive:
            raise ValidationFailed(
                {"owner_ids": [_("跟进员工已离职或被禁用：%(names)s") % {"names": "、".join(inactive)}]}
            )
        by_id = {o.pk: o for o in owners}
        return {
            "owners": [by_id[pk] for pk in dict.fromkeys(owner_ids)],
            "turn": 0,
            "tag_ids": list(options.get("tag_ids") or []),
        }

    def import_rows(self, actor, rows, context):
        outcomes = [None] * len(rows)
        cleaned = []
        # File-wide: a repeat in a later chunk still names the first row ("第 N 行", header = 1).
        seen_phones = context.setdefault("seen_phones", {})
        seen_companies = context.setdefault("seen_companies", {})
        offset = context.get("row_offset", 0)
        for index, row in enumerate(rows):
            phone = normalize_phone(row.get("phone"))
            if not phone:
                outcomes[index] = _("手机号为空")
                continue
            if not is_mobile(phone):
                outcomes[index] = _("手机号格式错误")
                continue
            company_key = normalize_company(row.get("company_name"))
            if phone in seen_phones or (company_key and company_key in seen_companies):
                outcomes[index] = _("文件内重复（与第 %(n)s 行）") % {
                    "n": seen_phones.get(phone, seen_companies.get(company_key)) + 2
                }
                continue
            seen_phones[phone] = offset + index
            if company_key:
                seen_companies[company_key] = offset + index
            cleaned.append((index, phone, company_key, row))
        # Only what the failure reason needs, not whole leads: two narrow index lookups per chunk.
        live = Lead.objects.filter(deleted_at__isnull=True)
        wanted = ("phone", "company_key", "state", "owner__name")
        taken_phones = {
            row[0]: row
            for row in live.filter(phone__in=[phone for _i, phone, _k, _r in cleaned]).values_list(*wanted)
        }
        taken_companies = {
            row[1]: row
            for row in live.filter(company_key__in=[key for _i, _p, key, _r in cleaned if key]).values_list(
                *wanted
            )
        }
        # LEAD-27: a phone already on a customer's contact is a duplicate too.
        customer_phones = dict(
            Contact.objects.filter(mobile__in=[phone for _i, phone, _k, _r in cleaned])
            .exclude(customer__state=Customer.State.DELETED)
            .values_list("mobile", "customer__owner__name")
        )
        accepted = []
        for index, phone, company_key, row in cleaned:
            if phone in customer_phones:
                outcomes[index] = _("重复线索（已是客户联系人，跟进人：%(holder)s）") % {
                    "holder": customer_phones[phone] or _("公海")
                }
                continue
            duplicate = taken_phones.get(phone) or (company_key and taken_companies.get(company_key))
            if duplicate:
                _phone, _key, state, owner_name = duplicate
                holder = (
                    owner_name
                    if state == Lead.State.OWNED and owner_name
                    else holder_label(Lead(state=state))
                )
                outcomes[index] = _("重复线索（%(holder)s）") % {"holder": holder}
                continue
            accepted.append((index, phone, company_key, row))
        with transaction.atomic():
            owners = context["owners"]
            capacity = {}
            if owners:
                Employee.objects.select_for_update().filter(pk__in=[o.pk for o in owners]).order_by(
                    "pk"
                ).count()
                for owner in owners:
                    held, limit = holding.usage(owner, "lead")
                    capacity[owner.pk] = None if limit is None else max(limit - held, 0)
            now = clock.now()
            import_reason = str(_("导入"))
            lengths = {field: Lead._meta.get_field(field).max_length for field in TEXT_FIELDS}
            leads, placed = [], []
            for index, phone, company_key, row in accepted:
                owner = self._next_owner(owners, capacity, context)
                if owners and owner is None:
                    outcomes[index] = _("超过员工线索保有量上限")
                    continue
                leads.append(
                    {
                        "tenant_id": actor.tenant_id,
                        "phone": phone,
                        "company_key": company_key,
                        **{field: (row.get(field) or "").strip()[: lengths[field]] for field in TEXT_FIELDS},
                        "state": Lead.State.OWNED if owner else Lead.State.UNALLOCATED,
                        "status": Lead.Status.PENDING if owner else "",
                        "owner_id": owner.pk if owner else None,
                        "created_by_id": actor.pk,
                        "created_at": now,
                        "updated_at": now,
                        "allocated_at": now if owner else None,
                        "tag_ids": context["tag_ids"],
                    }
                )
                placed.append(index)
            try:
                with transaction.atomic():
                    ids = fast_insert(Lead, leads)
                created = list(zip(ids, leads, strict=True))
            except IntegrityError:
                # Someone created one of these leads meanwhile: fall back to row by row.
                created = []
                for index, lead in zip(list(placed), leads, strict=True):
                    try:
                        with transaction.atomic():
                            created.append((fast_insert(Lead, [lead])[0], lead))
                    except IntegrityError:
                        outcomes[index] = _("重复线索")
            fast_insert(
                TimelineEvent,
                [
                    {
                        "tenant_id": actor.tenant_id,
                        "actor_id": actor.pk,
                        "verb": "lead.create",
                        "object_type": "lead",
                        "object_id": pk,
                        "object_label": (lead["company_name"] or lead["name"] or lead["phone"])[:200],
                        "reason": import_reason,
                        "created_at": now,
                    }
                    for pk, lead in created
                ],
            )
            fast_insert(
                LeadFlow,
                [
                    {
                        "tenant_id": actor.tenant_id,
                        "lead_id": pk,
                        "kind": LeadFlow.Kind.CREATE,
                        "to_owner_id": lead["owner_id"],
                        "operator_id": actor.pk,
                        "reason": import_reason,
                        "created_at": now,
                    }
                    for pk, lead in created
                ],
            )
        return outcomes

    @staticmethod
    def _next_owner(owners, capacity, context):
        """Deal round-robin over the owners with capacity left (None = unlimited)."""
        for _attempt in range(len(owners)):
            owner = owners[context["turn"] % len(owners)]
            context["turn"] += 1
            left = capacity[owner.pk]
            if left is None or left > 0:
                if left is not None:
                    capacity[owner.pk] = left - 1
                return owner
        return None


LEAD_IMPORTER = register(
    LeadImporter(
        kind="lead",
        label=gettext_lazy("线索"),
        permission="lead.import",
        columns=(
            Column(
                "phone",
                "手机号",
                required=True,
                synonyms=("手机", "手机号码", "电话", "联系电话", "联系方式", "mobile"),
            ),
            Column("name", "姓名", synonyms=("联系人", "联系人姓名", "名字")),
            Column("company_name", "客户名称", synonyms=("公司", "公司名称", "企业名称", "单位")),
            Column("qq", "QQ", synonyms=("qq号",)),
            Column("email", "邮箱", synonyms=("电子邮箱", "email", "e-mail")),
            Column("wechat", "微信", synonyms=("微信号",)),
            Column("source", "来源", synonyms=("线索来源", "渠道")),
            Column("remark", "备注", synonyms=("描述", "说明")),
        ),
    )
)
