from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "shequ.open311"
    verbose_name = _("Open311 接口")

    def ready(self) -> None:
        from shequ.open311.filing import filings_write
        from shequ.open311.groupcommit import GroupWriter

        # the process's one write queue for Open311 requests (see groupcommit): it
        # holds only requests in flight, so it is no cache to go stale
        self.writer = GroupWriter(filings_write)
