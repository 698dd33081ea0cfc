/* common/server_config.h — the server command line that rill reads from its
 * configuration file, for a server that libjack starts on demand
 * (clients/jack/jack_autostart.c) and for `rilld --from-config` (the systemd
 * user unit).
 *
 * The file is the first of these that exists and holds a command line:
 *   $RILL_SERVER_CONFIG                     (a file; for tests and packagers)
 *   $XDG_CONFIG_HOME/rill/rilld.conf        (default ~/.config/rill/rilld.conf)
 *   /etc/rill/rilld.conf
 * Its first line that is neither blank nor a '#' comment is a rilld command
 * line, words separated by blanks, e.g. `rilld -T -d alsa -d hw:0 -p 128`.
 * Without one: `rilld -T -d alsa` when the machine has a sound card, else
 * `rilld -T -d dummy`.
 *
 * Thread: any non-realtime thread (they read files and the environment).
 */
#ifndef RILL_COMMON_SERVER_CONFIG_H
#define RILL_COMMON_SERVER_CONFIG_H

#include <stddef.h>

#define RILL_SERVER_CONFIG_MAX_WORDS 64

/* The command line into line (size bytes) and the file it came from into
 * from ("" when it is the built-in default). Returns 1 from a file, 0 the
 * default. */
int rill_server_config_line(char *line, size_t size, char *from, size_t fromsize);

/* Split line into argv in place (at most RILL_SERVER_CONFIG_MAX_WORDS
 * entries with the NULL), dropping any -n/--name and its value before the
 * driver and putting "-n server" after the program word; with
 * drop_temporary, -T/--temporary go too. The program to execute goes into
 * program: a first word with '/' as it is, else $RILL_RILLD (for "rilld"),
 * rill's bindir, or the word for a PATH search. Returns argc, -EINVAL for an
 * empty line or -E2BIG for too many words. */
int rill_server_config_argv(char *line, const char *server, int drop_temporary, char **argv,
                            char *program, size_t progsize);

#endif
