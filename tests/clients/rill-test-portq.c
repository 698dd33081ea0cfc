/* tests/clients/rill-test-portq.c — asks the server about ports, for
 * tests/integration/jack-programs.sh.
 *
 *   rill-test-portq monitor PORT...
 *       One line per PORT: "PORT monitoring=1" when monitoring is requested
 *       on it (jack_port_monitoring_input), "PORT monitoring=0" when not.
 *
 * Built against the system libjack; the tests run it through rill-jack.
 * Exit status: 0, 1 when the server or a port cannot be found (the message
 * names it), 2 on a usage error.
 */
#include <jack/jack.h>
#include <stdio.h>
#include <string.h>

/* Main thread. */
int main(int argc, char **argv)
{
    jack_client_t *client;
    int i, rc = 0;

    if (argc < 3 || strcmp(argv[1], "monitor") != 0) {
        fprintf(stderr, "usage: rill-test-portq monitor PORT...\n");
        return 2;
    }
    client = jack_client_open("rill-test-portq", JackNoStartServer, NULL);
    if (!client) {
        fprintf(stderr, "rill-test-portq: cannot open a client (is the server running?)\n");
        return 1;
    }
    for (i = 2; i < argc; i++) {
        jack_port_t *p = jack_port_by_name(client, argv[i]);
        if (!p) {
            fprintf(stderr, "rill-test-portq: no port named '%s'\n", argv[i]);
            rc = 1;
            continue;
        }
        printf("%s monitoring=%d\n", argv[i], jack_port_monitoring_input(p) ? 1 : 0);
    }
    jack_client_close(client);
    return rc;
}
