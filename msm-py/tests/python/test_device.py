"""What a device says about itself and serves beside its areas, from Python: the
master's one-off calls (FC07, FC08, FC11, FC12, FC17, FC20, FC21, FC24, FC43) against a
built map served with its [identity], [[file]] and [[fifo]]; files read and written on
a memory; the errors a device's refusal raises."""

import pytest

import msm

DEVICE = """
[memory]
coils = 16
holding_registers = 40

[identity]
server_id = 10
additional_data = "pump 7"
exception_status_coils = 8
vendor = "ACME"
product_name = "Pump controller"

[[file]]
number = 4
records = 100

[[fifo]]
address = 20

[vars]
status_0 = { area = "coil", address = 8, type = "bool", value = true }
fifo_count = { area = "holding", address = 20, type = "u16", value = 2 }
fifo_1 = { area = "holding", address = 21, type = "u16", value = 7 }
fifo_2 = { area = "holding", address = 22, type = "u16", value = 8 }
"""


def test_one_off_calls_read_what_a_served_map_declares():
    plant = msm.Map.from_toml(DEVICE).build()
    with msm.Slave.tcp("127.0.0.1:0").serve(plant) as slave:
        with msm.Master.tcp(slave.local_addr, response_timeout=2).start(msm.Memory(0)) as m:
            report = m.report_server_id()
            assert report == {
                "server_id": b"\x0a",
                "running": True,
                "additional_data": b"pump 7",
                "bytes": b"\x0a\xffpump 7",
            }
            info = m.read_device_identification()
            assert info["objects"][0] == "ACME" and info["objects"][4] == "Pump controller"
            assert info["conformity_level"] == 0x82
            assert m.read_exception_status() == 0b0000_0001
            assert m.diagnostics(0, b"\xa5\x37") == b"\xa5\x37"
            m.clear_counters()
            assert m.bus_message_count() == 1
            assert m.server_message_count() == 2
            assert m.bus_exception_error_count() == 0
            assert m.diagnostic_register() == 0
            counter = m.comm_event_counter()
            assert counter["busy"] is False and counter["event_count"] >= 3
            log = m.comm_event_log()
            assert log["event_count"] == counter["event_count"]
            assert log["events"][:2] == [0x80, 0x40]

            m.write_file_record(4, 7, [0x06AF, 0x04BE, 0x100D])
            assert m.read_file_record(4, 6, 4) == [0, 0x06AF, 0x04BE, 0x100D]
            assert plant.memory.file(4).read(7, 3) == [0x06AF, 0x04BE, 0x100D]
            plant.memory.file(4).set(99, 0xBEEF)
            assert m.read_file_record(4, 99, 1) == [0xBEEF]
            assert m.read_fifo_queue(20) == [7, 8]


def test_a_refusal_is_a_modbus_error_with_its_code():
    plant = msm.Map.from_toml(DEVICE).build()
    with msm.Slave.tcp("127.0.0.1:0").serve(plant) as slave:
        with msm.Master.tcp(slave.local_addr, response_timeout=2).start(msm.Memory(0)) as m:
            with pytest.raises(msm.ModbusError) as e:
                m.read_file_record(5, 0, 1)  # no file 5
            assert e.value.code == 2 and e.value.unit == 1
            assert e.value.operation == "Read File Record"
            with pytest.raises(msm.ModbusError) as e:
                m.read_fifo_queue(30)  # not a FIFO
            assert e.value.code == 2
            with pytest.raises(msm.ModbusError) as e:
                m.diagnostics(0x15)  # not a sub-function the spec defines
            assert e.value.code == 1
            with pytest.raises(msm.BadDeclaration, match="record must be an int in 0..=9999"):
                m.read_file_record(4, 10_000, 1)
            with pytest.raises(msm.BadArgument, match="data must be bytes"):
                m.diagnostics(0, "hello")


def test_listen_only_until_restarted():
    plant = msm.Map.from_toml(DEVICE).build()
    with msm.Slave.tcp("127.0.0.1:0").serve(plant) as slave:
        with msm.Master.tcp(slave.local_addr, response_timeout=0.3).start(msm.Memory(0)) as m:
            m.force_listen_only()
            with pytest.raises(msm.Timeout):
                m.read_exception_status()
            with pytest.raises(msm.Timeout):  # the restart itself is not answered
                m.restart_communications()
            assert m.read_exception_status() == 1


def test_files_on_a_memory():
    mem = msm.Memory(0, files={4: 100, 9: 2})
    recipe = mem.file(4)
    assert (recipe.number, len(recipe)) == (4, 100)
    recipe.write(1, [0x0DFE, 0x0020])
    assert recipe.read(1, 2) == [0x0DFE, 0x0020]
    recipe.set(99, 7)
    assert recipe.get(99) == 7
    assert [f.number for f in mem.files()] == [4, 9]
    assert repr(mem.file(9)) == "msm.File(number=9, records=2)"
    with pytest.raises(msm.BadDeclaration):
        recipe.read(99, 2)  # record 100 does not exist
    with pytest.raises(msm.BadDeclaration, match=r"msm.Memory\(files=\{5: records\}\)"):
        mem.file(5)
    with pytest.raises(msm.BadArgument, match="files must be a dict"):
        msm.Memory(0, files=[4])


def test_the_same_calls_awaited():
    import asyncio

    async def main():
        plant = msm.Map.from_toml(DEVICE).build()
        async with await msm.aio.Slave.tcp("127.0.0.1:0").serve(plant) as slave:
            master = msm.aio.Master.tcp(slave.local_addr, response_timeout=2)
            async with await master.start(msm.Memory(0)) as m:
                report = await m.report_server_id()
                info = await m.read_device_identification()
                await m.write_file_record(4, 0, [1, 2, 3])
                records = await m.read_file_record(4, 0, 3)
                fifo = await m.read_fifo_queue(20)
                echo = await m.diagnostics(0, b"\x01\x02")
                await m.clear_counters()
                count = await m.server_message_count()
                with pytest.raises(msm.ModbusError) as e:
                    await m.read_fifo_queue(30)
                return report, info, records, fifo, echo, count, e.value.code

    report, info, records, fifo, echo, count, code = asyncio.run(main())
    assert report["server_id"] == b"\x0a" and report["additional_data"] == b"pump 7"
    assert info["objects"][0] == "ACME"
    assert records == [1, 2, 3] and fifo == [7, 8] and echo == b"\x01\x02"
    assert count == 1 and code == 2  # itself, since the clear
