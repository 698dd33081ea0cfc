/* tests/clients/rill-test-stats.c — checks the smaller JACK entry points of
 * issue 3 part 1 on a running server, for tests/integration/stats.sh:
 *
 *   - jack_set_thread_creator: the creator set before jack_client_open is
 *     used for the client's own threads (notification and realtime);
 *   - the session API returns JACK's documented failures; jack_client_has_
 *     session_callback is 0 for an existing client, -1 for none;
 *     jack_engine_takeover_timebase returns ENOSYS;
 *   - <jack/intclient.h> round trip: the deprecated jack_internal_client_new
 *     loads rill-tone as "t3" (its port t3:out appears), jack_internal_client_
 *     handle and jack_get_internal_client_name agree, jack_internal_client_
 *     close removes it; unknown names and handles give JackNoSuchClient;
 *   - jack_get_max_delayed_usecs / jack_get_xrun_delayed_usecs /
 *     jack_reset_max_delayed_usecs: prints "waiting" and waits (10 s at most)
 *     for an xrun (the test stops rilld for a while; the driver then wakes
 *     late: the delay is how late it woke after the last period boundary,
 *     so under one period), then checks that reset clears the maximum and
 *     not the last one.
 *
 * Prints "ok ..." and exits 0, or "FAIL: what" and exits 1.
 */
#include <errno.h>
#include <jack/intclient.h>
#include <jack/jack.h>
#include <jack/session.h>
#include <jack/statistics.h>
#include <jack/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int created;

static int counting_creator(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                            void *arg)
{
    atomic_fetch_add(&created, 1);
    return pthread_create(t, attr, fn, arg);
}

static int process(jack_nframes_t n, void *arg)
{
    (void)n;
    (void)arg;
    return 0;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL: " __VA_ARGS__);                                                          \
            printf("\n");                                                                          \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    jack_set_thread_creator(counting_creator);
    jack_status_t st;
    jack_client_t *c = jack_client_open("stats", JackNoStartServer, &st);
    CHECK(c, "cannot open (status 0x%x)", (unsigned)st);
    CHECK(jack_set_process_callback(c, process, NULL) == 0 && jack_activate(c) == 0,
          "cannot activate");
    int n = atomic_load(&created);
    CHECK(n >= 2, "the thread creator made %d thread(s); want >= 2 (notification, realtime)", n);

    CHECK(jack_set_session_callback(c, NULL, NULL) != 0, "jack_set_session_callback succeeded");
    CHECK(jack_session_notify(c, NULL, JackSessionSave, "/tmp/") == NULL,
          "jack_session_notify returned commands");
    CHECK(jack_reserve_client_name(c, "x", "123") != 0, "jack_reserve_client_name succeeded");
    CHECK(jack_client_has_session_callback(c, "stats") == 0,
          "has_session_callback(stats) != 0");
    CHECK(jack_client_has_session_callback(c, "no-such-client") == -1,
          "has_session_callback(no-such-client) != -1");
    CHECK(jack_engine_takeover_timebase(c) == ENOSYS, "takeover_timebase != ENOSYS");
    jack_session_event_free(NULL);
    jack_session_commands_free(NULL);

    CHECK(jack_internal_client_new("t3", "rill-tone", "freq=200") == 0,
          "jack_internal_client_new(t3, rill-tone) failed");
    CHECK(jack_port_by_name(c, "t3:out") != NULL, "no port t3:out after jack_internal_client_new");
    jack_intclient_t h = jack_internal_client_handle(c, "t3", &st);
    CHECK(h != 0 && st == 0, "jack_internal_client_handle(t3): %llu, status 0x%x",
          (unsigned long long)h, (unsigned)st);
    char *iname = jack_get_internal_client_name(c, h);
    CHECK(iname && strcmp(iname, "t3") == 0, "jack_get_internal_client_name: %s",
          iname ? iname : "NULL");
    free(iname);
    CHECK(jack_internal_client_handle(c, "nope", &st) == 0 &&
              st == (JackFailure | JackNoSuchClient),
          "handle of an unknown name: status 0x%x", (unsigned)st);
    CHECK(jack_get_internal_client_name(c, h + 1000) == NULL, "name of an unknown handle");
    CHECK(jack_internal_client_unload(c, h + 1000) == (JackFailure | JackNoSuchClient),
          "unload of an unknown handle");
    jack_internal_client_close("t3");
    CHECK(jack_port_by_name(c, "t3:out") == NULL, "t3:out is still there after jack_internal_client_close");
    CHECK(jack_internal_client_handle(c, "t3", &st) == 0, "t3 still has a handle after close");

    printf("waiting max=%.0f\n", jack_get_max_delayed_usecs(c));
    float max = 0.0f;
    for (int i = 0; i < 200 && max <= 0.0f; i++) {
        usleep(50000);
        max = jack_get_max_delayed_usecs(c);
    }
    float last = jack_get_xrun_delayed_usecs(c);
    CHECK(max > 0.0f, "no xrun delay seen in 10 s (max %.1f us)", max);
    CHECK(last > 0.0f && last <= max, "xrun delay %.0f us is not in (0, max %.0f]", last, max);
    jack_reset_max_delayed_usecs(c);
    float after = jack_get_max_delayed_usecs(c);
    float last2 = jack_get_xrun_delayed_usecs(c);
    /* A loaded machine may have a new xrun between the reads above and
     * these: before the reset (the max is 0, the last delay changed) or
     * after it (the max is at least the new last delay). Without one, the
     * max is 0 and the last delay is untouched. */
    int new_xrun = last2 != last;
    CHECK(after == 0.0f || (new_xrun && after >= last2),
          "max delay is %.1f us after jack_reset_max_delayed_usecs (last %.1f, before %.1f)",
          after, last2, last);
    printf("ok threads=%d max=%.1f last=%.1f after_reset=%.1f\n", n, max, last, after);
    jack_client_close(c);
    return 0;
}
