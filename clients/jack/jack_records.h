/* clients/jack/jack_records.h — the records of a metadata READ reply
 * (rill/protocol.h PROPERTY_READ: per property a u64 subject, three u32
 * lengths, then key\0value\0type\0) as libjack parses them into JACK's
 * descriptions. Outside input: the bytes come from the server. Its own
 * file so that the fuzz harness (tests/fuzz/fuzz-metadata.c) parses with
 * the same code as jack_get_property and friends.
 *
 * Thread: any (no state).
 */
#ifndef RILL_JACK_RECORDS_H
#define RILL_JACK_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(default)
#include <jack/metadata.h>
#pragma GCC visibility pop

/* One record; the strings point into the buffer. */
struct rill_jack_record {
    uint64_t subject;
    const char *key, *value, *type;
};

/* Parse the record at *pos of buf (len bytes): 1 and *pos advanced, 0 at
 * the end, -1 when the bytes are no record (short, a length past the end,
 * a string without its terminator). */
int rill_jack_record_next(const char *buf, size_t len, size_t *pos, struct rill_jack_record *r);

/* Every record of buf into desc (zeroed first; desc->subject is left to
 * the caller): the count, or -1 (broken records or no memory; desc is
 * then empty). */
int rill_jack_records_to_desc(const char *buf, size_t len, jack_description_t *desc);

/* Every record of buf into a malloc'd array of one description per
 * subject, in order of first appearance (*descs NULL when none): the
 * count, or -1 (nothing allocated). */
int rill_jack_records_to_descs(const char *buf, size_t len, jack_description_t **descs);

#endif
