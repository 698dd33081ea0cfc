/* tests/unit/test-shm.c — the engine's shared-memory segments: what a
 * client holding their descriptors can and cannot do with them.
 *
 * The state segment (registry, plans, cycle record) is the engine's alone:
 * a client that reopens the descriptor it was given read-write through
 * /proc/self/fd must still not be able to map it writable or write() it.
 * The activation records and the port pool stay writable for clients.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/shm.h"

#define PORTS 16u
#define STRIDE 4096u

/* Reopen fd through /proc read-write, as a client could. */
static int reopen_rw(int fd)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    return open(path, O_RDWR | O_CLOEXEC);
}

/* 0 when a writable shared mapping of fd (size bytes) succeeds, else -errno. */
static int try_map_writable(int fd, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    munmap(p, size);
    return 0;
}

static void test_state_cannot_be_mapped_writable(void **state)
{
    (void)state;
    struct rill_engine_shm s;
    assert_int_equal(rill_engine_shm_create(&s, PORTS, STRIDE), 0);

    /* the descriptor handed to clients, reopened read-write */
    int rw = reopen_rw(s.state_ro_fd);
    assert_true(rw >= 0); /* the open itself is allowed: the seal is what protects */
    assert_int_equal(try_map_writable(rw, s.state_size), -EPERM);
    uint32_t magic = 0;
    assert_true(pwrite(rw, &magic, sizeof(magic), 0) < 0);
    assert_int_equal(errno, EPERM);
    /* a read-only shared mapping cannot be made writable later either */
    void *ro = mmap(NULL, s.state_size, PROT_READ, MAP_SHARED, rw, 0);
    assert_true(ro != MAP_FAILED);
    assert_int_not_equal(mprotect(ro, s.state_size, PROT_READ | PROT_WRITE), 0);
    munmap(ro, s.state_size);
    /* nor can the seals be changed back */
    assert_true(fcntl(rw, F_ADD_SEALS, F_SEAL_WRITE) < 0);
    close(rw);

    /* even the engine's own read-write descriptor maps read-only now ... */
    assert_int_equal(try_map_writable(s.state_fd, s.state_size), -EPERM);
    /* ... while the engine's mapping made before the seal stays writable */
    s.state->rate = 48000;
    assert_int_equal(s.state->magic, RILL_SHM_MAGIC);
    rill_engine_shm_destroy(&s);
}

/* The same from another process that inherited the descriptor. */
static void test_state_sealed_in_a_child(void **state)
{
    (void)state;
    struct rill_engine_shm s;
    assert_int_equal(rill_engine_shm_create(&s, PORTS, STRIDE), 0);
    int fd = dup(s.state_ro_fd); /* without FD_CLOEXEC, as SCM_RIGHTS hands it */
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rw = reopen_rw(fd);
        _exit(rw >= 0 && try_map_writable(rw, s.state_size) == -EPERM ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(fd);
    rill_engine_shm_destroy(&s);
}

static void test_activation_and_pool_stay_writable(void **state)
{
    (void)state;
    struct rill_engine_shm s;
    assert_int_equal(rill_engine_shm_create(&s, PORTS, STRIDE), 0);
    assert_int_equal(try_map_writable(s.act_fd, s.act_size), 0);
    assert_int_equal(try_map_writable(s.pool_fd, s.pool_size), 0);
    /* but no client can seal them against the others */
    assert_true(fcntl(s.act_fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0);
    assert_true(fcntl(s.pool_fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0);
    /* nor resize them */
    assert_true(ftruncate(s.pool_fd, 0) < 0);
    rill_engine_shm_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_cannot_be_mapped_writable),
        cmocka_unit_test(test_state_sealed_in_a_child),
        cmocka_unit_test(test_activation_and_pool_stay_writable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
