/* drivers/net/net_opus.c — NetJACK2's opus encoding through libopus's
 * custom modes (net_opus.h). The encoder's settings are jackd2's: the bit
 * rate kbps * 1024 bit/s, complexity 10, music.
 */
#include "drivers/net/net_opus.h"

#include <errno.h>
#include <fcntl.h>
#include <opus/opus_custom.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct rill_net_opus {
    OpusCustomMode *mode;
    uint32_t period;
    uint32_t max_bytes;
    uint32_t nenc, ndec;
    OpusCustomEncoder *enc[RILL_NET_MAX_PORTS];
    OpusCustomDecoder *dec[RILL_NET_MAX_PORTS];
};

/* Main thread. */
void rill_net_opus_destroy(struct rill_net_opus *o)
{
    if (!o)
        return;
    for (uint32_t i = 0; i < o->nenc; i++)
        if (o->enc[i])
            opus_custom_encoder_destroy(o->enc[i]);
    for (uint32_t i = 0; i < o->ndec; i++)
        if (o->dec[i])
            opus_custom_decoder_destroy(o->dec[i]);
    if (o->mode)
        opus_custom_mode_destroy(o->mode);
    free(o);
}

/* Main thread: can this libopus code a frame of period at rate? Some
 * builds make a custom mode for any size and then abort in the decoder
 * (Debian 12's libopus 1.3.1 asserts "st->end <= 21" for frames that are
 * not 960 / 2^k at 48 kHz, 256 among them), so a child process tries one
 * frame first. 0, or -ENOTSUP when the child died. */
static int probe(uint32_t rate, uint32_t period, uint32_t bytes)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0; /* cannot tell: let it be tried */
    if (pid == 0) {
        int e = OPUS_OK, null = open("/dev/null", O_WRONLY);
        if (null >= 0) /* libopus's own "Fatal (internal) error" is not ours to print */
            dup2(null, 2);
        static float pcm[RILL_NET_MAX_PERIOD];
        static unsigned char frame[8192];
        OpusCustomMode *m = opus_custom_mode_create((opus_int32)rate, (int)period, &e);
        OpusCustomEncoder *enc = m ? opus_custom_encoder_create(m, 1, &e) : NULL;
        OpusCustomDecoder *dec = m ? opus_custom_decoder_create(m, 1, &e) : NULL;
        if (!enc || !dec)
            _exit(2);
        int n = opus_custom_encode_float(enc, pcm, (int)period, frame, (int)bytes);
        if (n <= 0 || opus_custom_decode_float(dec, frame, n, pcm, (int)period) != (int)period)
            _exit(3);
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ENOTSUP;
}

/* Main thread. */
int rill_net_opus_create(struct rill_net_opus **out, const struct rill_net_session *s,
                         uint32_t nenc, uint32_t ndec, char *err, size_t errsize)
{
    int e = OPUS_OK, ret = -EINVAL;
    if (nenc > RILL_NET_MAX_PORTS || ndec > RILL_NET_MAX_PORTS || s->opus_bytes == 0) {
        snprintf(err, errsize, "opus: %u/%u channels, %u bytes a period: out of range", nenc,
                 ndec, s->opus_bytes);
        return -EINVAL;
    }
    if (probe(s->rate, s->period, s->opus_bytes) < 0) {
        snprintf(err, errsize, "this libopus cannot code opus frames of %u frames at %u Hz (it "
                 "has no working custom modes: Debian 12's libopus 1.3.1 aborts on any frame but "
                 "120, 240, 480 or 960 at 48 kHz, so jackd2 linked to it cannot either); use "
                 "-e float or -e int", s->period, s->rate);
        return -ENOTSUP;
    }
    struct rill_net_opus *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    o->period = s->period;
    o->max_bytes = s->opus_bytes;
    o->mode = opus_custom_mode_create((opus_int32)s->rate, (int)s->period, &e);
    if (!o->mode || e != OPUS_OK) {
        snprintf(err, errsize, "opus has no custom mode for %u Hz and %u frames: %s", s->rate,
                 s->period, opus_strerror(e));
        goto fail;
    }
    for (; o->nenc < nenc; o->nenc++) {
        OpusCustomEncoder *x = opus_custom_encoder_create(o->mode, 1, &e);
        if (!x || e != OPUS_OK) {
            snprintf(err, errsize, "opus encoder: %s", opus_strerror(e));
            goto fail;
        }
        o->enc[o->nenc] = x;
        opus_custom_encoder_ctl(x, OPUS_SET_BITRATE((opus_int32)(s->kbps * 1024u)));
        opus_custom_encoder_ctl(x, OPUS_SET_COMPLEXITY(10));
        opus_custom_encoder_ctl(x, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
    }
    for (; o->ndec < ndec; o->ndec++) {
        OpusCustomDecoder *x = opus_custom_decoder_create(o->mode, 1, &e);
        if (!x || e != OPUS_OK) {
            snprintf(err, errsize, "opus decoder: %s", opus_strerror(e));
            goto fail;
        }
        o->dec[o->ndec] = x;
    }
    *out = o;
    return 0;
fail:
    rill_net_opus_destroy(o);
    return ret;
}

uint32_t rill_net_opus_encode(struct rill_net_opus *o, uint32_t port, const float *in,
                              uint8_t *stream)
{
    static const float zeros[RILL_NET_MAX_PERIOD];
    int n = -1;
    if (port < o->nenc)
        n = opus_custom_encode_float(o->enc[port], in ? in : zeros, (int)o->period, stream + 2,
                                     (int)o->max_bytes);
    uint32_t len = n > 0 && (uint32_t)n <= o->max_bytes ? (uint32_t)n : 0u;
    stream[0] = (uint8_t)(len >> 8);
    stream[1] = (uint8_t)len;
    return len;
}

int rill_net_opus_decode(struct rill_net_opus *o, uint32_t port, const uint8_t *stream,
                         float *out)
{
    uint32_t len = (uint32_t)stream[0] << 8 | stream[1];
    if (port < o->ndec && len > 0 && len <= o->max_bytes &&
        opus_custom_decode_float(o->dec[port], stream + 2, (int)len, out, (int)o->period) ==
            (int)o->period)
        return 0;
    memset(out, 0, sizeof(float) * o->period);
    return -EBADMSG;
}
