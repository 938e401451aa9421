from django.urls import path

from shequ.access.vehicles import views as vehicles
from shequ.access.views import devices, events, people

app_name = "access"

urlpatterns = [
    path("devices/", devices.device_list, name="device_list"),
    path("devices/new/", devices.device_create, name="device_create"),
    path("devices/<int:pk>/", devices.device_detail, name="device_detail"),
    path("devices/<int:pk>/rotate-secret/", devices.device_rotate, name="device_rotate"),
    path("people/", people.person_find, name="person_find"),
    path("people/<int:pk>/", people.person_access, name="person_access"),
    path("people/<int:pk>/credentials/", people.credential_issue, name="credential_issue"),
    path("people/<int:pk>/consents/", people.consent_record, name="consent_record"),
    path("credentials/<int:pk>/revoke/", people.credential_revoke, name="credential_revoke"),
    path("consents/<int:pk>/withdraw/", people.consent_withdraw, name="consent_withdraw"),
    path("faces/<int:pk>/photo/", people.face_photo, name="face_photo"),
    path("events/", events.event_list, name="event_list"),
    path("rules/", events.rule_list, name="rule_list"),
    path("rules/<int:pk>/delete/", events.rule_delete, name="rule_delete"),
    path("vehicles/", vehicles.vehicle_page, name="vehicle_page"),
    path("vehicles/held/<int:pk>/decide/", vehicles.vehicle_decide, name="vehicle_decide"),
    path("vehicles/complexes/<int:pk>/reset/", vehicles.vehicle_occupancy_reset, name="vehicle_occupancy_reset"),
]
