"""msm.web: the live view of a memory or a built map, fetched with urllib as any HTTP
client would: the page, the JSON API, writes, the token, and the handle's life."""

import doctest
import json
import socket
import urllib.error
import urllib.request

import pytest

import msm
import msm.web

MAP = """
[memory]
holding_registers = 4
input_registers = 2
coils = 2

[vars]
SETPOINT = { area = "holding", address = 0, type = "u16", value = 500 }
LEVEL    = { area = "holding", address = 2, type = "f32", value = 1.5 }
TEMP     = { area = "input", address = 0, type = "i16", value = -3 }
PUMP     = { area = "coil", address = 1, type = "bool" }
"""


def fetch(url, method="GET", body=None, token=None):
    """(status, headers, body as JSON or text) of a request to the view."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            status, headers, raw = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as refused:
        status, headers, raw = refused.code, refused.headers, refused.read()
    text = raw.decode()
    is_json = headers.get("Content-Type", "").startswith("application/json")
    return status, headers, json.loads(text) if is_json else text


def base(view):
    host, port = view.local_addr
    return f"http://{host}:{port}"


@pytest.mark.parametrize("obj", [msm.web, msm.web.serve], ids=["module", "serve"])
def test_docstring_examples(obj):
    test = doctest.DocTestParser().get_doctest(obj.__doc__ or "", {}, obj.__name__, None, 0)
    if obj is msm.web:
        assert test.examples, "msm.web has no example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


def test_a_map_is_shown_by_name_in_the_page_and_the_api():
    plant = msm.Map.from_toml(MAP).build()
    with msm.web.serve(plant, "127.0.0.1:0") as view:
        assert view.running and view.url == base(view) + "/"
        status, headers, page = fetch(view.url)
        assert status == 200 and "<table" in page and "EventSource" in page
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        status, headers, rows = fetch(base(view) + "/api/vars")
        assert status == 200 and headers["Cache-Control"] == "no-store"
        assert [(r["name"], r["value"], r["quality"]) for r in rows] == [
            ("SETPOINT", 500, "good"),
            ("LEVEL", 1.5, "good"),
            ("TEMP", -3, "good"),
            ("PUMP", False, "good"),
        ]
        # Read-only unless asked: the refusal names the Python setting.
        status, _, refused = fetch(base(view) + "/api/vars/SETPOINT", "PUT", {"value": 7})
        assert status == 403 and "writable=True" in refused["error"]
        status, _, refused = fetch(base(view) + "/api/vars/NOPE")
        assert status == 404 and "NOPE" in refused["error"]
        status, _, s = fetch(base(view) + "/api/status")
        assert (s["role"], s["max_clients"]) == ("slave", 64)
    assert not view.running


def test_a_writable_view_of_a_memory_writes_it():
    mem = msm.Memory(4, coils=2)
    with msm.web.serve(mem, ("127.0.0.1", 0), writable=True) as view:
        status, _, row = fetch(base(view) + "/api/vars/holding:2", "PUT", {"value": "0x10"})
        assert status == 200 and row["value"] == 16
        assert row["origin"] == "local" and row["changed"] is not None
        assert mem.holding(2).get() == 16
        status, _, row = fetch(base(view) + "/api/vars/coil:1", "PUT", {"value": True})
        assert status == 200 and mem.coil(1).get() is True
        status, _, refused = fetch(base(view) + "/api/vars/holding:2", "PUT", {"value": 70000})
        assert status == 400 and "does not fit a u16" in refused["error"]
        assert mem.holding(2).get() == 16
        host, port = view.local_addr
    # Stopped: the port is closed.
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=5).close()


def test_a_token_guards_every_request_and_the_url_carries_it():
    mem = msm.Memory(2)
    with msm.web.serve(mem, "127.0.0.1:0", token="s3cret") as view:
        assert view.url == base(view) + "/?token=s3cret"
        assert "s3cret" not in repr(view)
        status, _, refused = fetch(base(view) + "/api/vars")
        assert status == 401 and "token" in refused["error"]
        assert fetch(base(view) + "/api/vars", token="s3cret")[0] == 200
        assert fetch(view.url)[0] == 200


def test_a_memory_a_master_keeps_shows_its_state_and_keeps_inputs_read_only():
    plc = msm.Memory(4, input_registers=2)
    with msm.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
        mirror = msm.Memory(4, input_registers=2)
        with msm.Master.tcp(slave.local_addr, period=0.05).start(mirror) as master:
            master.sync()
            with msm.web.serve(mirror, "127.0.0.1:0", writable=True) as view:
                status, _, s = fetch(base(view) + "/api/status")
                assert s["role"] == "master" and s["connected"] is True
                status, _, refused = fetch(base(view) + "/api/vars/input:0", "PUT", {"value": 1})
                assert status == 403 and "read-only" in refused["error"]
                status, _, row = fetch(base(view) + "/api/vars/holding:0", "PUT", {"value": 9})
                assert status == 200
                master.flush()
                assert plc.holding(0).get() == 9


def test_bad_settings_and_a_taken_port_raise_what_they_are():
    mem = msm.Memory(1)
    for bad in (
        dict(max_clients=0),
        dict(max_clients=-1),
        dict(writable="yes"),
        dict(token=""),
        dict(token=5),
    ):
        with pytest.raises(msm.BadDeclaration):
            msm.web.serve(mem, "127.0.0.1:0", **bad)
    with pytest.raises(msm.BadDeclaration, match="cannot be shown"):
        msm.web.serve(object(), "127.0.0.1:0")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(msm.ConnectionFailed, match="cannot listen"):
            msm.web.serve(mem, taken.getsockname())


def test_the_handle_is_documented_and_stops_once():
    view = msm.web.serve(msm.Memory(1), "127.0.0.1:0")
    for name in ("url", "local_addr", "running", "stop"):
        assert getattr(msm.web.WebHandle, name).__doc__, name
    view.stop()
    view.stop()
    assert not view.running and "stopped" in repr(view)
    with pytest.raises(msm.Stopped):
        view.url
