/* tests/clients/rill-test-slots.c — client slots as the engine hands them
 * out, for tests/integration/slots.sh. Speaks the client core directly.
 *
 *   rill-test-slots [-s SERVER] find NAME    print the slot of client NAME
 *   rill-test-slots [-s SERVER] probe        open one (non-control) client,
 *                                            print its slot, close it
 *   rill-test-slots [-s SERVER] before SLOT  open and close clients until
 *                                            one got the slot that comes
 *                                            before SLOT (slots 1..N-1 are
 *                                            handed out next-fit, in a
 *                                            circle), so that the next
 *                                            client would get SLOT if it
 *                                            were free; print how many
 *
 * Exit status: 0, 1 on an error (message on stderr), 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clients/core/client.h"

static void on_event(void *arg, const struct rill_msg *ev)
{
    (void)arg;
    (void)ev;
}

/* Open a client; NULL and a message on failure. */
static struct rill_client *open_one(const char *server, const char *name, uint32_t flags)
{
    struct rill_client_callbacks cb = { .event = on_event };
    struct rill_client *c = NULL;
    char err[RILL_ERROR_SIZE] = "";
    int r = rill_client_open(server, name, flags, &cb, &c, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "rill-test-slots: cannot open client '%s': %s\n", name,
                err[0] ? err : strerror(-r));
        return NULL;
    }
    return c;
}

static int usage(void)
{
    fprintf(stderr, "usage: rill-test-slots [-s SERVER] find NAME | probe | before SLOT\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *server = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "s:")) != -1) {
        if (opt != 's')
            return usage();
        server = optarg;
    }
    if (optind >= argc)
        return usage();
    const char *cmd = argv[optind];

    if (strcmp(cmd, "find") == 0 && optind + 1 < argc) {
        struct rill_client *c = open_one(server, "slots-find", RILL_HELLO_CONTROL);
        if (!c)
            return 1;
        int slot = rill_registry_find_client(rill_client_state(c), argv[optind + 1]);
        rill_client_close(c);
        if (slot < 0) {
            fprintf(stderr, "rill-test-slots: no client named '%s'\n", argv[optind + 1]);
            return 1;
        }
        printf("%d\n", slot);
        return 0;
    }
    if (strcmp(cmd, "probe") == 0) {
        struct rill_client *c = open_one(server, "slots-probe", 0);
        if (!c)
            return 1;
        printf("%u\n", rill_client_slot(c));
        rill_client_close(c);
        return 0;
    }
    if (strcmp(cmd, "before") == 0 && optind + 1 < argc) {
        char *end;
        unsigned long target = strtoul(argv[optind + 1], &end, 10);
        if (*end || target < 1 || target >= RILL_MAX_CLIENTS)
            return usage();
        for (unsigned n = 1; n <= 2 * RILL_MAX_CLIENTS; n++) {
            struct rill_client *c = open_one(server, "slots-probe", 0);
            if (!c)
                return 1;
            uint32_t slot = rill_client_slot(c);
            /* done when every slot after ours and before the target is in
             * use: the next client is offered the target first */
            int done = slot != target;
            for (uint32_t k = slot % (RILL_MAX_CLIENTS - 1) + 1; done && k != target;
                 k = k % (RILL_MAX_CLIENTS - 1) + 1) {
                struct rill_shm_client cl;
                done = rill_registry_client(rill_client_state(c), k, &cl) == 0 && cl.in_use;
            }
            rill_client_close(c);
            if (done) {
                printf("%u\n", n);
                return 0;
            }
        }
        fprintf(stderr, "rill-test-slots: never got next to slot %lu in %u clients\n", target,
                2 * RILL_MAX_CLIENTS);
        return 1;
    }
    return usage();
}
