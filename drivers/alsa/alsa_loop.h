/* drivers/alsa/alsa_loop.h — the loop guard of rilld's ALSA driver.
 *
 * Returns 1 when the ALSA device dev (a PCM name, with arguments) is, or
 * is built on, the rill PCM plugin (clients/alsa): opening it from rilld
 * would feed the engine back into itself. why (may be NULL) gets the chain,
 * e.g. "type rill <- rill <- default". 0 otherwise, also when the name is
 * not defined at all (snd_pcm_open then says so). Main thread (reads
 * alsa-lib's global configuration).
 */
#ifndef RILL_ALSA_LOOP_H
#define RILL_ALSA_LOOP_H

#include <alsa/asoundlib.h>
#include <stddef.h>

int rill_alsa_leads_to_rill(const char *dev, char *why, size_t whysize);

#endif
