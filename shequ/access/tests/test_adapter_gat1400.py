"""GA/T 1400 adapter, driven by a fake capture device that speaks real HTTP Digest.

The fake device authenticates with ``requests.auth.HTTPDigestAuth`` (an
implementation independent of ours): over real HTTP against ``live_server``, or
through Django's test client with the header that library builds.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header

from shequ.access.adapters import digest
from shequ.access.adapters.gat1400 import REALM, Status, adapter
from shequ.access.models import AccessEvent, Device, QuarantinedMessage
from shequ.access.services import device_register
from shequ.access.tests.conftest import move_in
from shequ.access.vehicles import DECISION_PENDING, REASON_HELD, REASON_RESIDENT
from shequ.registry.services import vehicle_create
from shequ.registry.tests.factories import SYSTEM

VIID_ID = "61011300001320000001"
RESIDENT_PLATE = "陕A12345"


class FakeDevice:
    """A GA/T 1400 APE: registers, keeps alive and uploads captures, answering 401 challenges."""

    def __init__(self, device_id: str, password: str, *, base_url: str = "", client: Client | None = None):
        self.device_id, self.password = device_id, password
        self.base_url, self.client = base_url, client

    def _send(self, path: str, body: bytes, authorization: str | None):
        headers = {"Content-Type": "application/VIID+JSON", "User-Identify": self.device_id}
        if authorization:
            headers["Authorization"] = authorization
        if self.client is not None:
            response = self.client.post(path, body, content_type=headers.pop("Content-Type"),
                                        headers=headers)
            return response.status_code, response.headers, response.content
        response = requests.post(self.base_url + path, data=body, headers=headers, timeout=10)
        return response.status_code, response.headers, response.content

    def post(self, path: str, data=None, *, raw: bytes | None = None) -> tuple[int, dict]:
        body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
        status, headers, content = self._send(path, body, None)
        if status == 401:
            auth = HTTPDigestAuth(self.device_id, self.password)
            auth.init_per_thread_state()
            auth._thread_local.chal = parse_dict_header(headers["WWW-Authenticate"].partition(" ")[2])
            status, headers, content = self._send(path, body, auth.build_digest_header("POST", path))
        return status, json.loads(content)

    def register(self):
        return self.post("/VIID/System/Register", {"RegisterObject": {"DeviceID": self.device_id}})

    def vehicles(self, *records):
        return self.post("/VIID/MotorVehicles", {"MotorVehicleListObject": {"MotorVehicleObject": list(records)}})


def capture(plate: str, record_id: str = "61011300001320000001022026112520300000001", **extra) -> dict:
    return {"MotorVehicleID": record_id, "DeviceID": VIID_ID, "PlateNo": plate, "HasPlate": "1",
            "PassTime": timezone.localtime().strftime("%Y%m%d%H%M%S"), "PlateColor": "2", **extra}


@pytest.fixture
def camera(tree):
    registered = device_register(actor=SYSTEM, device_id=f"{VIID_ID}-in", name="东门入口抓拍",
                                 kind=Device.Kind.VEHICLE_BARRIER, area=tree.complex_a,
                                 protocol_name=Device.Protocol.GAT1400, credential_kinds=["plate"])
    return registered


@pytest.fixture
def device(camera, client):
    return FakeDevice(VIID_ID, camera.secret, client=client)


@pytest.fixture
def resident_car(tree, person_a):
    move_in(person_a, tree.house_a)
    return vehicle_create(actor=SYSTEM, area=tree.complex_a, plate=RESIDENT_PLATE, owner=person_a)


# --- over real HTTP ------------------------------------------------------------------------------------------------

def test_it_refuses_registration_with_a_wrong_password(live_server, camera):
    status, body = FakeDevice(VIID_ID, "not-the-secret", base_url=live_server.url).register()
    assert status == 401
    assert body["ResponseStatusObject"]["StatusCode"] == Status.INVALID_OPERATION
    camera.device.refresh_from_db()
    assert camera.device.last_heartbeat_at is None


def test_it_registers_a_device_with_its_secret_over_http(live_server, camera):
    status, body = FakeDevice(VIID_ID, camera.secret, base_url=live_server.url).register()
    assert status == 200
    answer = body["ResponseStatusObject"]
    assert (answer["StatusCode"], answer["Id"], answer["RequestURL"]) == ("0", VIID_ID, "/VIID/System/Register")
    assert len(answer["LocalTime"]) == 14
    camera.device.refresh_from_db()
    assert camera.device.last_heartbeat_at is not None


def test_it_passes_a_residents_car_posted_over_http(live_server, camera, resident_car, person_a):
    fake = FakeDevice(VIID_ID, camera.secret, base_url=live_server.url)
    status, body = fake.vehicles(capture("陕a·12345"))
    assert status == 200
    assert body["ResponseStatusListObject"]["ResponseStatusObject"][0]["StatusCode"] == "0"
    event = AccessEvent.objects.get(device=camera.device)
    assert (event.kind, event.plate, event.direction, event.reason, event.person_id) == (
        "plate", RESIDENT_PLATE, "in", REASON_RESIDENT, person_a.pk)


# --- through the test client ---------------------------------------------------------------------------------------

def test_it_refuses_a_device_of_another_protocol(tree, client):
    mqtt = device_register(actor=SYSTEM, device_id=VIID_ID, name="mqtt", kind=Device.Kind.GATE, area=tree.complex_a)
    status, _body = FakeDevice(VIID_ID, mqtt.secret, client=client).register()
    assert status == 401


def test_it_refuses_a_register_naming_another_device(device):
    status, body = device.post("/VIID/System/Register", {"RegisterObject": {"DeviceID": "61011300001320000999"}})
    assert status == 403
    assert body["ResponseStatusObject"]["StatusCode"] == Status.INVALID_OPERATION


def test_it_records_a_keepalive(device, camera):
    status, body = device.post("/VIID/System/Keepalive", {"KeepaliveObject": {"DeviceID": VIID_ID}})
    assert (status, body["ResponseStatusObject"]["StatusCode"]) == (200, "0")
    camera.device.refresh_from_db()
    assert camera.device.last_heartbeat_at is not None


def test_it_refuses_an_upload_without_credentials(client, camera):
    response = client.post("/VIID/MotorVehicles", b"{}", content_type="application/VIID+JSON")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Digest realm="VIID"')
    assert not AccessEvent.objects.exists()


def test_it_holds_an_unknown_plate_for_the_guard(device, camera):
    device.vehicles(capture("陕A 9Z999"))
    event = AccessEvent.objects.get(device=camera.device)
    assert (event.plate, event.reason, event.person_id) == ("陕A9Z999", REASON_HELD, None)
    assert event.payload["decision"] == DECISION_PENDING
    assert event.payload["plate_text"] == "陕A 9Z999"


def test_it_stores_a_resent_capture_once(device, camera, resident_car):
    record = capture(RESIDENT_PLATE)
    device.vehicles(record)
    status, body = device.vehicles(record, record)
    assert status == 200
    assert len(body["ResponseStatusListObject"]["ResponseStatusObject"]) == 2
    assert AccessEvent.objects.filter(device=camera.device).count() == 1


def test_it_derives_a_stable_event_id_without_a_record_id(device, camera):
    record = capture("陕A9Z999", record_id="")
    device.vehicles(record)
    device.vehicles(record)
    event = AccessEvent.objects.get(device=camera.device)
    assert event.event_id.startswith("mv:h:")


def test_it_answers_a_malformed_body_with_the_standard_error_and_keeps_it(device, camera):
    status, body = device.post("/VIID/MotorVehicles", raw=b'{"MotorVehicleListObject": [')
    assert status == 400
    assert body["ResponseStatusObject"]["StatusCode"] == Status.INVALID_JSON_FORMAT
    kept = QuarantinedMessage.objects.get()
    assert kept.topic.endswith("/VIID/MotorVehicles")
    assert bytes(kept.payload) == b'{"MotorVehicleListObject": ['
    assert not AccessEvent.objects.exists()


def test_it_answers_a_body_without_the_list_object_as_invalid_content(device):
    status, body = device.post("/VIID/MotorVehicles", {"Something": {}})
    assert (status, body["ResponseStatusObject"]["StatusCode"]) == (400, Status.INVALID_JSON_CONTENT)
    assert "MotorVehicleListObject" in QuarantinedMessage.objects.get().reason


def test_it_keeps_a_bad_record_aside_and_stores_its_neighbours(device, camera):
    good = capture("陕A9Z999")
    bad = capture("陕A9Z998", record_id="61011300001320000001022026112520300000002", PassTime="yesterday")
    status, body = device.vehicles(good, bad)
    codes = [item["StatusCode"] for item in body["ResponseStatusListObject"]["ResponseStatusObject"]]
    assert (status, codes) == (200, ["0", Status.INVALID_JSON_CONTENT])
    assert AccessEvent.objects.filter(device=camera.device).count() == 1
    assert "YYYYMMDDhhmmss" in QuarantinedMessage.objects.get().reason


def test_it_refuses_a_record_of_another_device(device, camera):
    _status, body = device.vehicles(capture("陕A9Z999", DeviceID="61011300001320000777"))
    assert body["ResponseStatusListObject"]["ResponseStatusObject"][0]["StatusCode"] == Status.INVALID_JSON_CONTENT
    assert not AccessEvent.objects.exists()


def test_it_takes_the_direction_from_the_community_extension(device, camera):
    device.vehicles(capture("陕A9Z999", InOut="out"))
    event = AccessEvent.objects.get()
    assert (event.direction, event.reason) == ("out", "exit")


def test_it_stores_face_captures(device, camera):
    face = {"FaceID": "610113000013200000010620261125203000000010001", "DeviceID": VIID_ID,
            "FaceAppearTime": "20261125203000"}
    status, body = device.post("/VIID/Faces", {"FaceListObject": {"FaceObject": [face]}})
    assert status == 200
    event = AccessEvent.objects.get()
    assert (event.kind, event.credential_kind, event.reason) == ("pass", "face", "face_capture")


# --- the digest verifier -------------------------------------------------------------------------------------------

def _header(password: str, uri: str = "/VIID/System/Register", now=None) -> str:
    auth = HTTPDigestAuth(VIID_ID, password)
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_dict_header(digest.challenge(REALM, now=now).partition(" ")[2])
    return auth.build_digest_header("POST", uri)


def test_it_reports_an_expired_nonce_as_stale():
    old = (timezone.now() - timedelta(seconds=digest.NONCE_TTL + 5)).timestamp()
    result = digest.verify(header=_header("s3cret", now=old), method="POST", realm=REALM,
                           password_for=lambda name: "s3cret")
    assert (result.username, result.stale) == (None, True)


def test_it_refuses_a_forged_nonce():
    header = _header("s3cret").replace('nonce="', 'nonce="1')
    result = digest.verify(header=header, method="POST", realm=REALM, password_for=lambda name: "s3cret")
    assert result.username is None


def test_it_refuses_a_header_made_for_another_path(device, camera, client):
    response = client.post("/VIID/System/Register", json.dumps({"RegisterObject": {"DeviceID": VIID_ID}}),
                           content_type="application/VIID+JSON",
                           headers={"Authorization": _header(camera.secret, uri="/VIID/Faces")})
    assert response.status_code == 401


def test_it_maps_vendor_ids_to_devices_with_a_lane_suffix(camera):
    assert adapter.device_for(VIID_ID) == camera.device
    assert adapter.device_for("61011300001320000999") is None
