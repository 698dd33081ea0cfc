/* clients/alsa/chmap.h — the rill PCM's channel maps.
 *
 * A stream's ports are the positions of ALSA's usual layout for its
 * channel count, in that order (the order of a card's channels, so that
 * playback_N connected to system:playback_N reaches the right speaker):
 *
 *   1  MONO
 *   2  FL FR
 *   4  FL FR RL RR
 *   6  FL FR RL RR FC LFE
 *   8  FL FR RL RR FC LFE SL SR
 *
 * Other counts have no map (snd_pcm_get_chmap returns NULL, set fails with
 * -ENXIO). A program may set any order of the layout's positions
 * (snd_pcm_set_chmap; the maps are offered as SND_CHMAP_TYPE_VAR): its
 * channel c then goes to (or comes from) the port of position map->pos[c].
 * That routing is `route`: route[c] = the port index of program channel c.
 *
 * Pure functions of their arguments; any thread (none is for the realtime
 * side, which only reads the route of its stream).
 */
#ifndef RILL_ALSA_CHMAP_H
#define RILL_ALSA_CHMAP_H

#include <alsa/asoundlib.h>
#include <stddef.h>
#include <stdint.h>

/* The layout of a channel count (positions SND_CHMAP_*), or NULL. */
const unsigned int *rill_achmap_layout(unsigned int channels);
/* The offered maps, as snd_pcm_query_chmaps returns them (freed with
 * snd_pcm_free_chmaps), or NULL when out of memory. */
snd_pcm_chmap_query_t **rill_achmap_query(void);
/* The identity route of channels (c -> c). */
void rill_achmap_route_identity(unsigned int channels, uint8_t *route);
/* The route that map asks for, for a stream of channels: 0, or -ENXIO (no
 * layout for that count), -EINVAL (another count, or a position that is not
 * the layout's or is there twice); err says which and what would do. */
int rill_achmap_route(unsigned int channels, const snd_pcm_chmap_t *map, uint8_t *route,
                      char *err, size_t errsize);
/* The map of a stream with this route (malloc'ed, for snd_pcm_get_chmap),
 * or NULL (no layout, or out of memory). */
snd_pcm_chmap_t *rill_achmap_current(unsigned int channels, const uint8_t *route);

#endif
