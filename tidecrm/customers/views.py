"""Customer pages: the views of CUST-03 (我的客户 / 我参与的 / 全部客户 / 公海 / 回收站), the detail
drawer and full page (CUST-05) with contacts, tags, collaborators and the journey, the modals,
the follow-up list (FUP-05) and the customer settings. Thin: parse, call one selector or
service, render; refusals come back as toasts or as the modal's messages."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.core import exports, uploads
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.pagination import paginate
from tidecrm.core.web import (
    add_toast,
    bulk_summary,
    error_text,
    is_htmx,
    login_required,
    page_permission_required,
    parse_date,
    parse_ids,
    parse_int,
    parse_local_datetime,
    toast_response,
)
from tidecrm.org.models import Department, Employee
from tidecrm.rules import holding
from tidecrm.sales import selectors as sales_selectors

from . import config, selectors, services
from .models import Collaborator, Contact, Customer, Followup, Library, SavedView, Stage, TagGroup

VIEW_TABS = (
    ("mine", gettext_lazy("我的客户"), None),
    ("collaborating", gettext_lazy("我参与的"), None),
    ("all", gettext_lazy("全部客户"), None),
    ("pool", gettext_lazy("公海客户"), None),
    ("bin", gettext_lazy("回收站"), "customer.delete"),
)
# Optional columns (CUST-02/23): key, label; the name column is always first.
COLUMNS = (
    ("contact", gettext_lazy("首要联系人")),
    ("mobile", gettext_lazy("手机号")),
    ("owner", gettext_lazy("跟进人")),
    ("stage", gettext_lazy("客户进展")),
    ("deal", gettext_lazy("客户状态")),
    ("tags", gettext_lazy("标签")),
    ("followup", gettext_lazy("最后跟进时间")),
    ("acquired", gettext_lazy("获得时间")),
    ("created", gettext_lazy("新建时间")),
    ("source", gettext_lazy("来源")),
    ("previous", gettext_lazy("原跟进人")),
    ("released", gettext_lazy("移入公海时间")),
    ("target", gettext_lazy("定向部门")),
    ("deleted", gettext_lazy("删除时间")),
)
DEFAULT_COLUMNS = {
    "owned": ["contact", "mobile", "owner", "stage", "deal", "tags", "followup", "acquired"],
    "pool": ["contact", "mobile", "released", "followup", "previous", "target"],
    "bin": ["contact", "previous", "deleted"],
}
# Bulk actions per view: (action, label, button style, permission).
BULK = {
    "owned": (
        ("tags", gettext_lazy("添加标签"), "outline-primary", None),
        ("transfer", gettext_lazy("转移"), "outline-primary", "customer.transfer"),
        ("release", gettext_lazy("移入公海"), "outline-warning", "customer.release"),
        ("delete", gettext_lazy("删除"), "outline-danger", "customer.delete"),
    ),
    "pool": (
        ("claim", gettext_lazy("领取"), "primary", "customer.claim"),
        ("assign", gettext_lazy("分配"), "outline-primary", "customer.assign"),
        ("target", gettext_lazy("定向"), "outline-primary", "customer.assign"),
        ("delete", gettext_lazy("删除"), "outline-danger", "customer.delete"),
    ),
    "bin": (("restore", gettext_lazy("恢复"), "primary", "customer.delete"),),
}
BULK_DONE = {
    "tags": gettext_lazy("已为 %(n)s 个客户添加标签"),
    "transfer": gettext_lazy("已转移 %(n)s 个客户"),
    "release": gettext_lazy("已将 %(n)s 个客户移入公海"),
    "delete": gettext_lazy("已删除 %(n)s 个客户，可在回收站恢复"),
    "claim": gettext_lazy("已领取 %(n)s 个客户"),
    "assign": gettext_lazy("已分配 %(n)s 个客户"),
    "target": gettext_lazy("已设置 %(n)s 个客户的定向部门"),
    "restore": gettext_lazy("已恢复 %(n)s 个客户"),
}
# Actions that ask for more in a modal first: the modal template and what it needs.
NEEDS_MODAL = {
    "tags": "tag_ids",
    "transfer": "employee_id",
    "assign": "employee_id",
    "release": "confirmed",
    "target": "confirmed",
}


# Events an answer fires: the lists refresh on the first, an open detail on the second.
LIST_CHANGED = "customers-changed"
DETAIL_CHANGED = "customers-changed, customer-changed"


def _toast(text, level="success", *, close=None, trigger=LIST_CHANGED):
    """A toast that also refreshes the customer lists (and, when asked, closes a modal/drawer)."""
    return toast_response(text, level, trigger=trigger, close=close)


def _with_toast(response, request, text, level="success"):
    return add_toast(response, request, text, level, trigger=LIST_CHANGED)


def summary(result, done_format):
    return bulk_summary(result, done_format, _("，%(n)s 个未处理：%(why)s"))


def _employees():
    return Employee.objects.filter(status=Employee.Status.ACTIVE, deleted_at__isnull=True).order_by("name")


def list_filters(params):
    """The list page's filters from a query string (unknown values become empty); the export
    (io_views) reads the same ones."""
    return {
        "q": (params.get("q") or "").strip(),
        "stage_id": parse_int(params.get("stage_id")),
        "tag_id": parse_int(params.get("tag_id")),
        "owner_id": parse_int(params.get("owner_id")),
        "deal_status": params.get("deal_status")
        if params.get("deal_status") in Customer.DealStatus.values
        else "",
        "source": (params.get("source") or "").strip(),
        "created_from": parse_date(params.get("created_from")),
        "created_to": parse_date(params.get("created_to")),
        "no_followup_days": parse_int(params.get("no_followup_days")),
        "sort": params.get("sort") if params.get("sort") in selectors.SORTS else "",
        "library_id": parse_int(params.get("library_id")),
    }


def _columns(params, kind):
    chosen = [c for c in params.getlist("cols") if c in dict(COLUMNS)]
    return chosen or DEFAULT_COLUMNS[kind]


# ---------------------------------------------------------------- lists


@login_required
def customer_list(request, view="mine"):
    """One view of the customer lists with filters, sorting, saved views, column choice, bulk
    actions, paging and the holding display (已拥有 X / 上限 Y)."""
    actor = request.employee
    tabs = [(v, label) for v, label, code in VIEW_TABS if code is None or actor.has_permission(code)]
    if view not in dict(tabs):
        raise NotFound()
    kind = "pool" if view == "pool" else "bin" if view == "bin" else "owned"
    filters = list_filters(request.GET)
    query = {k: v for k, v in filters.items() if v not in ("", None)}
    customers = selectors.customer_list(actor=actor, view=view, **query)
    page = paginate(
        customers,
        page=request.GET.get("page"),
        page_size=request.GET.get("page_size"),
        count_limit=selectors.count_limit(filters["q"]),
    )
    page.items = selectors.decorate(page.items, actor)
    held, limit = holding.usage(actor, "customer")
    pool_libraries = selectors.pool_library_ids(actor)
    libraries = list(Library.objects.order_by("-is_default", "id"))
    if pool_libraries is not None:
        libraries = [lib for lib in libraries if lib.pk in pool_libraries]
    current_library = None
    if view == "pool":
        current_library = next(
            (lib for lib in libraries if lib.pk == filters["library_id"]), None
        ) or config.library_of(actor)
    columns = _columns(request.GET, kind)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "nav_active": "customers",
        "view": view,
        "kind": kind,
        "tabs": tabs,
        "page": page,
        "filters": filters,
        "filtered": any(v not in ("", None) for k, v in filters.items() if k not in ("sort", "library_id")),
        "stages": config.stages(),
        "tag_groups": config.tag_groups(),
        "deal_statuses": Customer.DealStatus.choices,
        "sorts": (
            ("created", _("新建时间")),
            ("updated", _("更新时间")),
            ("followup", _("最后跟进时间")),
            ("acquired", _("获得时间")),
        ),
        "owners": _employees() if view in ("all", "bin") else [],
        "bulk": [
            b
            for b in BULK[kind]
            if (b[3] is None or actor.has_permission(b[3]))
            and (b[0] != "delete" or services.may_delete(actor))
        ],
        "bulk_modal_actions": NEEDS_MODAL,
        "columns": columns,
        "all_columns": COLUMNS,
        "held": held,
        "limit": limit,
        "libraries": libraries,
        "current_library": current_library,
        "saved_views": SavedView.objects.filter(employee=actor).order_by("id"),
        "querystring": params.urlencode(),
        "can_create": actor.has_permission("customer.create"),
        "can_import": actor.has_permission("customer.import"),
        "can_export": actor.has_permission("customer.export"),
        "list_url": request.path,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "customer-table":
        return render(request, "customers/_table.html", context)
    return render(request, "customers/list.html", context)


@login_required
@require_POST
def view_save(request):
    """保存为视图 (CUST-03): the current list's conditions and columns under a name."""
    name = (request.POST.get("name") or "").strip()
    if not name or len(name) > 20:
        raise ValidationFailed(
            {"name": [_("请填写视图名称（不超过20个字）")]}, message=_("请填写视图名称（不超过20个字）")
        )
    query = QueryDict(request.POST.get("query", ""), mutable=True)
    query.pop("page", None)
    query["view"] = request.POST.get("view") if request.POST.get("view") in selectors.VIEWS else "mine"
    SavedView.objects.update_or_create(
        employee=request.employee,
        name=name,
        defaults={"query": query.urlencode()[:1000], "columns": query.getlist("cols")},
    )
    response = _toast(_("视图“%(name)s”已保存") % {"name": name})
    response["HX-Refresh"] = "true"
    return response


@login_required
def view_open(request, view_id):
    saved = SavedView.objects.filter(pk=view_id, employee=request.employee).first()
    if saved is None:
        raise NotFound()
    query = QueryDict(saved.query, mutable=True)
    view = query.pop("view", ["mine"])[0]
    target = {"mine": "customer_list"}.get(view)
    url = reverse(target) if target else reverse("customer_view", args=[view])
    return redirect(f"{url}?{query.urlencode()}")


@login_required
@require_POST
def view_delete(request, view_id):
    SavedView.objects.filter(pk=view_id, employee=request.employee).delete()
    response = _toast(_("视图已删除"))
    response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def customer_bulk(request, action):
    """Run a batch action on the ticked customers; some open a modal first (tags, transfer,
    assign, release with a reason) and post back here."""
    actor = request.employee
    services_for = {
        "tags": services.customers_add_tags,
        "transfer": services.customers_transfer,
        "release": services.customers_release,
        "delete": services.customers_delete,
        "claim": services.customers_claim,
        "assign": services.customers_assign,
        "target": services.customers_pool_target,
        "restore": services.customers_restore,
    }
    if action not in services_for:
        raise ValidationFailed(message=_("未知操作"))
    ids = parse_ids(request.POST.getlist("customer_ids"))
    if not ids:
        raise ValidationFailed(message=_("请先选择客户"))
    kwargs = {"actor": actor, "ids": ids}
    needs = NEEDS_MODAL.get(action)
    if needs and not request.POST.get(needs):
        return render(request, "customers/_bulk_modal.html", _bulk_context(action, ids))
    if action == "tags":
        kwargs["tag_ids"] = parse_ids(request.POST.getlist("tag_ids"))
    if action in ("transfer", "assign"):
        kwargs["employee_id"] = parse_int(request.POST["employee_id"])
        if kwargs["employee_id"] is None:
            raise ValidationFailed({"employee_id": [_("请选择员工")]}, message=_("请选择员工"))
    if action in ("release", "transfer", "assign"):
        kwargs["reason"] = (request.POST.get("reason") or "").strip()[:200]
    if action == "target":
        kwargs["department_ids"] = parse_ids(request.POST.getlist("department_ids"))
    result = services_for[action](**kwargs)
    return _toast(
        summary(result, BULK_DONE[action]), "warning" if result["failed"] else "success", close="modal"
    )


def _bulk_context(action, ids):
    return {
        "action": action,
        "customer_ids": ids,
        "employees": _employees() if action in ("transfer", "assign") else [],
        "tag_groups": config.tag_groups() if action == "tags" else [],
        "departments": Department.objects.order_by("path") if action == "target" else [],
        "title": dict((a, label) for kind in BULK.values() for a, label, _s, _p in kind)[action],
    }


# ---------------------------------------------------------------- create / edit


def _contacts_from(post):
    """The contact rows of the create form (contacts-N-field), in order, skipping blank rows."""
    rows = []
    for index in range(Contact.MAX_PER_CUSTOMER + 1):
        row = {
            f: post.get(f"contacts-{index}-{f}", "")
            for f in ("name", "mobile", "title", "email", "qq", "wechat")
        }
        if any(v.strip() for v in row.values()):
            rows.append(row)
    return rows


@login_required
def customer_create(request):
    """新建客户 (CUST-04) with up to 10 contacts; the first one is primary."""
    actor = request.employee
    context = {
        "values": request.POST,
        "stages": config.stages(),
        "tag_groups": config.tag_groups(),
        "kinds": Customer.Kind.choices,
        "contacts": _contacts_from(request.POST) or [{}],
    }
    if request.method == "POST":
        try:
            customer = services.customer_create(
                actor=actor,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind") or Customer.Kind.ENTERPRISE,
                source=request.POST.get("source", ""),
                remark=request.POST.get("remark", ""),
                stage_id=parse_int(request.POST.get("stage_id")),
                tag_ids=parse_ids(request.POST.getlist("tag_ids")),
                contacts=_contacts_from(request.POST),
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "customers/_create_modal.html", context, status=422)
        return _toast(_("客户“%(name)s”已创建") % {"name": customer.name}, close="modal")
    return render(request, "customers/_create_modal.html", context)


@login_required
def customer_edit(request, customer_id):
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id)
    fields = ("name", "kind", "source", "remark")
    context = {
        "customer": customer,
        "values": request.POST
        or {**{f: getattr(customer, f) for f in fields}, "stage_id": customer.stage_id},
        "stages": config.stages(),
        "kinds": Customer.Kind.choices,
    }
    if request.method == "POST":
        try:
            services.customer_update(
                actor=request.employee,
                customer_id=customer.pk,
                stage_id=parse_int(request.POST.get("stage_id")),
                **{f: request.POST.get(f, "") for f in fields},
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "customers/_edit_modal.html", context, status=422)
        return _toast(_("已保存"), close="modal", trigger=DETAIL_CHANGED)
    return render(request, "customers/_edit_modal.html", context)


# ---------------------------------------------------------------- detail


def _detail_context(request, customer):
    actor = request.employee
    customer = selectors.decorate([customer], actor)[0]
    access = selectors.access_of(actor, customer)
    tab = (
        request.GET.get("journey")
        if request.GET.get("journey") in ("all", "followup", "change", "flow")
        else "all"
    )
    journey = selectors.journey(customer, limit=60)
    if tab != "all":
        journey = [item for item in journey if item["kind"] == tab]
    tags = {t.pk for t in customer.tags}
    groups = config.tag_groups()
    for group in groups:
        for tag in group.tag_list:
            tag.checked = tag.pk in tags
    return {
        "customer": customer,
        "access": access,
        "can_manage": access == "manage",
        "can_write": access in ("manage", "write"),
        # Every visible owned customer is in the caller's scope or shared with them, and any
        # collaborator may follow up (CUST-17).
        "can_followup": customer.state == Customer.State.OWNED,
        "can_delete": services.may_delete(actor),
        "contacts": selectors.contacts_of(customer, actor),
        "collaborators": selectors.collaborators_of(customer),
        "tag_groups": groups,
        "journey": journey,
        "journey_tab": tab,
        "methods": Followup.Method.choices,
        "accept": uploads.ACCEPT,
        "access_choices": Collaborator.Access.choices,
        "employees": _employees(),
        "call_number": customer.primary.mobile if customer.primary and not customer.masked else "",
        "opportunities": sales_selectors.opportunity_list(actor=actor, customer_id=customer.pk)[:20],
        "contracts": sales_selectors.contract_list(actor=actor, customer_id=customer.pk)[:20],
    }


@login_required
def customer_drawer(request, customer_id):
    """客户详情 drawer (CUST-05): header actions by state and access, tabs, the journey."""
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id, include_deleted=True)
    return render(request, "customers/_drawer.html", _detail_context(request, customer))


@login_required
def customer_page(request, customer_id):
    """The same detail as a full page (shareable link, room for the journey)."""
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id, include_deleted=True)
    context = _detail_context(request, customer)
    context["nav_active"] = "customers"
    if is_htmx(request) and request.headers.get("HX-Target") == "customer-detail":
        return render(request, "customers/_detail.html", context)
    return render(request, "customers/detail.html", context)


def _refuse_if_failed(result):
    """A batch service run on one record from the detail: its refusal becomes the answer."""
    if result["failed"]:
        failure = result["failed"][0]
        raise BusinessError(failure["code"], failure["message"])


def _detail_again(request, customer_id, text):
    """After an action inside the detail: render it again (drawer or page) with a toast."""
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id, include_deleted=True)
    context = _detail_context(request, customer)
    template = (
        "customers/_detail.html"
        if request.headers.get("HX-Target") == "customer-detail"
        else "customers/_drawer.html"
    )
    return _with_toast(render(request, template, context), request, text)


@login_required
@require_POST
def customer_action(request, customer_id, action):
    """Detail actions: 领取, 删除, 恢复 (others go through a modal)."""
    actor = request.employee
    selectors.customer_get(actor=actor, customer_id=customer_id, include_deleted=True)
    single = {
        "claim": (services.customers_claim, BULK_DONE["claim"]),
        "delete": (services.customers_delete, BULK_DONE["delete"]),
        "restore": (services.customers_restore, BULK_DONE["restore"]),
    }
    if action not in single:
        raise ValidationFailed(message=_("未知操作"))
    apply, done = single[action]
    _refuse_if_failed(apply(actor=actor, ids=[customer_id]))
    if action == "delete":
        return _toast(done % {"n": 1}, close="drawer")
    return _detail_again(request, customer_id, done % {"n": 1})


@login_required
def customer_move(request, customer_id, action):
    """移入公海 (with reason), 转移 and 分配 (choose the employee) from the detail: a modal."""
    actor = request.employee
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    if action not in ("release", "transfer", "assign"):
        raise NotFound()
    context = {**_bulk_context(action, [customer.pk]), "customer": customer, "single": True}
    if request.method == "POST":
        reason = (request.POST.get("reason") or "").strip()[:200]
        if action == "release":
            result = services.customers_release(actor=actor, ids=[customer.pk], reason=reason)
        else:
            employee_id = parse_int(request.POST.get("employee_id"))
            if not employee_id:
                raise ValidationFailed(message=_("请选择员工"))
            apply = services.customers_transfer if action == "transfer" else services.customers_assign
            result = apply(actor=actor, ids=[customer.pk], employee_id=employee_id, reason=reason)
        _refuse_if_failed(result)
        return _toast(BULK_DONE[action] % {"n": 1}, close="modal", trigger=DETAIL_CHANGED)
    return render(request, "customers/_bulk_modal.html", context)


@login_required
@require_POST
def customer_followup(request, customer_id):
    """添加跟进 from the detail: the detail comes back with the new record."""
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    next_at = parse_local_datetime(request.POST.get("next_followup_at"))
    try:
        services.customer_followup_add(
            actor=request.employee,
            customer_id=customer_id,
            content=request.POST.get("content", ""),
            method=request.POST.get("method", "call"),
            contact_id=parse_int(request.POST.get("contact_id")),
            next_followup_at=next_at,
            files=[(f.name, f.read()) for f in request.FILES.getlist("files")[: uploads.MAX_FILES + 1]],
        )
    except ValidationFailed as error:
        raise ValidationFailed(error.fields, message=error_text(error)) from None
    return _detail_again(request, customer_id, _("已添加跟进记录"))


@login_required
@require_POST
def customer_tags(request, customer_id):
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    services.customer_set_tags(
        actor=request.employee, customer_id=customer_id, tag_ids=parse_ids(request.POST.getlist("tag_ids"))
    )
    return _detail_again(request, customer_id, _("标签已保存"))


@login_required
@require_POST
def collaborator_add(request, customer_id):
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    employee_id = parse_int(request.POST.get("employee_id"))
    if not employee_id:
        raise ValidationFailed(message=_("请选择员工"))
    services.collaborator_set(
        actor=request.employee,
        customer_id=customer_id,
        employee_id=employee_id,
        access=request.POST.get("access") or Collaborator.Access.READ,
    )
    return _detail_again(request, customer_id, _("已添加协作人"))


@login_required
@require_POST
def collaborator_remove(request, customer_id, employee_id):
    selectors.customer_get(actor=request.employee, customer_id=customer_id)
    services.collaborator_remove(actor=request.employee, customer_id=customer_id, employee_id=employee_id)
    return _detail_again(request, customer_id, _("已移除协作人"))


# ---------------------------------------------------------------- contacts


@login_required
def contact_form(request, customer_id, contact_id=None):
    """添加 / 编辑联系人 modal (CUST-07)."""
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id)
    contact = Contact.objects.filter(pk=contact_id, customer=customer).first() if contact_id else None
    if contact_id and contact is None:
        raise NotFound()
    context = {
        "customer": customer,
        "contact": contact,
        "genders": Contact.Gender.choices,
        "values": request.POST
        or ({f: getattr(contact, f) for f in services.CONTACT_FIELDS} if contact else {}),
    }
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in services.CONTACT_FIELDS}
        values["is_primary"] = bool(request.POST.get("is_primary"))
        try:
            if contact:
                services.contact_update(actor=request.employee, contact_id=contact.pk, **values)
            else:
                services.contact_add(actor=request.employee, customer_id=customer.pk, **values)
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "customers/_contact_modal.html", context, status=422)
        return _toast(_("联系人已保存"), close="modal", trigger=DETAIL_CHANGED)
    return render(request, "customers/_contact_modal.html", context)


@login_required
def contact_delete(request, customer_id, contact_id):
    """删除联系人; deleting the primary asks for the new primary first."""
    customer = selectors.customer_get(actor=request.employee, customer_id=customer_id)
    contact = Contact.objects.filter(pk=contact_id, customer=customer).first()
    if contact is None:
        raise NotFound()
    if request.method == "POST":
        services.contact_delete(
            actor=request.employee,
            contact_id=contact.pk,
            new_primary_id=parse_int(request.POST.get("new_primary_id")),
        )
        return _toast(_("联系人已删除"), close="modal", trigger=DETAIL_CHANGED)
    others = Contact.objects.filter(customer=customer).exclude(pk=contact.pk).order_by("id")
    return render(
        request,
        "customers/_contact_delete_modal.html",
        {"customer": customer, "contact": contact, "others": others},
    )


# ---------------------------------------------------------------- follow-up list (FUP-05)


def _followup_filters(params):
    return {
        "employee_id": parse_int(params.get("employee_id")),
        "method": params.get("method") if params.get("method") in Followup.Method.values else None,
        "created_from": parse_date(params.get("created_from")),
        "created_to": parse_date(params.get("created_to")),
    }


@login_required
def followup_list(request):
    """联系记录: every follow-up on customers the caller may see, with filters."""
    filters = _followup_filters(request.GET)
    followups = selectors.followup_list(actor=request.employee, **filters)
    page = paginate(followups, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    context = {
        "nav_active": "customers",
        "page": page,
        "filters": filters,
        "methods": Followup.Method.choices,
        "employees": _employees(),
        "can_export": request.employee.has_permission("followup.export"),
        "export_query": urlencode({k: v for k, v in request.GET.items() if k not in ("page",)}),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "followup-table":
        return render(request, "customers/_followup_table.html", context)
    return render(request, "customers/followups.html", context)


@page_permission_required("followup.export")
def followup_export(request):
    """导出联系记录 (FUP-05, ``followup.export``): the filtered list as xlsx."""
    followups = selectors.followup_list(actor=request.employee, **_followup_filters(request.GET))
    columns = [
        (_("跟进时间"), "created_at"),
        (_("客户名称"), "customer.name"),
        (_("联系人"), "contact.name"),
        (_("跟进方式"), lambda f: f.get_method_display()),
        (_("跟进内容"), "content"),
        (_("下次跟进时间"), "next_followup_at"),
        (_("跟进人"), "created_by.name"),
    ]
    return exports.export_response(f"{_('联系记录')}.xlsx", columns, followups)


# ---------------------------------------------------------------- settings


SETTINGS_TABS = (
    ("libraries", gettext_lazy("客户库与公海")),
    ("stages", gettext_lazy("客户进展")),
    ("tags", gettext_lazy("客户标签")),
    ("general", gettext_lazy("通用设置")),
)


@page_permission_required("customer.settings")
def customer_settings(request, tab="libraries"):
    """客户设置: libraries with their pool rules and duplicate rule (CUST-13/14, POOL-12/13),
    progress stages (CUST-11), tag groups (CUST-10), general switches (CUST-13/15/21)."""
    if tab not in dict(SETTINGS_TABS):
        raise NotFound()
    actor = request.employee
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            text = _settings_post(actor, action, request.POST)
        except BusinessError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, text)
        return redirect(reverse("customer_settings_tab", args=[tab]))
    settings = config.customer_settings()
    context = {
        "nav_active": "settings",
        "tab": tab,
        "tabs": SETTINGS_TABS,
        "libraries": config.libraries(),
        "departments": Department.objects.order_by("path"),
        "duplicate_fields": list(Library.DUPLICATE_FIELDS.items()),
        "matches": Library.Match.choices,
        "stages": config.stages(),
        "stage_max": Stage.MAX,
        "tag_groups": config.tag_groups(),
        "colors": TagGroup.COLOR_LABELS.items(),
        "settings": settings,
        "employees": _employees(),
    }
    return render(request, "customers/settings.html", context)


def _settings_post(actor, action, post):
    if action == "library_create":
        config.library_create(
            actor=actor, name=post.get("name", ""), department_ids=parse_ids(post.getlist("department_ids"))
        )
        return _("客户库已创建")
    if action == "library_update":
        library_id = parse_int(post.get("library_id"))
        values = {
            "name": post.get("name", ""),
            "duplicate_fields": post.getlist("duplicate_fields"),
            "duplicate_match": post.get("duplicate_match", "any"),
            "daily_claim_limit": parse_int((post.get("daily_claim_limit") or "").strip()),
            "reclaim_cooldown_days": parse_int((post.get("reclaim_cooldown_days") or "").strip()),
        }
        library = Library.objects.filter(pk=library_id).first()
        if library is None:
            raise NotFound()
        if not library.is_default:
            values["department_ids"] = parse_ids(post.getlist("department_ids"))
        config.library_update(actor=actor, library_id=library_id, **values)
        return _("客户库“%(name)s”已保存") % {"name": values["name"]}
    if action == "library_delete":
        config.library_delete(actor=actor, library_id=parse_int(post.get("library_id")))
        return _("客户库已删除")
    if action == "stage_create":
        config.stage_create(actor=actor, name=post.get("name", ""))
        return _("已添加进展")
    if action == "stage_update":
        config.stage_update(actor=actor, stage_id=parse_int(post.get("stage_id")), name=post.get("name", ""))
        return _("进展已保存")
    if action == "stage_move":
        config.stage_update(
            actor=actor,
            stage_id=parse_int(post.get("stage_id")),
            position=parse_int(post.get("position")) or 0,
        )
        return _("顺序已调整")
    if action == "stage_delete":
        moved = config.stage_delete(
            actor=actor,
            stage_id=parse_int(post.get("stage_id")),
            move_to_id=parse_int(post.get("move_to_id")),
        )
        return _("进展已删除，%(n)s 个客户已变更进展") % {"n": moved}
    if action == "group_create":
        tags = [
            t.strip()
            for t in (post.get("tags") or "").replace("，", ",").replace("、", ",").split(",")
            if t.strip()
        ]
        config.tag_group_create(
            actor=actor,
            name=post.get("name", ""),
            color=post.get("color", "blue"),
            multiple=bool(post.get("multiple")),
            tags=tags,
        )
        return _("标签组已创建")
    if action == "group_update":
        config.tag_group_update(
            actor=actor,
            group_id=parse_int(post.get("group_id")),
            name=post.get("name", ""),
            color=post.get("color", "blue"),
            multiple=bool(post.get("multiple")),
        )
        return _("标签组已保存")
    if action == "group_delete":
        config.tag_group_delete(actor=actor, group_id=parse_int(post.get("group_id")))
        return _("标签组已删除")
    if action == "tag_create":
        config.tag_create(actor=actor, group_id=parse_int(post.get("group_id")), name=post.get("name", ""))
        return _("标签已添加")
    if action == "tag_delete":
        config.tag_delete(actor=actor, tag_id=parse_int(post.get("tag_id")))
        return _("标签已删除")
    if action == "general":
        config.settings_update(
            actor=actor,
            cross_library_duplicates=bool(post.get("cross_library_duplicates")),
            forbid_delete=bool(post.get("forbid_delete")),
            masked_employee_ids=parse_ids(post.getlist("masked_employee_ids")),
        )
        return _("通用设置已保存")
    raise ValidationFailed(message=_("未知操作"))


@login_required
def attachment_download(request, attachment_id):
    """A follow-up attachment, for callers who may see its customer; images open inline."""
    from django.http import FileResponse

    attachment = selectors.attachment_get(actor=request.employee, attachment_id=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.is_image,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
