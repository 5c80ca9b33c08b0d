"""pymodbus 3.16 as a master of an msm slave on Modbus ASCII or Modbus/UDP.

usage: pymodbus_link_client.py ascii PORT BAUD UNIT [--async]   (the serial line PORT, 8N1)
       pymodbus_link_client.py udp HOST PORT UNIT [--async]
With --async, pymodbus's asyncio clients make the same calls.
Prints one JSON object: what each request returned (exceptions as {"exception": code},
no answer as {"error": text}). The Rust test sets the memory up before and checks it
after.
"""
import asyncio
import json
import sys

from pymodbus import FramerType
from pymodbus.client import (
    AsyncModbusSerialClient,
    AsyncModbusUdpClient,
    ModbusSerialClient,
    ModbusUdpClient,
)


def shown(response, field):
    """A response as JSON: its `field`, or the exception code."""
    if response.isError():
        return {"exception": getattr(response, "exception_code", -1)}
    value = getattr(response, field)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): (v.decode("ascii", "replace") if isinstance(v, bytes) else v) for k, v in value.items()}
    return value


def calls(unit):
    """Each request: (name, call on a client, field of the response, items kept)."""
    return [
        ("fc1", lambda c: c.read_coils(0, count=10, device_id=unit), "bits", 10),
        ("fc2", lambda c: c.read_discrete_inputs(0, count=8, device_id=unit), "bits", 8),
        ("fc3", lambda c: c.read_holding_registers(0, count=4, device_id=unit), "registers", None),
        ("fc4", lambda c: c.read_input_registers(0, count=4, device_id=unit), "registers", None),
        ("fc5", lambda c: c.write_coil(3, True, device_id=unit), "bits", None),
        ("fc6", lambda c: c.write_register(5, 0x12, device_id=unit), "registers", None),
        ("fc8", lambda c: c.diag_query_data(b"\xa5\x37", device_id=unit), "message", None),
        ("fc15", lambda c: c.write_coils(10, [True, False, True, True], device_id=unit), "count", None),
        ("fc16", lambda c: c.write_registers(1, [10, 20, 30], device_id=unit), "count", None),
        (
            "fc22",
            lambda c: c.mask_write_register(address=5, and_mask=0xF2, or_mask=0x25, device_id=unit),
            "and_mask",
            None,
        ),
        (
            "fc23",
            lambda c: c.readwrite_registers(
                read_address=0, read_count=8, write_address=6, values=[0xBEEF, 7], device_id=unit
            ),
            "registers",
            None,
        ),
        ("fc43", lambda c: c.read_device_information(read_code=1, object_id=0, device_id=unit), "information", None),
        ("fc3_past_end", lambda c: c.read_holding_registers(19, count=2, device_id=unit), "registers", None),
        ("fc3_all", lambda c: c.read_holding_registers(0, count=20, device_id=unit), "registers", None),
    ]


def kept(value, n):
    return value[:n] if n is not None and isinstance(value, list) else value


def run_sync(client, unit):
    if not client.connect():
        sys.exit("cannot connect")
    out = {}
    for name, call, field, n in calls(unit):
        try:
            out[name] = kept(shown(call(client), field), n)
        except Exception as e:  # noqa: BLE001 - a timeout is a result here
            out[name] = {"error": type(e).__name__}
    client.close()
    return out


async def run_async(make, unit):
    client = make()  # an asyncio client is made inside its event loop
    if not await client.connect():
        sys.exit("cannot connect")
    out = {}
    for name, call, field, n in calls(unit):
        try:
            out[name] = kept(shown(await call(client), field), n)
        except Exception as e:  # noqa: BLE001 - a timeout is a result here
            out[name] = {"error": type(e).__name__}
    client.close()
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "--async"]
    use_async = "--async" in sys.argv[1:]
    if len(args) != 4 or args[0] not in ("ascii", "udp"):
        sys.exit(__doc__)
    mode, where, number, unit = args[0], args[1], int(args[2]), int(args[3])
    if mode == "ascii":
        serial = dict(framer=FramerType.ASCII, baudrate=number, bytesize=8, parity="N", stopbits=1)
        kind = AsyncModbusSerialClient if use_async else ModbusSerialClient
        make = lambda: kind(where, timeout=3, retries=0, **serial)  # noqa: E731
    else:
        kind = AsyncModbusUdpClient if use_async else ModbusUdpClient
        make = lambda: kind(where, port=number, timeout=3, retries=0)  # noqa: E731
    out = asyncio.run(run_async(make, unit)) if use_async else run_sync(make(), unit)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
