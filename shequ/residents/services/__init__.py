"""Resident services: code login and accounts, household, SOS, own face recognition."""

from shequ.residents.services.accounts import (
    person_resident_grants_sync, resident_account_ensure, resident_grants_sweep, resident_grants_sync,
)
from shequ.residents.services.faces import (
    face_doors, face_doors_without_other_way, resident_face_add_photo, resident_face_enrol, resident_face_withdraw,
)
from shequ.residents.services.login import (
    CODE_SENT, CodeRefused, PhoneRef, login_code_request, login_code_verify, login_codes_purge, phone_normalise,
)
from shequ.residents.services.sos import resident_sos

__all__ = [
    "CODE_SENT", "CodeRefused", "PhoneRef", "face_doors", "face_doors_without_other_way", "login_code_request",
    "login_code_verify", "login_codes_purge", "person_resident_grants_sync", "phone_normalise",
    "resident_account_ensure", "resident_face_add_photo", "resident_face_enrol", "resident_face_withdraw",
    "resident_grants_sweep", "resident_grants_sync", "resident_sos",
]
