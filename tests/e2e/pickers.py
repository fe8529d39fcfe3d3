"""Browser helpers for the employee picker (components/employee_picker.html)."""

from playwright.sync_api import expect


def pick_employee(page, box_id, name):
    """Choose ``name`` in the employee picker whose text box is ``#box_id``, as a user does:
    type the name, click the match."""
    box = page.locator(f"#{box_id}")
    box.fill(name)
    page.locator(f"#{box_id}-options").get_by_role("option", name=name).click()
    expect(box).to_have_value(name)
