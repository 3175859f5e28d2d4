/* Implementation of src/base/base.h. */
#include "base.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void oom(size_t n)
{
    fprintf(stderr, "kapi: out of memory allocating %zu bytes\n", n);
    abort();
}

void *kapi_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *kapi_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *kapi_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *kapi_xstrdup(const char *s)
{
    return kapi_xstrndup(s, strlen(s));
}

char *kapi_xstrndup(const char *s, size_t n)
{
    char *p = kapi_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *kapi_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *out;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0)
        oom(0);
    va_end(ap);
    return out;
}

/* ---- pool ---- */

struct pool_chunk {
    struct pool_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) char data[];
};

struct pool_cleanup {
    struct pool_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

struct pool_data {
    struct pool_data *next;
    const void *key;
    void *data;
};

struct kapi_pool {
    struct pool_chunk *chunks;
    size_t chunk_size;
    struct pool_cleanup *cleanups;
    struct pool_data *data;
    size_t total;
};

/* The first chunk lives in the same allocation, right after the pool, so a
 * pool that stays within it costs one malloc and one free. */
#define POOL_HDR ((sizeof(struct kapi_pool) + 15) & ~(size_t)15)
#define POOL_FIRST_CHUNK(p) ((struct pool_chunk *)(void *)((char *)(p) + POOL_HDR))

/* kapi_pool_new's allocation, pool included: its first chunk holds a
 * typical request body's parse (input copy and values, about 5x the body
 * for a 2.5 KB object) without a second malloc. Later chunks are smaller. */
#define POOL_FIRST 16384
#define POOL_CHUNK 8192
#define POOL_BIG 2048

/* An empty pool in p's allocation, whose first chunk holds first bytes. */
static struct kapi_pool *pool_init(struct kapi_pool *p, size_t first, size_t chunk)
{
    struct pool_chunk *c = POOL_FIRST_CHUNK(p);
    c->next = NULL;
    c->size = first;
    c->used = 0;
    p->chunks = c;
    p->chunk_size = chunk;
    p->cleanups = NULL;
    p->data = NULL;
    p->total = 0;
    return p;
}

static struct kapi_pool *pool_create(size_t first, size_t chunk)
{
    return pool_init(kapi_xmalloc(POOL_HDR + sizeof(struct pool_chunk) + first), first, chunk);
}

/* Each thread keeps the allocation of one freed kapi_pool_new pool for its
 * next one: a request's pool then costs no malloc and no free. Not under
 * AddressSanitizer, which should see every pool freed. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_SPARE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_SPARE 0
#endif
#endif
#ifndef POOL_SPARE
#define POOL_SPARE 1
#endif
#define POOL_FIRST_SIZE (POOL_FIRST - POOL_HDR - sizeof(struct pool_chunk))
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_init(void)
{
    if (pthread_key_create(&spare_key, free) != 0)
        abort();
}

struct kapi_pool *kapi_pool_new(void)
{
    if (POOL_SPARE) {
        pthread_once(&spare_once, spare_init);
        struct kapi_pool *p = pthread_getspecific(spare_key);
        if (p) {
            pthread_setspecific(spare_key, NULL);
            return pool_init(p, POOL_FIRST_SIZE, POOL_CHUNK);
        }
    }
    return pool_create(POOL_FIRST_SIZE, POOL_CHUNK);
}

struct kapi_pool *kapi_pool_new_sized(size_t chunk)
{
    chunk = chunk < 64 ? 64 : (chunk + 15) & ~(size_t)15;
    return pool_create(chunk, chunk);
}

void kapi_pool_free(struct kapi_pool *pool)
{
    if (!pool)
        return;
    for (struct pool_cleanup *c = pool->cleanups; c;) {
        struct pool_cleanup *next = c->next;
        c->fn(c->arg);
        c = next;
    }
    for (struct pool_chunk *c = pool->chunks; c;) {
        struct pool_chunk *next = c->next;
        if (c != POOL_FIRST_CHUNK(pool))
            free(c);
        c = next;
    }
    if (POOL_SPARE && POOL_FIRST_CHUNK(pool)->size == POOL_FIRST_SIZE && pool->chunk_size == POOL_CHUNK) {
        pthread_once(&spare_once, spare_init);
        if (!pthread_getspecific(spare_key) && pthread_setspecific(spare_key, pool) == 0)
            return;
    }
    free(pool);
}

void *kapi_pool_alloc(struct kapi_pool *pool, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    pool->total += n;
    struct pool_chunk *c = pool->chunks;
    if (c->size - c->used >= n) {
        /* whatever fits the current chunk, big or small */
        void *p = c->data + c->used;
        c->used += n;
        return p;
    }
    if (n >= POOL_BIG || n > pool->chunk_size / 2) {
        /* Big allocations get their own chunk, linked behind the current one
         * so the current chunk keeps serving small requests. */
        struct pool_chunk *b = kapi_xmalloc(sizeof(*b) + n);
        b->size = n;
        b->used = n;
        b->next = c->next;
        c->next = b;
        return b->data;
    }
    c = kapi_xmalloc(sizeof(*c) + pool->chunk_size);
    c->size = pool->chunk_size;
    c->used = n;
    c->next = pool->chunks;
    pool->chunks = c;
    return c->data;
}

void *kapi_pool_calloc(struct kapi_pool *pool, size_t n)
{
    void *p = kapi_pool_alloc(pool, n);
    memset(p, 0, n);
    return p;
}

void *kapi_pool_data(const struct kapi_pool *pool, const void *key)
{
    for (const struct pool_data *d = pool->data; d; d = d->next)
        if (d->key == key)
            return d->data;
    return NULL;
}

void kapi_pool_set_data(struct kapi_pool *pool, const void *key, void *data)
{
    for (struct pool_data *d = pool->data; d; d = d->next)
        if (d->key == key) {
            d->data = data;
            return;
        }
    struct pool_data *d = kapi_pool_alloc(pool, sizeof(*d));
    *d = (struct pool_data){pool->data, key, data};
    pool->data = d;
}

char *kapi_pool_strndup(struct kapi_pool *pool, const char *s, size_t n)
{
    char *p = kapi_pool_alloc(pool, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *kapi_pool_strdup(struct kapi_pool *pool, const char *s)
{
    return kapi_pool_strndup(pool, s, strlen(s));
}

void *kapi_pool_memdup(struct kapi_pool *pool, const void *p, size_t n)
{
    void *q = kapi_pool_alloc(pool, n);
    memcpy(q, p, n);
    return q;
}

char *kapi_pool_vprintf(struct kapi_pool *pool, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0)
        n = 0;
    char *out = kapi_pool_alloc(pool, (size_t)n + 1);
    if ((size_t)n < sizeof(small))
        memcpy(out, small, (size_t)n + 1);
    else
        vsnprintf(out, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return out;
}

char *kapi_pool_printf(struct kapi_pool *pool, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = kapi_pool_vprintf(pool, fmt, ap);
    va_end(ap);
    return s;
}

void kapi_pool_cleanup(struct kapi_pool *pool, void (*fn)(void *), void *arg)
{
    struct pool_cleanup *c = kapi_pool_alloc(pool, sizeof(*c));
    c->fn = fn;
    c->arg = arg;
    c->next = pool->cleanups;
    pool->cleanups = c;
}

size_t kapi_pool_used(const struct kapi_pool *pool)
{
    return pool->total;
}

/* ---- blob ---- */

struct kapi_blob *kapi_blob_new(const void *data, size_t len)
{
    struct kapi_blob *b = kapi_xmalloc(sizeof(*b) + len + 1);
    atomic_init(&b->refs, 1);
    b->len = len;
    if (len && data) /* without data, the caller fills it before sharing */
        memcpy(b->data, data, len);
    b->data[len] = 0;
    return b;
}

struct kapi_blob *kapi_blob_ref(struct kapi_blob *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void kapi_blob_unref(struct kapi_blob *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        free(b);
}

/* ---- buf ---- */

void kapi_buf_init(struct kapi_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : SIZE_MAX;
}

void kapi_buf_dispose(struct kapi_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void kapi_buf_reset(struct kapi_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

int kapi_buf_reserve(struct kapi_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = kapi_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int kapi_buf_append(struct kapi_buf *b, const void *p, size_t n)
{
    if (kapi_buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int kapi_buf_puts(struct kapi_buf *b, const char *s)
{
    return kapi_buf_append(b, s, strlen(s));
}

int kapi_buf_putc(struct kapi_buf *b, char c)
{
    return kapi_buf_append(b, &c, 1);
}

int kapi_buf_printf(struct kapi_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return kapi_buf_append(b, small, (size_t)n);
    if (kapi_buf_reserve(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *kapi_buf_steal(struct kapi_buf *b, size_t *len)
{
    char *d = b->data;
    if (len)
        *len = b->len;
    if (!d)
        d = kapi_xcalloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

/* ---- log and time ---- */

int kapi_log_verbosity = 0;

void kapi_log(int level, const char *fmt, ...)
{
    if (level > kapi_log_verbosity)
        return;
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%c%02d%02d %02d:%02d:%02d.%06ld ", level == 0 ? 'E' : 'I',
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

int64_t kapi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kapi_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kapi_time_rfc3339(int64_t unix_sec, char out[21])
{
    /* years 0000-9999 (RFC 3339's four digits) by hand: gmtime_r and
     * strftime were 1% of a create; the proleptic Gregorian date of a day
     * count through 400-year eras of 146097 days */
    if (unix_sec < -62167219200LL || unix_sec > 253402300799LL) {
        time_t t = (time_t)unix_sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return;
    }
    int64_t days = unix_sec / 86400, sod = unix_sec % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t z = days + 719468; /* days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                  /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* [0, 365], from March 1 */
    int64_t mp = (5 * doy + 2) / 153;                                /* [0, 11], March = 0 */
    int mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    int year = (int)(yoe + era * 400 + (mon <= 2));
    int f[] = {mon, mday, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60)};
    const char sep[] = "-T::Z";
    out[0] = (char)('0' + year / 1000);
    out[1] = (char)('0' + year / 100 % 10);
    out[2] = (char)('0' + year / 10 % 10);
    out[3] = (char)('0' + year % 10);
    out[4] = '-';
    for (int i = 0; i < 5; i++) {
        out[5 + 3 * i] = (char)('0' + f[i] / 10);
        out[6 + 3 * i] = (char)('0' + f[i] % 10);
        out[7 + 3 * i] = sep[i];
    }
    out[20] = 0;
}

void kapi_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got <= 0)
            continue; /* EINTR; getrandom does not fail otherwise once seeded */
        p += got;
        n -= (size_t)got;
    }
}

/* Per-thread generator for identifiers that must be unique, not secret
 * (audit IDs, object UIDs): seeded once per thread from getrandom, then
 * splitmix64, so the hot path makes no system call. */
static uint64_t next_u64(void)
{
    static _Thread_local uint64_t state;
    static _Thread_local bool seeded;
    if (!seeded) {
        kapi_random(&state, sizeof(state));
        seeded = true;
    }
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

size_t kapi_fmt_i64(char out[21], int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    out[len] = 0;
    return len;
}

void kapi_uuid(char out[37])
{
    unsigned char b[16];
    uint64_t r[2] = {next_u64(), next_u64()};
    memcpy(b, r, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) { /* 8-4-4-4-12 hex digits; snprintf was 2% of a create */
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = 0;
}

static EVP_MD *sha256_md;
static pthread_key_t sha256_ctx_key; /* each thread's EVP_MD_CTX, reused */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void sha256_init(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (pthread_key_create(&sha256_ctx_key, sha256_ctx_free) != 0)
        abort();
}

void kapi_sha256(const void *data, size_t len, unsigned char out[32])
{
    pthread_once(&sha256_once, sha256_init);
    EVP_MD_CTX *ctx = pthread_getspecific(sha256_ctx_key);
    if (!ctx) {
        ctx = EVP_MD_CTX_new();
        if (!ctx || pthread_setspecific(sha256_ctx_key, ctx) != 0)
            abort();
    }
    unsigned int n = 32;
    if (!sha256_md || EVP_DigestInit_ex(ctx, sha256_md, NULL) != 1 || EVP_DigestUpdate(ctx, data, len) != 1 ||
        EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != 32)
        abort(); /* only fails when OpenSSL itself is broken */
}

void kapi_thread_name(const char *name)
{
    char n[16];
    snprintf(n, sizeof(n), "%s", name);
    pthread_setname_np(pthread_self(), n);
}
