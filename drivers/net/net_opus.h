/* drivers/net/net_opus.h — NetJACK2's opus encoding: one libopus custom-mode
 * encoder and decoder per channel, created at open, so that encoding and
 * decoding a period never allocate (the realtime thread calls them).
 *
 * A port's period becomes one opus frame of at most session->opus_bytes,
 * written as a port stream: big-endian u16 length, then the frame (the
 * wire layout around it is net_audio.c's). Usable by the follower (this
 * driver) and by a master alike: "encoders" are for what this side sends,
 * "decoders" for what it receives.
 */
#ifndef RILL_NET_OPUS_H
#define RILL_NET_OPUS_H

#include "drivers/net/net_proto.h"

struct rill_net_opus;

/* Main thread: codecs for rate, period and opus_bytes of s, nenc encoders
 * and ndec decoders (each <= RILL_NET_MAX_PORTS). err names what libopus
 * refused. Returns 0 or -EINVAL/-ENOMEM. */
int rill_net_opus_create(struct rill_net_opus **out, const struct rill_net_session *s,
                         uint32_t nenc, uint32_t ndec, char *err, size_t errsize);
void rill_net_opus_destroy(struct rill_net_opus *o);

/* Realtime-safe: encode period frames of in (NULL: silence) with encoder
 * port into stream (2 + opus_bytes bytes). A frame libopus cannot make is
 * sent as length 0 (the receiver plays silence). Returns the length. */
uint32_t rill_net_opus_encode(struct rill_net_opus *o, uint32_t port, const float *in,
                              uint8_t *stream);

/* Realtime-safe: decode a port stream into out (period frames). The length
 * is checked against opus_bytes; a length 0, a bad length or a frame
 * libopus refuses gives silence and -EBADMSG. Returns 0 or -EBADMSG. */
int rill_net_opus_decode(struct rill_net_opus *o, uint32_t port, const uint8_t *stream,
                         float *out);

#endif
