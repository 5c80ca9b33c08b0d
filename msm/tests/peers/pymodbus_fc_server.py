"""A pymodbus 3.16 Modbus/TCP server with an identity, for msm's master one-off calls.

usage: pymodbus_fc_server.py
Serves 10 of each area for any unit id on 127.0.0.1, on a free port, with the identity
VendorName "ACME", ProductCode "PUMP-7", MajorMinorRevision "2.1", ProductName "Pump".
Prints "PORT <n>" once listening, then serves until stdin closes. pymodbus answers FC20
with "SERVER DUMMY RECORD." for each record asked and FC24 with [0, 1, 2, 3]: the test
checks those.
"""

import asyncio
import logging
import sys

from pymodbus import ModbusDeviceIdentification
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice


def device() -> SimDevice:
    bits = [SimData(0, values=[False] * 10, datatype=DataType.BITS)]
    regs = [SimData(0, values=[0] * 10, datatype=DataType.REGISTERS)]
    return SimDevice(id=0, simdata=(bits, bits, regs, regs))


async def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    identity = ModbusDeviceIdentification(
        info_name={
            "VendorName": "ACME",
            "ProductCode": "PUMP-7",
            "MajorMinorRevision": "2.1",
            "ProductName": "Pump",
        }
    )
    server = ModbusTcpServer(device(), address=("127.0.0.1", 0), identity=identity)
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
