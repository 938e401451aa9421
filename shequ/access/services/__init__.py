"""Access services: every write to access data goes through these functions, which
check the actor's area rights, validate, save, audit and recompile the doors."""

from shequ.access.services.compile import (
    access_passes_changed, access_person_changed, access_recompile, access_sweep, current_version, device_access_list,
)
from shequ.access.services.credentials import (
    IssuedCredential, credential_issue, credential_revoke, face_devices, non_face_gaps,
)
from shequ.access.services.devices import (
    RegisteredDevice, device_heartbeat_record, device_offline_fault, device_register, device_secret,
    device_secret_for, device_secret_rotate, device_update, devices_heartbeats_record, devices_mark_offline,
)
from shequ.access.services.faces import (
    embedding_bytes, face_consent_record, face_consent_withdraw, face_deletion_confirm, face_photo_reveal,
    face_template_enrol, template_embedding,
)
from shequ.access.services.rules import RULE_ROLES, access_rule_create, access_rule_delete, access_rule_update
from shequ.access.services.sync import (
    access_credential_key, access_history_compact, device_latest_version, device_sync_applied, device_sync_delta,
    devices_changed_since,
)

__all__ = [
    "IssuedCredential", "RULE_ROLES", "RegisteredDevice", "access_credential_key", "access_history_compact",
    "access_passes_changed", "access_person_changed", "access_recompile", "access_rule_create", "access_rule_delete", "access_rule_update",
    "access_sweep", "credential_issue", "credential_revoke", "current_version", "device_access_list",
    "device_heartbeat_record", "device_latest_version", "device_offline_fault", "device_register", "device_secret",
    "device_secret_for", "device_secret_rotate", "device_sync_applied", "device_sync_delta", "device_update",
    "devices_changed_since", "devices_heartbeats_record", "devices_mark_offline", "embedding_bytes", "face_consent_record",
    "face_consent_withdraw", "face_deletion_confirm", "face_devices", "face_photo_reveal", "face_template_enrol",
    "non_face_gaps", "template_embedding",
]
