/* cache: the watch cache in front of storage. One storage watch feeds an
 * in-memory copy of every registered resource prefix; GET, LIST and WATCH
 * are served from it. Each object version is kept once, as immutable JSON
 * bytes with metadata.resourceVersion already set, shared by every reader and
 * watcher. A ring of recent events per resource lets watches resume from a
 * resourceVersion; older starts get 410 Expired. See docs/internals/cache.md. */
#ifndef KAPI_CACHE_H
#define KAPI_CACHE_H

#include "../base/base.h"
#include "../codec/value.h"
#include "../storage/storage.h"

/* One object version. Immutable once published; refcounted. */
struct kapi_cobj {
    _Atomic long refs;
    char *key;                 /* full storage key */
    const char *ns;            /* "" for cluster-scoped */
    const char *name;
    const char *uid;
    struct kapi_value *labels; /* object of strings, or NULL */
    struct kapi_blob *json;    /* compact JSON, resourceVersion set, no newline */
    int64_t mod_rev, create_rev;
    struct kapi_pool *pool;    /* owns ns, name, labels */
    _Atomic(struct kapi_blob *) pb; /* protobuf message bytes (no envelope), made on first use */
    const char *const *field_names;  /* the resource's selectable fields (NULL-terminated) */
    const char **field_vals;         /* their values in this object, same order */
    /* Read once when the object is decoded, for the garbage collector's
     * scans (which then parse nothing): the uids of metadata.ownerReferences
     * (NULL-terminated, NULL when there are none) and the deletion state. */
    const char **owner_uids;
    unsigned char gc_flags; /* KAPI_COBJ_* */
};
#define KAPI_COBJ_DELETING 1u   /* metadata.deletionTimestamp is set */
#define KAPI_COBJ_FIN_FG 2u     /* deleting, with the foregroundDeletion finalizer */
#define KAPI_COBJ_FIN_ORPHAN 4u /* deleting, with the orphan finalizer */
/* Value of a selectable field ("spec.nodeName") as field selectors compare
 * it, or NULL when the resource does not extract that field. */
const char *kapi_cobj_field(const struct kapi_cobj *o, const char *field);
void kapi_cobj_unref(struct kapi_cobj *o);
struct kapi_cobj *kapi_cobj_ref(struct kapi_cobj *o);
/* Parses the object's JSON into pool (for handlers that need the whole object). */
struct kapi_value *kapi_cobj_value(const struct kapi_cobj *o, struct kapi_pool *pool);
struct kapi_schema_msg;
/* The object as one protobuf message of type msg (no envelope), encoded
 * once and kept with the object. Borrowed (lives as long as o); NULL when
 * it cannot be encoded. */
struct kapi_blob *kapi_cobj_protobuf(struct kapi_cobj *o, const struct kapi_schema_msg *msg);

enum kapi_watch_type { KAPI_WATCH_ADDED = 0, KAPI_WATCH_MODIFIED = 1, KAPI_WATCH_DELETED = 2,
                       KAPI_WATCH_BOOKMARK = 3, KAPI_WATCH_ERROR = 4 };
const char *kapi_watch_type_name(enum kapi_watch_type t);

/* A filter chosen by the request: namespace ("" = all) plus a predicate. */
typedef bool (*kapi_cobj_match_fn)(void *ctx, const struct kapi_cobj *o);
struct kapi_cache_filter {
    const char *ns;            /* NULL or "" = every namespace */
    kapi_cobj_match_fn match;  /* NULL = everything */
    void *ctx;
};

struct kapi_cache;
struct kapi_rcache;

/* Creates a cache over store (not started). */
struct kapi_cache *kapi_cache_new(struct kapi_store *store);
/* Registers a resource by its storage prefix ("/registry/pods/"). Returns the
 * per-resource cache (the same one for the same prefix). Before start only. */
struct kapi_rcache *kapi_cache_register(struct kapi_cache *c, const char *prefix);
/* Adds field paths ("status.phase") that objects of this resource extract
 * for field selectors. Before start only. */
void kapi_rcache_add_fields(struct kapi_rcache *rc, const char *const *fields);
/* Adds a resource while the cache runs (custom resources): loads the
 * prefix at the revision the cache has applied and follows it from there.
 * Returns the existing one for a known prefix. NULL with *err (a
 * KAPI_STORE_* code) when the store cannot be read. fields as for
 * kapi_rcache_add_fields (may be NULL). */
struct kapi_rcache *kapi_cache_add_live(struct kapi_cache *c, const char *prefix, const char *const *fields,
                                        int *err);
/* Loads every registered prefix and starts following the store. 0 or store error. */
int kapi_cache_start(struct kapi_cache *c);
void kapi_cache_free(struct kapi_cache *c);
/* The revision the cache has applied everything up to. */
int64_t kapi_cache_rev(struct kapi_cache *c);
/* Waits until the cache reached rev; 0, or -1 on timeout. */
int kapi_cache_wait_rev(struct kapi_cache *c, int64_t rev, int timeout_ms);
/* Waits until the cache holds every write the store acknowledged so far
 * (the consistent-read rule). 0, or a KAPI_STORE_* error / -1 on timeout. */
int kapi_cache_sync(struct kapi_cache *c, int timeout_ms);

/* Current version of key, or NULL. Caller unrefs. */
struct kapi_cobj *kapi_rcache_get(struct kapi_rcache *rc, const char *key);
/* How many objects the resource holds now (what a list would scan). */
size_t kapi_rcache_len(struct kapi_rcache *rc);

struct kapi_cache_list {
    struct kapi_cobj **items;  /* heap; caller frees with kapi_cache_list_dispose */
    size_t n;
    int64_t rev;               /* resourceVersion of the snapshot */
    bool more;                 /* items past limit exist */
    int64_t remaining;         /* matching-or-not objects after the page (see .c) */
    char *last_key;            /* key of the last item returned (heap) when more */
};
/* Objects in key order with key > after_key (NULL = from start) that pass
 * the filter, at most limit (0 = all). */
void kapi_rcache_list(struct kapi_rcache *rc, const struct kapi_cache_filter *f, const char *after_key,
                      size_t limit, struct kapi_cache_list *out);
void kapi_cache_list_dispose(struct kapi_cache_list *l);

/* ---- watch ---- */

/* One delivered watch event: type as seen through this watcher's filter,
 * and ready-to-send JSON of the object ({"type":..,"object":..}\n encoded
 * once per event and type, shared). */
struct kapi_watch_item {
    enum kapi_watch_type type;
    struct kapi_blob *frame;  /* full JSON line incl. newline; caller unrefs */
    struct kapi_cobj *obj;    /* object as sent (for other encodings); caller unrefs; NULL for bookmark/error */
    int64_t rev;
};

struct kapi_watcher;
/* Starts a watch. from_rev < 0 means "current state first": a synthetic
 * ADDED for each matching object, then changes. from_rev >= 0 replays every
 * change after from_rev. Returns NULL with *err = KAPI_STORE_COMPACTED when
 * from_rev is older than the retained history (410), or
 * KAPI_STORE_FUTURE_REV when the cache does not reach from_rev in time. The
 * filter's ctx must outlive the watcher. */
struct kapi_watcher *kapi_rcache_watch(struct kapi_cache *c, struct kapi_rcache *rc,
                                       const struct kapi_cache_filter *f, int64_t from_rev,
                                       const char *list_kind_api_version, int *err);
/* Waits up to timeout_ms for the next item. 1 = item filled, 0 = timeout,
 * -1 = the watcher was closed by the cache (fell too far behind, or the
 * cache is stopping). */
int kapi_watcher_next(struct kapi_watcher *w, struct kapi_watch_item *item, int timeout_ms);
/* Latest revision this watcher has been brought up to (for bookmarks). */
int64_t kapi_watcher_rev(struct kapi_watcher *w);
void kapi_watcher_free(struct kapi_watcher *w);

/* A standalone object version from stored bytes (for reads that bypass the
 * cache, such as lists at a past revision). refs = 1. */
struct kapi_cobj *kapi_cobj_from_kv(const struct kapi_rcache *rc, const char *key, const void *data, size_t len,
                                    int64_t mod_rev, int64_t create_rev);
/* The filter test the cache applies (namespace, then the predicate). */
bool kapi_cache_filter_pass(const struct kapi_cache_filter *f, const struct kapi_cobj *o);

/* Encodes obj with its resourceVersion replaced by rev, compact, as a heap blob. */
struct kapi_blob *kapi_cache_json_with_rv(const struct kapi_blob *json, int64_t rev);

/* Objects prepared by their writer. A writer that is about to store bytes it
 * made with kapi_json_write from obj prepares the cache object from obj
 * (NULL when the shape is not one the splice below is sure of) and offers
 * it before the write; when the write's event brings exactly those bytes
 * for that key, the feed completes the prepared object instead of decoding
 * and re-encoding them. A writer whose write failed withdraws its offer;
 * offers whose event never comes are dropped after PREP_MAX newer ones or a
 * re-list. kapi_cobj_prep_json gives the JSON the cache serves for the
 * object at revision rev: the stored bytes with resourceVersion spliced in
 * after metadata.uid, as kapi_cobj_from_kv would write them. */
struct kapi_cobj_prep;
struct kapi_cobj_prep *kapi_cache_prepare(const struct kapi_rcache *rc, const char *key, const char *stored,
                                          size_t len, const struct kapi_value *obj);
struct kapi_blob *kapi_cobj_prep_json(const struct kapi_cobj_prep *p, int64_t rev);
void kapi_cache_offer(struct kapi_cache *c, struct kapi_cobj_prep *p); /* p stays the caller's too */
void kapi_cache_withdraw(struct kapi_cache *c, struct kapi_cobj_prep *p);
void kapi_cobj_prep_unref(struct kapi_cobj_prep *p);
size_t kapi_cache_offered(struct kapi_cache *c); /* offers waiting (tests) */

#endif
