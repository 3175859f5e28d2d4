/* storage_bench: durable create throughput of a storage backend without
 * HTTP or JSON. Runs a 1-thread baseline (every create pays its own fsync)
 * and then N concurrent writer threads, and prints both rates and their
 * ratio.
 *
 *   storage_bench [dir | http://etcd:port] [threads=64] [seconds=5] [value_bytes=256]
 *
 * A directory benchmarks the SQLite backend (group commit shares one fsync
 * per batch; dir defaults to a fresh directory under /tmp, removed
 * afterwards). An etcd URL benchmarks raw etcd puts (create transactions)
 * through kapi's gRPC client: the baseline for kapi on etcd. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "storage/etcd3/etcd3.h"
#include "storage/sqlite/sqlite.h"

struct worker {
    struct kapi_store *s;
    int id;
    int run;
    size_t vlen;
    const char *value;
    atomic_bool *stop;
    long ok;
    long failed;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char key[96];
    for (long i = 0; !atomic_load(w->stop); i++) {
        snprintf(key, sizeof(key), "/registry/bench/r%d/t%d/obj-%ld", w->run, w->id, i);
        struct kapi_write wr = {.op = KAPI_WRITE_CREATE, .key = key, .value = w->value, .len = w->vlen};
        struct kapi_write_result res;
        if (kapi_store_write(w->s, &wr, &res) == KAPI_STORE_OK)
            w->ok++;
        else
            w->failed++;
        kapi_write_result_dispose(&res);
    }
    return NULL;
}

static double run(struct kapi_store *s, int run_id, int threads, double seconds, size_t vlen)
{
    char *value = kapi_xmalloc(vlen + 1);
    memset(value, 'v', vlen);
    atomic_bool stop;
    atomic_init(&stop, false);
    struct worker *ws = kapi_xcalloc((size_t)threads, sizeof(*ws));
    pthread_t *th = kapi_xcalloc((size_t)threads, sizeof(*th));
    int64_t t0 = kapi_now_ms();
    for (int i = 0; i < threads; i++) {
        ws[i] = (struct worker){.s = s, .id = i, .run = run_id, .vlen = vlen, .value = value, .stop = &stop};
        pthread_create(&th[i], NULL, worker_main, &ws[i]);
    }
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stop, true);
    long ok = 0, failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        ok += ws[i].ok;
        failed += ws[i].failed;
    }
    double secs = (double)(kapi_now_ms() - t0) / 1000.0;
    double rate = (double)ok / secs;
    printf("threads=%-3d creates=%-8ld failed=%ld seconds=%.2f rate=%.0f creates/s\n", threads, ok,
           failed, secs, rate);
    free(ws);
    free(th);
    free(value);
    return rate;
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/kapi-bench-XXXXXX";
    const char *dir = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
    bool etcd = dir && (strncmp(dir, "http://", 7) == 0 || strncmp(dir, "https://", 8) == 0);
    bool own = !dir;
    if (own && !(dir = mkdtemp(tmpl))) {
        perror("mkdtemp");
        return 1;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 64;
    double seconds = argc > 3 ? atof(argv[3]) : 5;
    size_t vlen = argc > 4 ? (size_t)atol(argv[4]) : 256;

    char err[512];
    const char *eps[] = {dir};
    struct kapi_etcd3_opts eo = {.endpoints = eps, .nendpoints = 1, .prefix = "/kapi-bench"};
    struct kapi_store *s = etcd ? kapi_etcd3_open(&eo, err, sizeof(err)) : kapi_sqlite_open(dir, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double base = run(s, 0, 1, seconds, vlen);
    double group = run(s, 1, threads, seconds, vlen);
    printf("%s speed-up vs 1 thread: %.1fx\n", etcd ? "concurrency" : "group commit", base > 0 ? group / base : 0);
    kapi_store_close(s);
    if (own) {
        const char *sfx[] = {"kapi.db", "kapi.db-wal", "kapi.db-shm", "kapi.db.lock"};
        for (size_t i = 0; i < KAPI_ARRAY_LEN(sfx); i++) {
            char p[512];
            snprintf(p, sizeof(p), "%s/%s", dir, sfx[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    return 0;
}
