/* Lookups over the generated type tables (types_gen.c). */
#include "schema.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../base/base.h"

static int cmp_name_len(const char *a, const char *b, size_t blen)
{
    /* Byte-wise order, the same order the generator sorted by. */
    size_t alen = strlen(a);
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static const struct kapi_schema_msg *msg_search(size_t lo, size_t hi, const char *full)
{
    size_t n = strlen(full);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name_len(kapi_schema_msgs[mid].full_name, full, n);
        if (c == 0)
            return &kapi_schema_msgs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct kapi_schema_msg *kapi_schema_msg_find(const char *full_name)
{
    if (!full_name)
        return NULL;
    return msg_search(0, kapi_schema_nmsgs, full_name);
}

static const struct kapi_schema_msg *find_in_pkg(const struct kapi_schema_pkg *p, const char *kind)
{
    /* messages are sorted by full name: binary-search "<package>.<kind>" */
    char full[256];
    int n = snprintf(full, sizeof(full), "%s.%s", p->name, kind);
    if (n < 0 || (size_t)n >= sizeof(full))
        return NULL;
    return msg_search(p->first_msg, (size_t)p->first_msg + p->nmsgs, full);
}

static const struct kapi_schema_msg *kind_find(const char *group, const char *version, const char *kind);

/* Every encode and decode asks for its kind: the last few answers are kept
 * per thread (keys copied; oversized ones are not cached). */
#define KIND_CACHE 4
struct kind_cache_ent {
    char group[64], version[16], kind[64];
    const struct kapi_schema_msg *m;
};
static _Thread_local struct kind_cache_ent kind_cache[KIND_CACHE];
static _Thread_local unsigned kind_cache_next;

const struct kapi_schema_msg *kapi_schema_kind_find(const char *group, const char *version,
                                                    const char *kind)
{
    if (!group || !version || !kind || !*kind)
        return NULL;
    size_t gl = strlen(group), vl = strlen(version), kl = strlen(kind);
    bool cacheable = gl < sizeof(kind_cache[0].group) && vl < sizeof(kind_cache[0].version) &&
                     kl < sizeof(kind_cache[0].kind);
    if (cacheable)
        for (unsigned i = 0; i < KIND_CACHE; i++) {
            struct kind_cache_ent *e = &kind_cache[i];
            if (e->m && kapi_streq(e->kind, kind) && kapi_streq(e->version, version) &&
                kapi_streq(e->group, group))
                return e->m;
        }
    const struct kapi_schema_msg *m = kind_find(group, version, kind);
    if (m && cacheable) {
        struct kind_cache_ent *e = &kind_cache[kind_cache_next++ % KIND_CACHE];
        memcpy(e->group, group, gl + 1);
        memcpy(e->version, version, vl + 1);
        memcpy(e->kind, kind, kl + 1);
        e->m = m;
    }
    return m;
}

static const struct kapi_schema_msg *kind_find(const char *group, const char *version, const char *kind)
{
    const struct kapi_schema_pkg *own = NULL, *meta = NULL;
    for (size_t i = 0; i < kapi_schema_npkgs && (!own || !meta); i++) {
        const struct kapi_schema_pkg *p = &kapi_schema_pkgs[i];
        if (!p->group)
            continue;
        if (!own && strcmp(p->version, version) == 0 && strcmp(p->group, group) == 0)
            own = p;
        if (!meta && kapi_streq(p->group, "meta.k8s.io") && kapi_streq(p->version, "v1"))
            meta = p;
    }
    const struct kapi_schema_msg *m = own ? find_in_pkg(own, kind) : NULL;
    /* Group-versions embed the meta/v1 kinds (Status, DeleteOptions, ...);
     * an unknown group-version gets nothing, as upstream's scheme would. */
    if (!m && own && meta && own != meta)
        m = find_in_pkg(meta, kind);
    return m;
}

const struct kapi_schema_pkg *kapi_schema_msg_pkg(const struct kapi_schema_msg *m)
{
    return &kapi_schema_pkgs[m->pkg];
}

const struct kapi_schema_field *kapi_schema_msg_field(const struct kapi_schema_msg *m, size_t i)
{
    return i < m->nfields ? &kapi_schema_fields[m->first_field + i] : NULL;
}

/* Field by JSON name. Every decode, check and encode looks up each member
 * of each object, so this is a hash probe, not a search: one open-addressing
 * table per message (at least twice as many slots as fields), built once for
 * all messages on first use. A slot holds the field's index + 1. */
static uint16_t *name_slots;      /* all tables, back to back */
static uint32_t *name_table;      /* per message: offset of its table */
static uint8_t *name_bits;        /* per message: log2 of its table size */
static pthread_once_t name_once = PTHREAD_ONCE_INIT;
static atomic_bool name_ready;    /* set once the tables are built (skips pthread_once) */


static void name_index_init(void)
{
    size_t total = 0;
    name_table = kapi_xmalloc((kapi_schema_nmsgs ? kapi_schema_nmsgs : 1) * sizeof(*name_table));
    name_bits = kapi_xmalloc(kapi_schema_nmsgs ? kapi_schema_nmsgs : 1);
    for (size_t i = 0; i < kapi_schema_nmsgs; i++) {
        unsigned bits = 1;
        while ((1u << bits) < 2u * kapi_schema_msgs[i].nfields)
            bits++;
        name_table[i] = (uint32_t)total;
        name_bits[i] = (uint8_t)bits;
        total += 1u << bits;
    }
    name_slots = kapi_xcalloc(total ? total : 1, sizeof(*name_slots));
    for (size_t i = 0; i < kapi_schema_nmsgs; i++) {
        const struct kapi_schema_msg *m = &kapi_schema_msgs[i];
        uint16_t *t = &name_slots[name_table[i]];
        uint32_t mask = (1u << name_bits[i]) - 1;
        for (size_t k = 0; k < m->nfields; k++) {
            const struct kapi_schema_field *f = &kapi_schema_fields[m->first_field + k];
            uint32_t h = kapi_schema_name_hash(f->name, f->name_len) & mask;
            while (t[h])
                h = (h + 1) & mask;
            t[h] = (uint16_t)(k + 1);
        }
    }
    atomic_store_explicit(&name_ready, true, memory_order_release);
}

const struct kapi_schema_field *kapi_schema_field_by_name(const struct kapi_schema_msg *m,
                                                          const char *name, size_t len)
{
    if (!atomic_load_explicit(&name_ready, memory_order_acquire))
        pthread_once(&name_once, name_index_init);
    size_t mi = (size_t)(m - kapi_schema_msgs);
    const uint16_t *t = &name_slots[name_table[mi]];
    uint32_t mask = (1u << name_bits[mi]) - 1;
    for (uint32_t h = kapi_schema_name_hash(name, len) & mask; t[h]; h = (h + 1) & mask) {
        const struct kapi_schema_field *f = &kapi_schema_fields[m->first_field + t[h] - 1];
        if (f->name_len == len && kapi_schema_name_eq(f->name, name, len))
            return f;
    }
    return NULL;
}

const struct kapi_schema_field *kapi_schema_field_lookup(const struct kapi_schema_msg *m,
                                                         const char *name, size_t len,
                                                         const struct kapi_schema_msg **owner)
{
    const struct kapi_schema_field *f = kapi_schema_field_by_name(m, name, len);
    if (f && !(f->flags & KAPI_SCHEMA_F_INLINE)) {
        if (owner)
            *owner = m;
        return f;
    }
    for (size_t i = 0; i < m->nfields; i++) {
        const struct kapi_schema_field *in = &kapi_schema_fields[m->first_field + i];
        if ((in->flags & KAPI_SCHEMA_F_INLINE) &&
            (f = kapi_schema_field_lookup(kapi_schema_field_msg(in), name, len, owner)))
            return f;
    }
    return NULL;
}

const struct kapi_schema_field *kapi_schema_field_by_number(const struct kapi_schema_msg *m,
                                                            uint32_t number)
{
    if (number > m->max_number)
        return NULL;
    uint16_t i = kapi_schema_numidx[m->numidx + number];
    return i ? &kapi_schema_fields[m->first_field + i - 1] : NULL;
}

