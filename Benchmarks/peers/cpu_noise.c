/* How steady is this machine's CPU for short bursts of work after an idle gap, which is what a
 * media server's thread does at low load? Every 10 ms: sleep, wake, run the same fixed chunk of
 * work (reading 256 KB four times), and time it. On a quiet dedicated machine every chunk takes
 * about the same time; on a shared VM some take many times longer, and a server's latency tail
 * cannot be shorter than that.
 *
 *   cc -O2 -o /tmp/cpu_noise Benchmarks/peers/cpu_noise.c && /tmp/cpu_noise [seconds]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int seconds = argc > 1 ? atoi(argv[1]) : 15;
    if (seconds < 1 || seconds > 3600) {
        fprintf(stderr, "usage: cpu_noise [seconds 1-3600]\n");
        return 2;
    }
    size_t rounds = (size_t)seconds * 100, size = 256 * 1024;
    unsigned char *buffer = malloc(size);
    int64_t *took = malloc(rounds * sizeof *took), *sorted = malloc(rounds * sizeof *sorted);
    if (!buffer || !took || !sorted) return 1;
    for (size_t i = 0; i < size; i++) buffer[i] = (unsigned char)i;
    volatile uint64_t sink = 0;
    for (size_t k = 0; k < rounds; k++) {
        usleep(10000);
        int64_t start = now_ns();
        uint64_t acc = 0;
        for (int pass = 0; pass < 4; pass++)
            for (size_t i = 0; i < size; i += 64) acc += buffer[i] * (i + pass);
        sink += acc;
        took[k] = now_ns() - start;
    }
    for (size_t k = 0; k < rounds; k++) sorted[k] = took[k];
    qsort(sorted, rounds, sizeof *sorted, compare);
    int64_t median = sorted[rounds / 2];
    size_t slow = 0;
    for (size_t k = 0; k < rounds; k++) slow += took[k] > 3 * median;
    printf("%zu chunks: median %.0f us, p99 %.0f us, max %.0f us; %zu (%.1f %%) over 3x the median\n", rounds,
           median / 1e3, sorted[rounds * 99 / 100] / 1e3, sorted[rounds - 1] / 1e3, slow, 100.0 * slow / rounds);
    free(buffer);
    free(took);
    free(sorted);
    return 0;
}
