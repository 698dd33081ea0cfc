/* tests/fuzz/fuzz-netmanager_args.c — the netmanager's load_init string
 * (nm_config_parse, internal/netmanager_args.c): what `rilld -l
 * netmanager:ARGS` and `jack_load ... netmanager ARGS` hand it.
 *
 * Input: the string up to its first '\0'.
 * Checked: a refusal has a sentence; an accepted string gives an IPv4
 * address in text form that fits its field, a port in 1..65535 and a 0/1
 * auto-connect and auto-save flags; -h answers 1 with the usage. Nothing is opened.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "internal/netmanager.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    size_t len = strnlen((const char *)data, size);
    char *args = malloc(len + 1);
    if (!args)
        return 0;
    memcpy(args, data, len);
    args[len] = '\0';
    struct nm_config c;
    char err[512] = "";
    struct in_addr a;
    int r = nm_config_parse(args, &c, err, sizeof err);
    if (r < 0) {
        FUZZ_ASSERT(err[0]);
    } else if (r == 1) {
        FUZZ_ASSERT(strstr(err, "--multicast-ip"));
    } else {
        FUZZ_ASSERT(r == 0);
        FUZZ_ASSERT(memchr(c.address, 0, sizeof c.address));
        FUZZ_ASSERT(inet_pton(AF_INET, c.address, &a) == 1);
        FUZZ_ASSERT(c.port >= 1 && c.port <= 65535);
        FUZZ_ASSERT(c.auto_connect == 0 || c.auto_connect == 1);
        FUZZ_ASSERT(c.auto_save == 0 || c.auto_save == 1);
    }
    free(args);
    return 0;
}
