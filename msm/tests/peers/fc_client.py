"""pymodbus 3.16's sync or async client calling every device function of a served map:
FC07, FC08 (every sub-function, listen-only mode and the restart), FC11, FC12, FC17,
FC20, FC21, FC24, FC43.

usage: fc_client.py HOST PORT [sync|async]
Prints one JSON object: what each request returned (exceptions as {"exception": code},
no answer as {"no_answer": message}). The Rust test (msm-cli's cli_info.rs) serves the
map and checks the answers against it and the spec.
"""
import asyncio
import inspect
import json
import sys

from pymodbus.client import AsyncModbusTcpClient, ModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu.file_message import FileRecord


async def call(request, read):
    try:
        response = request()
        if inspect.isawaitable(response):  # the async client's
            response = await response
    except ModbusException as e:
        return {"no_answer": str(e)}
    if response is None:  # sent with no_response_expected
        return "sent"
    if response.isError():
        return {"exception": getattr(response, "exception_code", -1)}
    return read(response)


def registers(data: bytes) -> list:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


async def run(c) -> dict:
    out = {}
    message = lambda r: r.message.hex() if isinstance(r.message, bytes) else r.message
    out["fc08_clear"] = await call(c.diag_clear_counters, message)
    out["fc07"] = await call(c.read_exception_status, lambda r: r.status)
    out["fc17"] = await call(
        c.report_device_id, lambda r: {"identifier": r.identifier.hex(), "run": r.status}
    )
    out["fc43"] = await call(
        lambda: c.read_device_information(read_code=3, object_id=0),
        lambda r: {str(k): v.decode() for k, v in r.information.items()},
    )
    # FC21 then FC20: two sub-requests each, the second in another file.
    out["fc21"] = await call(
        lambda: c.write_file_record(
            [
                FileRecord(file_number=4, record_number=7, record_data=bytes.fromhex("06af04be100d")),
                FileRecord(file_number=5, record_number=0, record_data=bytes.fromhex("0001")),
            ]
        ),
        lambda r: len(r.records),
    )
    # pymodbus takes a read's record_length in bytes.
    out["fc20"] = await call(
        lambda: c.read_file_record(
            [
                FileRecord(file_number=4, record_number=6, record_length=8),
                FileRecord(file_number=5, record_number=0, record_length=2),
            ]
        ),
        lambda r: [registers(rec.record_data) for rec in r.records],
    )
    out["fc20_no_file"] = await call(
        lambda: c.read_file_record([FileRecord(file_number=9, record_number=0, record_length=2)]),
        lambda r: "answered",
    )
    out["fc20_past_end"] = await call(
        lambda: c.read_file_record([FileRecord(file_number=4, record_number=99, record_length=4)]),
        lambda r: "answered",
    )
    out["fc24"] = await call(lambda: c.read_fifo_queue(address=20), lambda r: r.values)
    out["fc24_not_fifo"] = await call(lambda: c.read_fifo_queue(address=30), lambda r: r.values)
    out["fc08_00"] = await call(lambda: c.diag_query_data(b"\xa5\x37"), message)
    out["fc08_02"] = await call(c.diag_read_diagnostic_register, message)
    # The delimiter goes in the high byte ("CHAR 00"): pymodbus packs an int as >H.
    out["fc08_03"] = await call(
        lambda: c.diag_change_ascii_input_delimeter(delimiter=ord("\n") << 8), message
    )
    out["fc08_0b"] = await call(c.diag_read_bus_message_count, message)
    out["fc08_0c"] = await call(c.diag_read_bus_comm_error_count, message)
    out["fc08_0e"] = await call(c.diag_read_device_message_count, message)
    out["fc08_0f"] = await call(c.diag_read_device_no_response_count, message)
    out["fc08_10"] = await call(c.diag_read_device_nak_count, message)
    out["fc08_11"] = await call(c.diag_read_device_busy_count, message)
    out["fc08_12"] = await call(c.diag_read_bus_char_overrun_count, message)
    out["fc08_14"] = await call(c.diag_clear_overrun_counter, message)
    # An exception, counted by 0D.
    out["fc03_past_end"] = await call(lambda: c.read_holding_registers(39, count=2), lambda r: r.registers)
    out["fc08_0d"] = await call(c.diag_read_bus_exception_error_count, message)
    out["fc11"] = await call(
        c.diag_get_comm_event_counter, lambda r: {"ready": r.status, "count": r.count}
    )
    out["fc12"] = await call(
        c.diag_get_comm_event_log,
        lambda r: {
            "ready": r.status,
            "event_count": r.event_count,
            "message_count": r.message_count,
            "events": r.events,
        },
    )
    # Listen-only: nothing is answered until restart communications (itself unanswered).
    out["fc08_04"] = await call(c.diag_force_listen_only, lambda r: "answered")
    out["fc03_listen_only"] = await call(lambda: c.read_holding_registers(0, count=1), lambda r: r.registers)
    out["fc08_01"] = await call(
        lambda: c.diag_restart_communication(False, no_response_expected=True), lambda r: "answered"
    )
    out["fc03_restarted"] = await call(lambda: c.read_holding_registers(20, count=4), lambda r: r.registers)
    out["fc08_01_answered"] = await call(lambda: c.diag_restart_communication(True), message)
    out["fc08_0b_after_restart"] = await call(c.diag_read_bus_message_count, message)
    out["fc08_15"] = await call(lambda: c.execute(False, _unknown_sub_function()), message)
    return out


def _unknown_sub_function():
    from pymodbus.pdu.diag_message import DiagnosticBase

    class Sub15(DiagnosticBase):
        sub_function_code = 0x15

    return Sub15(message=0)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "sync"
    if mode == "async":

        async def with_async_client() -> dict:
            c = AsyncModbusTcpClient(host, port=port, timeout=1, retries=0)
            if not await c.connect():
                sys.exit(f"cannot connect to {host}:{port}")
            try:
                return await run(c)
            finally:
                c.close()

        out = asyncio.run(with_async_client())
    else:
        c = ModbusTcpClient(host, port=port, timeout=1, retries=0)
        if not c.connect():
            sys.exit(f"cannot connect to {host}:{port}")
        out = asyncio.run(run(c))
        c.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
