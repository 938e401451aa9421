from shequ.access.models import AccessEvent
from shequ.intercom import services
from shequ.intercom.terminal_auth import terminal_key


def test_it_returns_403_when_a_neighbour_unlocks(door, neighbour, client_for):
    call = services.call_start(device=door, house_number="0301")
    response = client_for(neighbour).post(f"/intercom/calls/{call.pk}/unlock/")
    assert response.status_code == 403
    assert not AccessEvent.objects.exists()


def test_it_returns_404_to_an_outsider(door, outsider, client_for):
    call = services.call_start(device=door, house_number="0301")
    assert client_for(outsider).post(f"/intercom/calls/{call.pk}/unlock/").status_code == 404


def test_it_unlocks_for_the_resident(door, resident_user, client_for):
    call = services.call_start(device=door, house_number="0301")
    client = client_for(resident_user)
    assert client.post(f"/intercom/calls/{call.pk}/answer/").status_code == 200
    assert client.post(f"/intercom/calls/{call.pk}/unlock/").status_code == 200
    assert AccessEvent.objects.get().payload["opened_by"] == resident_user.pk


def test_it_refuses_a_terminal_page_without_its_key(door, client):
    assert client.get(f"/intercom/terminal/{door.device_id}/?key=wrong").status_code == 404
    response = client.post(f"/intercom/terminal/{door.device_id}/call/", {"key": terminal_key(door), "house_number": "0301"})
    assert response.status_code == 200 and response.json()["call"]
