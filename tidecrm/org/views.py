"""Pages of the organisation: department tree + members, employee drawer, roles, inheritance.

Thin callers of ``selectors``, ``services`` and ``inheritance``. Modal forms re-render with the
Chinese message and field errors when a service refuses; one-click actions (htmx) let the
refusal propagate so ``BusinessErrorMiddleware`` shows it as a toast.

Every page and action here administers the enterprise (企业设置) and sits behind sudo mode
(``sudo_required``, Q-21) — except the 通讯录 (``address_book``), which every employee reads.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.accounts.web import sudo_required
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.pagination import paginate
from tidecrm.core.permissions import grouped
from tidecrm.core.web import (
    is_htmx,
    login_required,
    page_permission_required,
    parse_ids,
    parse_int,
    toast_response,
)

from . import inheritance, selectors, services
from .models import DATA_SCOPE_LABELS, DATA_SCOPE_MODULES, DataScope, Employee

NAV = {"nav_active": "settings"}
MODULE_LABELS = DATA_SCOPE_LABELS


# ---------------------------------------------------------------- small helpers


def _error_context(error):
    return {"error": error, "field_errors": error.fields if isinstance(error, ValidationFailed) else {}}


def _done(request, url, text):
    """Finish a modal form: flash ``text`` and reload ``url`` (a full reload for htmx too)."""
    messages.success(request, text)
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _toast(request, text, *, trigger="org-changed", level="success"):
    """Answer an htmx action with a toast and tell the page to refresh its lists."""
    return toast_response(text, level, trigger=trigger)


def _org_url(department_id=None):
    url = reverse("org_index")
    return f"{url}?department={department_id}" if department_id else url


def _employee_form_options(actor):
    return {
        "departments": selectors.department_list(actor=actor),
        "roles": selectors.role_list(actor=actor),
        "supervisors": selectors.employee_list(actor=actor, status=Employee.Status.ACTIVE),
    }


# ---------------------------------------------------------------- 组织架构: tree + members


@page_permission_required("org.view")
@sudo_required
def org_index(request):
    """组织架构: the department tree on the left, the members of the chosen department on the right.

    Members as ``selectors.employee_list`` gives them: employee administrators see every state and
    the account columns of those they administer; others the active colleagues only.
    """
    actor = request.employee
    department_id = parse_int(request.GET.get("department"))
    filters = {"q": request.GET.get("q", "").strip(), "status": request.GET.get("status", "")}
    if filters["status"] not in Employee.Status.values:
        filters["status"] = ""
    employees = selectors.employee_list(
        actor=actor, department_id=department_id, q=filters["q"] or None, status=filters["status"] or None
    )
    context = {
        **NAV,
        "page": paginate(employees, page=request.GET.get("page"), page_size=request.GET.get("page_size")),
        "filters": filters,
        "statuses": Employee.Status.choices,
        "department_id": department_id,
        "can_manage_employees": actor.has_permission("org.manage_employees"),
        "can_manage_departments": actor.has_permission("org.manage_departments"),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "member-list":
        return render(request, "org/_member_list.html", context)
    tree = selectors.department_tree(actor=actor)
    context.update(
        tree=tree,
        company_total=selectors.employee_list(actor=actor).count(),
        department=selectors.department_get(actor=actor, department_id=department_id)
        if department_id
        else None,
    )
    return render(request, "org/index.html", context)


@page_permission_required("org.view")
@sudo_required
def department_create(request):
    """添加部门 / 添加子部门 (modal)."""
    parent_id = parse_int(request.POST.get("parent_id") or request.GET.get("parent"))
    context = {"values": request.POST or {"parent_id": parent_id}, "mode": "create"}
    if request.method == "POST":
        try:
            department = services.department_create(
                actor=request.employee, name=request.POST.get("name", ""), parent_id=parent_id
            )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            return _done(
                request, _org_url(department.pk), _("已添加部门“%(name)s”") % {"name": department.name}
            )
    context["departments"] = selectors.department_list(actor=request.employee)
    return render(request, "org/_department_modal.html", context)


@page_permission_required("org.view")
@sudo_required
def department_edit(request, department_id):
    """编辑部门: rename and move (modal)."""
    department = selectors.department_get(actor=request.employee, department_id=department_id)
    context = {
        "department": department,
        "mode": "edit",
        "values": request.POST or {"name": department.name, "parent_id": department.parent_id},
    }
    if request.method == "POST":
        try:
            department = services.department_update(
                actor=request.employee,
                department=department,
                name=request.POST.get("name", ""),
                parent_id=parse_int(request.POST.get("parent_id")),
            )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            return _done(request, _org_url(department.pk), _("部门已保存"))
    context["departments"] = selectors.department_list(actor=request.employee).exclude(
        path__startswith=department.path
    )
    return render(request, "org/_department_modal.html", context)


@page_permission_required("org.view")
@sudo_required
def department_delete(request, department_id):
    """删除部门 (confirmation modal); a department with members or children is refused."""
    department = selectors.department_get(actor=request.employee, department_id=department_id)
    context = {"department": department}
    if request.method == "POST":
        try:
            services.department_delete(actor=request.employee, department=department)
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            return _done(request, _org_url(department.parent_id), _("部门已删除"))
    return render(request, "org/_department_delete_modal.html", context)


@page_permission_required("org.view")
@sudo_required
def employee_create(request):
    """添加员工 (modal, ORG-04)."""
    actor = request.employee
    department_id = parse_int(request.GET.get("department"))
    context = {"values": request.POST, "initial_departments": [department_id] if department_id else []}
    if request.method == "POST":
        context["initial_departments"] = parse_ids(request.POST.getlist("department_ids"))
        try:
            employee = services.employee_create_by_admin(
                actor=actor,
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                title=request.POST.get("title", ""),
                email=request.POST.get("email", "").strip(),
                username=request.POST.get("username", "").strip() or None,
                department_ids=context["initial_departments"],
                role_ids=parse_ids(request.POST.getlist("role_ids")),
                supervisor_id=parse_int(request.POST.get("supervisor_id")),
                password=request.POST.get("password") or None,
            )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            if employee.invitation:
                message = _(
                    "该手机号已有潮汐CRM账号：已向“%(name)s”发送加入邀请，对方登录后选择本企业即可加入"
                    "（加入前为未激活，初始密码不会生效）"
                ) % {"name": employee.name}
            else:
                message = _("已添加员工“%(name)s”") % {"name": employee.name}
            return _done(request, _org_url(employee.main_department_id), message)
    context.update(_employee_form_options(actor))
    context["fallback_role_key"] = services.FALLBACK_ROLE_KEY
    return render(request, "org/_employee_modal.html", context)


# ---------------------------------------------------------------- employee drawer (ORG-06)


def _drawer(request, employee_id, *, status=200):
    actor = request.employee
    employee = selectors.employee_get(actor=actor, employee_id=employee_id)
    context = {
        "employee": employee,
        "can_manage_employees": actor.has_permission("org.manage_employees"),
        "can_manage_this": services.can_administer(actor=actor, employee=employee),
        "can_reset_password": services.may_act_as(actor=actor, employee=employee),
    }
    return render(request, "org/_employee_drawer.html", context, status=status)


@page_permission_required("org.view")
@sudo_required
def employee_drawer(request, employee_id):
    """员工详情 drawer: profile and actions."""
    return _drawer(request, employee_id)


# What the toast says after each status change (the rules are in services.STATUS_CHANGES).
STATUS_DONE = {
    "disable": gettext_lazy("已禁用"),
    "enable": gettext_lazy("已启用"),
    "resign": gettext_lazy("已办理离职"),
    "restore": gettext_lazy("已恢复在职"),
    "activate": gettext_lazy("已激活"),
}


BULK_DONE = {
    "disable": gettext_lazy("已禁用 %(n)s 名员工"),
    "resign": gettext_lazy("已为 %(n)s 名员工办理离职"),
}


def _bulk_summary(result, done_format):
    """Say in one line what a batch did: how many succeeded, and why the others did not.

    ``done_format`` has an ``%(n)s`` for the number that succeeded.
    """
    text = done_format % {"n": len(result["succeeded"])}
    if result["failed"]:
        reasons = "；".join(dict.fromkeys(failure["message"] for failure in result["failed"]))
        text += _("，%(n)s 名未处理：%(why)s") % {"n": len(result["failed"]), "why": reasons}
    return text


@page_permission_required("org.view")
@require_POST
@sudo_required
def employee_status(request, employee_id, action):
    """禁用 / 启用 / 办理离职 / 恢复 / 激活 from the drawer (refusals become a toast)."""
    if action not in services.STATUS_CHANGES:
        raise ValidationFailed(message=_("未知操作"))
    employee = selectors.employee_get(actor=request.employee, employee_id=employee_id)
    services.employee_change_status(actor=request.employee, employee=employee, action=action)
    response = _drawer(request, employee_id)
    toast = render_to_string(
        "components/toast.html", {"level": "success", "text": STATUS_DONE[action]}, request
    )
    response.content += f'<div hx-swap-oob="beforeend:#toasts">{toast}</div>'.encode()
    response["HX-Trigger"] = "org-changed"
    return response


def _drawer_modal_done(request, employee_id):
    """After a drawer modal succeeds: re-render the drawer, close the modal, refresh the list."""
    response = _drawer(request, employee_id)
    response.content += b'<div id="modal-slot" hx-swap-oob="true"></div>'
    response["HX-Retarget"] = "#drawer-slot"
    response["HX-Reswap"] = "innerHTML"
    response["HX-Trigger"] = "org-changed"
    return response


@page_permission_required("org.view")
@sudo_required
def employee_edit(request, employee_id, field):
    """调整角色 / 调整部门 / 重置密码 modals of the drawer."""
    if field not in ("roles", "departments", "password"):
        raise ValidationFailed(message=_("未知操作"))
    actor = request.employee
    employee = selectors.employee_get(actor=actor, employee_id=employee_id)
    context = {"employee": employee, "field": field, "values": request.POST}
    if request.method == "POST":
        try:
            if field == "roles":
                services.employee_update(
                    actor=actor, employee=employee, role_ids=parse_ids(request.POST.getlist("role_ids"))
                )
            elif field == "departments":
                services.employee_update(
                    actor=actor,
                    employee=employee,
                    department_ids=parse_ids(request.POST.getlist("department_ids")),
                )
            else:
                services.password_reset_by_admin(
                    actor=actor, employee=employee, password=request.POST.get("password", "")
                )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            if is_htmx(request):
                return _drawer_modal_done(request, employee_id)
            messages.success(request, _("已保存"))
            return redirect("org_index")
    context.update(
        roles=selectors.role_list(actor=actor),
        departments=selectors.department_list(actor=actor),
        current_role_ids=[link.role_id for link in employee.role_links.all()],
        current_department_ids=[link.department_id for link in employee.department_links.all()],
    )
    return render(request, "org/_employee_edit_modal.html", context)


# ---------------------------------------------------------------- batch actions (ORG-03)


@page_permission_required("org.view")
@require_POST
@sudo_required
def employees_bulk_status(request, action):
    """Batch 禁用 / 办理离职: each employee succeeds or fails on its own (API.md bulk rule)."""
    if action not in BULK_DONE:
        raise ValidationFailed(message=_("未知操作"))
    employee_ids = parse_ids(request.POST.getlist("employee_ids"))
    if not employee_ids:
        raise ValidationFailed(message=_("请先选择员工"))
    result = services.employees_change_status(
        actor=request.employee, employee_ids=employee_ids, action=action
    )
    return _toast(
        request,
        _bulk_summary(result, BULK_DONE[action]),
        level="warning" if result["failed"] else "success",
    )


@page_permission_required("org.view")
@sudo_required
def employees_bulk_edit(request, field):
    """Batch 移动部门 / 分配角色 (modal; 分配角色 replaces the employees' roles, ROLE-06)."""
    if field not in ("move", "role"):
        raise ValidationFailed(message=_("未知操作"))
    actor = request.employee
    source = request.POST if request.method == "POST" else request.GET
    employee_ids = parse_ids(source.getlist("employee_ids"))
    context = {"field": field, "employee_ids": employee_ids, "values": request.POST}
    if request.method == "POST":
        try:
            if not employee_ids:
                raise ValidationFailed(message=_("请先选择员工"))
            if field == "move":
                department_id = parse_int(request.POST.get("department_id"))
                if department_id is None:
                    raise ValidationFailed({"department_id": [_("请选择部门")]})
                services.employees_move(actor=actor, employee_ids=employee_ids, department_id=department_id)
            else:
                role_id = parse_int(request.POST.get("role_id"))
                if role_id is None:
                    raise ValidationFailed({"role_id": [_("请选择角色")]})
                result = services.employees_set_roles(
                    actor=actor, employee_ids=employee_ids, role_ids=[role_id]
                )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            text = (
                _bulk_summary(result, _("已为 %(n)s 名员工分配角色"))
                if field == "role"
                else _("已移动 %(n)s 名员工") % {"n": len(employee_ids)}
            )
            return _done(request, request.POST.get("next") or reverse("org_index"), text)
    context.update(
        departments=selectors.department_list(actor=actor),
        roles=selectors.role_list(actor=actor),
        next=request.headers.get("HX-Current-URL") or request.POST.get("next") or reverse("org_index"),
    )
    return render(request, "org/_bulk_modal.html", context)


# ---------------------------------------------------------------- roles (ROLE-01..08)


@page_permission_required("org.manage_roles")
@sudo_required
def role_list(request):
    """角色权限: the roles with their member counts."""
    return render(request, "org/roles.html", {**NAV, "roles": selectors.role_list(actor=request.employee)})


def _role_form_values(post):
    """Read the role editor's fields; ``permissions`` is None when the form does not edit them."""
    data_scopes = {module: post.get(f"scope_{module}", DataScope.SELF) for module in DATA_SCOPE_MODULES}
    scope_departments = {
        module: parse_ids(post.getlist(f"scope_departments_{module}"))
        for module in DATA_SCOPE_MODULES
        if data_scopes[module] == DataScope.DEPARTMENTS
    }
    return {
        "name": post.get("name", ""),
        "description": post.get("description", ""),
        "permissions": post.getlist("permissions") if post.get("permissions_editable") else None,
        "data_scopes": data_scopes,
        "scope_departments": scope_departments,
    }


def _role_editor(request, role):
    actor = request.employee
    context = {**NAV, "role": role}
    if request.method == "POST":
        values = _role_form_values(request.POST)
        try:
            if role is None:
                values["permissions"] = values["permissions"] or []
                role = services.role_create(actor=actor, **values)
            else:
                role = services.role_update(actor=actor, role=role, **values)
        except BusinessError as error:
            context.update(_error_context(error))
            context["posted"] = values
        else:
            messages.success(request, _("角色“%(name)s”已保存") % {"name": role.name})
            return redirect("org_role_edit", role_id=role.pk)
    posted = context.get("posted") or {
        "name": role.name if role else "",
        "description": role.description if role else "",
        "permissions": role.permissions if role else [],
        "data_scopes": role.data_scopes if role else {},
        "scope_departments": role.scope_departments if role else {},
    }
    context.update(
        values=posted,
        chosen_permissions=set(posted["permissions"] or (role.permissions if role else [])),
        permission_groups=grouped(),
        scope_rows=[
            {
                "module": module,
                "label": MODULE_LABELS[module],
                "scope": posted["data_scopes"].get(module, DataScope.SELF),
                "departments": set(posted["scope_departments"].get(module, [])),
            }
            for module in DATA_SCOPE_MODULES
        ],
        scope_choices=DataScope.choices,
        departments=selectors.department_list(actor=actor),
        permissions_editable=not (role and role.system_key == "admin"),
        name_editable=not (role and role.system_key == services.FALLBACK_ROLE_KEY),
    )
    if role is not None:
        context["members"] = selectors.employee_list(actor=actor, role_id=role.pk)
        context["candidates"] = selectors.employee_list(actor=actor).exclude(role_links__role=role)
    return render(request, "org/role_edit.html", context)


@page_permission_required("org.manage_roles")
@sudo_required
def role_create(request):
    """新建角色."""
    return _role_editor(request, None)


@page_permission_required("org.manage_roles")
@sudo_required
def role_edit(request, role_id):
    """编辑角色: function permissions, data scopes, members."""
    return _role_editor(request, selectors.role_get(actor=request.employee, role_id=role_id))


@page_permission_required("org.manage_roles")
@require_POST
@sudo_required
def role_delete(request, role_id):
    """删除角色 (system roles are refused; members fall back to 普通员工)."""
    role = selectors.role_get(actor=request.employee, role_id=role_id)
    try:
        services.role_delete(actor=request.employee, role=role)
    except BusinessError as error:
        if is_htmx(request):
            raise
        messages.error(request, error.message)
        return redirect("org_roles")
    return _done(request, reverse("org_roles"), _("角色“%(name)s”已删除") % {"name": role.name})


@page_permission_required("org.manage_roles")
@require_POST
@sudo_required
def role_members(request, role_id):
    """Add employees to a role or remove one from it (ROLE-06/08)."""
    role = selectors.role_get(actor=request.employee, role_id=role_id)
    try:
        services.role_set_members(
            actor=request.employee,
            role=role,
            add_ids=parse_ids(request.POST.getlist("add_ids")),
            remove_ids=parse_ids(request.POST.getlist("remove_ids")),
        )
    except BusinessError as error:
        if is_htmx(request):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("角色成员已更新"))
    return redirect(f"{reverse('org_role_edit', args=[role.pk])}#members")


# ---------------------------------------------------------------- 离职继承 (INH-01..03)


@page_permission_required("org.inherit")
@sudo_required
def inheritance_list(request):
    """离职继承: resigned employees with the records waiting for a new owner."""
    employees = inheritance.pending_employees(actor=request.employee)
    return render(request, "org/inheritance.html", {**NAV, "employees": employees})


@page_permission_required("org.inherit")
@sudo_required
def inheritance_inherit(request):
    """Batch 继承 (modal): move everything of the chosen resigned employees to one active employee."""
    actor = request.employee
    source = request.POST if request.method == "POST" else request.GET
    employee_ids = parse_ids(source.getlist("employee_ids"))
    context = {"employee_ids": employee_ids, "values": request.POST}
    if request.method == "POST":
        try:
            if not employee_ids:
                raise ValidationFailed(message=_("请先选择离职员工"))
            to_employee_id = parse_int(request.POST.get("to_employee_id"))
            if to_employee_id is None:
                raise ValidationFailed({"to_employee_id": [_("请选择接收人")]})
            result = inheritance.inherit_many(
                actor=actor, from_employee_ids=employee_ids, to_employee_id=to_employee_id
            )
            if not result["succeeded"]:
                raise BusinessError(result["failed"][0]["code"], result["failed"][0]["message"])
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            return _done(
                request, reverse("org_inheritance"), _bulk_summary(result, _("已继承 %(n)s 名离职员工的数据"))
            )
    context["receiver"] = selectors.employee_picked(
        actor=actor, employee_id=parse_int(request.POST.get("to_employee_id"))
    )
    return render(request, "org/_inherit_modal.html", context)


# ---------------------------------------------------------------- address book and recycle bin


@login_required
def address_book(request):
    """通讯录 (ORG-16): every active colleague, for everyone in the enterprise."""
    q = (request.GET.get("q") or "").strip()
    employees = selectors.employee_list(actor=request.employee, status=Employee.Status.ACTIVE, q=q or None)
    page = paginate(employees, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    context = {"nav_active": "office", "page": page, "q": q}
    template = "org/_contacts_table.html" if is_htmx(request) else "org/contacts.html"
    return render(request, template, context)


@page_permission_required("org.manage_employees")
@sudo_required
def recycle_bin(request):
    """帐号回收站 (ORG-11): deleted employees, with 恢复."""
    if request.method == "POST":
        employee = selectors.employee_get(
            actor=request.employee,
            employee_id=parse_int(request.POST.get("employee_id")),
            include_deleted=True,
        )
        services.employee_undelete(actor=request.employee, employee=employee)
        messages.success(
            request,
            _("已将 %(name)s 移出回收站（状态为已离职，可在员工详情中恢复在职）") % {"name": employee.name},
        )
        return redirect("org_recycle_bin")
    page = paginate(
        selectors.recycle_bin(actor=request.employee),
        page=request.GET.get("page"),
        page_size=request.GET.get("page_size"),
    )
    return render(request, "org/recycle_bin.html", {**NAV, "page": page})
