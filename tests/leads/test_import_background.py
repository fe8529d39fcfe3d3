"""Imports write in the background on PostgreSQL (core.imports.ChunkWriter): a chunk is checked
while the ones before it are inserted, by writer threads with their own connections. Outside a
test transaction only, so these tests commit for real (transactional_db)."""

import threading
import time

import pytest
from django.db import connection

from tests import factories
from tests.core.test_imports import xlsx
from tidecrm.core import imports
from tidecrm.core.models import ImportJob
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import imports as lead_imports
from tidecrm.leads.models import Lead, LeadFlow
from tidecrm.rules import holding


@pytest.fixture
def owner(transactional_db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("background writes run on PostgreSQL only")
    monkeypatch.setattr(lead_imports.LEAD_IMPORTER, "chunk_rows", 5)
    owner = factories.enterprise()
    with tenant_context(owner.tenant):
        yield owner


def start(owner, rows, options=None):
    job = imports.import_start(
        actor=owner,
        kind="lead",
        file_name="线索.xlsx",
        content=xlsx([["手机", "联系人", "公司名称"], *rows]),
        options=options,
    )
    return ImportJob.objects.get(pk=job.pk)


def test_chunks_are_written_by_writer_threads_and_counted_in_order(owner, monkeypatch):
    a = factories.employee(owner, name="甲")
    b = factories.employee(owner, name="乙")
    holding.settings_put(
        actor=owner,
        data={"lead": {"default_limit": None, "rules": [{"name": "甲", "limit": 3, "employee_ids": [a.pk]}]}},
    )
    threads = set()
    write = lead_imports.LeadImporter._write

    def spy(self, *args):
        threads.add(threading.current_thread().name)
        return write(self, *args)

    monkeypatch.setattr(lead_imports.LeadImporter, "_write", spy)
    rows = [[f"1350000{i:04d}", f"人{i}", f"公司{i}"] for i in range(40)]
    rows[7][0] = "12345"  # a bad phone
    rows[23][2] = "公司3"  # the company of row 5, three chunks later
    job = start(owner, rows, options={"owner_ids": [a.pk, b.pk]})

    assert job.status == "done"
    assert (job.total, job.processed, job.succeeded, job.failed) == (40, 40, 38, 2)
    assert [row[-1] for row in imports.failure_rows(job)[1]] == ["手机号格式错误", "文件内重复（与第 5 行）"]
    assert threads and all(name.startswith("import-writer") for name in threads)
    # The holding limit holds across chunks written by different threads (the owners' lock).
    assert Lead.objects.filter(owner=a).count() == 3 and Lead.objects.filter(owner=b).count() == 35
    assert LeadFlow.objects.filter(kind="create").count() == 38


@pytest.mark.parametrize("delay", [0, 0.5])
def test_a_crashed_chunk_leaves_a_failed_job_that_accounts_for_every_row(owner, monkeypatch, delay):
    """Whether the chunk after the crash was cancelled or already being written (delay), every
    row handed over is either a lead or a line of the failure file, and the counts agree."""
    write = lead_imports.LeadImporter._write

    def crash_on_the_third_chunk(self, actor, accepted, outcomes, context):
        if accepted and accepted[0][3]["name"] == "人10":
            time.sleep(delay)
            raise RuntimeError("disk full")
        return write(self, actor, accepted, outcomes, context)

    monkeypatch.setattr(lead_imports.LeadImporter, "_write", crash_on_the_third_chunk)
    job = start(owner, [[f"1360000{i:04d}", f"人{i}", ""] for i in range(30)])

    assert job.status == "failed" and job.error == "导入中断，请重试或联系管理员"
    assert job.processed == job.succeeded + job.failed
    assert job.succeeded == Lead.objects.count() == LeadFlow.objects.count()
    failed = {row[1]: row[-1] for row in imports.failure_rows(job)[1]}
    assert {f"人{i}" for i in range(10, 15)} <= set(failed)
    assert set(failed.values()) == {"导入中断，此行未导入"}
    written = set(Lead.objects.values_list("name", flat=True))
    assert written.isdisjoint(failed) and len(written) + len(failed) == job.processed
