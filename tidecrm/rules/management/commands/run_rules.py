"""``manage.py run_rules [--now ISO_DATETIME] [--tenant ID]``: run every due rule once (API.md)."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tidecrm.rules.engine import run_due


class Command(BaseCommand):
    help = "Run every due rule (lead timeout recycle, ...) once as of a moment; safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 moment to run as of, e.g. 2027-01-01T09:00+08:00")
        parser.add_argument("--tenant", type=int, action="append", help="only this enterprise (repeatable)")

    def handle(self, *args, **options):
        now = None
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now must be ISO 8601, e.g. 2027-01-01T09:00+08:00")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        results = run_due(now=now, tenant_ids=options["tenant"])
        if not results:
            self.stdout.write("没有需要执行的规则变更。")
        for tenant_id, counts in results.items():
            for name, changed in counts.items():
                self.stdout.write(f"企业 {tenant_id}: {name} 处理 {changed} 条")
