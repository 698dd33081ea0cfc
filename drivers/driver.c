/* drivers/driver.c — the table of compiled-in drivers, and the parsing and
 * help of their self-describing parameters (see drivers/driver.h).
 *
 * Option syntax, as jackd's driver options:
 *   -x VALUE   -xVALUE   --name VALUE   --name=VALUE
 * BOOL parameters take no value, and short BOOL flags may be grouped
 * (`-ab`, as getopt does). `-h` / `--help` prints the generated help.
 * Numbers are decimal only: no sign, no spaces, no trailing junk.
 *
 * Everything here runs on the main thread (or any thread: no state).
 */
#include "drivers/driver.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

extern const struct rill_driver_ops rill_driver_dummy;
extern const struct rill_driver_ops rill_driver_alsa;
extern const struct rill_driver_ops rill_driver_net;

/* Every driver compiled in, NULL-terminated. The first one is the default
 * rilld falls back to when none is named. */
const struct rill_driver_ops *const rill_drivers[] = {
    &rill_driver_alsa,
    &rill_driver_dummy,
    &rill_driver_net,
    NULL,
};

/* Any thread. */
const struct rill_driver_ops *rill_driver_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; rill_drivers[i]; i++)
        if (strcmp(rill_drivers[i]->name, name) == 0)
            return rill_drivers[i];
    return NULL;
}

/* Number of usable entries of the table: nparams, cut at the first entry
 * whose name is NULL. Any thread. */
static size_t param_count(const struct rill_driver_ops *ops)
{
    size_t n = 0;

    if (!ops->params)
        return 0;
    while (n < ops->nparams && ops->params[n].name)
        n++;
    return n;
}

/* Any thread. */
int rill_driver_param_index(const struct rill_driver_ops *ops, const char *name)
{
    if (!ops || !name)
        return -1;
    size_t n = param_count(ops);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ops->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Append the choices of an ENUM parameter, ", "-separated, to buf (always
 * NUL-terminated, truncated if needed). Any thread. */
static void list_choices(const struct rill_param *p, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    if (!p->choices)
        return;
    for (size_t i = 0; p->choices[i]; i++) {
        int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", p->choices[i]);
        if (n < 0 || (size_t)n >= size - len)
            return; /* truncated: buf stays terminated */
        len += (size_t)n;
    }
}

/* "what would be right", for error messages: "a number from 8000 to 384000",
 * "a power of two from 16 to 8192", "one of a, b". Any thread. */
static void describe_allowed(const struct rill_param *p, char *buf, size_t size)
{
    char choices[256];

    switch (p->type) {
    case RILL_PARAM_UINT:
        snprintf(buf, size, "%s from %u to %u", p->pow2 ? "a power of two" : "a number",
                 p->min, p->max);
        break;
    case RILL_PARAM_ENUM:
        list_choices(p, choices, sizeof choices);
        snprintf(buf, size, "one of %s", choices);
        break;
    case RILL_PARAM_STRING:
        snprintf(buf, size, "some text");
        break;
    case RILL_PARAM_BOOL:
    default:
        snprintf(buf, size, "no value");
        break;
    }
}

/* Parse a decimal unsigned 32-bit number: digits only, no sign, no junk.
 * Returns 0, -EINVAL (not a number) or -ERANGE (does not fit). Any thread. */
static int parse_u32(const char *s, uint32_t *out)
{
    uint32_t v = 0;

    if (!s || !*s)
        return -EINVAL;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return -EINVAL;
        uint32_t d = (uint32_t)(*c - '0');
        if (v > (UINT32_MAX - d) / 10u)
            return -ERANGE;
        v = v * 10u + d;
    }
    *out = v;
    return 0;
}

/* Check and store one value of parameter p. text is kept by pointer (it
 * points into argv or into the table's default). Any thread. */
static int set_value(const struct rill_param *p, const char *text, struct rill_param_value *v,
                     char *err, size_t errsize)
{
    char allowed[320];
    uint32_t u = 0;
    int r;

    describe_allowed(p, allowed, sizeof allowed);
    switch (p->type) {
    case RILL_PARAM_UINT:
        r = parse_u32(text, &u);
        if (r == -EINVAL) {
            rill_errf(err, errsize, 0, "%s '%s' is not a number: use %s (decimal digits only)",
                      p->name, text, allowed);
            return -EINVAL;
        }
        if (r == -ERANGE) {
            rill_errf(err, errsize, 0, "%s %s is too large: use %s", p->name, text, allowed);
            return -EINVAL;
        }
        if (u < p->min || u > p->max || (p->pow2 && (u == 0 || (u & (u - 1u)) != 0))) {
            rill_errf(err, errsize, 0, "%s %u is not allowed: use %s", p->name, u, allowed);
            return -EINVAL;
        }
        v->u = u;
        v->s = text;
        return 0;
    case RILL_PARAM_ENUM:
        for (uint32_t i = 0; p->choices && p->choices[i]; i++) {
            if (strcmp(p->choices[i], text) == 0) {
                v->u = i;
                v->s = text;
                return 0;
            }
        }
        rill_errf(err, errsize, 0, "%s '%s' is not allowed: use %s", p->name, text, allowed);
        return -EINVAL;
    case RILL_PARAM_STRING:
        v->s = text;
        return 0;
    case RILL_PARAM_BOOL:
        /* only defaults come here: "1"/"0" */
        if (strcmp(text, "1") == 0 || strcmp(text, "0") == 0) {
            v->u = text[0] == '1';
            v->s = NULL;
            return 0;
        }
        rill_errf(err, errsize, 0, "%s '%s' is not allowed: a flag's default is 0 or 1", p->name,
                  text);
        return -EINVAL;
    }
    rill_errf(err, errsize, 0, "%s has an unknown parameter type %d", p->name, (int)p->type);
    return -EINVAL;
}

/* Index of the parameter whose short option is c, or -1. Any thread. */
static int find_short(const struct rill_driver_ops *ops, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (ops->params[i].short_opt && ops->params[i].short_opt == c)
            return (int)i;
    return -1;
}

/* Index of the parameter with long name name[0..len), or -1. Any thread. */
static int find_long(const struct rill_driver_ops *ops, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(ops->params[i].name) == len && memcmp(ops->params[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* "option '-r' (rate) of driver dummy needs a value: ...". Any thread. */
static void err_missing(const struct rill_driver_ops *ops, const struct rill_param *p,
                        const char *given, char *err, size_t errsize)
{
    char allowed[320];

    describe_allowed(p, allowed, sizeof allowed);
    rill_errf(err, errsize, 0, "option '%s' (%s) of driver %s needs a value: %s", given, p->name,
              ops->name, allowed);
}

/* "unknown option '--foo' for driver dummy; see ...". Any thread. */
static void err_unknown(const struct rill_driver_ops *ops, const char *opt, size_t len,
                        char *err, size_t errsize)
{
    rill_errf(err, errsize, 0, "unknown option '%.*s' for driver %s; see rilld -d %s --help",
              (int)len, opt, ops->name, ops->name);
}

/* Parse one word of short options starting at argv[*i] ("-r48000", "-r",
 * "-ab"). May consume the next word as the value. Returns 0, 1 (help) or
 * -EINVAL. Main thread. */
static int parse_short(const struct rill_driver_ops *ops, size_t n, int argc,
                       char *const *argv, int *i, struct rill_driver_config *cfg, char *err,
                       size_t errsize)
{
    const char *word = argv[*i];

    if (word[1] == '\0') {
        err_unknown(ops, word, strlen(word), err, errsize);
        return -EINVAL;
    }
    for (size_t pos = 1; word[pos]; pos++) {
        char c = word[pos];
        char opt[3] = { '-', c, '\0' };
        if (c == 'h')
            return 1;
        int k = find_short(ops, n, c);
        if (k < 0) {
            err_unknown(ops, opt, 2, err, errsize);
            return -EINVAL;
        }
        const struct rill_param *p = &ops->params[k];
        struct rill_param_value *v = &cfg->v[k];
        if (p->type == RILL_PARAM_BOOL) {
            v->u = 1;
            v->s = NULL;
            v->set = 1;
            continue; /* grouped flags: "-ab" */
        }
        const char *val;
        if (word[pos + 1]) {
            val = &word[pos + 1];
        } else if (p->optional && (*i + 1 >= argc || !argv[*i + 1] || argv[*i + 1][0] == '-')) {
            val = ""; /* optional value left out */
        } else if (*i + 1 < argc && argv[*i + 1]) {
            val = argv[++*i];
        } else {
            err_missing(ops, p, opt, err, errsize);
            return -EINVAL;
        }
        int r = set_value(p, val, v, err, errsize);
        if (r < 0)
            return r;
        v->set = 1;
        return 0;
    }
    return 0;
}

/* Parse one long option at argv[*i] ("--rate", "--rate=48000"). May consume
 * the next word. Returns 0, 1 (help) or -EINVAL. Main thread. */
static int parse_long(const struct rill_driver_ops *ops, size_t n, int argc, char *const *argv,
                      int *i, struct rill_driver_config *cfg, char *err, size_t errsize)
{
    const char *word = argv[*i];
    const char *name = word + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    size_t optlen = len + 2;

    if (len == 4 && memcmp(name, "help", 4) == 0 && !eq)
        return 1;
    int k = len ? find_long(ops, n, name, len) : -1;
    if (k < 0) {
        err_unknown(ops, word, optlen, err, errsize);
        return -EINVAL;
    }
    const struct rill_param *p = &ops->params[k];
    struct rill_param_value *v = &cfg->v[k];
    if (p->type == RILL_PARAM_BOOL) {
        if (eq) {
            rill_errf(err, errsize, 0,
                      "option '--%s' of driver %s is a flag and takes no value "
                      "(got '%s'): write just --%s",
                      p->name, ops->name, eq + 1, p->name);
            return -EINVAL;
        }
        v->u = 1;
        v->s = NULL;
        v->set = 1;
        return 0;
    }
    const char *val;
    if (eq) {
        val = eq + 1;
    } else if (p->optional && (*i + 1 >= argc || !argv[*i + 1] || argv[*i + 1][0] == '-')) {
        val = ""; /* optional value left out */
    } else if (*i + 1 < argc && argv[*i + 1]) {
        val = argv[++*i];
    } else {
        err_missing(ops, p, word, err, errsize);
        return -EINVAL;
    }
    int r = set_value(p, val, v, err, errsize);
    if (r < 0)
        return r;
    v->set = 1;
    return 0;
}

/* Main thread. Values of STRING (and the text of every value) point into argv
 * or into the table's defaults: keep argv alive as long as cfg is used. */
int rill_driver_params_parse(const struct rill_driver_ops *ops, int argc, char *const *argv,
                             struct rill_driver_config *cfg, char *err, size_t errsize,
                             void *out)
{
    int r;

    if (err && errsize)
        err[0] = '\0';
    if (!ops || !cfg || argc < 0 || (argc > 0 && !argv)) {
        rill_errf(err, errsize, 0, "driver parameters: missing driver, config or argv");
        return -EINVAL;
    }
    size_t n = param_count(ops);
    if (n > RILL_DRIVER_MAX_PARAMS) {
        rill_errf(err, errsize, 0, "driver %s has %zu parameters; at most %u are supported",
                  ops->name, n, RILL_DRIVER_MAX_PARAMS);
        return -EINVAL;
    }

    memset(cfg, 0, sizeof *cfg);
    for (size_t k = 0; k < n; k++) {
        const struct rill_param *p = &ops->params[k];
        if (!p->def)
            continue;
        r = set_value(p, p->def, &cfg->v[k], err, errsize);
        if (r < 0) {
            char why[256];
            snprintf(why, sizeof why, "%s", err ? err : "");
            rill_errf(err, errsize, 0, "driver %s: the default of --%s is invalid (%s)", ops->name,
                      p->name, why);
            return r;
        }
    }

    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        if (!word) /* tolerate a NULL-terminated argv shorter than argc */
            break;
        if (word[0] != '-') {
            rill_errf(err, errsize, 0,
                      "unexpected word '%s' for driver %s: options start with "
                      "- or --; see rilld -d %s --help",
                      word, ops->name, ops->name);
            return -EINVAL;
        }
        if (word[1] == '-')
            r = parse_long(ops, n, argc, argv, &i, cfg, err, errsize);
        else
            r = parse_short(ops, n, argc, argv, &i, cfg, err, errsize);
        if (r < 0)
            return r;
        if (r == 1) {
            rill_driver_params_help(ops, out);
            return 1;
        }
    }
    return 0;
}

/* The left column of a help line: "  -r, --rate NUM". Any thread. */
static void help_left(const struct rill_param *p, char *buf, size_t size)
{
    const char *meta = "";

    switch (p->type) {
    case RILL_PARAM_UINT: meta = " NUM"; break;
    case RILL_PARAM_STRING: meta = p->optional ? " [TEXT]" : " TEXT"; break;
    case RILL_PARAM_ENUM: meta = " WORD"; break;
    case RILL_PARAM_BOOL: meta = ""; break;
    }
    if (p->short_opt)
        snprintf(buf, size, "  -%c, --%s%s", p->short_opt, p->name, meta);
    else
        snprintf(buf, size, "      --%s%s", p->name, meta);
}

/* Main thread (writes to a FILE *). */
void rill_driver_params_help(const struct rill_driver_ops *ops, void *out)
{
    FILE *f = out ? (FILE *)out : stdout;
    char left[128];
    char choices[256];
    int width = (int)strlen("  -h, --help");

    if (!ops)
        return;
    size_t n = param_count(ops);
    for (size_t k = 0; k < n; k++) {
        help_left(&ops->params[k], left, sizeof left);
        if ((int)strlen(left) > width)
            width = (int)strlen(left);
    }
    width += 2;

    fprintf(f, "Parameters of driver %s (%s):\n", ops->name,
            ops->description ? ops->description : "no description");
    for (size_t k = 0; k < n; k++) {
        const struct rill_param *p = &ops->params[k];
        help_left(p, left, sizeof left);
        fprintf(f, "%-*s%s", width, left, p->help ? p->help : "");
        switch (p->type) {
        case RILL_PARAM_UINT:
            fprintf(f, ", %s%u..%u", p->pow2 ? "power of two, " : "", p->min, p->max);
            break;
        case RILL_PARAM_ENUM:
            list_choices(p, choices, sizeof choices);
            fprintf(f, ", one of: %s", choices);
            break;
        case RILL_PARAM_STRING:
        case RILL_PARAM_BOOL:
            break;
        }
        if (p->def && p->type == RILL_PARAM_BOOL)
            fprintf(f, " (default: %s)", strcmp(p->def, "1") == 0 ? "on" : "off");
        else if (p->def)
            fprintf(f, " (default: %s)", p->def);
        fputc('\n', f);
    }
    fprintf(f, "%-*s%s\n", width, "  -h, --help", "show this help");
}
