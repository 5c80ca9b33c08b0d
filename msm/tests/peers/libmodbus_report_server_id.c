/* libmodbus's client asking Report Server ID (FC17) of a Modbus/TCP server.
 *
 * usage: libmodbus_report_server_id HOST PORT MAX
 * Prints "RC HEX": what modbus_report_slave_id returned (the byte count the server
 * announced) and the bytes it copied (at most MAX), in hex. Exit code 1 when libmodbus
 * reports an error (its message on stderr). Built by msm-cli's cli_info tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <modbus.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s HOST PORT MAX\n", argv[0]);
        return 2;
    }
    int max = atoi(argv[3]);
    if (max < 0 || max > MODBUS_MAX_PDU_LENGTH) {
        fprintf(stderr, "MAX must be 0..=%d\n", MODBUS_MAX_PDU_LENGTH);
        return 2;
    }
    modbus_t *ctx = modbus_new_tcp(argv[1], atoi(argv[2]));
    if (ctx == NULL) {
        fprintf(stderr, "modbus_new_tcp: %s\n", modbus_strerror(errno));
        return 1;
    }
    modbus_set_response_timeout(ctx, 2, 0);
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "connect: %s\n", modbus_strerror(errno));
        modbus_free(ctx);
        return 1;
    }
    uint8_t dest[MODBUS_MAX_PDU_LENGTH];
    int rc = modbus_report_slave_id(ctx, max, dest);
    int status = 0;
    if (rc == -1) {
        fprintf(stderr, "modbus_report_slave_id: %s\n", modbus_strerror(errno));
        status = 1;
    } else {
        printf("%d ", rc);
        for (int i = 0; i < rc && i < max; i++) {
            printf("%02x", dest[i]);
        }
        printf("\n");
    }
    modbus_close(ctx);
    modbus_free(ctx);
    return status;
}
