/* clients/jack/jack_autostart.h — the server configuration file's parser
 * (jack_autostart_parse.c), apart from the code that starts rilld so that
 * the fuzz harness (tests/fuzz/fuzz-config.c) runs the same code.
 *
 * Thread: any non-realtime thread; no shared state.
 */
#ifndef RILL_JACK_AUTOSTART_H
#define RILL_JACK_AUTOSTART_H

#include <stddef.h>
#include <stdio.h>

/* words of a command line, the added "-n NAME" and the NULL included */
#define RILL_JACK_MAX_WORDS 64

/* Read the command line of a configuration file: its first line that is
 * neither blank nor a '#' comment, without leading blanks and line end.
 * Returns 1 with the line in line, 0 when f has none, -E2BIG when that line
 * does not fit in size bytes (blank and comment lines may have any length),
 * -EILSEQ when it holds a NUL byte. */
int rill_jack_config_line(FILE *f, char *line, size_t size);

/* Split line into argv (in place, at blanks), dropping any -n/--name NAME
 * before the driver and putting "-n server" after the program, whose path
 * goes into program ($RILL_RILLD for "rilld", else rill's bindir, else the
 * word itself, for PATH). argv has room for RILL_JACK_MAX_WORDS entries.
 * Returns argc, -EINVAL for an empty line or -E2BIG for too many words. */
int rill_jack_server_argv(char *line, const char *server, char **argv, char *program,
                          size_t progsize);

#endif
