/* apply/ssa_int.h: the engine's internals shared by the src/apply sources: path
 * elements and field sets in the shape structured-merge-diff gives them
 * (fieldset.c), the type views (types.c) and the typed walkers: field set of
 * a value, merge, compare and removal (typed.c). Not a public interface. */
#ifndef KAPI_APPLY_SSA_INT_H
#define KAPI_APPLY_SSA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ssa.h"

/* Bounds: deeper values are treated as leaves; FieldsV1 deeper than this is
 * rejected; lists longer than SSA_MAX_ITEMS are treated atomically. */
#define SSA_MAX_DEPTH 200
#define SSA_MAX_ITEMS 100000
#define SSA_MAX_KEYS 16

/* ---- path elements and sets (fieldset.c) ---- */

enum ssa_pe_kind { PE_FIELD = 0, PE_KEY = 1, PE_VALUE = 2, PE_INDEX = 3 };

struct ssa_kv {
    const char *name;
    size_t nlen;
    const struct kapi_value *val;
};

struct ssa_pe {
    enum ssa_pe_kind kind;
    const char *name;          /* PE_FIELD */
    size_t nlen;
    const struct ssa_kv *keys; /* PE_KEY, sorted by name */
    size_t nkeys;
    const struct kapi_value *val; /* PE_VALUE */
    int64_t index;             /* PE_INDEX */
};

struct ssa_set;
struct ssa_child {
    struct ssa_pe pe;
    struct ssa_set *set;
};
/* A set of paths as a tree: members are paths ending here, children hold
 * longer paths; both sorted by ssa_pe_cmp. */
struct ssa_set {
    struct ssa_pe *mem;
    size_t nmem, capm;
    struct ssa_child *ch;
    size_t nch, capc;
};

int ssa_vcmp(const struct kapi_value *a, const struct kapi_value *b);
bool ssa_veq(const struct kapi_value *a, const struct kapi_value *b);
int ssa_pe_cmp(const struct ssa_pe *a, const struct ssa_pe *b);
static inline struct ssa_pe ssa_pe_field(const char *name, size_t len)
{
    struct ssa_pe p = {.kind = PE_FIELD, .name = name, .nlen = len};
    return p;
}

struct ssa_set *ssa_set_new(struct kapi_pool *pool);
void ssa_set_insert(struct kapi_pool *pool, struct ssa_set *s, const struct ssa_pe *path, size_t n);
bool ssa_set_has(const struct ssa_set *s, const struct ssa_pe *path, size_t n);
bool ssa_set_has_member(const struct ssa_set *s, const struct ssa_pe *pe);
const struct ssa_set *ssa_set_child(const struct ssa_set *s, const struct ssa_pe *pe);
bool ssa_set_empty(const struct ssa_set *s);
struct ssa_set *ssa_set_union(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b);
struct ssa_set *ssa_set_diff(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b);
struct ssa_set *ssa_set_inter(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b);
/* a minus b, also dropping everything below a member of b. */
struct ssa_set *ssa_set_rdiff(struct kapi_pool *pool, const struct ssa_set *a, const struct ssa_set *b);
size_t ssa_set_count(const struct ssa_set *s);

/* Set.Iterate order: this level's members, then each child's paths. */
typedef void (*ssa_iter_fn)(void *ctx, const struct ssa_pe *path, size_t n);
void ssa_set_iterate(const struct ssa_set *s, ssa_iter_fn fn, void *ctx);

/* FieldsV1 JSON <-> set. to_value builds the object in upstream's member
 * order; from_value returns NULL and sets *err on malformed input. */
struct kapi_value *ssa_set_to_value(struct kapi_pool *pool, const struct ssa_set *s);
struct ssa_set *ssa_set_from_value(struct kapi_pool *pool, const struct kapi_value *v, const char **err);
/* The FieldsV1 key text of one element ("f:name", "k:{\"name\":\"a\"}"). */
char *ssa_pe_serialize(struct kapi_pool *pool, const struct ssa_pe *pe);
/* Path.String(): ".spec.containers[name=\"a\"].image". */
void ssa_pe_string(struct kapi_buf *b, const struct ssa_pe *pe);
char *ssa_path_string(struct kapi_pool *pool, const struct ssa_pe *path, size_t n);

/* ---- types (types.c) ---- */

struct ssa_ops {
    enum kapi_ssa_kind (*kind)(struct kapi_ssa_type t);
    bool (*atomic)(struct kapi_ssa_type t);
    /* A declared field of a struct: true and *out. */
    bool (*field)(struct kapi_ssa_type t, const char *name, size_t len, struct kapi_ssa_type *out);
    /* Element of a list, value type of a map, or of a struct's extra keys. */
    bool (*elem)(struct kapi_ssa_type t, struct kapi_ssa_type *out);
    int (*list_kind)(struct kapi_ssa_type t); /* 0 atomic, 1 set, 2 map */
    size_t (*list_keys)(struct kapi_ssa_type t, const char **names, size_t max);
    const struct kapi_value *(*key_default)(struct kapi_pool *pool, struct kapi_ssa_type list, const char *key);
};

static inline struct kapi_ssa_type ssa_untyped(void)
{
    struct kapi_ssa_type t = {NULL, NULL, 0};
    return t;
}
/* True for the built-in adapter. */
bool ssa_type_is_builtin(struct kapi_ssa_type t);
/* The zero object a create compares against (Go's zero value of the kind,
 * as runtime.DefaultUnstructuredConverter renders it); {} for CRDs. */
struct kapi_value *ssa_zero_object(struct kapi_pool *pool, struct kapi_ssa_type t);
/* The same, shared and read-only (built-in kinds: built once per kind). */
const struct kapi_value *ssa_zero_object_shared(struct kapi_pool *pool, struct kapi_ssa_type t);
/* Drops nulls where a Go struct decode would (built-in kinds only). */
void ssa_drop_nulls(struct kapi_ssa_type t, struct kapi_value *v, int depth);

/* ---- typed walkers (typed.c) ---- */

struct ssa_verr {
    struct kapi_buf *b; /* messages "path: text", '\n'-separated */
    size_t n;
};

/* Field set of v (SMD's ToFieldSet). With errs, also validates as SMD does
 * for an applied configuration (duplicate keys, bad list items, fields not
 * declared in a built-in schema). */
struct ssa_set *ssa_to_set(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *v,
                           struct ssa_verr *errs);
/* SMD's Merge (config wins on leaves; maps and granular lists merged). */
struct kapi_value *ssa_merge(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *lhs,
                             const struct kapi_value *rhs);
struct ssa_cmp {
    struct ssa_set *added, *removed, *modified;
};
void ssa_compare(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *lhs,
                 const struct kapi_value *rhs, struct ssa_cmp *out);
/* What a write from lhs to rhs gives its manager when nobody else owns
 * anything (a create): Compare's added and modified paths, without those
 * at or below a member of `ignored` (as ssa_set_rdiff) and without the
 * members of `strip` (as ssa_set_diff); equal to
 * diff(rdiff(union(modified, added) minus removed, ignored), strip), as
 * no path is both removed and added or modified. Either set may be NULL. */
struct ssa_set *ssa_changed_set(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *lhs,
                                const struct kapi_value *rhs, const struct ssa_set *ignored,
                                const struct ssa_set *strip);
/* SMD's RemoveItems: a copy of v without the paths of set. */
struct kapi_value *ssa_remove(struct kapi_pool *pool, struct kapi_ssa_type t, const struct kapi_value *v,
                              const struct ssa_set *set);

/* ---- tests (ssa.c) ---- */

/* kapi_ssa_update_ex without the create fast path: every write through
 * the whole manager chain (the reference the fast path is checked against). */
int ssa_update_general(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                       const struct kapi_value *old, struct kapi_value *new_obj, const char *manager,
                       const char *subresource, const char *now, const struct kapi_ssa_opts *opts,
                       const char **error);

#endif
