/* tools/json_out.h — a small streaming JSON writer for the tools' --json
 * output (rillctl ports/clients/status/top). It writes to a FILE as it goes,
 * inserts the commas itself and escapes strings as RFC 8259 asks (control
 * characters, quote and backslash; bytes >= 0x80 pass through, so UTF-8 names
 * stay UTF-8 and invalid bytes are written as \u00XX escapes of their value).
 *
 *   struct rill_json j; rill_json_init(&j, stdout);
 *   rill_json_begin_object(&j, NULL);
 *   rill_json_string(&j, "server", "default");
 *   rill_json_end_object(&j);   then rill_json_finish(&j) writes the newline.
 *
 * Inside an object every value has a key; inside an array keys are NULL.
 * Single-threaded: whichever thread owns the FILE.
 */
#ifndef RILL_JSON_OUT_H
#define RILL_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#define RILL_JSON_MAX_DEPTH 16

struct rill_json {
    FILE *f;
    unsigned depth;
    unsigned char first[RILL_JSON_MAX_DEPTH]; /* 1: no member written yet at that depth */
};

void rill_json_init(struct rill_json *j, FILE *f);
void rill_json_begin_object(struct rill_json *j, const char *key);
void rill_json_end_object(struct rill_json *j);
void rill_json_begin_array(struct rill_json *j, const char *key);
void rill_json_end_array(struct rill_json *j);
void rill_json_string(struct rill_json *j, const char *key, const char *value);
void rill_json_uint(struct rill_json *j, const char *key, uint64_t value);
void rill_json_int(struct rill_json *j, const char *key, int64_t value);
/* Non-finite values are written as null (JSON has no NaN). */
void rill_json_double(struct rill_json *j, const char *key, double value, int decimals);
void rill_json_bool(struct rill_json *j, const char *key, int value);
void rill_json_null(struct rill_json *j, const char *key);
/* Ends the document with a newline and flushes. Returns 0, or -EIO when the
 * FILE reported an error (e.g. a closed pipe). */
int rill_json_finish(struct rill_json *j);

#endif
