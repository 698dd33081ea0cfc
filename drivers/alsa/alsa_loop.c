/* drivers/alsa/alsa_loop.c — does an ALSA device lead back to rill?
 * (drivers/alsa/alsa_loop.h)
 *
 * rilld's ALSA driver must never open the rill PCM plugin: the engine
 * would wait for its own cycle. The device's definition is looked up in
 * alsa-lib's configuration (with its arguments, as snd_pcm_open would) and
 * walked: a node whose type is "rill", or a type whose pcm_type.TYPE.lib
 * is the rill plugin, is a loop; slave PCMs named by string are followed,
 * inline ones walked, to a bounded depth.
 */
#include <string.h>

#include "drivers/alsa/alsa_loop.h"

#define MAX_DEPTH 12

static int walk(snd_config_t *node, int depth, char *why, size_t whysize);

/* 1 when pcm_type.TYPE.lib names the rill plugin. */
static int type_is_rill(const char *type)
{
    if (strcmp(type, "rill") == 0)
        return 1;
    snd_config_t *t, *lib;
    const char *path;
    if (snd_config_search(snd_config, "pcm_type", &t) < 0 ||
        snd_config_search(t, type, &t) < 0 || snd_config_search(t, "lib", &lib) < 0 ||
        snd_config_get_string(lib, &path) < 0 || !path)
        return 0;
    return strstr(path, "libasound_module_pcm_rill") != NULL;
}

/* Resolve the PCM called name and walk it. */
static int walk_name(const char *name, int depth, char *why, size_t whysize)
{
    snd_config_t *def;
    if (depth > MAX_DEPTH || snd_config_search_definition(snd_config, "pcm", name, &def) < 0)
        return 0;
    int r = walk(def, depth + 1, why, whysize);
    if (r && why && !strstr(why, name)) {
        size_t n = strlen(why);
        snprintf(why + n, whysize - n, " <- %s", name);
    }
    snd_config_delete(def);
    return r;
}

static int walk(snd_config_t *node, int depth, char *why, size_t whysize)
{
    if (depth > MAX_DEPTH || snd_config_get_type(node) != SND_CONFIG_TYPE_COMPOUND)
        return 0;
    snd_config_t *t;
    const char *type;
    if (snd_config_search(node, "type", &t) == 0 && snd_config_get_string(t, &type) == 0 && type &&
        type_is_rill(type)) {
        if (why)
            snprintf(why, whysize, "type %s", type);
        return 1;
    }
    snd_config_iterator_t i, next;
    snd_config_for_each(i, next, node) {
        snd_config_t *c = snd_config_iterator_entry(i);
        const char *id, *val;
        if (snd_config_get_id(c, &id) < 0 || !id)
            continue;
        if (snd_config_get_type(c) == SND_CONFIG_TYPE_COMPOUND) {
            if (walk(c, depth + 1, why, whysize))
                return 1;
        } else if ((strcmp(id, "pcm") == 0 || strcmp(id, "slave") == 0) &&
                   snd_config_get_string(c, &val) == 0 && val) {
            if (walk_name(val, depth + 1, why, whysize))
                return 1;
        }
    }
    return 0;
}

/* Main thread. */
int rill_alsa_leads_to_rill(const char *dev, char *why, size_t whysize)
{
    if (why && whysize)
        why[0] = '\0';
    if (snd_config_update() < 0 || !snd_config)
        return 0;
    return walk_name(dev, 0, why, whysize);
}
