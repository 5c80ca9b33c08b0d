"""pymodbus as a master of the msm slave: every function pymodbus has that msm serves.

usage: slave_client.py HOST PORT
Prints one JSON object: what each request returned (exceptions as {"exception": code}).
The Rust test (tests/slave_pymodbus.rs) sets the memory up before and checks it after.
"""
import json
import sys

from pymodbus.client import ModbusTcpClient


def result(response, field):
    if response.isError():
        return {"exception": getattr(response, "exception_code", -1)}
    value = getattr(response, field)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): (v.decode("ascii", "replace") if isinstance(v, bytes) else v) for k, v in value.items()}
    return value


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    client = ModbusTcpClient(host, port=port, timeout=3, retries=0)
    if not client.connect():
        sys.exit(f"cannot connect to {host}:{port}")
    out = {}
    out["fc1"] = result(client.read_coils(0, count=10), "bits")[:10]
    out["fc2"] = result(client.read_discrete_inputs(0, count=8), "bits")[:8]
    out["fc3"] = result(client.read_holding_registers(0, count=4), "registers")
    out["fc4"] = result(client.read_input_registers(0, count=4), "registers")
    out["fc5"] = result(client.write_coil(3, True), "bits")
    out["fc6"] = result(client.write_register(5, 0x12), "registers")
    out["fc8"] = result(client.diag_query_data(b"\xa5\x37"), "message")
    out["fc15"] = result(client.write_coils(10, [True, False, True, True]), "count")
    out["fc16"] = result(client.write_registers(1, [10, 20, 30]), "count")
    out["fc22"] = result(client.mask_write_register(address=5, and_mask=0xF2, or_mask=0x25), "and_mask")
    out["fc23"] = result(
        client.readwrite_registers(read_address=0, read_count=8, write_address=6, values=[0xBEEF, 7]),
        "registers",
    )
    out["fc43_basic"] = result(client.read_device_information(read_code=1, object_id=0), "information")
    out["fc43_regular"] = result(client.read_device_information(read_code=2, object_id=0), "information")
    out["fc43_extended"] = result(client.read_device_information(read_code=3, object_id=0), "information")
    out["fc43_specific"] = result(client.read_device_information(read_code=4, object_id=1), "information")
    out["fc43_missing"] = result(client.read_device_information(read_code=4, object_id=6), "information")
    out["fc1_after"] = result(client.read_coils(0, count=16), "bits")[:16]
    out["fc3_past_end"] = result(client.read_holding_registers(15, count=2), "registers")
    out["fc6_unit_0"] = result(client.write_register(15, 99, device_id=0), "registers")
    out["fc3_unit_255"] = result(client.read_holding_registers(15, count=1, device_id=255), "registers")
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
