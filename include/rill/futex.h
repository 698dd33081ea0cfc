/* rill/futex.h — futex wait/wake on 32-bit words in shared memory.
 *
 * Thread: any; these are the only blocking calls allowed on realtime paths
 * (besides the driver's own wait). Words are shared between processes, so the
 * non-private futex operations are used.
 */
#ifndef RILL_FUTEX_H
#define RILL_FUTEX_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *word == expected. abs_deadline (CLOCK_MONOTONIC) may be NULL.
 * Returns 0 on wake-up or value change, -ETIMEDOUT, -EINTR. RT-safe. */
static inline int rill_futex_wait(_Atomic uint32_t *word, uint32_t expected,
                                  const struct timespec *abs_deadline)
{
    long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET, expected,
                     abs_deadline, NULL, FUTEX_BITSET_MATCH_ANY);
    if (r == 0)
        return 0;
    if (errno == EAGAIN)
        return 0;
    return -errno;
}

/* Wake up to n waiters on word. RT-safe. */
static inline int rill_futex_wake(_Atomic uint32_t *word, int n)
{
    long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
    return r < 0 ? -errno : (int)r;
}

#endif
