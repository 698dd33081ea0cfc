/* clients/alsa/conf.c — plugin arguments (conf.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/alsa/conf.h"

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t size,
                                                          const char *fmt, ...)
{
    if (!err || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

/* Any thread. */
void rill_alsa_conf_init(struct rill_alsa_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->latency_ms = RILL_ALSA_LATENCY_MAX_MS;
}

/* Any thread. */
int rill_alsa_conf_latency(const char *text, unsigned int *ms)
{
    if (!text || !text[0])
        return 0; /* default kept */
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > (long)RILL_ALSA_LATENCY_MAX_MS)
        return -EINVAL;
    *ms = (unsigned int)v;
    return 0;
}

/* Copy a string value into dst (size bytes), -ENAMETOOLONG when it does
 * not fit. */
static int copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        return -ENAMETOOLONG;
    memcpy(dst, src, n + 1);
    return 0;
}

/* Store one string field. */
static int store_field(struct rill_alsa_conf *c, const char *id, const char *val,
                       const char *what, char *err, size_t errsize)
{
    int r = 0;
    size_t max = 0;
    if (strcmp(id, "server") == 0) {
        r = copy_str(c->server, sizeof(c->server), val);
        max = sizeof(c->server) - 1;
    } else if (strcmp(id, "name") == 0) {
        r = copy_str(c->name, sizeof(c->name), val);
        max = sizeof(c->name) - 1;
    } else if (strcmp(id, "target") == 0) {
        r = copy_str(c->target, sizeof(c->target), val);
        max = sizeof(c->target) - 1;
    } else if (strcmp(id, "latency") == 0) {
        if (rill_alsa_conf_latency(val, &c->latency_ms) < 0) {
            set_err(err, errsize,
                    "%s: latency '%.40s' is not a whole number of milliseconds from 1 to %u",
                    what, val, RILL_ALSA_LATENCY_MAX_MS);
            return -EINVAL;
        }
        return 0;
    }
    if (r < 0) {
        set_err(err, errsize, "%s: %s '%.40s...' is %zu bytes; at most %zu are allowed", what, id,
                val, strlen(val), max);
        return -EINVAL;
    }
    return 0;
}

/* Any thread. */
int rill_alsa_conf_parse(snd_config_t *conf, const char *what, struct rill_alsa_conf *c,
                         char *err, size_t errsize)
{
    if (!conf)
        return 0;
    if (!what)
        what = "rill";
    if (snd_config_get_type(conf) != SND_CONFIG_TYPE_COMPOUND) {
        set_err(err, errsize, "%s: the definition must be a compound { ... }", what);
        return -EINVAL;
    }
    snd_config_iterator_t i, next;
    snd_config_for_each(i, next, conf) {
        snd_config_t *n = snd_config_iterator_entry(i);
        const char *id;
        if (snd_config_get_id(n, &id) < 0 || !id)
            continue;
        if (strcmp(id, "comment") == 0 || strcmp(id, "type") == 0 || strcmp(id, "hint") == 0)
            continue;
        if (strcmp(id, "server") && strcmp(id, "name") && strcmp(id, "target") &&
            strcmp(id, "latency")) {
            set_err(err, errsize,
                    "%s: unknown field '%.40s'; the rill plugin knows server, name, target "
                    "and latency",
                    what, id);
            return -EINVAL;
        }
        char buf[32];
        const char *val = NULL;
        long lv;
        long long llv;
        switch (snd_config_get_type(n)) {
        case SND_CONFIG_TYPE_STRING:
            if (snd_config_get_string(n, &val) < 0 || !val)
                val = "";
            break;
        case SND_CONFIG_TYPE_INTEGER:
            if (snd_config_get_integer(n, &lv) < 0)
                lv = 0;
            snprintf(buf, sizeof(buf), "%ld", lv);
            val = buf;
            break;
        case SND_CONFIG_TYPE_INTEGER64:
            if (snd_config_get_integer64(n, &llv) < 0)
                llv = 0;
            snprintf(buf, sizeof(buf), "%lld", llv);
            val = buf;
            break;
        default:
            set_err(err, errsize, "%s: field '%s' must be a string%s", what, id,
                    strcmp(id, "latency") == 0 ? " or an integer" : "");
            return -EINVAL;
        }
        if (store_field(c, id, val, what, err, errsize) < 0)
            return -EINVAL;
    }
    return 0;
}

/* Any thread. */
int rill_alsa_conf_env(struct rill_alsa_conf *c, char *err, size_t errsize)
{
    static const struct {
        const char *var, *field;
    } map[] = { { "RILL_ALSA_SERVER", "server" },
                { "RILL_ALSA_NAME", "name" },
                { "RILL_ALSA_TARGET", "target" },
                { "RILL_ALSA_LATENCY", "latency" } };
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        const char *v = getenv(map[k].var);
        if (!v || !v[0])
            continue;
        if (store_field(c, map[k].field, v, map[k].var, err, errsize) < 0)
            return -EINVAL;
    }
    return 0;
}
