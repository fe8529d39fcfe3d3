"""客户设置 (SPEC CUST-10/11/13/14/15/21, POOL-12/13): the settings page with its tabs —
libraries with their pool and duplicate rules, progress stages, tag groups, general switches —
and the form posts, each calling one customers.config service."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.accounts.web import sudo_required
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.web import error_text, page_permission_required, parse_ids, parse_int
from tidecrm.org.models import Department

from .. import config
from ..models import Library, Stage, TagGroup
from ._common import _employees

# ---------------------------------------------------------------- settings


SETTINGS_TABS = (
    ("libraries", gettext_lazy("客户库与公海")),
    ("stages", gettext_lazy("客户进展")),
    ("tags", gettext_lazy("客户标签")),
    ("general", gettext_lazy("通用设置")),
)


@page_permission_required("customer.settings")
@sudo_required
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
