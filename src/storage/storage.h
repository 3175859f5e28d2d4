/* storage: the key-value interface every backend implements, shaped like
 * etcd v3's MVCC: one global revision that only grows; per key create, mod
 * revision and version; reads at the latest revision; single-key
 * compare-and-swap writes; an ordered change stream that can start at any
 * retained revision; compaction. The embedded SQLite backend
 * (storage/sqlite) and the etcd backend (storage/etcd3) both sit behind it,
 * and tests/unit/storage/ runs one suite against each. */
#ifndef KAPI_STORAGE_H
#define KAPI_STORAGE_H

#include "../base/base.h"

enum kapi_store_err {
    KAPI_STORE_OK = 0,
    KAPI_STORE_NOT_FOUND,   /* key absent (get, update, delete) */
    KAPI_STORE_EXISTS,      /* create of a key that exists */
    KAPI_STORE_CONFLICT,    /* mod revision precondition failed */
    KAPI_STORE_COMPACTED,   /* requested revision is older than the compacted one */
    KAPI_STORE_FUTURE_REV,  /* requested revision is newer than the current one */
    KAPI_STORE_UNAVAILABLE, /* backend down / closed */
    KAPI_STORE_TIMEOUT,
    KAPI_STORE_IO,          /* disk or protocol error */
};
const char *kapi_store_strerror(int err);

/* One key's state. value is refcounted and shared; owners unref it with
 * kapi_kv_dispose. */
struct kapi_kv {
    char *key;                 /* heap, NUL-terminated */
    struct kapi_blob *value;   /* NULL for a deletion's kv */
    int64_t create_rev;
    int64_t mod_rev;
    int64_t version;           /* number of writes since creation, 1 on create */
};
void kapi_kv_dispose(struct kapi_kv *kv);   /* frees key, unrefs value; NULL-safe fields */
void kapi_kv_copy(struct kapi_kv *dst, const struct kapi_kv *src); /* deep copy of key, ref of value */

/* PROGRESS carries no key: every change in the watched range up to
 * kv.mod_rev has been delivered (etcd progress notifications). */
enum kapi_event_type { KAPI_EVENT_PUT = 1, KAPI_EVENT_DELETE = 2, KAPI_EVENT_PROGRESS = 3 };

/* A change-stream event. For PUT, kv is the new state and prev_kv the one
 * before (prev_kv.value NULL on create). For DELETE, kv.mod_rev is the
 * deletion revision and kv.value NULL; prev_kv holds the deleted state. */
struct kapi_event {
    enum kapi_event_type type;
    struct kapi_kv kv;
    struct kapi_kv prev_kv;
};

/* Called for each event in revision order, from a backend thread. Events of
 * one revision are delivered together; the callback must not block long and
 * must not call back into the store's write path. Returning non-zero stops
 * the watch. A final call with ev == NULL and err != 0 tells the watcher the
 * stream ended (KAPI_STORE_COMPACTED when the start is no longer retained). */
typedef int (*kapi_store_watch_fn)(void *ctx, const struct kapi_event *ev, int err);

/* The single-key write operations. */
enum kapi_write_op {
    KAPI_WRITE_CREATE,   /* fails with EXISTS if key exists */
    KAPI_WRITE_UPDATE,   /* fails with NOT_FOUND if absent, CONFLICT if expect_mod_rev != 0 and differs */
    KAPI_WRITE_DELETE,   /* same preconditions as update */
};

struct kapi_write {
    enum kapi_write_op op;
    const char *key;
    const void *value;       /* CREATE/UPDATE */
    size_t len;
    int64_t expect_mod_rev;  /* 0 = unconditional (UPDATE/DELETE) */
};

/* Result of a write. On success rev is the new revision (for DELETE the
 * deletion revision) and prev holds the state before the write (for
 * UPDATE/DELETE). On CONFLICT (and EXISTS) current holds the key's present
 * state so callers can retry without another read. The caller disposes both. */
struct kapi_write_result {
    int64_t rev;
    struct kapi_kv prev;
    struct kapi_kv current;
};
void kapi_write_result_dispose(struct kapi_write_result *r);

struct kapi_store;

/* Backend vtable. Every function is thread-safe. A write returns only once it
 * is durable (for SQLite: committed and synced). */
struct kapi_store_ops {
    const char *name;
    int (*write)(struct kapi_store *s, const struct kapi_write *w, struct kapi_write_result *res);
    /* Latest state of one key. */
    int (*get)(struct kapi_store *s, const char *key, struct kapi_kv *out);
    /* All keys in [start, end) in key order, at most limit (0 = no limit).
     * On input *rev is the revision to read at (0 = the latest; older than
     * the compacted revision is KAPI_STORE_COMPACTED, newer than the current
     * one KAPI_STORE_FUTURE_REV); on output, the revision the read saw.
     * *more tells whether keys were left out by limit. out is a heap array
     * the caller frees (each kv disposed). end NULL or "" = no upper bound. */
    int (*range)(struct kapi_store *s, const char *start, const char *end, size_t limit,
                 struct kapi_kv **out, size_t *n, int64_t *rev, bool *more);
    /* Current (latest committed) revision and compacted revision. */
    int (*revisions)(struct kapi_store *s, int64_t *current, int64_t *compacted);
    /* Stream every event with revision > after_rev, in order, then live ones.
     * Returns a watch id > 0, or -err. Keys outside [start, end) are skipped
     * (end NULL = every key from start on). */
    long (*watch)(struct kapi_store *s, const char *start, const char *end, int64_t after_rev,
                  kapi_store_watch_fn fn, void *ctx);
    /* Asks the watch to report its progress soon (a PROGRESS event); NULL
     * when the backend's watch never lags the store's revision. */
    void (*request_progress)(struct kapi_store *s, long id);
    /* Stops a watch; when it returns, fn is not running and will not run again. */
    void (*unwatch)(struct kapi_store *s, long id);
    /* Discards history at revisions < rev (latest versions of live keys stay). */
    int (*compact)(struct kapi_store *s, int64_t rev);
    void (*close)(struct kapi_store *s); /* stops watches, frees everything */
};

struct kapi_store {
    const struct kapi_store_ops *ops;
};

/* Helpers that dispatch through ops. */
static inline int kapi_store_write(struct kapi_store *s, const struct kapi_write *w, struct kapi_write_result *r)
{ return s->ops->write(s, w, r); }
static inline int kapi_store_get(struct kapi_store *s, const char *key, struct kapi_kv *out)
{ return s->ops->get(s, key, out); }
static inline void kapi_store_close(struct kapi_store *s) { if (s) s->ops->close(s); }

/* Key-range helper: the first key after every key with this prefix (for a
 * prefix "a/" returns "a0"). Heap string. */
char *kapi_store_prefix_end(const char *prefix);

#endif
