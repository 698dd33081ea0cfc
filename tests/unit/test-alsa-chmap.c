/* tests/unit/test-alsa-chmap.c — the ALSA bridge's channel maps
 * (clients/alsa/chmap.h): the layouts, what is offered, the route a map
 * asks for, the map a route gives back, and the refusals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clients/alsa/chmap.h"

/* A map from positions. */
static snd_pcm_chmap_t *mk(unsigned int n, const unsigned int *pos)
{
    snd_pcm_chmap_t *m = malloc(sizeof(*m) + n * sizeof(unsigned int));
    assert_non_null(m);
    m->channels = n;
    memcpy(m->pos, pos, n * sizeof(unsigned int));
    return m;
}

static void test_layouts(void **state)
{
    (void)state;
    const unsigned int *p = rill_achmap_layout(6);
    assert_non_null(p);
    unsigned int want6[] = { SND_CHMAP_FL, SND_CHMAP_FR, SND_CHMAP_RL,
                             SND_CHMAP_RR, SND_CHMAP_FC, SND_CHMAP_LFE };
    assert_memory_equal(p, want6, sizeof(want6));
    assert_int_equal(rill_achmap_layout(1)[0], SND_CHMAP_MONO);
    assert_int_equal(rill_achmap_layout(8)[7], SND_CHMAP_SR);
    for (unsigned int n = 0; n <= 64; n++)
        assert_int_equal(rill_achmap_layout(n) != NULL,
                         n == 1 || n == 2 || n == 4 || n == 6 || n == 8);

    snd_pcm_chmap_query_t **q = rill_achmap_query();
    assert_non_null(q);
    unsigned int count = 0;
    for (snd_pcm_chmap_query_t **e = q; *e; e++, count++) {
        unsigned int n = (*e)->map.channels;
        assert_non_null(rill_achmap_layout(n));
        assert_memory_equal((*e)->map.pos, rill_achmap_layout(n), n * sizeof(unsigned int));
        assert_int_equal((*e)->type, n == 1 ? SND_CHMAP_TYPE_FIXED : SND_CHMAP_TYPE_VAR);
    }
    assert_int_equal(count, 5);
    snd_pcm_free_chmaps(q);
}

static void test_route(void **state)
{
    (void)state;
    char err[256];
    uint8_t route[8];
    /* the WAV/SMPTE order on rill's ALSA order: FC is port 4, LFE 5 ... */
    unsigned int smpte[] = { SND_CHMAP_FL, SND_CHMAP_FR, SND_CHMAP_FC,
                             SND_CHMAP_LFE, SND_CHMAP_RL, SND_CHMAP_RR };
    snd_pcm_chmap_t *m = mk(6, smpte);
    assert_int_equal(rill_achmap_route(6, m, route, err, sizeof(err)), 0);
    uint8_t want[] = { 0, 1, 4, 5, 2, 3 };
    assert_memory_equal(route, want, sizeof(want));
    /* and back */
    snd_pcm_chmap_t *cur = rill_achmap_current(6, route);
    assert_non_null(cur);
    assert_int_equal(cur->channels, 6);
    assert_memory_equal(cur->pos, smpte, sizeof(smpte));
    free(cur);
    free(m);

    /* identity */
    rill_achmap_route_identity(8, route);
    cur = rill_achmap_current(8, route);
    assert_memory_equal(cur->pos, rill_achmap_layout(8), 8 * sizeof(unsigned int));
    free(cur);
    assert_null(rill_achmap_current(3, route));
}

static void test_refusals(void **state)
{
    (void)state;
    char err[256];
    uint8_t route[8];
    unsigned int twice[] = { SND_CHMAP_FL, SND_CHMAP_FL };
    snd_pcm_chmap_t *m = mk(2, twice);
    assert_int_equal(rill_achmap_route(2, m, route, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "FL is in the map twice"));
    assert_non_null(strstr(err, "FL FR"));
    free(m);

    unsigned int side[] = { SND_CHMAP_FL, SND_CHMAP_FR, SND_CHMAP_SL, SND_CHMAP_SR };
    m = mk(4, side);
    assert_int_equal(rill_achmap_route(4, m, route, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "channel 3: position SL is not one of a 4-channel stream's"));
    free(m);

    unsigned int two[] = { SND_CHMAP_FL, SND_CHMAP_FR };
    m = mk(2, two);
    assert_int_equal(rill_achmap_route(6, m, route, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "the map has 2 channels and the stream 6"));
    assert_int_equal(rill_achmap_route(3, m, route, err, sizeof(err)), -ENXIO);
    assert_non_null(strstr(err, "3 channels has no channel map"));
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_route),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
