/* internal/rill-tone.h — rill-tone's argument parser (internal/rill-tone.c
 * documents the arguments).
 *
 * Thread: the loader's (any non-realtime thread); no shared state.
 */
#ifndef RILL_INTERNAL_TONE_H
#define RILL_INTERNAL_TONE_H

/* Parse load_init (comma- or blank-separated key=value: freq, level,
 * connect) into freq, level and connect, leaving the ones not given as
 * they are. rate bounds freq. Returns 0, or -EINVAL after a message on
 * stderr naming the argument and what is allowed. */
int rill_tone_parse_args(const char *load_init, double rate, double *freq, double *level,
                         double *connect);

#endif
