"""Runs one of the original package's programs, unchanged, on another port than 502.

usage: run_original.py PORT PROGRAM.py

The programs construct ModbusSlaveTCP(mem) and ModbusMasterTCP(mem) with no port, so
502 (root only, and shared by the whole machine). This sets the package's default port
first (ModbusSharedMemory.client_server.DEFAULT_PORT), then runs the program as
__main__.
"""

import runpy
import sys

import ModbusSharedMemory.client_server as client_server

client_server.DEFAULT_PORT = int(sys.argv[1])
runpy.run_path(sys.argv[2], run_name="__main__")
