"""Lead import (LEAD-04) on the shared import framework: set-based, for 100,000-row files.

Each chunk is checked in a handful of queries: phones and company names are normalised, files'
internal repeats and existing leads are found with one query each, owners' remaining capacity is
read once (under a lock on the owners), and the accepted rows are inserted with ``fast_insert``.
Without an owner the leads land in 待分配; with several owners they are dealt round-robin,
skipping anyone at their holding limit (rows nobody can take fail with 超过保有量上限).
"""

import json

from django.db import IntegrityError, connection, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import clock
from tidecrm.core.bulk import fast_insert
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.imports import Column, Importer, register
from tidecrm.core.models import TimelineEvent
from tidecrm.core.normalize import MOBILE_RE, normalize_company, normalize_phone
from tidecrm.core.web import parse_ids
from tidecrm.customers.models import Contact, Customer
from tidecrm.org.models import Employee
from tidecrm.rules import holding

from . import verbs
from .models import Lead, LeadFlow
from .services import holder_label

TEXT_FIELDS = ("name", "company_name", "qq", "email", "wechat", "source", "remark")
# What varies per imported lead; every other column is the same for the whole chunk.
VARYING = ("phone", "company_key", *TEXT_FIELDS, "owner_id")


def _in(column, values):
    """``column`` is one of ``values`` (SQL, params): one JSON parameter however many values,
    cheap to send, and on PostgreSQL unknown at plan time, so the planner probes the index per
    value rather than weighing 10,000 constants against a sequential scan."""
    values = json.dumps(list(values), ensure_ascii=False)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [values]


def _existing(tenant_id, phones, company_keys):
    """Return the live leads holding these phones / company keys, and the customers' contacts
    holding these phones: {phone: (phone, key, state, owner name)}, {key: ...}, {phone: owner name}.
    """
    lead, employee = Lead._meta.db_table, Employee._meta.db_table
    contact, customer = Contact._meta.db_table, Customer._meta.db_table
    found = []
    with connection.cursor() as cursor:
        for column, values, extra in (
            ("phone", phones, ""),
            ("company_key", company_keys, "AND NOT (l.company_key = '')"),  # the partial index's condition
        ):
            if not values:
                found.append({})
                continue
            match, params = _in(f"l.{column}", values)
            cursor.execute(
                f"SELECT l.phone, l.company_key, l.state, e.name FROM {lead} l "
                f"LEFT JOIN {employee} e ON e.id = l.owner_id "
                f"WHERE l.tenant_id = %s AND l.deleted_at IS NULL {extra} AND {match}",
                [tenant_id, *params],
            )
            key = 0 if column == "phone" else 1
            found.append({row[key]: row for row in cursor.fetchall()})
        customer_phones = {}
        if phones:  # LEAD-27: a phone already on a customer's contact is a duplicate too.
            match, params = _in("ct.mobile", phones)
            cursor.execute(
                f"SELECT ct.mobile, e.name FROM {contact} ct JOIN {customer} c ON c.id = ct.customer_id "
                f"LEFT JOIN {employee} e ON e.id = c.owner_id "
                f"WHERE ct.tenant_id = %s AND NOT (c.state = %s) AND {match}",
                [tenant_id, Customer.State.DELETED, *params],
            )
            customer_phones = dict(cursor.fetchall())
    return found[0], found[1], customer_phones


class LeadWriter:
    """Insert one chunk's leads and their LeadFlow 新建 rows (the ownership history starts there).

    Rows are lists in ``VARYING`` order. On PostgreSQL they are COPYed into a temporary table and
    one statement inserts the leads and, from its RETURNING, their flows: the per-chunk constants
    (tenant, creator, times, state by owner) never travel per row. Elsewhere ``fast_insert``.
    """

    def __init__(self, actor, tag_ids):
        self.actor = actor
        self.now = clock.now()
        self.reason = str(_("导入"))
        self.tag_ids = tag_ids

    def insert(self, rows, *, staged=True):
        if not rows:
            return
        if staged and connection.vendor == "postgresql":
            self._insert_postgresql(rows)
        else:
            self._insert_generic(rows)

    def _lead_constants(self):
        return {
            "tenant_id": self.actor.tenant_id,
            "created_by_id": self.actor.pk,
            "created_at": self.now,
            "updated_at": self.now,
            "tag_ids": self.tag_ids,
        }

    def _flow_constants(self):
        return {
            "tenant_id": self.actor.tenant_id,
            "kind": LeadFlow.Kind.CREATE,
            "operator_id": self.actor.pk,
            "reason": self.reason,
            "created_at": self.now,
        }

    def _insert_generic(self, rows):
        constants = self._lead_constants()
        leads = []
        for values in rows:
            lead = dict(zip(VARYING, values, strict=True))
            owned = lead["owner_id"] is not None
            lead.update(
                constants,
                state=Lead.State.OWNED if owned else Lead.State.UNALLOCATED,
                status=Lead.Status.PENDING if owned else "",
                allocated_at=self.now if owned else None,
            )
            leads.append(lead)
        ids = fast_insert(Lead, leads)
        flow = self._flow_constants()
        fast_insert(
            LeadFlow,
            [
                {**flow, "lead_id": pk, "to_owner_id": lead["owner_id"]}
                for pk, lead in zip(ids, leads, strict=True)
            ],
        )

    def _insert_postgresql(self, rows):
        quote = connection.ops.quote_name
        stage = "lead_import_stage"
        owned = "s.owner_id IS NOT NULL"
        lead_columns, lead_select, lead_params = _select_list(
            Lead,
            {
                **{name: (f"s.{quote(name)}", []) for name in VARYING},
                "state": (
                    f"CASE WHEN {owned} THEN %s ELSE %s END",
                    [Lead.State.OWNED, Lead.State.UNALLOCATED],
                ),
                "status": (f"CASE WHEN {owned} THEN %s ELSE '' END", [Lead.Status.PENDING]),
                "allocated_at": (f"CASE WHEN {owned} THEN %s END", [self.now]),
            },
            self._lead_constants(),
        )
        flow_columns, flow_select, flow_params = _select_list(
            LeadFlow, {"lead_id": ("new.id", []), "to_owner_id": ("new.owner_id", [])}, self._flow_constants()
        )
        definition = ", ".join(
            f"{quote(name)} {Lead._meta.get_field(name).db_type(connection)}" for name in VARYING
        )
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.execute(f"CREATE TEMPORARY TABLE {stage} ({definition}) ON COMMIT DROP")
            with cursor.cursor.copy(f"COPY {stage} FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
            cursor.execute(
                f"WITH new AS (INSERT INTO {quote(Lead._meta.db_table)} ({lead_columns}) "
                f"SELECT {lead_select} FROM {stage} s RETURNING id, owner_id) "
                f"INSERT INTO {quote(LeadFlow._meta.db_table)} ({flow_columns}) SELECT {flow_select} FROM new",
                [*lead_params, *flow_params],
            )
            cursor.execute(f"DROP TABLE {stage}")


def _select_list(model, expressions, constants):
    """(columns, select list, params) inserting every column of ``model`` but the id: ``expressions``
    ({attname: (sql, params)}), then ``constants``, else the field's default, cast to its type."""
    columns, select, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            sql, values = expressions[field.attname]
            select.append(sql)
            params.extend(values)
            continue
        value = constants[field.attname] if field.attname in constants else field.get_default()
        if isinstance(field, models.JSONField) and value is not None:
            value = json.dumps(value, ensure_ascii=False)
        select.append(f"CAST(%s AS {field.db_type(connection)})")
        params.append(value)
    return ", ".join(columns), ", ".join(select), params


class LeadImporter(Importer):
    """线索导入 (LEAD-04): without owners the rows land in 待分配; with ``owner_ids`` they are
    dealt round-robin to those (active) owners, skipping anyone at their holding limit; every row
    gets the chosen ``tag_ids``. A row is refused for an empty or bad phone, a repeat within the
    file, or a duplicate of a live lead (LEAD-27)."""

    def options_context(self, actor):
        from tidecrm.customers.config import tag_groups

        return {
            "followers": Employee.objects.filter(
                status=Employee.Status.ACTIVE, deleted_at__isnull=True
            ).order_by("name"),
            "tag_groups": tag_groups(),
        }

    def options_from_form(self, data):
        return {
            "owner_ids": parse_ids(data.getlist("owner_ids")),
            "tag_ids": parse_ids(data.getlist("tag_ids")),
        }

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
        from tidecrm.customers.services import validate_tags

        return {
            "owners": [by_id[pk] for pk in dict.fromkeys(owner_ids)],
            "turn": 0,
            # LEAD-04: tags chosen at import, the same tag groups customers use (single-select
            # groups allow one tag); an unknown tag refuses the job before it starts.
            "tag_ids": validate_tags(options.get("tag_ids") or []),
        }

    def import_rows(self, actor, rows, context):
        outcomes = [None] * len(rows)
        cleaned = []
        # File-wide: a repeat in a later chunk still names the first row ("第 N 行", header = 1).
        seen_phones = context.setdefault("seen_phones", {})
        seen_companies = context.setdefault("seen_companies", {})
        offset = context.get("row_offset", 0)
        empty_phone, bad_phone = _("手机号为空"), _("手机号格式错误")
        mobile = MOBILE_RE.match
        for index, row in enumerate(rows):
            raw = row.get("phone")
            # Most cells are already 11 plain digits: skip the normaliser's Unicode folding then.
            phone = (
                raw if raw and len(raw) == 11 and raw.isascii() and raw.isdigit() else normalize_phone(raw)
            )
            if not phone:
                outcomes[index] = empty_phone
                continue
            if not mobile(phone):
                outcomes[index] = bad_phone
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
        # Only what the failure reason needs, not whole leads: one index probe per value, each
        # list sent as a single parameter (an array on PostgreSQL, JSON on SQLite).
        phones = [phone for _i, phone, _k, _r in cleaned]
        taken_phones, taken_companies, customer_phones = _existing(
            actor.tenant_id, phones, [key for _i, _p, key, _r in cleaned if key]
        )
        holders = {state: holder_label(Lead(state=state)) for state in Lead.State.values}
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
                holder = owner_name if state == Lead.State.OWNED and owner_name else holders.get(state, "")
                outcomes[index] = _("重复线索（%(holder)s）") % {"holder": holder}
                continue
            accepted.append((index, phone, company_key, row))
        # The writes (owners' capacity, insert, commit) may run while the next chunk is checked.
        writer = context.get("writer")
        if writer is None:
            return self._write(actor, accepted, outcomes, context)
        return writer.run(self._write, actor, accepted, outcomes, context)

    def _write(self, actor, accepted, outcomes, context):
        """Deal the accepted rows to the owners within their holding limits and insert them, in
        one transaction; return the chunk's outcomes."""
        with transaction.atomic():
            owners = context["owners"]
            capacity = {}
            if owners:
                # Lock the owners (in id order) so that concurrent imports and allocations count
                # holdings one after the other. Not .count(): Django drops FOR UPDATE from
                # aggregates, which left this lock untaken (test_import_background). NO KEY: the
                # foreign-key checks at commit (FOR KEY SHARE on the importer, an owner) must not
                # wait for it, or two imports dealing to each other's importers deadlock.
                list(
                    Employee.objects.select_for_update(no_key=True)
                    .filter(pk__in=[o.pk for o in owners])
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                for owner in owners:
                    held, limit = holding.usage(owner, "lead")
                    capacity[owner.pk] = None if limit is None else max(limit - held, 0)
            # Cells arrive as stripped text (core.imports); cut to the columns' lengths.
            text = [(field, Lead._meta.get_field(field).max_length) for field in TEXT_FIELDS]
            leads, placed = [], []
            for index, phone, company_key, row in accepted:
                owner_id = None
                if owners:
                    owner = self._next_owner(owners, capacity, context)
                    if owner is None:
                        outcomes[index] = _("超过员工线索保有量上限")
                        continue
                    owner_id = owner.pk
                leads.append([phone, company_key, *[(row.get(f) or "")[:n] for f, n in text], owner_id])
                placed.append(index)
            writer = LeadWriter(actor, context["tag_ids"])
            try:
                with transaction.atomic():
                    writer.insert(leads)
            except IntegrityError:
                # Someone created one of these leads meanwhile: fall back to row by row. The unique
                # constraints stay the final arbiter of duplicates.
                for index, values in zip(placed, leads, strict=True):
                    try:
                        with transaction.atomic():
                            writer.insert([values], staged=False)
                    except IntegrityError:
                        outcomes[index] = _("重复线索")
        return outcomes

    def finish(self, actor, context, job):
        """One timeline event per import (not one per lead: each lead's LeadFlow records its
        creation); it names the job, file and counts."""
        TimelineEvent.objects.create(
            actor=actor,
            verb=verbs.LEAD_IMPORT,
            object_type="import_job",
            object_id=job.pk,
            object_label=job.file_name[:200],
            data={"total": job.total, "succeeded": job.succeeded, "failed": job.failed},
            reason=str(_("导入")),
        )

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
        scope_module="lead",
        options_template="leads/_import_options.html",
        chunk_rows=10_000,
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
