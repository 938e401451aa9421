"""``audit_verify``: walk the audit hash chain (``shequ audit verify`` runs this).

Exit status 0 when the chain is intact, 1 when any record was edited or deleted.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shequ.accounts.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; name every edited or deleted record."

    def handle(self, *args, **options) -> None:
        checked, problems = audit_verify()
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"OK: {checked} records, chain intact"))
            return
        for problem in problems:
            self.stdout.write(f"record #{problem.seq}: {problem.reason}")
        raise CommandError(f"audit chain broken: {len(problems)} problem(s) in {checked} records", returncode=1)
