/* A minimal LV2 host for NativePluginTests: what a DAW does with the plugin's checkpoint parameter and
   state, which no Debian command-line LV2 host does (lv2file and jalv's console set ports, not patch
   properties). It gives urid:map, plays 1 s from the bundle's checkpoint, sends a patch:Set of the
   checkpoint parameter on the control port, plays on (paced a little, so the plugin's loader thread
   can swap), then saves state, makes a second instance, restores it and plays 1 s.
   Usage: lv2_patch_host BUNDLE_DIR NEW_CHECKPOINT OUT1.f32 OUT2.f32    (raw float32, 16 kHz) */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
typedef int (*StoreFn)(void *, uint32_t, const void *, size_t, uint32_t, uint32_t);
typedef const void *(*RetrieveFn)(void *, uint32_t, size_t *, uint32_t *, uint32_t *);
typedef struct {
    int (*save)(void *, StoreFn, void *, uint32_t, const LV2_Feature *const *);
    int (*restore)(void *, RetrieveFn, void *, uint32_t, const LV2_Feature *const *);
} LV2_State_Interface;

static char *uris[256];
static uint32_t count;
static uint32_t map(void *h, const char *uri) {
    for (uint32_t i = 0; i < count; i++) if (!strcmp(uris[i], uri)) return i + 1;
    uris[count] = strdup(uri);
    return ++count;
}
static const char *unmap(uint32_t id) { return id >= 1 && id <= count ? uris[id - 1] : "?"; }

static char saved[4096];
static size_t saved_size;
static uint32_t saved_key, saved_type;
static int store(void *h, uint32_t key, const void *value, size_t size, uint32_t type, uint32_t flags) {
    if (size > sizeof saved) return 1;
    memcpy(saved, value, size); saved_size = size; saved_key = key; saved_type = type;
    return 0;
}
static const void *retrieve(void *h, uint32_t key, size_t *size, uint32_t *type, uint32_t *flags) {
    if (key != saved_key) return NULL;
    *size = saved_size; *type = saved_type; *flags = 3;
    return saved;
}

#define BLOCK 512
static float in[BLOCK], out[BLOCK], controls[8] = {0, 0, 1, 1, 3, 0, 0, 0};
static uint64_t sequence[512];   /* 8-byte aligned atom buffer */

static void empty_sequence(void) {
    uint32_t *s = (uint32_t *)sequence;
    s[0] = 8; s[1] = map(0, "http://lv2plug.in/ns/ext/atom#Sequence"); s[2] = 0; s[3] = 0;
}

static void patch_set(const char *path) {
    uint8_t *base = (uint8_t *)sequence;
    uint32_t len = (uint32_t)strlen(path) + 1;
    uint8_t *ev = base + 16;                               /* after the sequence header and body (unit, pad) */
    *(int64_t *)ev = 0;                                    /* event time: frame 0 */
    uint8_t *obj = ev + 8;                                 /* LV2_Atom { size, type } then the object body */
    uint8_t *body = obj + 8;
    ((uint32_t *)body)[0] = 0;
    ((uint32_t *)body)[1] = map(0, "http://lv2plug.in/ns/ext/patch#Set");
    uint8_t *p = body + 8;
    ((uint32_t *)p)[0] = map(0, "http://lv2plug.in/ns/ext/patch#property"); ((uint32_t *)p)[1] = 0;
    ((uint32_t *)p)[2] = 4; ((uint32_t *)p)[3] = map(0, "http://lv2plug.in/ns/ext/atom#URID");
    ((uint32_t *)p)[4] = map(0, "https://mamba.audio/plugins/generator#checkpoint");
    p += 16 + 8;
    ((uint32_t *)p)[0] = map(0, "http://lv2plug.in/ns/ext/patch#value"); ((uint32_t *)p)[1] = 0;
    ((uint32_t *)p)[2] = len; ((uint32_t *)p)[3] = map(0, "http://lv2plug.in/ns/ext/atom#Path");
    memcpy(p + 16, path, len);
    p += 16 + ((len + 7) & ~7u);
    uint32_t body_size = (uint32_t)(p - body);
    ((uint32_t *)obj)[0] = body_size; ((uint32_t *)obj)[1] = map(0, "http://lv2plug.in/ns/ext/atom#Object");
    uint32_t *s = (uint32_t *)sequence;
    s[0] = 8 + 16 + ((body_size + 7) & ~7u);
}

static void *make(const LV2_Descriptor *d, const char *bundle, const LV2_Feature *const *features) {
    void *h = d->instantiate(d, 16000, bundle, features);
    for (uint32_t p = 0; p < 8; p++) d->connect_port(h, p, p == 0 ? in : p == 1 ? out : &controls[p]);
    d->connect_port(h, 8, sequence);
    empty_sequence();
    d->activate(h);
    return h;
}

static void play(const LV2_Descriptor *d, void *h, FILE *f, int blocks, int pace_ms) {
    for (int b = 0; b < blocks; b++) {
        d->run(h, BLOCK);
        empty_sequence();
        fwrite(out, sizeof(float), BLOCK, f);
        if (pace_ms) { struct timespec t = {0, pace_ms * 1000000L}; nanosleep(&t, 0); }
    }
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: lv2_patch_host BUNDLE NEW_CHECKPOINT OUT1 OUT2\n"); return 2; }
    char bundle[4096], library[4200];
    snprintf(bundle, sizeof bundle, "%s/", argv[1]);
    snprintf(library, sizeof library, "%smamba_audio.so", bundle);
    void *lib = dlopen(library, RTLD_NOW);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    const LV2_Descriptor *(*descriptor)(uint32_t) = (const LV2_Descriptor *(*)(uint32_t))dlsym(lib, "lv2_descriptor");
    const LV2_Descriptor *d = descriptor(0);
    LV2_URID_Map map_data = {0, map};
    LV2_Feature map_feature = {"http://lv2plug.in/ns/ext/urid#map", &map_data};
    const LV2_Feature *features[] = {&map_feature, 0};

    FILE *f1 = fopen(argv[3], "wb"), *f2 = fopen(argv[4], "wb");
    void *h = make(d, bundle, features);
    play(d, h, f1, 16000 / BLOCK + 1, 0);                /* 1 s (and a bit) from the bundle's checkpoint */
    patch_set(argv[2]);
    play(d, h, f1, 120, 10);                              /* the swap happens in here */

    const LV2_State_Interface *state = d->extension_data("http://lv2plug.in/ns/ext/state#interface");
    if (!state) { fprintf(stderr, "no state interface\n"); return 1; }
    int saved_status = state->save(h, store, 0, 0, features);
    printf("saved status=%d key=%s type=%s value=%s\n", saved_status, unmap(saved_key), unmap(saved_type), saved);

    void *h2 = make(d, bundle, features);
    int restored_status = state->restore(h2, retrieve, 0, 0, features);
    printf("restored status=%d\n", restored_status);
    d->activate(h2);
    play(d, h2, f2, 16000 / BLOCK + 1, 0);
    d->deactivate(h); d->cleanup(h);
    d->deactivate(h2); d->cleanup(h2);
    fclose(f1); fclose(f2);
    return 0;
}
