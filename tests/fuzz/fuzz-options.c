/* tests/fuzz/fuzz-options.c — rilld's command line: the server options
 * (engine/options.c) and every driver's parameters (drivers/driver.c,
 * rill_driver_params_parse, for each driver compiled in).
 *
 * Input: the words of a command line, separated by '\0' (at most 64; each
 * in a heap block of exactly its size, so that ASan sees a read past its
 * end). The first byte chooses what parses them: 0 rilld's parser (argv[0]
 * is "rilld"), k > 0 driver k % (number of drivers) alone.
 * Checked: a refusal says why (err is not empty); an acceptance gives a
 * driver and values in their documented ranges (the raw MIDI bridge's
 * devices, --midi-raw, also survive the trip to the bridges' argument); --help prints to a stream
 * that is thrown away. The ALSA driver's parameters go on through its own
 * validation (rill_alsa_config_from_params), as its open does, which must
 * leave terminated device names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/alsa/alsa_priv.h"
#include "drivers/driver.h"
#include "engine/options.h"
#include "rill/limits.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 64

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    devnull = fopen("/dev/null", "we");
    /* the default server name comes from the environment: make it fixed */
    unsetenv("JACK_DEFAULT_SERVER");
    return 0;
}

/* What the ALSA driver's open does first with its parameters. */
static void alsa_config(const struct rill_driver_ops *ops, const struct rill_driver_config *cfg)
{
    if (strcmp(ops->name, "alsa") != 0)
        return;
    struct rill_alsa_config ac;
    char err[512] = "";
    if (rill_alsa_config_from_params(cfg, &ac, err, sizeof(err)) < 0) {
        FUZZ_ASSERT(err[0]);
        return;
    }
    FUZZ_ASSERT(memchr(ac.capture_dev, '\0', sizeof(ac.capture_dev)));
    FUZZ_ASSERT(memchr(ac.playback_dev, '\0', sizeof(ac.playback_dev)));
}

/* Every accepted value within what the option promises. */
static void check_driver_cfg(const struct rill_driver_ops *ops, const struct rill_driver_config *cfg)
{
    for (size_t k = 0; ops->params[k].name; k++) {
        const struct rill_param *p = &ops->params[k];
        const struct rill_param_value *v = &cfg->v[k];
        if (!v->set && !p->def)
            continue;
        if (p->type == RILL_PARAM_UINT) {
            FUZZ_ASSERT(v->u >= p->min && v->u <= p->max);
            if (p->pow2)
                FUZZ_ASSERT(v->u && !(v->u & (v->u - 1)));
        } else if (p->type == RILL_PARAM_ENUM) {
            FUZZ_ASSERT(p->choices && p->choices[v->u]);
        } else if (p->type == RILL_PARAM_STRING) {
            FUZZ_ASSERT(v->s != NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    char *words[MAX_WORDS + 2];
    int n = 0;
    words[n++] = strdup("rilld");
    size_t start = 1;
    for (size_t i = 1; i <= size && n < MAX_WORDS; i++) {
        if (i == size || data[i] == '\0') {
            size_t len = i - start;
            char *w = malloc(len + 1);
            if (!w)
                break;
            memcpy(w, data + start, len);
            w[len] = '\0';
            words[n++] = w;
            start = i + 1;
        }
    }
    words[n] = NULL;
    char err[512] = "";
    size_t ndrivers = 0;
    while (rill_drivers[ndrivers])
        ndrivers++;

    if (mode == 0) {
        struct rill_options o;
        int r = rill_options_parse(n, words, &o, err, sizeof(err), devnull);
        if (r < 0) {
            FUZZ_ASSERT(r == -EINVAL && err[0]);
        } else if (r == 0) {
            FUZZ_ASSERT(o.driver != NULL && o.name != NULL);
            FUZZ_ASSERT(o.timeout_ms >= 10 && o.timeout_ms <= 60000);
            FUZZ_ASSERT(o.port_max >= 16 && o.port_max <= RILL_MAX_PORTS);
            FUZZ_ASSERT(o.priority >= 1 && o.priority <= 98);
            FUZZ_ASSERT(o.nload <= RILL_OPTIONS_MAX_LOAD);
            /* --midi-raw / --midi raw=: devices in range, the raw bridge on,
             * and what rilld hands the bridges reads back the same */
            FUZZ_ASSERT(o.midi_raw.n <= RILL_MIDI_RAWDEV_MAX);
            FUZZ_ASSERT(!o.midi_raw.n || (o.midi & RILL_MIDI_RAW));
            for (unsigned k = 0; k < o.midi_raw.n; k++) {
                const struct rill_midi_rawdev *d = &o.midi_raw.d[k];
                FUZZ_ASSERT(memchr(d->card_id, '\0', sizeof(d->card_id)));
                FUZZ_ASSERT(d->card_id[0] ? d->card == -1 : d->card >= 0 && d->card <= 31);
                FUZZ_ASSERT(d->device >= 0 && d->device <= 31);
                FUZZ_ASSERT(d->sub >= -1 && d->sub <= 31);
            }
            if (o.midi_raw.n) {
                char list[RILL_MIDI_RAWDEV_MAX * 48], e2[512];
                struct rill_midi_rawdevs back = { 0 };
                FUZZ_ASSERT(rill_midi_rawdevs_format(&o.midi_raw, list, sizeof(list)) == 0);
                FUZZ_ASSERT(rill_midi_rawdevs_parse_list(list, &back, "x", e2, sizeof(e2)) == 0);
                FUZZ_ASSERT(back.n == o.midi_raw.n &&
                            memcmp(back.d, o.midi_raw.d, back.n * sizeof(back.d[0])) == 0);
            }
            check_driver_cfg(o.driver, &o.driver_cfg);
            alsa_config(o.driver, &o.driver_cfg);
        }
    } else {
        const struct rill_driver_ops *ops = rill_drivers[mode % ndrivers];
        struct rill_driver_config cfg;
        int r = rill_driver_params_parse(ops, n - 1, words + 1, &cfg, err, sizeof(err), devnull);
        if (r < 0)
            FUZZ_ASSERT(r == -EINVAL && err[0]);
        else if (r == 0) {
            check_driver_cfg(ops, &cfg);
            alsa_config(ops, &cfg);
        }
    }
    for (int i = 0; i < n; i++)
        free(words[i]);
    return 0;
}
