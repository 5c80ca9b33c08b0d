"""msm.mqtt: an MQTT bridge for one built map (msm's Rust bridge, msm-mqtt).

Every variable is published retained on ``PREFIX/DEVICE/VAR`` (once read good), with
``PREFIX/DEVICE/VAR/quality``; ``PREFIX/DEVICE/VAR/set`` writes it, and a set that cannot
be applied gets its reason on ``PREFIX/DEVICE/error``; ``PREFIX/DEVICE/available`` and
``PREFIX/gateway/available`` (the last will) say who is online. A memory that an
``msm.Master`` keeps is bridged with that master: the device's availability follows its
connection, and a set is published back once the device confirmed it. See
docs/gateway.md (the topics) and docs/python.md.

Example (with a broker on 127.0.0.1:1883)::

    import msm, msm.mqtt
    plant = msm.Map.load("plant.toml").build()
    with msm.mqtt.bridge(plant, "mqtt://127.0.0.1:1883", device="press") as bridge:
        ...                      # msm/press/SPEED is published; msm/press/SPEED/set writes it
        print(bridge.status())   # {'connected': True, 'sets_applied': 0, ...}
"""

from typing import Optional, Union
from os import PathLike

from ._msm import MapMemory, MqttBridge as Bridge, mqtt_bridge as _bridge

__all__ = ["bridge", "Bridge"]


def bridge(
    source: MapMemory,
    url: str,
    *,
    device: str = "device",
    prefix: str = "msm",
    client_id: Optional[str] = None,
    set_max_age: Optional[float] = 60.0,
    ha_discovery: bool = False,
    protocol: str = "5",
    username: Optional[str] = None,
    password: Optional[str] = None,
    ca: Optional[Union[str, PathLike]] = None,
) -> Bridge:
    """Starts bridging the variables of ``source`` (a built map) to the broker at ``url``
    (``mqtt://host:port``, or ``mqtts://`` with ``ca`` the broker's CA file), as device
    ``device`` under ``prefix``. It connects in the background (an absent broker is
    retried, and said so on stderr) and returns a running ``Bridge``: ``stop()`` it, or
    use it in a ``with`` block.

    ``client_id`` (default ``msm-DEVICE@HOSTNAME``) must be unique on the broker: the
    broker keeps the bridge's session under it, so that sets sent while the bridge is
    away are delivered when it is back. A set older than ``set_max_age`` seconds (``None``:
    no limit) is refused with an error instead of applied late. ``protocol`` is ``"5"``
    or ``"3.1.1"`` for brokers that do not speak MQTT 5.

    Raises ``msm.BadValue`` for a url, prefix, name or file that cannot be used.
    """
    return _bridge(
        source,
        url,
        device=device,
        prefix=prefix,
        client_id=client_id,
        set_max_age=set_max_age,
        ha_discovery=ha_discovery,
        protocol=protocol,
        username=username,
        password=password,
        ca=None if ca is None else str(ca),
    )
