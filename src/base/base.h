/* base: memory (aborting allocators, per-request pools, refcounted blobs),
 * bounded byte buffers and logging. Depends on libc only; every other module
 * builds on these. */
#ifndef KAPI_BASE_H
#define KAPI_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KAPI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KAPI_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Allocators that never return NULL: they abort the process on exhaustion. */
void *kapi_xmalloc(size_t n);
void *kapi_xcalloc(size_t n, size_t size);
void *kapi_xrealloc(void *p, size_t n);
char *kapi_xstrdup(const char *s);
char *kapi_xstrndup(const char *s, size_t n);
char *kapi_xasprintf(const char *fmt, ...) KAPI_PRINTF(1, 2);

/* A pool (arena): many small allocations released together by
 * kapi_pool_free. Memory is not zeroed except by kapi_pool_calloc. */
struct kapi_pool;
struct kapi_pool *kapi_pool_new(void);
/* A pool whose chunks start at chunk bytes (for many small long-lived pools). */
struct kapi_pool *kapi_pool_new_sized(size_t chunk);
void kapi_pool_free(struct kapi_pool *pool);              /* NULL is a no-op */
void *kapi_pool_alloc(struct kapi_pool *pool, size_t n);  /* 16-byte aligned */
void *kapi_pool_calloc(struct kapi_pool *pool, size_t n);
char *kapi_pool_strdup(struct kapi_pool *pool, const char *s);
char *kapi_pool_strndup(struct kapi_pool *pool, const char *s, size_t n); /* NUL-terminated */
void *kapi_pool_memdup(struct kapi_pool *pool, const void *p, size_t n);
char *kapi_pool_printf(struct kapi_pool *pool, const char *fmt, ...) KAPI_PRINTF(2, 3);
char *kapi_pool_vprintf(struct kapi_pool *pool, const char *fmt, va_list ap);
/* Registers fn(arg) to run when the pool is freed (last registered runs first). */
void kapi_pool_cleanup(struct kapi_pool *pool, void (*fn)(void *), void *arg);
size_t kapi_pool_used(const struct kapi_pool *pool);
/* Per-pool data of a module, found by key (the address of a static of that
 * module): what kapi_pool_set_data stored, or NULL. A handful of keys at
 * most; each set of a new key costs one small allocation from the pool. */
void *kapi_pool_data(const struct kapi_pool *pool, const void *key);
void kapi_pool_set_data(struct kapi_pool *pool, const void *key, void *data);

/* Immutable, reference-counted bytes shared between threads (stored object
 * versions, encoded events). data is NUL-terminated for convenience. */
struct kapi_blob {
    _Atomic long refs;
    size_t len;
    char data[];
};
struct kapi_blob *kapi_blob_new(const void *data, size_t len); /* refs = 1; data NULL: to be filled */
struct kapi_blob *kapi_blob_ref(struct kapi_blob *b);           /* NULL-safe */
void kapi_blob_unref(struct kapi_blob *b);                      /* NULL-safe */

/* A growable byte buffer with a hard upper bound (max == 0 means SIZE_MAX).
 * Appends that would pass max fail with -1 and leave the buffer unchanged;
 * data is always NUL-terminated after a successful append. Heap-backed. */
struct kapi_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};
void kapi_buf_init(struct kapi_buf *b, size_t max);
void kapi_buf_dispose(struct kapi_buf *b);
void kapi_buf_reset(struct kapi_buf *b);                 /* len = 0, keeps memory */
int kapi_buf_append(struct kapi_buf *b, const void *p, size_t n);
/* Makes room for extra more bytes (one allocation); -1 past the limit. */
int kapi_buf_reserve(struct kapi_buf *b, size_t extra);
int kapi_buf_puts(struct kapi_buf *b, const char *s);
int kapi_buf_putc(struct kapi_buf *b, char c);
int kapi_buf_printf(struct kapi_buf *b, const char *fmt, ...) KAPI_PRINTF(2, 3);
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
char *kapi_buf_steal(struct kapi_buf *b, size_t *len);

/* Logging to stderr. Level 0 = errors/always, 1 = info, 2+ = debug
 * (like kube-apiserver's -v). Messages above the verbosity are dropped. */
extern int kapi_log_verbosity;
void kapi_log(int level, const char *fmt, ...) KAPI_PRINTF(2, 3);
#define KAPI_LOG_ENABLED(level) ((level) <= kapi_log_verbosity)

/* Time helpers. */
int64_t kapi_now_ms(void);        /* CLOCK_MONOTONIC milliseconds */
int64_t kapi_wall_ms(void);       /* CLOCK_REALTIME milliseconds */
/* RFC 3339 UTC with second precision ("2024-01-02T03:04:05Z") into out[21]. */
void kapi_time_rfc3339(int64_t unix_sec, char out[21]);

/* 64-bit FNV-1a over n bytes, continuing from h (start with KAPI_FNV_INIT):
 * for the small in-memory hash tables. */
#define KAPI_FNV_INIT 14695981039346656037ULL
static inline uint64_t kapi_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* strcmp(a, b) == 0 for the per-request chains that test one name (a kind,
 * resource or group) against many literals: the first byte settles most
 * misses inline, without a call. */
static inline bool kapi_streq(const char *a, const char *b)
{
    return a[0] == b[0] && (a[0] == '\0' || strcmp(a + 1, b + 1) == 0);
}

/* Decimal text of v into out (NUL-terminated); returns its length. For the
 * per-request paths, where snprintf's cost shows. */
size_t kapi_fmt_i64(char out[21], int64_t v);

/* Fills out with a random (version 4) UUID in canonical text form. */
void kapi_uuid(char out[37]);
/* SHA-256 of data. The digest is fetched from OpenSSL once (the implicit
 * fetch behind EVP_sha256() takes a global lock on every call) and each
 * thread reuses one context. */
void kapi_sha256(const void *data, size_t len, unsigned char out[32]);
/* Fills buf with n cryptographically random bytes (getrandom). */
void kapi_random(void *buf, size_t n);
/* Names the calling thread (shown by top -H, ps -L, perf, gdb); Linux keeps
 * 15 bytes, longer names are cut. */
void kapi_thread_name(const char *name);

#endif
