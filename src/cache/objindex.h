/* The watch cache's ordered index of one resource's objects by storage key.
 *
 * Lists walk it in key order (pages resume after a key, a namespace is a key
 * range), the watch feed inserts and removes one object per event, and gets
 * look one key up. A single sorted array made every insert move half the
 * array (O(n) per write: a quarter of a megabyte at 60,000 objects); here
 * the keys sit in sorted chunks of at most KAPI_OI_CHUNK pointers, in a
 * sorted array of chunks, so a write moves at most one chunk's worth of
 * pointers (and, on a split or when a chunk empties, the array of chunks,
 * n / KAPI_OI_CHUNK pointers). Not thread-safe: the cache's per-resource
 * lock guards it. It holds pointers only; references stay the caller's. */
#ifndef KAPI_CACHE_OBJINDEX_H
#define KAPI_CACHE_OBJINDEX_H

#include <stddef.h>

struct kapi_cobj;

#define KAPI_OI_CHUNK 256

struct kapi_oi_chunk;

struct kapi_objindex {
    struct kapi_oi_chunk **chunks;
    size_t nchunks, cap;
    size_t n; /* objects */
};

/* A place in the index: chunk c, slot i. The end is (nchunks, 0). */
struct kapi_oi_pos {
    size_t c, i;
};

void kapi_oi_init(struct kapi_objindex *x);
/* Frees the index's memory (not the objects) and leaves it empty. */
void kapi_oi_reset(struct kapi_objindex *x);
struct kapi_cobj *kapi_oi_get(const struct kapi_objindex *x, const char *key);
/* Inserts o, or replaces the object with o's key and returns it. */
struct kapi_cobj *kapi_oi_put(struct kapi_objindex *x, struct kapi_cobj *o);
/* Removes and returns the object with key, or NULL. */
struct kapi_cobj *kapi_oi_take(struct kapi_objindex *x, const char *key);
/* The first object whose key is >= key (> key with after set). */
struct kapi_oi_pos kapi_oi_seek(const struct kapi_objindex *x, const char *key, int after);
struct kapi_oi_pos kapi_oi_first(const struct kapi_objindex *x);
/* The object at p, or NULL at the end. */
struct kapi_cobj *kapi_oi_at(const struct kapi_objindex *x, struct kapi_oi_pos p);
void kapi_oi_next(const struct kapi_objindex *x, struct kapi_oi_pos *p);
/* How many objects come before p. */
size_t kapi_oi_rank(const struct kapi_objindex *x, struct kapi_oi_pos p);

#endif
