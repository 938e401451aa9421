"""The scope sweep: for every URL pattern and every API route, users of community
B try to read and change community A's rows, and must fail.

How it works: community A gets one row of every registry kind and of every kind
of the visitors, notices, mailbox and alarms apps, each carrying a unique marker
string. For every route we fill each numeric path parameter with every id of A's
rows (ids of different tables overlap, so every row gets tried at every route),
and each word parameter (a workflow step, an export kind, a device id) with the
words it takes; then, as each of B's users (the community worker, the police
officer, the guard, a resident):
- GET must not show any of A's markers;
- POST / PATCH / PUT / DELETE must leave every A row exactly as it was, and add none.
A positive control runs the same GETs as A's own users and must find every
marker, and each of A's users the markers of their own job, so the sweep cannot
pass just because the routes were filled wrongly.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.core.scoping import subtree_q
from shequ.registry import services
from shequ.registry.models import Area, Facility, House, Organization, OrganizationMember, Person, Residence, Vehicle

MARKERS = {
    "person": "甲乙丙丁",
    "organization": "长庆坊物业甲公司",
    "vehicle": "陕A9Z8Y7",
    "facility": "甲号消防栓",
    # the tree names A's complex "长庆坊", which the import templates' examples also say
    "complex": "长庆坊甲苑",
    "community": "长庆坊社区",
    "notice": "甲区停水通知",
    "notice_template": "甲区停电模板",
    "letter": "甲信箱来信",
    "letter_message": "甲民警答复内容",
    "visitor_pass": "甲访客张三",
    "visit": "甲登记访客李四",
    "alarm": "甲一键报警",
}
# searched for by prefix: pages echo the search box, so the query is not a marker itself
NAME_PREFIX = MARKERS["person"][:2]
# the new apps' markers all start with it (and none is this one character)
NEW_APP_PREFIX = "甲"
# routes that are not about A's rows: nothing of A's could appear there
SKIP_PREFIXES = ("static/", "media/", "i18n/", "accounts/logout", "__debug__")
SKIP_NAMES = {"logout"}
# the pages of issue 5's apps and of the resident and terminal pages around them
NEW_APP_PREFIXES = ("alarms/", "visitors/", "notices/", "mailbox/", "me/", "terminals/")


@dataclass
class AWorld:
    rows: list
    resident: object  # the account of the person of house A (MARKERS["person"])
    devices: list


@pytest.fixture
def a_world(tree, worker, police, guard) -> AWorld:
    actor = Actor.system(via="test")
    Area.objects.filter(pk=tree.complex_a.pk).update(name=MARKERS["complex"])
    tree.complex_a.refresh_from_db()
    assert tree.community_a.name == MARKERS["community"]
    person = services.person_create(actor=actor, area=tree.house_a.area, name=MARKERS["person"],
                                    id_type="resident_id", id_number="610113198005170031", phone="13900001111")
    residence = services.residence_start(actor=actor, person=person, house=tree.house_a, relation="owner",
                                         population_type="registered", start_date=date(2020, 1, 1))
    org = services.organization_create(actor=actor, area=tree.complex_a, name=MARKERS["organization"],
                                       kind="property_company", uscc="91110000600037341L")
    member = services.organization_member_add(actor=actor, organization=org, person=person, role="经理")
    vehicle = services.vehicle_create(actor=actor, area=tree.complex_a, plate=MARKERS["vehicle"], owner=person,
                                      house=tree.house_a)
    facility = services.facility_create(actor=actor, area=tree.complex_a, kind="fire_hydrant",
                                        name=MARKERS["facility"], next_inspection_on=date(2027, 1, 1))
    rows = [tree.community_a, tree.complex_a, tree.building_a, tree.unit_a, tree.house_a.area, tree.house_a,
            tree.house_a2, person, residence, org, member, vehicle, facility]
    resident = make_user("resident_a_sweep", "resident", tree.house_a.area, display_name="甲住户", person=person)
    devices = _a_devices(tree)
    rows += devices
    rows += _a_notices(tree, worker, resident)
    rows += _a_letters(resident, police)
    rows += _a_visitors(tree, resident, guard, devices)
    rows += _a_alarms(tree, resident, police)
    return AWorld(rows=rows, resident=resident, devices=devices)


@pytest.fixture
def a_rows(a_world):
    return a_world.rows


def _a_devices(tree) -> list:
    from shequ.access.services import device_register

    system = Actor.system(via="test")
    return [device_register(actor=system, device_id=device_id, name=device_id, kind=kind, area=area).device
            for device_id, kind, area in [("cqf-sweep-gate", "gate", tree.complex_a),
                                          ("cqf-sweep-unit-door", "unit_door", tree.unit_a),
                                          ("cqf-sweep-indoor", "indoor_terminal", tree.house_a.area)]]


def _a_notices(tree, worker, resident) -> list:
    from shequ.notices import services as notices
    from shequ.notices.models import NoticeRecipient, ReadReceipt

    approver = make_user("approver_a_sweep", "community_staff", tree.community_a, display_name="甲审批人")
    notice = notices.notice_draft(
        actor=Actor(user=worker), area=tree.community_a, title=MARKERS["notice"], body="明天9:00-17:00停水，请提前储水。",
        category="utilities", urgent=False, audience_areas=[tree.complex_a], care_tags=[], channels=["residents"],
        publish_at=None, expires_at=timezone.now() + timedelta(days=3))
    notices.notice_submit(actor=Actor(user=worker), notice=notice)
    notices.notice_approve(actor=Actor(user=approver), notice=notice)
    notice = notices.notice_publish(actor=Actor(user=approver), notice=notice)
    receipt, _created = notices.notice_read(actor=Actor(user=resident), notice=notice)
    template = notices.notice_template_create(actor=Actor(user=worker), area=tree.community_a,
                                              name=MARKERS["notice_template"], title="停电通知", body="明天停电。")
    recipients = list(NoticeRecipient.objects.filter(notice=notice))
    assert recipients and ReadReceipt.objects.filter(pk=receipt.pk).exists()
    return [notice, *recipients, receipt, template]


def _a_letters(resident, police) -> list:
    from shequ.mailbox import services as mailbox

    letter = mailbox.letter_write(actor=Actor(user=resident), kind="consultation", subject=MARKERS["letter"],
                                  body="请问楼道灯坏了找谁？", anonymous=False)
    message = mailbox.letter_reply(actor=Actor(user=police), letter=letter, body=MARKERS["letter_message"])
    return [letter, message]


def _a_visitors(tree, resident, guard, devices) -> list:
    from shequ.visitors import services as visitors

    now = timezone.now()
    gate, unit_door, _terminal = devices
    visitor_pass = visitors.pass_issue(
        actor=Actor(user=resident), house=tree.house_a.area, visitor_name=MARKERS["visitor_pass"],
        valid_from=now - timedelta(hours=1), valid_until=now + timedelta(hours=3), doors=[gate, unit_door],
        max_entries=2, phone="13912345678", now=now)
    pass_visit = visitors.visit_check_in(actor=Actor(user=guard), visitor_pass=visitor_pass, now=now)
    walk_in = visitors.visit_walk_in(
        actor=Actor(user=guard), house=tree.house_a.area, visitor_name=MARKERS["visit"], id_type="resident_id",
        id_number="11010519491231002X", expected_leave_at=now + timedelta(hours=2), host_confirmed=True,
        phone="13700001111", purpose="送快递", now=now)
    return [visitor_pass, pass_visit, walk_in]


def _a_alarms(tree, resident, police) -> list:
    from shequ.alarms import services as alarms

    alarm = alarms.sos_raise(actor=Actor(user=resident), area=tree.house_a.area, source="resident_app",
                             detail=MARKERS["alarm"])
    forward = alarms.police_forward(alarm=alarm, actor=Actor(user=police), deliver=False)
    return [alarm, forward]


def _new_app_models() -> dict:
    """The models of issue 5's apps, each with the lookup from it to its area's path."""
    from shequ.access.models import Device
    from shequ.alarms.models import Alarm, AlarmAction, PoliceForward, PoliceForwardAttempt
    from shequ.mailbox.models import Letter, LetterImage, LetterMessage, LetterReminder
    from shequ.notices.models import Notice, NoticeRecipient, NoticeTemplate, ReadReceipt
    from shequ.visitors.models import PassUse, Visit, VisitorPass

    return {
        Device: "area__path",
        Notice: "area__path", NoticeRecipient: "notice__area__path", ReadReceipt: "notice__area__path",
        NoticeTemplate: "area__path",
        Letter: "area__path", LetterMessage: "letter__area__path", LetterImage: "letter__area__path",
        LetterReminder: "letter__area__path",
        VisitorPass: "area__path", PassUse: "visitor_pass__area__path", Visit: "area__path",
        Alarm: "area__path", AlarmAction: "alarm__area__path", PoliceForward: "alarm__area__path",
        PoliceForwardAttempt: "forward__alarm__area__path",
    }


def _a_state(rows) -> dict:
    """Everything A's rows hold in the database, to compare before and after."""
    from shequ.notices.models import Notice
    from shequ.visitors.models import VisitorPass

    state = {}
    for model in (Area, House, Person, Residence, Organization, OrganizationMember, Vehicle, Facility):
        ids = [row.pk for row in rows if isinstance(row, model)]
        state[model.__name__] = list(model.objects.filter(pk__in=ids).order_by("pk").values())
    state["care_tags"] = list(Person.care_tags.through.objects.order_by("pk").values())
    # and no new rows may appear inside A: count every kind in A's subtree
    community_path = rows[0].path
    state["counts"] = {
        model.__name__: model.objects.filter(subtree_q(model.objects.get_queryset().area_path_lookup, community_path)).count()
        for model in (Area, House, Person, Residence, Organization, OrganizationMember, Vehicle, Facility)
    }
    # the new apps: every row in A's subtree, whole (a change or a new row shows)
    for model, lookup in _new_app_models().items():
        state[model.__name__] = list(model._default_manager.filter(subtree_q(lookup, community_path))
                                     .order_by("pk").values())
    for name, through, lookup in [
        ("notice_audience", Notice.audience_areas.through, "notice__area__path"),
        ("notice_care_tags", Notice.care_tags.through, "notice__area__path"),
        ("pass_doors", VisitorPass.doors.through, "visitorpass__area__path"),
    ]:
        state[name] = list(through.objects.filter(subtree_q(lookup, community_path)).order_by("pk").values())
    return json.loads(json.dumps(state, default=str))


def _route_patterns(patterns=None, prefix: str = ""):
    """(route template with {name} holes, url name) for every URL pattern."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        pattern = str(entry.pattern)
        route = prefix + pattern
        if isinstance(entry, URLResolver):
            yield from _route_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name


_HOLE = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>([^)]*)\)")


def _slug_words(devices) -> dict[str, list[str]]:
    """What word parameters take, by parameter name: the workflow steps of the new
    apps' pages, the export and template kinds, A's device ids (the kiosk and
    intercom pages); any other word parameter takes all of them."""
    from shequ.exchange.exporters import EXPORTS
    from shequ.exchange.importers import IMPORTERS
    from shequ.mailbox.views import police as mailbox_police
    from shequ.mailbox.views import resident as mailbox_resident
    from shequ.notices.views import staff as notices_staff

    words = {
        "step": sorted({*notices_staff.STEPS, "edit", *mailbox_police.STEPS, *mailbox_resident.STEPS}),
        "kind": sorted({*EXPORTS, *IMPORTERS}),
        "device_id": sorted(device.device_id for device in devices),
    }
    words[""] = sorted(set().union(*words.values()))
    return words


def _fill(route: str, ids: list[int], words: dict[str, list[str]]):
    """Concrete URLs for a route: numeric and path parameters set to every candidate
    id, slug parameters to their words, a regex choice (``json|xml``) to its first option."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    choices = []
    for converter, name, regex_name, regex in _HOLE.findall(route):
        if regex_name and re.fullmatch(r"\w+(\|\w+)*", regex):
            choices.append(regex.split("|")[:1])
        elif converter == "slug":
            choices.append(words.get(name, words[""]))
        else:
            choices.append([str(i) for i in ids])
    template = _HOLE.sub("{}", route).replace("\\", "")
    for combo in itertools.product(*choices):
        yield "/" + template.format(*combo)


def _web_urls(ids: list[int], words: dict[str, list[str]], prefixes: tuple[str, ...] | None = None,
              admin: bool = True) -> list[str]:
    urls = []
    for route, name in _route_patterns():
        if route.startswith(SKIP_PREFIXES) or name in SKIP_NAMES or route.startswith("api/"):
            continue
        if prefixes is not None and not route.startswith(prefixes):
            continue
        if not admin and route.startswith("admin/"):
            continue
        urls.extend(_fill(route, ids, words))
    return sorted(set(urls))


def _api_operations(ids: list[int]):
    from shequ.api import api

    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    for path, methods in schema["paths"].items():
        path = path if path.startswith(prefix) else prefix + path
        names = re.findall(r"{(\w+)}", path)
        combos = itertools.product([str(i) for i in ids], repeat=len(names)) if names else [()]
        for combo in combos:
            url = path
            for name, value in zip(names, combo):
                url = url.replace("{" + name + "}", value, 1)
            for method in methods:
                yield method.upper(), url


def _text(response) -> str:
    """The body as text; downloads are read whole, and .xlsx files (zip) from the inside."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"".join(archive.read(name) for name in archive.namelist())
    return data.decode("utf-8", "replace")


def _leaks(response) -> list[str]:
    text = _text(response)
    return [marker for marker in MARKERS.values() if marker in text]


def _is_new_app(url: str) -> bool:
    return url.lstrip("/").startswith(NEW_APP_PREFIXES)


def _queries(world: AWorld, url: str) -> list[str]:
    """The bare URL, and the URL with A's areas and a search for A's markers."""
    rows = world.rows
    if _is_new_app(url):
        return ["", f"?area={rows[0].pk}&complex={rows[1].pk}&house={rows[4].pk}&q={NEW_APP_PREFIX}"
                    f"&name={NEW_APP_PREFIX}"]
    return ["", f"?area={rows[0].pk}&q={NAME_PREFIX}"]


def _a_targets(rows) -> dict:
    """Form/JSON fields pointing a new row into A (create pages must refuse them)."""
    community, complex_, _building, unit, _house_node, house = rows[:6]
    person = rows[7]
    return {
        "area": community.pk, "area_id": community.pk, "parent": complex_.pk, "parent_id": complex_.pk,
        "unit": unit.pk, "unit_id": unit.pk, "house": house.pk, "house_id": house.pk,
        "person": person.pk, "person_id": person.pk, "owner": person.pk, "owner_id": person.pk,
        "organization": rows[9].pk, "organization_id": rows[9].pk,
    }


HOSTILE_FORM = {
    "name": "被篡改", "number": "9999", "plate": "陕A11111", "floor_area": "1.00", "status": "vacant",
    "end_date": "2020-02-02", "field": "id_number", "area": "", "kind": "other", "phone": "13900009999",
    "id_number": "11010519491231002X", "id_type": "resident_id", "confirm": "1",
}
HOSTILE_JSON = {
    "name": "被篡改", "number": "9999", "plate": "陕A11111", "floor_area": "1.00", "status": "vacant",
    "end_date": "2020-02-02", "field": "id_number", "kind": "other", "phone": "13900009999",
    "body": "被篡改", "reason": "被篡改",
}


def _new_app_form(world: AWorld) -> dict:
    """A form that would pass the new apps' validation, aimed at A: a walk-in, a pass,
    a letter, a notice, a template, a reply, a note, a rating, a reveal."""
    rows = world.rows
    community, complex_, house_node = rows[0], rows[1], rows[4]
    gate, unit_door, _terminal = world.devices
    now = timezone.localtime()
    stamp = "%Y-%m-%dT%H:%M"
    return {
        "title": "被篡改", "body": "被篡改", "subject": "被篡改", "reason": "被篡改", "note": "被篡改",
        "comment": "被篡改", "detail": "被篡改", "name": "被篡改", "visitor_name": "被篡改", "purpose": "被篡改",
        "kind": "consultation", "category": "notice", "rating": "1", "channels": "residents",
        "area": community.pk, "complex": complex_.pk, "house": house_node.pk, "audience_areas": complex_.pk,
        "doors": [gate.pk, unit_door.pk], "max_entries": "1",
        "valid_from": now.strftime(stamp), "valid_until": (now + timedelta(hours=2)).strftime(stamp),
        "expected_leave_at": (now + timedelta(hours=2)).strftime(stamp),
        "expires_at": (now + timedelta(days=2)).strftime(stamp),
        "host_confirmed": "on", "id_type": "resident_id", "id_number": "11010519491231002X", "phone": "13900009999",
    }


# --- the users -------------------------------------------------------------------------------------------------

#: B's users, and which pages each sweeps: None is every page
OUTSIDERS = {
    "worker_b": None,
    "police_b": None,
    "guard_b": NEW_APP_PREFIXES,
    "resident_b": NEW_APP_PREFIXES,
}


@pytest.fixture
def b_users(tree, outsider) -> dict:
    from shequ.registry.tests.factories import PersonFactory

    outsider.is_staff = True  # let the sweep reach the admin too: its querysets must be scoped
    outsider.save()
    person = PersonFactory(area=tree.house_b.area, name="乙住户")
    services.residence_start(actor=Actor.system(via="test"), person=person, house=tree.house_b, relation="owner",
                             population_type="registered", start_date=date(2020, 1, 1))
    return {
        "worker_b": outsider,
        "police_b": make_user("police_b", "police", tree.community_b, display_name="乙民警"),
        "guard_b": make_user("guard_b", "guard", tree.complex_b, display_name="乙门卫"),
        "resident_b": make_user("resident_b", "resident", tree.house_b.area, display_name="乙住户", person=person),
    }


def _ids(rows) -> list[int]:
    return sorted({row.pk for row in rows})


# --- the sweeps ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("who", list(OUTSIDERS))
def test_a_user_of_another_community_cannot_read_or_change_a_rows_on_any_page(who, a_world, b_users, client_for):
    user = b_users[who]
    urls = _web_urls(_ids(a_world.rows), _slug_words(a_world.devices), OUTSIDERS[who], admin=user.is_staff)
    assert len(urls) > 50, "the sweep found too few URLs to mean anything"
    before = _a_state(a_world.rows)
    client = client_for(user)
    new_app_form = _new_app_form(a_world)
    leaks = []
    for url in urls:
        for query in _queries(a_world, url):
            response = client.get(url + query)
            if response.status_code == 200 and _leaks(response):
                leaks.append((url + query, _leaks(response)))
        client.post(url, HOSTILE_FORM)
        client.post(url, dict(HOSTILE_FORM, **_a_targets(a_world.rows)))
        if _is_new_app(url):
            client.post(url, new_app_form)
    assert leaks == []
    assert _a_state(a_world.rows) == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", list(OUTSIDERS))
def test_a_user_of_another_community_cannot_read_or_change_a_rows_through_the_api(who, a_world, b_users,
                                                                                  client_for):
    rows = a_world.rows
    operations = list(_api_operations(_ids(rows)))
    assert len({url for _m, url in operations}) > 20, "the sweep found too few API routes to mean anything"
    before = _a_state(rows)
    client = client_for(b_users[who])
    leaks = []
    for method, url in operations:
        if method == "GET":
            for query in ("", f"?area={rows[0].pk}&q={NAME_PREFIX}", f"?area={rows[0].pk}&q={NEW_APP_PREFIX}"):
                response = client.get(url + query)
                if response.status_code == 200 and _leaks(response):
                    leaks.append((url + query, _leaks(response)))
        else:
            client.generic(method, url, json.dumps(HOSTILE_JSON), content_type="application/json")
            client.generic(method, url, json.dumps(dict(HOSTILE_JSON, **_a_targets(rows))),
                           content_type="application/json")
    assert leaks == []
    assert _a_state(rows) == before


#: what each of A's own users must find, at the least: proof that the routes their
#: counterpart in B sweeps are filled right for that role
EXPECTED_OWN = {
    "worker_a": {MARKERS[key] for key in ("person", "organization", "vehicle", "facility", "complex", "community",
                                          "notice", "notice_template", "visit")},
    "police_a": {MARKERS[key] for key in ("letter", "letter_message", "alarm")},
    "guard_a": {MARKERS[key] for key in ("visitor_pass", "visit", "alarm")},
    "resident_a": {MARKERS[key] for key in ("notice", "letter", "letter_message", "visitor_pass")},
}


@pytest.mark.django_db
def test_the_sweep_finds_a_rows_when_a_own_users_look(a_world, worker, police, guard, client_for):
    # positive control: the same routes, filled the same way, do show A's rows to A's users
    ids = _ids(a_world.rows)
    words = _slug_words(a_world.devices)
    users = {"worker_a": (worker, None), "police_a": (police, NEW_APP_PREFIXES),
             "guard_a": (guard, NEW_APP_PREFIXES), "resident_a": (a_world.resident, NEW_APP_PREFIXES)}
    seen_by = {}
    for who, (user, prefixes) in users.items():
        client = client_for(user)
        seen = seen_by[who] = set()
        for url in _web_urls(ids, words, prefixes):
            response = client.get(url)
            if response.status_code == 200:
                seen.update(_leaks(response))
        for method, url in _api_operations(ids):
            if method == "GET":
                response = client.get(url)
                if response.status_code == 200:
                    seen.update(_leaks(response))
    assert {who: EXPECTED_OWN[who] - seen for who, seen in seen_by.items()} == {who: set() for who in users}
    assert set().union(*seen_by.values()) == set(MARKERS.values())
