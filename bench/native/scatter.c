/*
 * The scatter-add bound in compiled C (gcc -O3), for bench/emulator.ts: the same flat per-synapse table and
 * the same recorded spike stream as the JavaScript replay, read from one file:
 *   int32 N, int32 S, int32 nSpikes, int32 start[N+1], int32 target[S], int32 weight[S], int32 spikes[nSpikes]
 * For each spike, for each of its synapses: acc[target] += weight (64-bit accumulator). Best of 3 after one
 * warm-up, in process CPU seconds. Prints one JSON line: {"events":…,"seconds":…,"check":…}.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int32_t *readInts(FILE *f, long n) {
  int32_t *p = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  if (!p || (long)fread(p, sizeof(int32_t), (size_t)n, f) != n) { fprintf(stderr, "scatter: short read\n"); exit(1); }
  return p;
}

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: scatter FILE\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 1; }
  int32_t *head = readInts(f, 3);
  const long n = head[0], s = head[1], ns = head[2];
  int32_t *start = readInts(f, n + 1), *target = readInts(f, s), *weight = readInts(f, s), *spikes = readInts(f, ns);
  fclose(f);
  int64_t *acc = calloc((size_t)n, sizeof(int64_t));
  double best = 1e30;
  long events = 0;
  for (int rep = 0; rep < 4; rep++) {
    const double c0 = cpu();
    long ev = 0;
    for (long j = 0; j < ns; j++) {
      const int32_t a = start[spikes[j]], b = start[spikes[j] + 1];
      ev += b - a;
      for (int32_t k = a; k < b; k++) acc[target[k]] += weight[k];
    }
    const double sec = cpu() - c0;
    if (rep > 0 && sec < best) best = sec;
    events = ev;
  }
  int64_t check = 0;
  for (long i = 0; i < n; i++) check ^= acc[i] + i;
  printf("{\"events\":%ld,\"seconds\":%.6f,\"check\":%lld}\n", events, best, (long long)check);
  return 0;
}
