/* clients/alsa/chmap.c — the rill PCM's channel maps (chmap.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/alsa/chmap.h"

static const unsigned int map1[] = { SND_CHMAP_MONO };
static const unsigned int map2[] = { SND_CHMAP_FL, SND_CHMAP_FR };
static const unsigned int map4[] = { SND_CHMAP_FL, SND_CHMAP_FR, SND_CHMAP_RL, SND_CHMAP_RR };
static const unsigned int map6[] = { SND_CHMAP_FL, SND_CHMAP_FR, SND_CHMAP_RL,
                                     SND_CHMAP_RR, SND_CHMAP_FC, SND_CHMAP_LFE };
static const unsigned int map8[] = { SND_CHMAP_FL, SND_CHMAP_FR, SND_CHMAP_RL, SND_CHMAP_RR,
                                     SND_CHMAP_FC, SND_CHMAP_LFE, SND_CHMAP_SL, SND_CHMAP_SR };

static const struct {
    unsigned int channels;
    const unsigned int *pos;
} layouts[] = { { 1, map1 }, { 2, map2 }, { 4, map4 }, { 6, map6 }, { 8, map8 } };

#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

/* Any thread. */
const unsigned int *rill_achmap_layout(unsigned int channels)
{
    for (size_t i = 0; i < NLAYOUTS; i++)
        if (layouts[i].channels == channels)
            return layouts[i].pos;
    return NULL;
}

/* Any thread. */
snd_pcm_chmap_query_t **rill_achmap_query(void)
{
    snd_pcm_chmap_query_t **q = calloc(NLAYOUTS + 1, sizeof(*q));
    if (!q)
        return NULL;
    for (size_t i = 0; i < NLAYOUTS; i++) {
        unsigned int n = layouts[i].channels;
        q[i] = malloc(sizeof(*q[i]) + n * sizeof(unsigned int));
        if (!q[i]) {
            snd_pcm_free_chmaps(q);
            return NULL;
        }
        q[i]->type = n == 1 ? SND_CHMAP_TYPE_FIXED : SND_CHMAP_TYPE_VAR;
        q[i]->map.channels = n;
        memcpy(q[i]->map.pos, layouts[i].pos, n * sizeof(unsigned int));
    }
    return q;
}

/* Any thread. */
void rill_achmap_route_identity(unsigned int channels, uint8_t *route)
{
    for (unsigned int c = 0; c < channels; c++)
        route[c] = (uint8_t)c;
}

/* The layout as text ("FL FR RL RR"), for messages. */
static void layout_text(const unsigned int *pos, unsigned int n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned int i = 0; i < n && used < size; i++) {
        const char *name = snd_pcm_chmap_name((enum snd_pcm_chmap_position)pos[i]);
        int k = snprintf(out + used, size - used, "%s%s", i ? " " : "", name ? name : "?");
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* Any thread. */
int rill_achmap_route(unsigned int channels, const snd_pcm_chmap_t *map, uint8_t *route,
                      char *err, size_t errsize)
{
    const unsigned int *pos = rill_achmap_layout(channels);
    char want[96];
    if (!pos) {
        snprintf(err, errsize,
                 "a stream of %u channels has no channel map (rill has maps for 1, 2, 4, 6 and "
                 "8 channels); its channels go to its ports in order",
                 channels);
        return -ENXIO;
    }
    layout_text(pos, channels, want, sizeof(want));
    if (map->channels != channels) {
        snprintf(err, errsize, "the map has %u channels and the stream %u: give %u positions (%s)",
                 map->channels, channels, channels, want);
        return -EINVAL;
    }
    uint64_t used = 0;
    for (unsigned int c = 0; c < channels; c++) {
        unsigned int p = map->pos[c] & SND_CHMAP_POSITION_MASK;
        unsigned int k = 0;
        while (k < channels && pos[k] != p)
            k++;
        const char *name = snd_pcm_chmap_name((enum snd_pcm_chmap_position)p);
        if (k == channels) {
            snprintf(err, errsize,
                     "channel %u: position %s is not one of a %u-channel stream's (%s)", c + 1,
                     name ? name : "?", channels, want);
            return -EINVAL;
        }
        if (used & (1ull << k)) {
            snprintf(err, errsize, "position %s is in the map twice (a %u-channel stream has %s)",
                     name ? name : "?", channels, want);
            return -EINVAL;
        }
        used |= 1ull << k;
        route[c] = (uint8_t)k;
    }
    return 0;
}

/* Any thread. */
snd_pcm_chmap_t *rill_achmap_current(unsigned int channels, const uint8_t *route)
{
    const unsigned int *pos = rill_achmap_layout(channels);
    if (!pos)
        return NULL;
    snd_pcm_chmap_t *m = malloc(sizeof(*m) + channels * sizeof(unsigned int));
    if (!m)
        return NULL;
    m->channels = channels;
    for (unsigned int c = 0; c < channels; c++)
        m->pos[c] = pos[route[c] < channels ? route[c] : c];
    return m;
}
