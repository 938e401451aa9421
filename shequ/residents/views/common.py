"""What every resident page of this app shares."""

from shequ.residents.decorators import VIA, Resident, actor_of, is_staff_account, resident_required

__all__ = ["VIA", "Resident", "actor_of", "is_staff_account", "resident_required"]
