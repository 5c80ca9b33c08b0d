"""pymodbus's TLS client as a master of the msm slave over Modbus/TCP Security.

usage: tls_client.py HOST PORT CERT KEY CA
Reads holding registers 0..=1, then writes holding register 0 with 1234; prints one JSON
object with what each returned (exceptions as {"exception": code}, a failed connection
as {"connected": false}).
"""
import json
import ssl
import sys

from pymodbus.client import ModbusTlsClient


def result(response, field):
    if response.isError():
        return {"exception": getattr(response, "exception_code", -1)}
    return getattr(response, field)


def main():
    host, port, cert, key, ca = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    # pymodbus's synchronous client wraps its socket without a server name, which
    # hostname checking needs; the chain is still verified against the CA.
    ctx.check_hostname = False
    client = ModbusTlsClient(host, port=port, sslctx=ctx, timeout=3, retries=0)
    if not client.connect():
        print(json.dumps({"connected": False}))
        return
    out = {"connected": True}
    out["read"] = result(client.read_holding_registers(0, count=2), "registers")
    out["write"] = result(client.write_register(0, 1234), "registers")
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
