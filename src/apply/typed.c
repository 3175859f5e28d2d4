/* apply/typed: structured-merge-diff's typed walkers over the value model:
 * the field set of a value (ToFieldSet), merge (Merge with the "config wins"
 * leaf rule), comparison (Compare: added / removed / modified paths) and
 * removal of paths (RemoveItems). Lists of type map are matched by their key
 * fields (with schema defaults for absent keys), sets by value; atomic lists,
 * atomic maps/structs, scalars and empty/null containers are leaves. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ssa_int.h"

#define PATH_CAP (SSA_MAX_DEPTH + 4)

/* ------------------------------------------------------------------ */
/* type resolution                                                     */

struct tinfo {
    enum kapi_ssa_kind kind;
    bool atomic;
    int lkind; /* lists: 0 atomic, 1 set, 2 map */
};

static struct tinfo resolve(struct kapi_ssa_type t, const struct kapi_value *v)
{
    struct tinfo ti = {KAPI_SSA_SCALAR, true, 0};
    const struct ssa_ops *ops = t.impl;
    if (!ops) {
        /* deduced: maps are granular, lists atomic, the rest scalars */
        if (v && v->type == KAPI_V_OBJECT) {
            ti.kind = KAPI_SSA_MAP;
            ti.atomic = false;
        } else if (v && v->type == KAPI_V_ARRAY) {
            ti.kind = KAPI_SSA_LIST;
        }
        return ti;
    }
    ti.kind = ops->kind(t);
    if (ti.kind == KAPI_SSA_UNTYPED)
        return resolve(ssa_untyped(), v);
    if (ti.kind == KAPI_SSA_LIST) {
        ti.lkind = ops->list_kind(t);
        ti.atomic = ti.lkind == 0;
    } else if (ti.kind == KAPI_SSA_STRUCT || ti.kind == KAPI_SSA_MAP) {
        ti.atomic = ops->atomic(t);
    }
    return ti;
}

/* Type of key k of a struct/map; *declared when it is a struct field,
 * *unknown when the struct neither declares it nor allows extra keys. */
static struct kapi_ssa_type child_type(struct kapi_ssa_type t, const char *k, size_t kl, bool *declared,
                                       bool *unknown)
{
    struct kapi_ssa_type out = ssa_untyped();
    *declared = false;
    if (unknown)
        *unknown = false;
    const struct ssa_ops *ops = t.impl;
    if (!ops)
        return out;
    if (ops->field(t, k, kl, &out)) {
        *declared = true;
        return out;
    }
    if (ops->elem(t, &out))
        return out;
    if (unknown)
        *unknown = true;
    return ssa_untyped();
}

static struct kapi_ssa_type elem_type(struct kapi_ssa_type t)
{
    struct kapi_ssa_type out = ssa_untyped();
    const struct ssa_ops *ops = t.impl;
    if (ops && ops->elem(t, &out))
        return out;
    return ssa_untyped();
}

static int kv_sort(const void *x, const void *y)
{
    const struct ssa_kv *a = x, *b = y;
    size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
    int c = memcmp(a->name, b->name, n);
    return c ? c : (a->nlen < b->nlen ? -1 : a->nlen > b->nlen);
}

/* The path element of list item i (SMD's listItemToPathElement). Returns 0,
 * or -1 with *err (upstream's text). */
static int item_pe(struct kapi_pool *pool, struct kapi_ssa_type lt, const struct tinfo *ti, size_t i,
                   const struct kapi_value *item, struct ssa_pe *pe, const char **err)
{
    memset(pe, 0, sizeof(*pe));
    if (ti->lkind == 0) {
        pe->kind = PE_INDEX;
        pe->index = (int64_t)i;
        return 0;
    }
    const char *names[SSA_MAX_KEYS];
    size_t nk = 0;
    const struct ssa_ops *ops = lt.impl;
    if (ti->lkind == 2 && ops)
        nk = ops->list_keys(lt, names, SSA_MAX_KEYS);
    if (nk > 0) {
        if (item->type == KAPI_V_NULL) {
            *err = "associative list with keys may not have a null element";
            return -1;
        }
        if (item->type != KAPI_V_OBJECT) {
            *err = "associative list with keys may not have non-map elements";
            return -1;
        }
        struct ssa_kv *kv = kapi_pool_alloc(pool, nk * sizeof(*kv));
        for (size_t k = 0; k < nk; k++) {
            /* names may live in adapter scratch space: copy */
            size_t nl = strlen(names[k]);
            kv[k].name = kapi_pool_strndup(pool, names[k], nl);
            kv[k].nlen = nl;
            kv[k].val = kapi_obj_get(item, kv[k].name);
            if (!kv[k].val)
                kv[k].val = ops->key_default(pool, lt, kv[k].name);
            if (!kv[k].val) {
                *err = kapi_pool_printf(pool,
                                        "associative list with keys has an element that omits key field \"%s\" "
                                        "(and doesn't have default value)",
                                        kv[k].name);
                return -1;
            }
        }
        qsort(kv, nk, sizeof(*kv), kv_sort);
        pe->kind = PE_KEY;
        pe->keys = kv;
        pe->nkeys = nk;
        return 0;
    }
    switch (item->type) {
    case KAPI_V_OBJECT:
        *err = "associative list without keys has an element that's a map type";
        return -1;
    case KAPI_V_ARRAY:
        *err = "not supported: associative list with lists as elements";
        return -1;
    case KAPI_V_NULL:
        *err = "associative list without keys has an element that's an explicit null";
        return -1;
    default:
        pe->kind = PE_VALUE;
        pe->val = item;
        return 0;
    }
}

/* The items of a granular list indexed by path element, first occurrence
 * kept; order[] is document order, sorted[] sorted for lookup. */
struct pindex {
    struct ssa_pe *pe;
    const struct kapi_value **val;
    size_t n;
    size_t *sorted;
    bool dup; /* a repeated key was seen */
    const char *dup_text;
};

/* qsort_r's comparator: the index travels as its argument (workers run
 * field tracking at the same time, so no shared state). */
static int pidx_cmp(const void *x, const void *y, void *ctx)
{
    const struct pindex *px = ctx;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int c = ssa_pe_cmp(&px->pe[a], &px->pe[b]);
    if (c)
        return c;
    return a < b ? -1 : a > b;
}

static long pindex_find(const struct pindex *px, const struct ssa_pe *pe)
{
    size_t lo = 0, hi = px->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ssa_pe_cmp(&px->pe[px->sorted[mid]], pe);
        if (c == 0)
            return (long)px->sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Builds the index; errors (bad items) are reported through errfn. */
typedef void (*item_err_fn)(void *ctx, size_t i, const char *msg);
static void pindex_build(struct kapi_pool *pool, struct pindex *px, struct kapi_ssa_type lt, const struct tinfo *ti,
                         const struct kapi_value *list, item_err_fn errfn, void *ectx)
{
    memset(px, 0, sizeof(*px));
    size_t n = list && list->type == KAPI_V_ARRAY ? list->u.arr.len : 0;
    if (!n)
        return;
    struct ssa_pe *pes = kapi_pool_alloc(pool, n * sizeof(*pes));
    const struct kapi_value **vals = kapi_pool_alloc(pool, n * sizeof(*vals));
    size_t *idx = kapi_pool_alloc(pool, n * sizeof(*idx));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *err = NULL;
        if (item_pe(pool, lt, ti, i, list->u.arr.items[i], &pes[m], &err) < 0) {
            if (errfn)
                errfn(ectx, i, err);
            continue;
        }
        vals[m] = list->u.arr.items[i];
        idx[m] = m;
        m++;
    }
    px->pe = pes;
    px->val = vals;
    px->n = m;
    px->sorted = idx;
    qsort_r(idx, m, sizeof(*idx), pidx_cmp, px);
    /* drop repeated elements after their first occurrence */
    bool *drop = NULL;
    for (size_t i = 1; i < m; i++)
        if (ssa_pe_cmp(&pes[idx[i - 1]], &pes[idx[i]]) == 0) {
            if (!drop)
                drop = kapi_pool_calloc(pool, m * sizeof(*drop));
            drop[idx[i]] = true;
            if (!px->dup) {
                px->dup = true;
                struct kapi_buf b;
                kapi_buf_init(&b, 1 << 16);
                ssa_pe_string(&b, &pes[idx[i]]);
                px->dup_text = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
                kapi_buf_dispose(&b);
            }
        }
    if (drop) {
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            if (!drop[i]) {
                pes[k] = pes[i];
                vals[k] = vals[i];
                k++;
            }
        px->n = k;
        for (size_t i = 0; i < k; i++)
            idx[i] = i;
        qsort_r(idx, k, sizeof(*idx), pidx_cmp, px);
    }
}

/* ------------------------------------------------------------------ */
/* ToFieldSet                                                          */

struct tsctx {
    struct kapi_pool *pool;
    struct ssa_set *set;
    struct ssa_pe path[PATH_CAP];
    struct ssa_verr *errs;
    bool builtin;
    size_t depth_for_err;
};

static void verr_add(struct tsctx *c, size_t depth, const char *msg)
{
    if (!c->errs || c->errs->n >= 100)
        return;
    char *p = ssa_path_string(c->pool, c->path, depth);
    if (c->errs->b->len)
        kapi_buf_putc(c->errs->b, '\n');
    if (p[0])
        kapi_buf_printf(c->errs->b, "%s: %s", p, msg);
    else
        kapi_buf_puts(c->errs->b, msg);
    c->errs->n++;
}

static void ts_item_err(void *ctx, size_t i, const char *msg)
{
    struct tsctx *c = ctx;
    verr_add(c, c->depth_for_err, kapi_pool_printf(c->pool, "element %zu: %s", i, msg));
}

static void ts_walk(struct tsctx *c, struct kapi_ssa_type t, const struct kapi_value *v, size_t depth)
{
    if (depth >= SSA_MAX_DEPTH) {
        ssa_set_insert(c->pool, c->set, c->path, depth);
        return;
    }
    struct tinfo ti = resolve(t, v);
    switch (ti.kind) {
    case KAPI_SSA_LIST: {
        if (ti.atomic || !v || v->type != KAPI_V_ARRAY || v->u.arr.len > SSA_MAX_ITEMS) {
            if (ti.atomic || (v && v->type == KAPI_V_ARRAY))
                ssa_set_insert(c->pool, c->set, c->path, depth);
            return;
        }
        struct pindex px;
        c->depth_for_err = depth;
        pindex_build(c->pool, &px, t, &ti, v, c->errs ? ts_item_err : NULL, c);
        if (px.dup && c->errs)
            verr_add(c, depth, kapi_pool_printf(c->pool, "duplicate entries for key %s", px.dup_text));
        struct kapi_ssa_type et = elem_type(t);
        for (size_t i = 0; i < px.n; i++) {
            c->path[depth] = px.pe[i];
            ts_walk(c, et, px.val[i], depth + 1);
            ssa_set_insert(c->pool, c->set, c->path, depth + 1);
        }
        return;
    }
    case KAPI_SSA_STRUCT:
    case KAPI_SSA_MAP:
        if (ti.atomic) {
            ssa_set_insert(c->pool, c->set, c->path, depth);
            return;
        }
        if (!v || v->type != KAPI_V_OBJECT)
            return;
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const struct kapi_member *m = &v->u.obj.members[i];
            bool declared, unknown;
            struct kapi_ssa_type ct = child_type(t, m->key, m->klen, &declared, &unknown);
            c->path[depth] = ssa_pe_field(m->key, m->klen);
            if (unknown && c->builtin && c->errs)
                verr_add(c, depth + 1, "field not declared in schema");
            ts_walk(c, ct, m->val, depth + 1);
            if (!declared)
                ssa_set_insert(c->pool, c->set, c->path, depth + 1);
        }
        return;
    default:
        ssa_set_insert(c->pool, c->set, c->path, depth);
        return;
    }
}

struct ssa_set *ssa_to_set(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *v,
                           struct ssa_verr *errs)
{
    struct tsctx *c = kapi_xcalloc(1, sizeof(*c));
    c->pool = pool;
    c->set = ssa_set_new(pool);
    c->errs = errs;
    c->builtin = ssa_type_is_builtin(t);
    if (v)
        ts_walk(c, t, v, 0);
    struct ssa_set *s = c->set;
    free(c);
    return s;
}

/* ------------------------------------------------------------------ */
/* Merge                                                               */

static bool empty_list(const struct kapi_value *v)
{
    return !v || v->type != KAPI_V_ARRAY || v->u.arr.len == 0;
}

static bool empty_map(const struct kapi_value *v)
{
    return !v || v->type != KAPI_V_OBJECT || v->u.obj.len == 0;
}

static struct kapi_value *mg(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *l,
                             const struct kapi_value *r, int depth);

static struct kapi_value *mg_list(struct kapi_pool *pool, struct kapi_ssa_type t, const struct tinfo *ti,
                                  const struct kapi_value *l, const struct kapi_value *r, int depth)
{
    struct pindex lx, rx;
    pindex_build(pool, &rx, t, ti, r, NULL, NULL);
    pindex_build(pool, &lx, t, ti, l, NULL, NULL);
    struct kapi_ssa_type et = elem_type(t);
    struct kapi_value *out = kapi_value_array(pool);
    /* the shared elements in config order */
    size_t *shared = kapi_pool_alloc(pool, (rx.n + 1) * sizeof(*shared));
    size_t nshared = 0, si = 0;
    for (size_t i = 0; i < rx.n; i++)
        if (pindex_find(&lx, &rx.pe[i]) >= 0)
            shared[nshared++] = i;
    const struct ssa_pe *next = si < nshared ? &rx.pe[shared[si++]] : NULL;
    size_t li = 0, ri = 0;
    while (li < lx.n || ri < rx.n) {
        size_t pl = li, pr = ri;
        if (li < lx.n && ri < rx.n) {
            const struct ssa_pe *pe = &lx.pe[li];
            if (ssa_pe_cmp(pe, &rx.pe[ri]) == 0) {
                struct kapi_value *o = mg(pool, et, lx.val[li], rx.val[ri], depth + 1);
                if (o)
                    kapi_arr_push(pool, out, o);
                li++;
                ri++;
                next = si < nshared ? &rx.pe[shared[si++]] : NULL;
                continue;
            }
            if (pindex_find(&rx, pe) >= 0 && next && ssa_pe_cmp(next, pe) != 0) {
                li++;
                continue;
            }
        }
        if (li < lx.n && pindex_find(&rx, &lx.pe[li]) < 0) {
            struct kapi_value *o = mg(pool, et, lx.val[li], NULL, depth + 1);
            if (o)
                kapi_arr_push(pool, out, o);
            li++;
            continue;
        }
        if (ri < rx.n) {
            const struct ssa_pe *pe = &rx.pe[ri];
            long lj = pindex_find(&lx, pe);
            struct kapi_value *o = mg(pool, et, lj >= 0 ? lx.val[lj] : NULL, rx.val[ri], depth + 1);
            if (o)
                kapi_arr_push(pool, out, o);
            ri++;
            if (next && ssa_pe_cmp(next, pe) == 0)
                next = si < nshared ? &rx.pe[shared[si++]] : NULL;
        }
        if (pl == li && pr == ri)
            li++; /* a shared element already merged: skip its second visit */
    }
    return out->u.arr.len ? out : NULL;
}

static struct kapi_value *mg_map(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *l,
                                 const struct kapi_value *r, int depth)
{
    struct kapi_value *out = kapi_value_object(pool);
    bool lo = l && l->type == KAPI_V_OBJECT, ro = r && r->type == KAPI_V_OBJECT;
    if (lo)
        for (size_t i = 0; i < l->u.obj.len; i++) {
            const struct kapi_member *m = &l->u.obj.members[i];
            bool declared;
            struct kapi_ssa_type ct = child_type(t, m->key, m->klen, &declared, NULL);
            const struct kapi_value *rv = ro ? kapi_obj_get(r, m->key) : NULL;
            struct kapi_value *o = mg(pool, ct, m->val, rv, depth + 1);
            if (o)
                kapi_obj_set(pool, out, m->key, o);
        }
    if (ro)
        for (size_t i = 0; i < r->u.obj.len; i++) {
            const struct kapi_member *m = &r->u.obj.members[i];
            if (lo && kapi_obj_get(l, m->key))
                continue;
            bool declared;
            struct kapi_ssa_type ct = child_type(t, m->key, m->klen, &declared, NULL);
            struct kapi_value *o = mg(pool, ct, NULL, m->val, depth + 1);
            if (o)
                kapi_obj_set(pool, out, m->key, o);
        }
    return out->u.obj.len ? out : NULL;
}

static struct kapi_value *mg(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *l,
                             const struct kapi_value *r, int depth)
{
    const struct kapi_value *leaf = r ? r : l;
    if (!leaf)
        return NULL;
    if (depth >= SSA_MAX_DEPTH)
        return (struct kapi_value *)leaf;
    struct tinfo tl = resolve(t, l), tr = resolve(t, r);
    if (l && r && tl.kind != tr.kind)
        return (struct kapi_value *)r;
    struct tinfo ti = l ? tl : tr;
    switch (ti.kind) {
    case KAPI_SSA_LIST:
        if (ti.atomic || (empty_list(l) && empty_list(r)) || (l && l->type == KAPI_V_ARRAY && l->u.arr.len > SSA_MAX_ITEMS) ||
            (r && r->type == KAPI_V_ARRAY && r->u.arr.len > SSA_MAX_ITEMS))
            return (struct kapi_value *)leaf;
        return mg_list(pool, t, &ti, l, r, depth);
    case KAPI_SSA_STRUCT:
    case KAPI_SSA_MAP:
        if (ti.atomic || (empty_map(l) && empty_map(r)))
            return (struct kapi_value *)leaf;
        return mg_map(pool, t, l, r, depth);
    default:
        return (struct kapi_value *)leaf;
    }
}

struct kapi_value *ssa_merge(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *lhs,
                             const struct kapi_value *rhs)
{
    struct kapi_value *v = mg(pool, t, lhs, rhs, 0);
    return v ? v : kapi_value_object(pool);
}

/* ------------------------------------------------------------------ */
/* Compare                                                             */

struct cmpctx {
    struct kapi_pool *pool;
    struct ssa_cmp *out;
    /* Changed-set mode (ssa_changed_set): added and modified paths go to
     * `changed`, removed ones nowhere; ign[d] / strip[d] are the nodes of
     * the ignored and stripped sets at path[0..d) (NULL: none below). */
    struct ssa_set *changed;
    const struct ssa_set *ign[PATH_CAP];
    const struct ssa_set *strip[PATH_CAP];
    struct ssa_pe path[PATH_CAP];
};

/* The path path[0..depth) when it is a member of the stripped set. */
static bool stripped(const struct cmpctx *c, size_t depth)
{
    return depth > 0 && c->strip[depth - 1] && ssa_set_has_member(c->strip[depth - 1], &c->path[depth - 1]);
}

static void cmp_put(struct cmpctx *c, struct ssa_set *which, size_t depth)
{
    if (c->changed) {
        if (which == c->out->removed || stripped(c, depth))
            return;
        which = c->changed;
    }
    ssa_set_insert(c->pool, which, c->path, depth);
}

static bool is_container(const struct kapi_value *v)
{
    return v && (v->type == KAPI_V_OBJECT || v->type == KAPI_V_ARRAY);
}

/* Sets path[depth] to pe before a walk below it. In changed-set mode,
 * false when nothing below can be kept: pe is under an ignored member
 * (everything there is dropped), or a stripped member whose values on both
 * sides are not containers (only the path itself could be added). */
static bool cmp_enter(struct cmpctx *c, size_t depth, const struct ssa_pe *pe, const struct kapi_value *l,
                      const struct kapi_value *r)
{
    c->path[depth] = *pe;
    if (!c->changed)
        return true;
    const struct ssa_set *ig = c->ign[depth], *st = c->strip[depth];
    if (ig && ssa_set_has_member(ig, pe))
        return false;
    if (st && !is_container(l) && !is_container(r) && ssa_set_has_member(st, pe))
        return false;
    if (depth + 1 < PATH_CAP) {
        c->ign[depth + 1] = ig ? ssa_set_child(ig, pe) : NULL;
        c->strip[depth + 1] = st ? ssa_set_child(st, pe) : NULL;
    }
    return true;
}

static void cmp_leaf(struct cmpctx *c, const struct kapi_value *l, const struct kapi_value *r, size_t depth)
{
    if (!l)
        cmp_put(c, c->out->added, depth);
    else if (!r)
        cmp_put(c, c->out->removed, depth);
    else if (!ssa_veq(l, r))
        cmp_put(c, c->out->modified, depth);
}

static void cmp_walk(struct cmpctx *c, struct kapi_ssa_type t, const struct kapi_value *l,
                     const struct kapi_value *r, size_t depth)
{
    if (!l && !r)
        return;
    if (depth >= SSA_MAX_DEPTH) {
        cmp_leaf(c, l, r, depth);
        return;
    }
    struct tinfo tl = resolve(t, l), tr = resolve(t, r);
    if (l && r && tl.kind != tr.kind) {
        cmp_leaf(c, l, r, depth);
        return;
    }
    struct tinfo ti = l ? tl : tr;
    switch (ti.kind) {
    case KAPI_SSA_LIST: {
        if (ti.atomic || (empty_list(l) && empty_list(r)) || (l && l->type == KAPI_V_ARRAY && l->u.arr.len > SSA_MAX_ITEMS) ||
            (r && r->type == KAPI_V_ARRAY && r->u.arr.len > SSA_MAX_ITEMS)) {
            cmp_leaf(c, l, r, depth);
            return;
        }
        struct pindex lx, rx;
        pindex_build(c->pool, &lx, t, &ti, l, NULL, NULL);
        pindex_build(c->pool, &rx, t, &ti, r, NULL, NULL);
        struct kapi_ssa_type et = elem_type(t);
        for (size_t i = 0; i < lx.n; i++) {
            long j = pindex_find(&rx, &lx.pe[i]);
            const struct kapi_value *rv = j >= 0 ? rx.val[j] : NULL;
            if (cmp_enter(c, depth, &lx.pe[i], lx.val[i], rv))
                cmp_walk(c, et, lx.val[i], rv, depth + 1);
        }
        for (size_t i = 0; i < rx.n; i++) {
            if (pindex_find(&lx, &rx.pe[i]) >= 0)
                continue;
            if (cmp_enter(c, depth, &rx.pe[i], NULL, rx.val[i]))
                cmp_walk(c, et, NULL, rx.val[i], depth + 1);
        }
        break;
    }
    case KAPI_SSA_STRUCT:
    case KAPI_SSA_MAP: {
        if (ti.atomic || (empty_map(l) && empty_map(r))) {
            cmp_leaf(c, l, r, depth);
            return;
        }
        bool lo = l && l->type == KAPI_V_OBJECT, ro = r && r->type == KAPI_V_OBJECT;
        if (lo)
            for (size_t i = 0; i < l->u.obj.len; i++) {
                const struct kapi_member *m = &l->u.obj.members[i];
                const struct kapi_value *rv = ro ? kapi_obj_get(r, m->key) : NULL;
                struct ssa_pe pe = ssa_pe_field(m->key, m->klen);
                if (!cmp_enter(c, depth, &pe, m->val, rv))
                    continue;
                bool declared;
                struct kapi_ssa_type ct = child_type(t, m->key, m->klen, &declared, NULL);
                cmp_walk(c, ct, m->val, rv, depth + 1);
            }
        if (ro)
            for (size_t i = 0; i < r->u.obj.len; i++) {
                const struct kapi_member *m = &r->u.obj.members[i];
                if (lo && kapi_obj_get(l, m->key))
                    continue;
                struct ssa_pe pe = ssa_pe_field(m->key, m->klen);
                if (!cmp_enter(c, depth, &pe, NULL, m->val))
                    continue;
                bool declared;
                struct kapi_ssa_type ct = child_type(t, m->key, m->klen, &declared, NULL);
                cmp_walk(c, ct, NULL, m->val, depth + 1);
            }
        break;
    }
    default:
        cmp_leaf(c, l, r, depth);
        return;
    }
    /* a container that appeared or disappeared as a whole */
    if (!l)
        cmp_put(c, c->out->added, depth);
    else if (!r)
        cmp_put(c, c->out->removed, depth);
}

static pthread_key_t cmp_key;
static pthread_once_t cmp_once = PTHREAD_ONCE_INIT;

static void cmp_key_init(void)
{
    if (pthread_key_create(&cmp_key, free) != 0)
        abort();
}

/* Each thread keeps one context (14 KB of paths, written before they are
 * read, so never cleared); compares do not nest. */
static struct cmpctx *cmp_ctx(void)
{
    pthread_once(&cmp_once, cmp_key_init);
    struct cmpctx *c = pthread_getspecific(cmp_key);
    if (!c) {
        c = kapi_xmalloc(sizeof(*c));
        if (pthread_setspecific(cmp_key, c) != 0)
            abort();
    }
    return c;
}

void ssa_compare(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *lhs,
                 const struct kapi_value *rhs, struct ssa_cmp *out)
{
    out->added = ssa_set_new(pool);
    out->removed = ssa_set_new(pool);
    out->modified = ssa_set_new(pool);
    struct cmpctx *c = cmp_ctx();
    c->pool = pool;
    c->out = out;
    c->changed = NULL;
    cmp_walk(c, t, lhs, rhs, 0);
    c->pool = NULL;
    c->out = NULL;
}

struct ssa_set *ssa_changed_set(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *lhs,
                                const struct kapi_value *rhs, const struct ssa_set *ignored,
                                const struct ssa_set *strip)
{
    /* out only names the kinds of paths cmp_put is handed */
    struct ssa_set added = {0}, removed = {0}, modified = {0};
    struct ssa_cmp out = {&added, &removed, &modified};
    struct cmpctx *c = cmp_ctx();
    c->pool = pool;
    c->out = &out;
    c->changed = ssa_set_new(pool);
    c->ign[0] = ssa_set_empty(ignored) ? NULL : ignored;
    c->strip[0] = ssa_set_empty(strip) ? NULL : strip;
    cmp_walk(c, t, lhs, rhs, 0);
    struct ssa_set *s = c->changed;
    c->pool = NULL;
    c->out = NULL;
    c->changed = NULL;
    return s;
}

/* ------------------------------------------------------------------ */
/* RemoveItems                                                         */

static struct kapi_value *rm(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *v,
                             const struct ssa_set *set, int depth)
{
    if (depth >= SSA_MAX_DEPTH)
        return (struct kapi_value *)v;
    struct tinfo ti = resolve(t, v);
    switch (ti.kind) {
    case KAPI_SSA_LIST: {
        if (v->type != KAPI_V_ARRAY || v->u.arr.len == 0 || ti.atomic)
            return kapi_value_null(pool);
        struct kapi_ssa_type et = elem_type(t);
        struct kapi_value *out = kapi_value_array(pool);
        for (size_t i = 0; i < v->u.arr.len; i++) {
            const struct kapi_value *item = v->u.arr.items[i];
            struct ssa_pe pe;
            const char *err = NULL;
            if (item_pe(pool, t, &ti, i, item, &pe, &err) == 0) {
                if (ssa_set_has_member(set, &pe))
                    continue;
                const struct ssa_set *sub = ssa_set_child(set, &pe);
                if (sub && !ssa_set_empty(sub))
                    item = rm(pool, et, item, sub, depth + 1);
            }
            kapi_arr_push(pool, out, (struct kapi_value *)item);
        }
        return out->u.arr.len ? out : kapi_value_null(pool);
    }
    case KAPI_SSA_STRUCT:
    case KAPI_SSA_MAP: {
        if (v->type != KAPI_V_OBJECT || v->u.obj.len == 0 || ti.atomic)
            return kapi_value_null(pool);
        struct kapi_value *out = kapi_value_object(pool);
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const struct kapi_member *m = &v->u.obj.members[i];
            struct ssa_pe pe = ssa_pe_field(m->key, m->klen);
            if (ssa_set_has_member(set, &pe))
                continue;
            const struct kapi_value *val = m->val;
            const struct ssa_set *sub = ssa_set_child(set, &pe);
            if (sub && !ssa_set_empty(sub)) {
                bool declared;
                struct kapi_ssa_type ct = child_type(t, m->key, m->klen, &declared, NULL);
                val = rm(pool, ct, val, sub, depth + 1);
            }
            kapi_obj_set(pool, out, m->key, (struct kapi_value *)val);
        }
        return out->u.obj.len ? out : kapi_value_null(pool);
    }
    default:
        return (struct kapi_value *)v;
    }
}

struct kapi_value *ssa_remove(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *v,
                              const struct ssa_set *set)
{
    if (!v)
        return NULL;
    if (ssa_set_empty(set))
        return (struct kapi_value *)v;
    return rm(pool, t, v, set, 0);
}
