/* engine/main.c — rilld: parse the command line and run the server.
 *
 *   rilld [server options] -d DRIVER [driver options]
 *   rilld --from-config [-n NAME]
 *
 * --from-config takes the command line from rill's configuration file, the
 * one a server started on demand uses (common/server_config.h), without its
 * -T: the systemd user unit runs this, so that a login service and an
 * on-demand server start the same way, and the service stays up.
 *
 * Exit status: 0 after a clean stop (SIGINT/SIGTERM) or --help, 1 when the
 * server could not start or failed, 2 for a usage error. Main thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/server_config.h"
#include "engine/options.h"
#include "engine/server.h"
#include "rill/paths.h"

/* Main thread: replace argc/argv with the configuration file's command
 * line. Returns 0, or 2 with a message printed. */
static int from_config(int *argc, char ***argv)
{
    static char line[1024];
    static char *words[RILL_SERVER_CONFIG_MAX_WORDS];
    char from[512], shown[1024], program[512];
    const char *name = NULL;
    for (int i = 2; i < *argc; i++) {
        if ((strcmp((*argv)[i], "-n") == 0 || strcmp((*argv)[i], "--name") == 0) &&
            i + 1 < *argc) {
            name = (*argv)[++i];
        } else {
            fprintf(stderr, "rilld: --from-config takes only -n NAME, not '%s' (the rest of "
                            "the command line comes from the configuration file)\n",
                    (*argv)[i]);
            return 2;
        }
    }
    if (name && rill_server_name_check(name) < 0) {
        fprintf(stderr, "rilld: server name '%s' is not allowed: use 1 to 63 letters, "
                        "digits, '.', '_' or '-', not starting with '.'\n",
                name);
        return 2;
    }
    int file = rill_server_config_line(line, sizeof line, from, sizeof from);
    if (file < 0) {
        char why[768];
        rill_server_config_error(file, from, sizeof line, why, sizeof why);
        fprintf(stderr, "rilld: %s\n", why);
        return 2;
    }
    snprintf(shown, sizeof shown, "%s", line);
    int n = rill_server_config_argv(line, rill_server_name(name), 1, words, program,
                                    sizeof program);
    if (n < 0) {
        fprintf(stderr, "rilld: the command line '%s' in %s is %s\n", shown, from,
                n == -E2BIG ? "too long" : "empty");
        return 2;
    }
    fprintf(stderr, "rilld: starting as '%s' (%s%s)\n", shown,
            file ? "from " : "rill's default: no configuration file", file ? from : "");
    *argc = n;
    *argv = words;
    return 0;
}

int main(int argc, char **argv)
{
    struct rill_options opt;
    char err[512] = "";
    if (argc >= 2 && strcmp(argv[1], "--from-config") == 0) {
        int r = from_config(&argc, &argv);
        if (r)
            return r;
    }
    int r = rill_options_parse(argc, argv, &opt, err, sizeof(err), stdout);
    if (r == 1)
        return 0;
    if (r < 0) {
        fprintf(stderr, "rilld: %s\n", err);
        return 2;
    }
    /* internal clients run in this process, and the JACK calls that take
     * no client (jack_get_property, ...) reach the server named by
     * JACK_DEFAULT_SERVER: this one. Set while no other thread exists. */
    if (setenv("JACK_DEFAULT_SERVER", opt.name, 1) < 0)
        fprintf(stderr, "rilld: warning: cannot set JACK_DEFAULT_SERVER: %s\n", strerror(errno));
    return rill_server_run(&opt);
}
