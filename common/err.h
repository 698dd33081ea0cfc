/* common/err.h — the one way a sentence goes into an error buffer.
 *
 * Every function that can fail for a reason its caller must show takes a
 * buffer (char *err, size_t errsize) or fills a reply's m->error. This
 * writes it and hands back the error code, so a failure is one statement:
 *     return rill_errf(err, errsize, -EINVAL, "port '%s' ...", name);
 *     return rill_msg_errf(m, -ENOENT, "there is no port with id %u", id);
 *
 * Thread: any, except realtime ones (vsnprintf).
 */
#ifndef RILL_COMMON_ERR_H
#define RILL_COMMON_ERR_H

#include <stddef.h>

/* Write the sentence into err (always terminated, cut to size; nothing
 * when err is NULL or size is 0) and return code as it is (0 when the
 * caller only wants the sentence). */
__attribute__((format(printf, 4, 5))) int rill_errf(char *err, size_t size, int code,
                                                    const char *fmt, ...);

/* The same into the error field of a struct rill_msg (rill/protocol.h). */
#define rill_msg_errf(m, code, ...) rill_errf((m)->error, sizeof((m)->error), (code), __VA_ARGS__)

#endif
