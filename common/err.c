/* common/err.c — error sentences (see common/err.h). Any non-realtime
 * thread. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

int rill_errf(char *err, size_t size, int code, const char *fmt, ...)
{
    if (!err || size == 0)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}
