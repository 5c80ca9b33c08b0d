"""msm.mqtt: one map bridged to a real mosquitto on a free loopback port (SKIP without
mosquitto, a failure under CI=true), driven by mosquitto_sub and mosquitto_pub."""

import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

import msm
import msm.mqtt
from conftest import free_port, missing, wait_until

HOW = "install it with `apt-get install mosquitto mosquitto-clients` (bash .ci/run does)"
DEADLINE = 20.0

PLANT = """
[memory]
holding_registers = 4
input_registers = 1
[vars]
SPEED = { area = "holding", address = 0, type = "u16", value = 1000 }
TEMP  = { area = "input", address = 0, type = "i16", value = 21 }
"""


def program(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/local/sbin") / name) if p.is_file()),
        None,
    )
    if found is None:
        missing(name, HOW)
    return found


@pytest.fixture
def broker(tmp_path):
    """A mosquitto of its own on a free loopback port; its port."""
    mosquitto = program("mosquitto")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket

        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        assert wait_until(listening, DEADLINE), "mosquitto did not start"
        yield port
    finally:
        proc.kill()
        proc.wait()


class Sub:
    """mosquitto_sub -v: every `topic payload` line, waited for with a deadline."""

    def __init__(self, port: int, topic: str):
        self.proc = subprocess.Popen(
            [program("mosquitto_sub"), "-h", "127.0.0.1", "-p", str(port), "-v", "-t", topic],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.seen: list = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pred, what: str) -> str:
        for line in self.seen:
            if pred(line):
                return line
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if pred(line):
                return line
        pytest.fail(f"no MQTT message {what} within {DEADLINE}s; saw {self.seen}")

    def close(self):
        self.proc.kill()
        self.proc.wait()


def publish(port: int, topic: str, payload: str):
    subprocess.run(
        [program("mosquitto_pub"), "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-t", topic, "-m", payload],
        check=True,
    )


def test_a_map_is_published_and_written_from_mqtt(broker):
    plant = msm.Map.from_toml(PLANT).build()
    sub = Sub(broker, "py/#")
    try:
        url = f"mqtt://127.0.0.1:{broker}"
        with msm.mqtt.bridge(plant, url, device="press", prefix="py", client_id=f"py-{broker}") as b:
            assert b.running and "py/press" in repr(b)
            sub.expect(lambda l: l == "py/press/SPEED 1000", "the value")
            sub.expect(lambda l: l == "py/press/TEMP/quality good", "the quality")
            publish(broker, "py/press/SPEED/set", "1500")
            sub.expect(lambda l: l == "py/press/SPEED 1500", "the new value")
            assert plant["SPEED"].get() == 1500
            publish(broker, "py/press/SPEED/set", "fast")
            error = sub.expect(lambda l: l.startswith("py/press/error "), "the refusal")
            assert error.startswith('py/press/error SPEED: "fast" is not a u16'), error
            publish(broker, "py/press/TEMP/set", "3")
            sub.expect(lambda l: l.startswith("py/press/error TEMP: is read-only"), "read-only")
            assert plant["TEMP"].get() == 21
            assert wait_until(lambda: b.status()["sets_refused"] == 2, DEADLINE)
            status = b.status()
            assert status["connected"] and status["sets_applied"] == 1, status
        # Leaving the block stopped it cleanly: the goodbyes, the gateway's last.
        sub.expect(lambda l: l == "py/press/available offline", "the device's goodbye")
        sub.expect(lambda l: l == "py/gateway/available offline", "the goodbye")
        assert not b.running and "stopped" in repr(b)
        b.stop()  # twice: nothing
    finally:
        sub.close()


def test_a_map_kept_by_a_master_follows_its_device_and_refuses_sets_while_it_is_away(broker):
    device = msm.Map.from_toml(PLANT).build()
    plant = msm.Map.from_toml(PLANT).build()
    slave = msm.Slave.tcp("127.0.0.1:0").serve(device)
    master = msm.Master.tcp(slave.local_addr, period=0.05, response_timeout=0.5).start(plant)
    sub = Sub(broker, "py/#")
    try:
        master.sync(timeout=DEADLINE)
        url = f"mqtt://127.0.0.1:{broker}"
        with msm.mqtt.bridge(plant, url, device="press", prefix="py", client_id=f"py-{broker}") as b:
            sub.expect(lambda l: l == "py/press/available online", "the device online")
            sub.expect(lambda l: l == "py/press/SPEED 1000", "the value")
            # A set goes through the master: on the device once it confirmed it.
            publish(broker, "py/press/SPEED/set", "1500")
            sub.expect(lambda l: l == "py/press/SPEED 1500", "the confirmed value")
            assert device["SPEED"].get() == 1500
            # The device goes away: offline, its values no longer good, and a set is
            # refused with the reason (never kept for later, never only a log line).
            slave.stop()
            sub.expect(lambda l: l == "py/press/available offline", "the device offline")
            sub.expect(
                lambda l: l.startswith("py/press/SPEED/quality ") and not l.endswith(" good"),
                "the value's quality",
            )
            publish(broker, "py/press/SPEED/set", "7")
            error = sub.expect(lambda l: l.startswith("py/press/error "), "the refusal")
            assert error.startswith("py/press/error SPEED: the device is offline"), error
            assert plant["SPEED"].get() == 1500
            assert wait_until(lambda: b.status()["sets_refused"] == 1, DEADLINE)
            assert b.status()["sets_applied"] == 1
    finally:
        sub.close()
        master.stop()
        slave.stop()


def test_what_cannot_be_bridged_is_said_in_python_terms():
    with pytest.raises(msm.BadValue, match="takes a built map"):
        msm.mqtt.bridge(msm.Memory(4), "mqtt://127.0.0.1:1")
    plant = msm.Map.from_toml(PLANT).build()
    with pytest.raises(msm.BadValue, match="mqtt://host:port"):
        msm.mqtt.bridge(plant, "http://127.0.0.1:1")
    with pytest.raises(msm.BadValue, match="cannot be a topic"):
        msm.mqtt.bridge(plant, "mqtt://127.0.0.1:1", device="a/b")
    with pytest.raises(msm.BadValue, match="set_max_age"):
        msm.mqtt.bridge(plant, "mqtt://127.0.0.1:1", set_max_age=-1)
