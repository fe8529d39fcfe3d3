"""The customer lists (SPEC CUST-02/03/23, POOL-01/05, HOLD-01): the views 我的客户 / 我参与的 /
全部客户 / 公海 / 回收站 with filters, sorting, column choice, paging and the holding display, and
the saved views (保存为视图). The filters are read by the export too (io_views)."""

from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.core.errors import NotFound, ValidationFailed
from tidecrm.core.pagination import paginate
from tidecrm.core.web import is_htmx, login_required, parse_date, parse_int
from tidecrm.org import selectors as org_selectors
from tidecrm.rules import holding

from .. import config, selectors, services
from ..access import pool_library_ids
from ..models import Customer, Library, SavedView
from ._common import _toast
from .actions import BULK, NEEDS_MODAL

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
        **selectors.count_options(filters["q"], view),
    )
    page.items = selectors.decorate(page.items, actor)
    held, limit = holding.usage(actor, "customer")
    pool_libraries = pool_library_ids(actor)
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
        "owner_filter": view in ("all", "bin"),
        "owner_resigned": view == "bin",  # 原跟进人: people who have left too
        "owner_selected": org_selectors.employee_picked(actor=actor, employee_id=filters["owner_id"]),
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
