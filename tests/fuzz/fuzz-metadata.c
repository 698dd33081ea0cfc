/* tests/fuzz/fuzz-metadata.c — the metadata store's serialised form, both
 * ends: the engine's store (engine/metadata.c) serialises what the input
 * sets into the READ records a client gets, chunk by chunk, and libjack's
 * parser (clients/jack/jack_records.c, what jack_get_property,
 * jack_get_properties and jack_get_all_properties run on a reply) reads
 * them back; then the same parser reads the rest of the input as records
 * a hostile server could send.
 *
 * Input: a byte n of store operations (n % 32), each a kind byte (set,
 * set, remove one key, remove a subject, remove all), a subject byte (% 4,
 * plus 1) and, for set and remove, a key (a length byte % 64 and the
 * bytes), a value (a u16 length % 600) and a type (a length byte % 32);
 * the store is limited to 16 properties and 2 KiB so that it fills up.
 * Then a selection (a byte % 3: one key, a subject, all; a subject byte; a
 * key) and a chunk size (a u16 % RILL_PROPERTY_CHUNK, plus 1); the rest is
 * the hostile reply.
 * Checked: the chunks add up to the announced total; the parsed records
 * are exactly the store's (every key, value and type, each subject once
 * in jack_get_all_properties' form); broken records are refused whole;
 * no crash, leak or sanitizer report.
 */
#include <stdlib.h>
#include <string.h>

#include "clients/jack/jack_records.h"
#include "engine/metadata.h"
#include "rill/protocol.h"
#include "tests/fuzz/fuzz.h"

#define MAX_OPS 32

/* A string of at most max bytes off the input into dst (terminated; an
 * embedded NUL ends it early, as a C string does). */
static void take_string(struct fuzz_in *in, size_t len, char *dst, size_t max)
{
    size_t got;
    const uint8_t *p = fuzz_bytes(in, len < max ? len : max, &got);
    memcpy(dst, p, got);
    dst[got] = '\0';
}

/* The store's property matches the parsed one. */
static void same_property(const struct rill_metadata *md, uint64_t subject,
                          const jack_property_t *p)
{
    FUZZ_ASSERT(p->key && p->data);
    const struct rill_property *sp = rill_metadata_get(md, subject, p->key);
    FUZZ_ASSERT(sp);
    FUZZ_ASSERT(strcmp(sp->value, p->data) == 0);
    if (sp->type[0])
        FUZZ_ASSERT(p->type && strcmp(sp->type, p->type) == 0);
    else
        FUZZ_ASSERT(!p->type);
}

/* Read the selection chunk by chunk, as the engine answers READ; a
 * malloc'd buffer of *len bytes (NULL when empty). */
static char *read_all(const struct rill_metadata *md, uint32_t op, uint64_t subject,
                      const char *key, size_t chunk, size_t *len)
{
    struct rill_metadata_cursor cur;
    memset(&cur, 0, sizeof(cur));
    size_t n, total, have = 0;
    char piece[RILL_PROPERTY_CHUNK];
    FUZZ_ASSERT(rill_metadata_read(md, &cur, op, subject, key, 0, piece, chunk, &n, &total) == 0);
    *len = total;
    if (total == 0) {
        FUZZ_ASSERT(n == 0);
        return NULL;
    }
    char *buf = malloc(total);
    FUZZ_ASSERT(buf);
    for (;;) {
        FUZZ_ASSERT(n > 0 && n <= chunk && n <= total - have);
        memcpy(buf + have, piece, n);
        have += n;
        if (have == total)
            break;
        size_t t2;
        FUZZ_ASSERT(rill_metadata_read(md, &cur, op, subject, key, have, piece, chunk, &n,
                                       &t2) == 0);
        FUZZ_ASSERT(t2 == total);
    }
    return buf;
}

static void free_descs(jack_description_t *d, int n)
{
    for (int i = 0; i < n; i++)
        jack_free_description(&d[i], 0);
    free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in(data, size);
    struct rill_metadata md;
    rill_metadata_init(&md);
    md.max_props = 16;
    md.max_bytes = 2048;
    static char key[64 + 1], value[600 + 1], type[32 + 1];
    unsigned nops = fuzz_u8(&in) % MAX_OPS;
    for (unsigned i = 0; i < nops; i++) {
        uint8_t kind = fuzz_u8(&in) % 5u;
        uint64_t subject = fuzz_u8(&in) % 4u + 1u;
        if (kind == 3) {
            rill_metadata_remove_subject(&md, subject);
            FUZZ_ASSERT(!rill_metadata_read(&md, &(struct rill_metadata_cursor){ 0 },
                                            RILL_PROPERTY_SUBJECT, subject, NULL, 0, value, 1,
                                            &(size_t){ 0 }, &(size_t){ 0 }));
            continue;
        }
        if (kind == 4) {
            rill_metadata_remove_all(&md);
            FUZZ_ASSERT(md.count == 0 && md.bytes == 0);
            continue;
        }
        take_string(&in, fuzz_u8(&in) % 64u, key, 64);
        if (kind == 2) {
            int had = rill_metadata_get(&md, subject, key) != NULL;
            int r = rill_metadata_remove(&md, subject, key);
            FUZZ_ASSERT(had ? r == 0 : r < 0);
            continue;
        }
        take_string(&in, fuzz_u16(&in) % 600u, value, 600);
        take_string(&in, fuzz_u8(&in) % 32u, type, 32);
        int change;
        int r = rill_metadata_set(&md, subject, key, value, type, &change);
        if (r == 0) {
            const struct rill_property *p = rill_metadata_get(&md, subject, key);
            FUZZ_ASSERT(p && strcmp(p->value, value) == 0 && strcmp(p->type, type) == 0);
        }
        FUZZ_ASSERT(md.count <= md.max_props && md.bytes <= md.max_bytes);
    }

    /* the store's records, read back as libjack reads them */
    uint32_t op = fuzz_u8(&in) % 3u;
    uint64_t subject = fuzz_u8(&in) % 4u + 1u;
    take_string(&in, fuzz_u8(&in) % 64u, key, 64);
    size_t chunk = fuzz_u16(&in) % RILL_PROPERTY_CHUNK + 1u;
    size_t len;
    char *buf = read_all(&md, op, subject, key, chunk, &len);
    if (op == RILL_PROPERTY_ONE) {
        struct rill_jack_record rec;
        size_t pos = 0;
        const struct rill_property *p = rill_metadata_get(&md, subject, key);
        int r = rill_jack_record_next(buf, len, &pos, &rec);
        FUZZ_ASSERT(r == (p ? 1 : 0));
        if (p) {
            FUZZ_ASSERT(rec.subject == subject && strcmp(rec.key, key) == 0 &&
                        strcmp(rec.value, p->value) == 0 && strcmp(rec.type, p->type) == 0);
            FUZZ_ASSERT(rill_jack_record_next(buf, len, &pos, &rec) == 0);
        }
    } else if (op == RILL_PROPERTY_SUBJECT) {
        jack_description_t desc = { .subject = subject };
        int n = rill_jack_records_to_desc(buf, len, &desc);
        size_t want = 0;
        for (size_t i = 0; i < md.count; i++)
            want += md.props[i].subject == subject;
        FUZZ_ASSERT(n >= 0 && (size_t)n == want);
        for (int i = 0; i < n; i++)
            same_property(&md, subject, &desc.properties[i]);
        jack_free_description(&desc, 0);
    } else {
        jack_description_t *descs;
        int n = rill_jack_records_to_descs(buf, len, &descs);
        FUZZ_ASSERT(n >= 0);
        size_t props = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < i; k++)
                FUZZ_ASSERT(descs[k].subject != descs[i].subject);
            for (uint32_t j = 0; j < descs[i].property_cnt; j++)
                same_property(&md, descs[i].subject, &descs[i].properties[j]);
            props += descs[i].property_cnt;
        }
        FUZZ_ASSERT(props == md.count);
        free_descs(descs, n);
    }
    free(buf);
    rill_metadata_clear(&md);

    /* the rest: a reply from a hostile server */
    size_t rest = in.n;
    const char *raw = (const char *)in.p;
    jack_description_t desc = { .subject = 7 };
    int n = rill_jack_records_to_desc(raw, rest, &desc);
    FUZZ_ASSERT(n == -1 ? desc.property_cnt == 0 && !desc.properties
                        : (uint32_t)n == desc.property_cnt);
    FUZZ_ASSERT(desc.subject == 7);
    for (int i = 0; i < n; i++)
        FUZZ_ASSERT(desc.properties[i].key && desc.properties[i].data &&
                    strlen(desc.properties[i].key) < rest);
    jack_free_description(&desc, 0);
    jack_description_t *descs;
    int m = rill_jack_records_to_descs(raw, rest, &descs);
    FUZZ_ASSERT(m == -1 ? !descs : (m == 0) == !descs);
    FUZZ_ASSERT(m == -1 || n >= m); /* the same records, grouped */
    if (m > 0)
        free_descs(descs, m);
    return 0;
}
