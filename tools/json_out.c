/* tools/json_out.c — see json_out.h. */
#include "tools/json_out.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Whoever owns j. */
void rill_json_init(struct rill_json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->first[0] = 1;
}

/* Whoever owns j: write s as a JSON string literal. */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* Whoever owns j: the comma and the key before a value. */
static void member(struct rill_json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = 0;
    if (key) {
        put_string(j->f, key);
        fputc(':', j->f);
    }
}

/* Whoever owns j. */
static void open_level(struct rill_json *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->f);
    if (j->depth + 1 < RILL_JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = 1;
}

/* Whoever owns j. */
static void close_level(struct rill_json *j, char c)
{
    fputc(c, j->f);
    if (j->depth > 0)
        j->depth--;
}

void rill_json_begin_object(struct rill_json *j, const char *key) { open_level(j, key, '{'); }
void rill_json_end_object(struct rill_json *j) { close_level(j, '}'); }
void rill_json_begin_array(struct rill_json *j, const char *key) { open_level(j, key, '['); }
void rill_json_end_array(struct rill_json *j) { close_level(j, ']'); }

/* Whoever owns j. */
void rill_json_string(struct rill_json *j, const char *key, const char *value)
{
    member(j, key);
    if (value)
        put_string(j->f, value);
    else
        fputs("null", j->f);
}

/* Whoever owns j. */
void rill_json_uint(struct rill_json *j, const char *key, uint64_t value)
{
    member(j, key);
    fprintf(j->f, "%llu", (unsigned long long)value);
}

/* Whoever owns j. */
void rill_json_int(struct rill_json *j, const char *key, int64_t value)
{
    member(j, key);
    fprintf(j->f, "%lld", (long long)value);
}

/* Whoever owns j. */
void rill_json_double(struct rill_json *j, const char *key, double value, int decimals)
{
    member(j, key);
    if (isfinite(value))
        fprintf(j->f, "%.*f", decimals, value);
    else
        fputs("null", j->f);
}

/* Whoever owns j. */
void rill_json_bool(struct rill_json *j, const char *key, int value)
{
    member(j, key);
    fputs(value ? "true" : "false", j->f);
}

/* Whoever owns j. */
void rill_json_null(struct rill_json *j, const char *key)
{
    member(j, key);
    fputs("null", j->f);
}

/* Whoever owns j. */
int rill_json_finish(struct rill_json *j)
{
    fputc('\n', j->f);
    if (fflush(j->f) != 0 || ferror(j->f))
        return -EIO;
    return 0;
}
