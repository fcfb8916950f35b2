/* Times the native plugin as a LADSPA host drives it: dlopen + ladspa_descriptor, instantiate (the checkpoint
   loads and the engine warms), activate, the first run() and the steady runs after it, at a host rate.
   Usage: bench LIBRARY RATE SECONDS BLOCK  -> one JSON object on stdout. Built by scripts/bench-native-plugin.sh. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    unsigned long UniqueID; const char *Label; int Properties; const char *Name, *Maker, *Copyright;
    unsigned long PortCount; const int *PortDescriptors; const char *const *PortNames; const void *PortRangeHints; void *ImplementationData;
    void *(*instantiate)(const void *, unsigned long);
    void (*connect_port)(void *, unsigned long, float *);
    void (*activate)(void *);
    void (*run)(void *, unsigned long);
    void (*run_adding)(void *, unsigned long);
    void (*set_run_adding_gain)(void *, float);
    void (*deactivate)(void *);
    void (*cleanup)(void *);
} Descriptor;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: bench LIBRARY RATE SECONDS BLOCK\n"); return 2; }
    unsigned long rate = strtoul(argv[2], 0, 10), block = strtoul(argv[4], 0, 10);
    double seconds = atof(argv[3]);
    double t0 = now();
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    const Descriptor *(*descriptor)(unsigned long) = (const Descriptor *(*)(unsigned long))dlsym(lib, "ladspa_descriptor");
    const Descriptor *d = descriptor(0);
    double t1 = now();
    void *h = d->instantiate(d, rate);
    double t2 = now();
    float *in = calloc(block, sizeof(float)), *out = calloc(block, sizeof(float));
    float controls[8] = {0, 0, 1, 1, 1, 0, 0, 0};
    for (unsigned long p = 0; p < d->PortCount; p++) d->connect_port(h, p, p == 0 ? in : p == 1 ? out : &controls[p]);
    d->activate(h);
    double t3 = now();
    d->run(h, block);
    double t4 = now();
    unsigned long total = (unsigned long)(seconds * rate), done = block;
    double slowest = t4 - t3;
    while (done < total) {
        double a = now();
        d->run(h, block);
        double b = now() - a;
        if (b > slowest) slowest = b;
        done += block;
    }
    double t5 = now();
    double nonzero = 0;
    for (unsigned long i = 0; i < block; i++) nonzero += out[i] != 0;
    d->deactivate(h);
    d->cleanup(h);
    printf("{\"rate\": %lu, \"block\": %lu, \"seconds\": %.3f, \"load_ms\": %.2f, \"instantiate_ms\": %.2f, \"activate_ms\": %.3f, "
           "\"first_run_ms\": %.3f, \"steady_run_ms\": %.3f, \"slowest_run_ms\": %.3f, \"real_time_factor\": %.2f, \"latency\": %.0f, \"last_block_nonzero\": %.0f}\n",
           rate, block, done / (double)rate, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3,
           (t5 - t4) * 1e3 / ((done - block) / (double)block), slowest * 1e3, (done - block) / (double)rate / (t5 - t4), controls[7], nonzero);
    return 0;
}
