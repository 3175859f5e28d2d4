/* Implementation of src/cache/objindex.h. */
#include "objindex.h"

#include <stdlib.h>
#include <string.h>

#include "../base/base.h"
#include "cache.h"

struct kapi_oi_chunk {
    size_t n;
    struct kapi_cobj *o[KAPI_OI_CHUNK];
};

void kapi_oi_init(struct kapi_objindex *x)
{
    memset(x, 0, sizeof(*x));
}

void kapi_oi_reset(struct kapi_objindex *x)
{
    for (size_t c = 0; c < x->nchunks; c++)
        free(x->chunks[c]);
    free(x->chunks);
    kapi_oi_init(x);
}

/* The chunk that holds key or would: the first whose last key is >= key,
 * else the last chunk. nchunks must be > 0. */
static size_t chunk_for(const struct kapi_objindex *x, const char *key)
{
    size_t lo = 0, hi = x->nchunks - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct kapi_oi_chunk *ch = x->chunks[mid];
        if (strcmp(ch->o[ch->n - 1]->key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Slot of key in ch, or its insertion point with *found = 0. */
static size_t slot_in(const struct kapi_oi_chunk *ch, const char *key, int *found)
{
    size_t lo = 0, hi = ch->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(ch->o[mid]->key, key);
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

struct kapi_cobj *kapi_oi_get(const struct kapi_objindex *x, const char *key)
{
    if (!x->nchunks)
        return NULL;
    const struct kapi_oi_chunk *ch = x->chunks[chunk_for(x, key)];
    int found;
    size_t i = slot_in(ch, key, &found);
    return found ? ch->o[i] : NULL;
}

static void chunks_insert(struct kapi_objindex *x, size_t at, struct kapi_oi_chunk *ch)
{
    if (x->nchunks == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 4;
        x->chunks = kapi_xrealloc(x->chunks, x->cap * sizeof(*x->chunks));
    }
    memmove(&x->chunks[at + 1], &x->chunks[at], (x->nchunks - at) * sizeof(*x->chunks));
    x->chunks[at] = ch;
    x->nchunks++;
}

struct kapi_cobj *kapi_oi_put(struct kapi_objindex *x, struct kapi_cobj *o)
{
    if (!x->nchunks)
        chunks_insert(x, 0, kapi_xcalloc(1, sizeof(struct kapi_oi_chunk)));
    size_t c = chunk_for(x, o->key);
    struct kapi_oi_chunk *ch = x->chunks[c];
    int found;
    size_t i = slot_in(ch, o->key, &found);
    if (found) {
        struct kapi_cobj *old = ch->o[i];
        ch->o[i] = o;
        return old;
    }
    if (ch->n == KAPI_OI_CHUNK) { /* split in halves; insert into the right one */
        struct kapi_oi_chunk *right = kapi_xcalloc(1, sizeof(*right));
        size_t half = KAPI_OI_CHUNK / 2;
        right->n = KAPI_OI_CHUNK - half;
        memcpy(right->o, &ch->o[half], right->n * sizeof(*ch->o));
        ch->n = half;
        chunks_insert(x, c + 1, right);
        if (i > half) { /* at half: the end of the left one */
            ch = right;
            i -= half;
        }
    }
    memmove(&ch->o[i + 1], &ch->o[i], (ch->n - i) * sizeof(*ch->o));
    ch->o[i] = o;
    ch->n++;
    x->n++;
    return NULL;
}

struct kapi_cobj *kapi_oi_take(struct kapi_objindex *x, const char *key)
{
    if (!x->nchunks)
        return NULL;
    size_t c = chunk_for(x, key);
    struct kapi_oi_chunk *ch = x->chunks[c];
    int found;
    size_t i = slot_in(ch, key, &found);
    if (!found)
        return NULL;
    struct kapi_cobj *o = ch->o[i];
    memmove(&ch->o[i], &ch->o[i + 1], (ch->n - i - 1) * sizeof(*ch->o));
    ch->n--;
    x->n--;
    if (!ch->n) {
        free(ch);
        memmove(&x->chunks[c], &x->chunks[c + 1], (x->nchunks - c - 1) * sizeof(*x->chunks));
        x->nchunks--;
    }
    return o;
}

/* Moves p past a chunk's end to the next chunk's start. */
static struct kapi_oi_pos norm(const struct kapi_objindex *x, struct kapi_oi_pos p)
{
    while (p.c < x->nchunks && p.i >= x->chunks[p.c]->n) {
        p.c++;
        p.i = 0;
    }
    return p;
}

struct kapi_oi_pos kapi_oi_seek(const struct kapi_objindex *x, const char *key, int after)
{
    if (!x->nchunks)
        return (struct kapi_oi_pos){0, 0};
    size_t c = chunk_for(x, key);
    int found;
    size_t i = slot_in(x->chunks[c], key, &found);
    return norm(x, (struct kapi_oi_pos){c, found && after ? i + 1 : i});
}

struct kapi_oi_pos kapi_oi_first(const struct kapi_objindex *x)
{
    return norm(x, (struct kapi_oi_pos){0, 0});
}

struct kapi_cobj *kapi_oi_at(const struct kapi_objindex *x, struct kapi_oi_pos p)
{
    return p.c < x->nchunks && p.i < x->chunks[p.c]->n ? x->chunks[p.c]->o[p.i] : NULL;
}

void kapi_oi_next(const struct kapi_objindex *x, struct kapi_oi_pos *p)
{
    p->i++;
    *p = norm(x, *p);
}

size_t kapi_oi_rank(const struct kapi_objindex *x, struct kapi_oi_pos p)
{
    size_t r = 0;
    for (size_t c = 0; c < p.c && c < x->nchunks; c++)
        r += x->chunks[c]->n;
    return r + (p.c < x->nchunks ? p.i : 0);
}
