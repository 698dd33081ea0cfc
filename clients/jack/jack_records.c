/* clients/jack/jack_records.c — a metadata READ reply's records into JACK's
 * descriptions (clients/jack/jack_records.h). */
#include "clients/jack/jack_records.h"

#include <stdlib.h>
#include <string.h>

/* Any thread. */
int rill_jack_record_next(const char *buf, size_t len, size_t *pos, struct rill_jack_record *r)
{
    if (*pos >= len)
        return 0;
    uint32_t lens[3];
    if (len - *pos < 20)
        return -1;
    memcpy(&r->subject, buf + *pos, 8);
    memcpy(lens, buf + *pos + 8, sizeof(lens));
    size_t p = *pos + 20;
    const char **s[3] = { &r->key, &r->value, &r->type };
    for (int k = 0; k < 3; k++) {
        if (lens[k] >= len - p || buf[p + lens[k]] != '\0')
            return -1;
        *s[k] = buf + p;
        p += lens[k] + 1;
    }
    *pos = p;
    return 1;
}

/* Append record r to desc (malloc'd copies). 0 or -1. */
static int desc_add(jack_description_t *desc, const struct rill_jack_record *r)
{
    if (desc->property_cnt == desc->property_size) {
        uint32_t cap = desc->property_size ? desc->property_size * 2 : 4;
        jack_property_t *np = realloc(desc->properties, cap * sizeof(*np));
        if (!np)
            return -1;
        desc->properties = np;
        desc->property_size = cap;
    }
    jack_property_t *p = &desc->properties[desc->property_cnt];
    p->key = strdup(r->key);
    p->data = strdup(r->value);
    p->type = r->type[0] ? strdup(r->type) : NULL;
    if (!p->key || !p->data || (r->type[0] && !p->type)) {
        free((char *)p->key);
        free((char *)p->data);
        free((char *)p->type);
        return -1;
    }
    desc->property_cnt++;
    return 0;
}

/* Any thread. */
void jack_free_description(jack_description_t *desc, int free_description_itself)
{
    if (!desc)
        return;
    for (uint32_t i = 0; i < desc->property_cnt; i++) {
        free((char *)desc->properties[i].key);
        free((char *)desc->properties[i].data);
        free((char *)desc->properties[i].type);
    }
    free(desc->properties);
    desc->properties = NULL;
    desc->property_cnt = desc->property_size = 0;
    if (free_description_itself)
        free(desc);
}

/* Any thread. */
int rill_jack_records_to_desc(const char *buf, size_t len, jack_description_t *desc)
{
    jack_uuid_t subject = desc->subject;
    memset(desc, 0, sizeof(*desc));
    desc->subject = subject;
    size_t pos = 0;
    struct rill_jack_record rec;
    int r;
    while ((r = rill_jack_record_next(buf, len, &pos, &rec)) == 1)
        if (desc_add(desc, &rec) < 0) {
            r = -1;
            break;
        }
    if (r < 0) {
        jack_free_description(desc, 0);
        return -1;
    }
    return (int)desc->property_cnt;
}

/* Any thread. */
int rill_jack_records_to_descs(const char *buf, size_t len, jack_description_t **descs)
{
    *descs = NULL;
    jack_description_t *out = NULL;
    uint32_t n = 0, cap = 0;
    size_t pos = 0;
    struct rill_jack_record rec;
    int r;
    while ((r = rill_jack_record_next(buf, len, &pos, &rec)) == 1) {
        uint32_t i;
        for (i = 0; i < n && out[i].subject != rec.subject; i++)
            ;
        if (i == n) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                jack_description_t *nd = realloc(out, cap * sizeof(*nd));
                if (!nd) {
                    r = -1;
                    break;
                }
                out = nd;
            }
            memset(&out[n], 0, sizeof(out[n]));
            out[n++].subject = rec.subject;
        }
        if (desc_add(&out[i], &rec) < 0) {
            r = -1;
            break;
        }
    }
    if (r < 0) {
        for (uint32_t i = 0; i < n; i++)
            jack_free_description(&out[i], 0);
        free(out);
        return -1;
    }
    *descs = out;
    return (int)n;
}
