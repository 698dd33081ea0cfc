/* engine/main.c — rilld: parse the command line and run the server.
 *
 * Exit status: 0 after a clean stop (SIGINT/SIGTERM) or --help, 1 when the
 * server could not start or failed, 2 for a usage error.
 */
#include <stdio.h>

#include "engine/options.h"
#include "engine/server.h"

int main(int argc, char **argv)
{
    struct rill_options opt;
    char err[512] = "";
    int r = rill_options_parse(argc, argv, &opt, err, sizeof(err), stdout);
    if (r == 1)
        return 0;
    if (r < 0) {
        fprintf(stderr, "rilld: %s\n", err);
        return 2;
    }
    return rill_server_run(&opt);
}
