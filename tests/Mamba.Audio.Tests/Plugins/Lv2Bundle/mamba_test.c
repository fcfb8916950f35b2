/* Two LV2 plugins for Lv2EffectTests, self-contained (no lv2-dev headers needed; the structs are lv2.h's,
   urid.h's and options.h's). "features" requires urid:map and options and reports what it received on
   output control ports; "demanding" requires a feature no host provides. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *URI; void *data; } LV2_Feature;
typedef struct LV2_Descriptor {
    const char *URI;
    void *(*instantiate)(const struct LV2_Descriptor *, double, const char *, const LV2_Feature *const *);
    void (*connect_port)(void *, uint32_t, void *);
    void (*activate)(void *);
    void (*run)(void *, uint32_t);
    void (*deactivate)(void *);
    void (*cleanup)(void *);
    const void *(*extension_data)(const char *);
} LV2_Descriptor;
typedef struct { void *handle; uint32_t (*map)(void *, const char *); } LV2_URID_Map;
typedef struct { uint32_t context, subject, key, size, type; const void *value; } LV2_Options_Option;

typedef struct {
    float *gain, *input, *output, *urid, *max_block, *rate, *largest_run;
    float mapped, max_block_option, rate_option, largest;
} Plugin;

static void *instantiate(const LV2_Descriptor *d, double rate, const char *bundle, const LV2_Feature *const *features) {
    const LV2_URID_Map *map = NULL;
    const LV2_Options_Option *options = NULL;
    for (int i = 0; features && features[i]; i++) {
        if (!strcmp(features[i]->URI, "http://lv2plug.in/ns/ext/urid#map")) map = features[i]->data;
        if (!strcmp(features[i]->URI, "http://lv2plug.in/ns/ext/options#options")) options = features[i]->data;
    }
    if (!map || !options) return NULL;   /* required: a host that did not give them cannot run this */
    Plugin *p = calloc(1, sizeof(Plugin));
    p->mapped = (float)map->map(map->handle, "http://example.org/mamba-audio-test#probe");
    uint32_t max_key = map->map(map->handle, "http://lv2plug.in/ns/ext/buf-size#maxBlockLength");
    uint32_t rate_key = map->map(map->handle, "http://lv2plug.in/ns/ext/parameters#sampleRate");
    uint32_t int_type = map->map(map->handle, "http://lv2plug.in/ns/ext/atom#Int");
    uint32_t float_type = map->map(map->handle, "http://lv2plug.in/ns/ext/atom#Float");
    for (const LV2_Options_Option *o = options; o->key; o++) {
        if (o->key == max_key && o->type == int_type) p->max_block_option = (float)*(const int32_t *)o->value;
        if (o->key == rate_key && o->type == float_type) p->rate_option = *(const float *)o->value;
    }
    return p;
}

static void connect_port(void *h, uint32_t port, void *data) {
    Plugin *p = h;
    switch (port) {
    case 0: p->gain = data; break;
    case 1: p->input = data; break;
    case 2: p->output = data; break;
    case 3: p->urid = data; break;
    case 4: p->max_block = data; break;
    case 5: p->rate = data; break;
    case 6: p->largest_run = data; break;
    }
}

static void run(void *h, uint32_t n) {
    Plugin *p = h;
    for (uint32_t i = 0; i < n; i++) p->output[i] = p->input[i] * *p->gain;
    if (n > p->largest) p->largest = (float)n;
    *p->urid = p->mapped;
    *p->max_block = p->max_block_option;
    *p->rate = p->rate_option;
    *p->largest_run = p->largest;
}

static void cleanup(void *h) { free(h); }

static const LV2_Descriptor features_plugin = { "http://example.org/mamba-audio-test#features", instantiate, connect_port, NULL, run, NULL, cleanup, NULL };
static const LV2_Descriptor demanding_plugin = { "http://example.org/mamba-audio-test#demanding", instantiate, connect_port, NULL, run, NULL, cleanup, NULL };

__attribute__((visibility("default"))) const LV2_Descriptor *lv2_descriptor(uint32_t index) {
    return index == 0 ? &features_plugin : index == 1 ? &demanding_plugin : NULL;
}
