"""pymodbus 3.16 as a master of an msm slave on Modbus ASCII or Modbus/UDP.

usage: pymodbus_link_client.py ascii PORT BAUD UNIT   (the serial line PORT, 8N1)
       pymodbus_link_client.py udp HOST PORT UNIT
Prints one JSON object: what each request returned (exceptions as {"exception": code},
no answer as {"error": text}). The Rust test sets the memory up before and checks it
after.
"""
import json
import sys

from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient, ModbusUdpClient


def result(call, field):
    try:
        response = call()
    except Exception as e:  # noqa: BLE001 - a timeout is a result here
        return {"error": type(e).__name__}
    if response.isError():
        return {"exception": getattr(response, "exception_code", -1)}
    value = getattr(response, field)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): (v.decode("ascii", "replace") if isinstance(v, bytes) else v) for k, v in value.items()}
    return value


def main():
    mode = sys.argv[1]
    if mode == "ascii" and len(sys.argv) == 5:
        client = ModbusSerialClient(
            sys.argv[2], framer=FramerType.ASCII, baudrate=int(sys.argv[3]),
            bytesize=8, parity="N", stopbits=1, timeout=3, retries=0,
        )
    elif mode == "udp" and len(sys.argv) == 5:
        client = ModbusUdpClient(sys.argv[2], port=int(sys.argv[3]), timeout=3, retries=0)
    else:
        sys.exit(__doc__)
    unit = int(sys.argv[4])
    if not client.connect():
        sys.exit(f"cannot open {sys.argv[2:4]}")
    c = client
    out = {}
    out["fc1"] = result(lambda: c.read_coils(0, count=10, device_id=unit), "bits")[:10]
    out["fc2"] = result(lambda: c.read_discrete_inputs(0, count=8, device_id=unit), "bits")[:8]
    out["fc3"] = result(lambda: c.read_holding_registers(0, count=4, device_id=unit), "registers")
    out["fc4"] = result(lambda: c.read_input_registers(0, count=4, device_id=unit), "registers")
    out["fc5"] = result(lambda: c.write_coil(3, True, device_id=unit), "bits")
    out["fc6"] = result(lambda: c.write_register(5, 0x12, device_id=unit), "registers")
    out["fc8"] = result(lambda: c.diag_query_data(b"\xa5\x37", device_id=unit), "message")
    out["fc15"] = result(lambda: c.write_coils(10, [True, False, True, True], device_id=unit), "count")
    out["fc16"] = result(lambda: c.write_registers(1, [10, 20, 30], device_id=unit), "count")
    out["fc22"] = result(
        lambda: c.mask_write_register(address=5, and_mask=0xF2, or_mask=0x25, device_id=unit), "and_mask"
    )
    out["fc23"] = result(
        lambda: c.readwrite_registers(
            read_address=0, read_count=8, write_address=6, values=[0xBEEF, 7], device_id=unit
        ),
        "registers",
    )
    out["fc43"] = result(lambda: c.read_device_information(read_code=1, object_id=0, device_id=unit), "information")
    out["fc3_past_end"] = result(lambda: c.read_holding_registers(19, count=2, device_id=unit), "registers")
    out["fc3_all"] = result(lambda: c.read_holding_registers(0, count=20, device_id=unit), "registers")
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
