from shequ.visitors.views.guard import (
    figures, guard, guard_check_in, guard_check_out, guard_live, guard_revoke, visit_log, walk_in,
)
from shequ.visitors.views.resident import my_pass_detail, my_pass_new, my_pass_revoke, my_passes, pass_share

__all__ = ["figures", "guard", "guard_check_in", "guard_check_out", "guard_live", "guard_revoke", "my_pass_detail",
           "my_pass_new", "my_pass_revoke", "my_passes", "pass_share", "visit_log", "walk_in"]
