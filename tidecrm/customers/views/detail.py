"""One customer (SPEC CUST-04/05/06/07/10/17, FUP-02): the create and edit modals, the detail
drawer and full page (header actions by state and access, contacts, tags, collaborators,
opportunities and contracts, the journey), and the writes made from inside it (follow-up, tags,
collaborators, contacts), each answering with the detail again or a toast."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidecrm.core import uploads
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.web import error_text, is_htmx, login_required, parse_ids, parse_int, parse_local_datetime

from .. import config, selectors, services
from ..access import access_customer, access_level
from ..models import Collaborator, Contact, Customer, Followup
from ..sections import detail_sections_context
from ._common import DETAIL_CHANGED, _toast, _with_toast

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
    customer = access_customer(request.employee, customer_id, "change")
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
    access = access_level(actor, customer)
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
        "call_number": customer.primary.mobile if customer.primary and not customer.masked else "",
        # What other apps add (sales: "opportunities" and "contracts", newest 20 each).
        **detail_sections_context(actor, customer),
    }


@login_required
def customer_drawer(request, customer_id):
    """客户详情 drawer (CUST-05): header actions by state and access, tabs, the journey."""
    customer = access_customer(request.employee, customer_id, "read")
    return render(request, "customers/_drawer.html", _detail_context(request, customer))


@login_required
def customer_page(request, customer_id):
    """The same detail as a full page (shareable link, room for the journey)."""
    customer = access_customer(request.employee, customer_id, "read")
    context = _detail_context(request, customer)
    context["nav_active"] = "customers"
    if is_htmx(request) and request.headers.get("HX-Target") == "customer-detail":
        return render(request, "customers/_detail.html", context)
    return render(request, "customers/detail.html", context)


def _detail_again(request, customer_id, text):
    """After an action inside the detail: render it again (drawer or page) with a toast."""
    customer = access_customer(request.employee, customer_id, "read")
    context = _detail_context(request, customer)
    template = (
        "customers/_detail.html"
        if request.headers.get("HX-Target") == "customer-detail"
        else "customers/_drawer.html"
    )
    return _with_toast(render(request, template, context), request, text)


@login_required
@require_POST
def customer_followup(request, customer_id):
    """添加跟进 from the detail: the detail comes back with the new record."""
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
    services.customer_set_tags(
        actor=request.employee, customer_id=customer_id, tag_ids=parse_ids(request.POST.getlist("tag_ids"))
    )
    return _detail_again(request, customer_id, _("标签已保存"))


@login_required
@require_POST
def collaborator_add(request, customer_id):
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
    services.collaborator_remove(actor=request.employee, customer_id=customer_id, employee_id=employee_id)
    return _detail_again(request, customer_id, _("已移除协作人"))


# ---------------------------------------------------------------- contacts


@login_required
def contact_form(request, customer_id, contact_id=None):
    """添加 / 编辑联系人 modal (CUST-07)."""
    customer = access_customer(request.employee, customer_id, "change")
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
    customer = access_customer(request.employee, customer_id, "change")
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
