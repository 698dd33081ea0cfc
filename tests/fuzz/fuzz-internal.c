/* tests/fuzz/fuzz-internal.c — internal-client argument strings: rilld's
 * -l NAME[:ARGS] (rill_internal_spec_parse, engine/internal.c) and the
 * load_init string of the shipped module rill-tone
 * (rill_tone_parse_args, internal/rill-tone.h). The message form of a load
 * request (name and "load_name\0load_init\0") is in the control harness.
 *
 * Input: one byte choosing the sample rate rill-tone is given, then the
 * string (up to its first '\0'), used as a -l SPEC, and its ARGS (the whole
 * string when it is no SPEC) as rill-tone's load_init.
 * Checked: an accepted SPEC gives a client name of 1 to 63 bytes without
 * '/', a module name without ':' and ARGS pointing into SPEC after the
 * first ':'; accepted tone arguments lie in their documented ranges (or
 * keep their defaults). Nothing is loaded.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "internal/rill-tone.h"
#include "rill/limits.h"
#include "rill/protocol.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    static const double rates[] = { 48000, 44100, 8000, 192000, 1, 0 };
    double rate = rates[data[0] % (sizeof(rates) / sizeof(rates[0]))];
    size_t len = strnlen((const char *)data + 1, size - 1);
    char *spec = malloc(len + 1);
    if (!spec)
        return 0;
    memcpy(spec, data + 1, len);
    spec[len] = '\0';

    char load_name[PATH_MAX], name[RILL_CLIENT_NAME_SIZE], err[512] = "";
    const char *init = NULL;
    int r = rill_internal_spec_parse(spec, load_name, sizeof(load_name), name, sizeof(name),
                                     &init, err, sizeof(err));
    if (r < 0) {
        FUZZ_ASSERT(err[0]);
    } else {
        FUZZ_ASSERT(r == 0);
        size_t nl = strlen(name);
        FUZZ_ASSERT(nl >= 1 && nl < RILL_CLIENT_NAME_SIZE && !strchr(name, '/'));
        FUZZ_ASSERT(load_name[0] && !strchr(load_name, ':'));
        const char *colon = strchr(spec, ':');
        FUZZ_ASSERT(colon ? init == colon + 1 : init[0] == '\0');
        FUZZ_ASSERT(strlen(init) < RILL_INTERNAL_DATA_SIZE);
    }

    /* ARGS (or the whole string) as rill-tone's load_init */
    double freq = 440.0, level = -12.0, connect = 0.0;
    if (rill_tone_parse_args(r == 0 ? init : spec, rate, &freq, &level, &connect) == 0) {
        FUZZ_ASSERT(freq == 440.0 || (freq >= 1.0 && freq <= rate / 2.0));
        FUZZ_ASSERT(level >= -120.0 && level <= 0.0);
        FUZZ_ASSERT(connect >= 0.0 && connect <= 256.0);
    }
    free(spec);
    return 0;
}
