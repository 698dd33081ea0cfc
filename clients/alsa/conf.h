/* clients/alsa/conf.h — the arguments of the rill PCM and ctl plugins.
 *
 * From the plugin's configuration node (alsa.conf.d/50-rill.conf, an
 * asoundrc), then the environment, which wins for a single program:
 *
 *   field      env                 meaning
 *   server     RILL_ALSA_SERVER    the rill server (default: $JACK_DEFAULT_SERVER,
 *                                  else "default")
 *   name       RILL_ALSA_NAME      client name (default: the program's name)
 *   target     RILL_ALSA_TARGET    where the ports go: "" the physical system
 *                                  ports, "none", a client name, or a comma-
 *                                  separated list of full port names
 *   latency    RILL_ALSA_LATENCY   the longest buffer offered, in ms (1..2000,
 *                                  default 2000)
 *
 * An empty string means "the default". Fields "type", "comment" and "hint"
 * are alsa-lib's and skipped. Anything else is an error that names the field
 * and lists the known ones.
 */
#ifndef RILL_ALSA_CONF_H
#define RILL_ALSA_CONF_H

#include <alsa/asoundlib.h>
#include <stddef.h>

#include "rill/limits.h"

#define RILL_ALSA_TARGET_SIZE 1024u
#define RILL_ALSA_LATENCY_MAX_MS 2000u

struct rill_alsa_conf {
    char server[RILL_SERVER_NAME_SIZE];
    char name[RILL_CLIENT_NAME_SIZE];
    char target[RILL_ALSA_TARGET_SIZE];
    unsigned int latency_ms;
};

/* Defaults into c. Any thread. */
void rill_alsa_conf_init(struct rill_alsa_conf *c);
/* Read conf (a compound node; NULL: nothing) into c. 0, or -EINVAL with a
 * sentence in err. what names the device in messages ("pcm.rill").
 * Any thread. */
int rill_alsa_conf_parse(snd_config_t *conf, const char *what, struct rill_alsa_conf *c,
                         char *err, size_t errsize);
/* Apply the RILL_ALSA_* environment. 0 or -EINVAL (err says which variable
 * and why). Any thread. */
int rill_alsa_conf_env(struct rill_alsa_conf *c, char *err, size_t errsize);
/* Check and store a latency given as text. 0 or -EINVAL. Any thread. */
int rill_alsa_conf_latency(const char *text, unsigned int *ms);

#endif
