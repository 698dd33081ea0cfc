/* internal/rill-tone-args.c — rill-tone's arguments (internal/rill-tone.h),
 * apart from the module so that the fuzz harness runs the same parser.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/rill-tone.h"

/* Parse one number of key in [min, max]. Loader's thread. */
static int parse_num(const char *key, const char *v, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= min && d <= max)) {
        fprintf(stderr, "rill-tone: %s=%s is not allowed: use a number from %g to %g\n", key, v,
                min, max);
        return -EINVAL;
    }
    *out = d;
    return 0;
}

/* internal/rill-tone.h. Loader's thread. */
int rill_tone_parse_args(const char *load_init, double rate, double *freq, double *level,
                         double *connect)
{
    char buf[512];
    if (strlen(load_init) >= sizeof(buf)) {
        fprintf(stderr, "rill-tone: the arguments are too long (at most %zu bytes)\n",
                sizeof(buf) - 1);
        return -EINVAL;
    }
    strcpy(buf, load_init);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ", \t", &save); kv; kv = strtok_r(NULL, ", \t", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "rill-tone: '%s' is not key=value (keys: freq, level, connect)\n", kv);
            return -EINVAL;
        }
        *eq = '\0';
        const char *v = eq + 1;
        int r;
        if (strcmp(kv, "freq") == 0)
            r = parse_num("freq", v, 1.0, rate / 2.0, freq);
        else if (strcmp(kv, "level") == 0)
            r = parse_num("level", v, -120.0, 0.0, level);
        else if (strcmp(kv, "connect") == 0)
            r = parse_num("connect", v, 0.0, 256.0, connect);
        else {
            fprintf(stderr, "rill-tone: unknown argument '%s' (keys: freq, level, connect)\n", kv);
            r = -EINVAL;
        }
        if (r < 0)
            return r;
    }
    return 0;
}

