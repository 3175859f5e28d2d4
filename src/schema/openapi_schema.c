/* Implementation of src/schema/openapi_schema.h. */
#include "openapi_schema.h"

#include <stdlib.h>
#include <string.h>

#define REF_PREFIX "#/components/schemas/"

struct ctx {
    struct kapi_pool *pool;
    struct kapi_value *schemas;
};

static const char *add_msg(struct ctx *c, const struct kapi_schema_msg *m);

const char *kapi_openapi_def_name(struct kapi_pool *pool, const struct kapi_schema_msg *m)
{
    const char *full = m->full_name;
    /* Proto packages start "k8s.io."; upstream names start "io.k8s." and use
     * the Go module spelling ("apiextensions-apiserver", "kube-aggregator"). */
    if (strncmp(full, "k8s.io.", 7) != 0)
        return kapi_pool_strdup(pool, full);
    size_t plen = strlen(kapi_schema_pkgs[m->pkg].name);
    char *out = kapi_pool_printf(pool, "io.k8s.%s", full + 7);
    for (size_t i = 7; i < plen && out[i]; i++)
        if (out[i] == '_')
            out[i] = '-';
    return out;
}

static struct kapi_value *str(struct kapi_pool *p, const char *s)
{
    return kapi_value_str(p, s);
}

static struct kapi_value *ref_obj(struct ctx *c, const struct kapi_schema_msg *m)
{
    const char *name = add_msg(c, m);
    struct kapi_value *r = kapi_value_object(c->pool);
    kapi_obj_set(c->pool, r, "$ref", str(c->pool, kapi_pool_printf(c->pool, REF_PREFIX "%s", name)));
    return r;
}

/* {"allOf":[{"$ref":...}]}: upstream's form when the reference has siblings. */
static struct kapi_value *allof_ref(struct ctx *c, const struct kapi_schema_msg *m, bool with_default)
{
    struct kapi_value *v = kapi_value_object(c->pool);
    struct kapi_value *a = kapi_value_array(c->pool);
    kapi_arr_push(c->pool, a, ref_obj(c, m));
    kapi_obj_set(c->pool, v, "allOf", a);
    if (with_default)
        kapi_obj_set(c->pool, v, "default", kapi_value_object(c->pool));
    return v;
}

static void scalar_type(struct kapi_pool *p, struct kapi_value *v, uint8_t kind, bool with_default)
{
    const char *type = "string", *format = NULL;
    struct kapi_value *def = NULL;
    switch ((enum kapi_pb_kind)kind) {
    case KAPI_PB_STRING:
        def = with_default ? str(p, "") : NULL;
        break;
    case KAPI_PB_BYTES:
        format = "byte";
        break;
    case KAPI_PB_BOOL:
        type = "boolean";
        def = with_default ? kapi_value_bool(p, false) : NULL;
        break;
    case KAPI_PB_INT32:
        type = "integer", format = "int32";
        def = with_default ? kapi_value_int(p, 0) : NULL;
        break;
    case KAPI_PB_INT64:
    case KAPI_PB_UINT32:
    case KAPI_PB_UINT64:
        type = "integer", format = "int64";
        def = with_default ? kapi_value_int(p, 0) : NULL;
        break;
    case KAPI_PB_DOUBLE:
        type = "number", format = "double";
        def = with_default ? kapi_value_int(p, 0) : NULL;
        break;
    case KAPI_PB_FLOAT:
        type = "number", format = "float";
        def = with_default ? kapi_value_int(p, 0) : NULL;
        break;
    case KAPI_PB_MESSAGE:
        break;
    }
    /* Keys in upstream's (sorted) order: default, format, type. */
    if (def)
        kapi_obj_set(p, v, "default", def);
    if (format)
        kapi_obj_set(p, v, "format", str(p, format));
    kapi_obj_set(p, v, "type", str(p, type));
}

static struct kapi_value *value_schema(struct ctx *c, uint8_t kind, const struct kapi_schema_msg *m,
                                       bool in_collection, bool with_default);

/* A Go named slice (ExtraValue, ...) is inlined as the array it is. */
static struct kapi_value *slice_schema(struct ctx *c, const struct kapi_schema_msg *m)
{
    struct kapi_value *v = kapi_value_object(c->pool);
    const struct kapi_schema_field *items = kapi_schema_msg_field(m, 0);
    if (items)
        kapi_obj_set(c->pool, v, "items",
                     value_schema(c, items->kind, kapi_schema_field_msg(items), true, true));
    kapi_obj_set(c->pool, v, "type", str(c->pool, "array"));
    return v;
}

/* The schema of one value of a field (the element, for lists and maps). */
static struct kapi_value *value_schema(struct ctx *c, uint8_t kind, const struct kapi_schema_msg *m,
                                       bool in_collection, bool with_default)
{
    if (kind != KAPI_PB_MESSAGE || !m) {
        struct kapi_value *v = kapi_value_object(c->pool);
        scalar_type(c->pool, v, kind, with_default);
        return v;
    }
    if (m->flags & KAPI_SCHEMA_M_SLICE)
        return slice_schema(c, m);
    if (m->special != KAPI_SCHEMA_PLAIN)
        return in_collection ? ref_obj(c, m) : allof_ref(c, m, false);
    return allof_ref(c, m, with_default);
}

static const char *patch_strategy(uint8_t bits)
{
    switch (bits) {
    case KAPI_SCHEMA_PATCH_MERGE: return "merge";
    case KAPI_SCHEMA_PATCH_RETAIN_KEYS: return "retainKeys";
    case KAPI_SCHEMA_PATCH_MERGE | KAPI_SCHEMA_PATCH_RETAIN_KEYS: return "merge,retainKeys";
    case KAPI_SCHEMA_PATCH_REPLACE: return "replace";
    default: return NULL;
    }
}

/* Upstream's rule: +required makes a field required, +optional or an
 * omitempty JSON tag makes it not, anything else is required. */
static bool field_required(const struct kapi_schema_field *f)
{
    if (f->flags & KAPI_SCHEMA_F_REQUIRED)
        return true;
    return !(f->flags & (KAPI_SCHEMA_F_OPTIONAL | KAPI_SCHEMA_F_OMITEMPTY));
}

static struct kapi_value *field_schema(struct ctx *c, const struct kapi_schema_field *f)
{
    struct kapi_pool *p = c->pool;
    const struct kapi_schema_msg *m = kapi_schema_field_msg(f);
    bool req = field_required(f);
    if (f->flags & KAPI_SCHEMA_F_MAP) {
        struct kapi_value *v = kapi_value_object(p);
        kapi_obj_set(p, v, "additionalProperties", value_schema(c, f->kind, m, true, true));
        kapi_obj_set(p, v, "type", str(p, "object"));
        return v;
    }
    if (f->flags & KAPI_SCHEMA_F_REPEATED) {
        struct kapi_value *v = kapi_value_object(p);
        kapi_obj_set(p, v, "items", value_schema(c, f->kind, m, true, true));
        kapi_obj_set(p, v, "type", str(p, "array"));
        if (f->list_map_keys) {
            struct kapi_value *keys = kapi_value_array(p);
            const char *s = f->list_map_keys;
            while (*s) {
                const char *e = strchr(s, ',');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                kapi_arr_push(p, keys, kapi_value_strn(p, s, n));
                s += n + (e ? 1 : 0);
            }
            kapi_obj_set(p, v, "x-kubernetes-list-map-keys", keys);
        }
        static const char *const lt[] = {NULL, "atomic", "set", "map"};
        if (f->list_type > 0 && f->list_type < KAPI_ARRAY_LEN(lt))
            kapi_obj_set(p, v, "x-kubernetes-list-type", str(p, lt[f->list_type]));
        if (f->patch_merge_key)
            kapi_obj_set(p, v, "x-kubernetes-patch-merge-key", str(p, f->patch_merge_key));
        const char *ps = patch_strategy(f->patch_strategy);
        if (ps)
            kapi_obj_set(p, v, "x-kubernetes-patch-strategy", str(p, ps));
        return v;
    }
    /* Go value (non-pointer) structs carry "default": {} upstream, omitempty
     * or not; the proto files do not say which fields are pointers, so: those
     * without +optional and the object's own metadata/spec/status. Scalars
     * carry their zero value as default unless omitempty (or pointers): the
     * required ones. */
    bool value_struct = (f->flags & KAPI_SCHEMA_F_REQUIRED) || !(f->flags & KAPI_SCHEMA_F_OPTIONAL) ||
                        strcmp(f->name, "metadata") == 0 || strcmp(f->name, "spec") == 0 ||
                        strcmp(f->name, "status") == 0;
    struct kapi_value *v = value_schema(c, f->kind, m, false, f->kind == KAPI_PB_MESSAGE ? value_struct : req);
    const char *ps = patch_strategy(f->patch_strategy);
    if (f->patch_merge_key)
        kapi_obj_set(p, v, "x-kubernetes-patch-merge-key", str(p, f->patch_merge_key));
    if (ps)
        kapi_obj_set(p, v, "x-kubernetes-patch-strategy", str(p, ps));
    return v;
}

struct prop {
    const char *name;
    struct kapi_value *val;
};

struct props {
    struct prop *v;
    size_t n, cap;
    struct kapi_value *required;
};

static void props_push(struct props *ps, const char *name, struct kapi_value *val)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->v[i].name, name) == 0) {
            ps->v[i].val = val;
            return;
        }
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 16;
        ps->v = kapi_xrealloc(ps->v, ps->cap * sizeof(*ps->v));
    }
    ps->v[ps->n++] = (struct prop){name, val};
}

static void collect(struct ctx *c, const struct kapi_schema_msg *m, struct props *ps, int depth)
{
    for (size_t i = 0; i < m->nfields; i++) {
        const struct kapi_schema_field *f = kapi_schema_msg_field(m, i);
        const struct kapi_schema_msg *fm = kapi_schema_field_msg(f);
        if ((f->flags & KAPI_SCHEMA_F_INLINE) && fm && depth < 8) {
            collect(c, fm, ps, depth + 1);
            continue;
        }
        props_push(ps, f->name, field_schema(c, f));
        if (field_required(f))
            kapi_arr_push(c->pool, ps->required, str(c->pool, f->name));
    }
}

static int prop_cmp(const void *a, const void *b)
{
    return strcmp(((const struct prop *)a)->name, ((const struct prop *)b)->name);
}

static bool has_typemeta(const struct kapi_schema_msg *m)
{
    const struct kapi_schema_field *md = kapi_schema_field_by_name(m, "metadata", 8);
    const struct kapi_schema_msg *mm = md ? kapi_schema_field_msg(md) : NULL;
    if (mm && (strcmp(mm->full_name, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta") == 0 ||
               strcmp(mm->full_name, "k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta") == 0))
        return true;
    const char *pkg = kapi_schema_pkgs[m->pkg].name;
    size_t n = strlen(m->name);
    /* Request-option kinds of core/v1 and meta/v1 (PodLogOptions, DeleteOptions, ...). */
    if (n > 7 && strcmp(m->name + n - 7, "Options") == 0 &&
        (strcmp(pkg, "k8s.io.api.core.v1") == 0 || strcmp(pkg, "k8s.io.apimachinery.pkg.apis.meta.v1") == 0))
        return true;
    if (n > 6 && strcmp(m->name + n - 6, "Review") == 0)
        return true;
    static const char *const meta_kinds[] = {"APIGroup", "APIGroupList", "APIResourceList", "APIVersions"};
    if (strcmp(pkg, "k8s.io.apimachinery.pkg.apis.meta.v1") == 0)
        for (size_t i = 0; i < KAPI_ARRAY_LEN(meta_kinds); i++)
            if (strcmp(m->name, meta_kinds[i]) == 0)
                return true;
    return false;
}

static void fill_special(struct ctx *c, struct kapi_value *s, const struct kapi_schema_msg *m)
{
    struct kapi_pool *p = c->pool;
    switch ((enum kapi_schema_special)m->special) {
    case KAPI_SCHEMA_TIME:
    case KAPI_SCHEMA_MICROTIME:
        kapi_obj_set(p, s, "format", str(p, "date-time"));
        kapi_obj_set(p, s, "type", str(p, "string"));
        break;
    case KAPI_SCHEMA_DURATION:
        kapi_obj_set(p, s, "type", str(p, "string"));
        break;
    case KAPI_SCHEMA_INTORSTRING:
    case KAPI_SCHEMA_QUANTITY: {
        bool ios = m->special == KAPI_SCHEMA_INTORSTRING;
        struct kapi_value *one = kapi_value_array(p);
        struct kapi_value *a = kapi_value_object(p), *b = kapi_value_object(p);
        kapi_obj_set(p, a, "type", str(p, ios ? "integer" : "string"));
        kapi_obj_set(p, b, "type", str(p, ios ? "string" : "number"));
        kapi_arr_push(p, one, a);
        kapi_arr_push(p, one, b);
        if (ios)
            kapi_obj_set(p, s, "format", str(p, "int-or-string"));
        kapi_obj_set(p, s, "oneOf", one);
        break;
    }
    case KAPI_SCHEMA_RAWEXT:
        kapi_obj_set(p, s, "type", str(p, "object"));
        break;
    case KAPI_SCHEMA_RAWJSON:
        /* FieldsV1 is an object; apiextensions JSON is any value. */
        if (strcmp(m->name, "JSON") == 0)
            kapi_obj_set(p, s, "x-kubernetes-preserve-unknown-fields", kapi_value_bool(p, true));
        else
            kapi_obj_set(p, s, "type", str(p, "object"));
        break;
    case KAPI_SCHEMA_PROPS_OR_BOOL:
    case KAPI_SCHEMA_PROPS_OR_ARRAY:
    case KAPI_SCHEMA_PROPS_OR_STRARRAY:
    case KAPI_SCHEMA_PLAIN:
        break;
    }
}

static void add_typemeta_props(struct ctx *c, struct props *ps)
{
    struct kapi_value *a = kapi_value_object(c->pool), *k = kapi_value_object(c->pool);
    kapi_obj_set(c->pool, a, "type", str(c->pool, "string"));
    kapi_obj_set(c->pool, k, "type", str(c->pool, "string"));
    props_push(ps, "apiVersion", a);
    props_push(ps, "kind", k);
}

static void fill_plain(struct ctx *c, struct kapi_value *s, const struct kapi_schema_msg *m, bool typemeta)
{
    struct kapi_pool *p = c->pool;
    struct props ps = {0};
    ps.required = kapi_value_array(p);
    if (typemeta)
        add_typemeta_props(c, &ps);
    collect(c, m, &ps, 0);
    if (ps.n)
        qsort(ps.v, ps.n, sizeof(*ps.v), prop_cmp);
    struct kapi_value *props = kapi_value_object(p);
    for (size_t i = 0; i < ps.n; i++)
        kapi_obj_set(p, props, ps.v[i].name, ps.v[i].val);
    free(ps.v);
    kapi_obj_set(p, s, "properties", props);
    if (ps.required->u.arr.len)
        kapi_obj_set(p, s, "required", ps.required);
    kapi_obj_set(p, s, "type", str(p, "object"));
}

/* Adds m's schema (once) and returns its definition name. */
static const char *add_msg(struct ctx *c, const struct kapi_schema_msg *m)
{
    const char *name = kapi_openapi_def_name(c->pool, m);
    if (kapi_obj_get(c->schemas, name))
        return name;
    struct kapi_value *s = kapi_value_object(c->pool);
    /* Registered before its fields so recursive types (JSONSchemaProps) end. */
    kapi_obj_set(c->pool, c->schemas, name, s);
    if (m->special != KAPI_SCHEMA_PLAIN)
        fill_special(c, s, m);
    else
        fill_plain(c, s, m, has_typemeta(m));
    return name;
}

/* Inserts apiVersion/kind into an existing plain schema that lacks them,
 * keeping properties sorted. */
static void ensure_typemeta(struct ctx *c, struct kapi_value *s)
{
    struct kapi_value *props = kapi_obj_get(s, "properties");
    if (!props || props->type != KAPI_V_OBJECT || kapi_obj_get(props, "kind"))
        return;
    struct props ps = {0};
    add_typemeta_props(c, &ps);
    for (size_t i = 0; i < props->u.obj.len; i++)
        props_push(&ps, props->u.obj.members[i].key, props->u.obj.members[i].val);
    qsort(ps.v, ps.n, sizeof(*ps.v), prop_cmp);
    struct kapi_value *np = kapi_value_object(c->pool);
    for (size_t i = 0; i < ps.n; i++)
        kapi_obj_set(c->pool, np, ps.v[i].name, ps.v[i].val);
    free(ps.v);
    kapi_obj_set(c->pool, s, "properties", np);
}

const char *kapi_openapi_add_kind_schema(struct kapi_pool *pool, struct kapi_value *schemas,
                                         const char *group, const char *version, const char *kind)
{
    if (!pool || !schemas || schemas->type != KAPI_V_OBJECT)
        return NULL;
    const struct kapi_schema_msg *m = kapi_schema_kind_find(group, version, kind);
    if (!m)
        return NULL;
    struct ctx c = {pool, schemas};
    const char *name = add_msg(&c, m);
    struct kapi_value *s = kapi_obj_get(schemas, name);
    if (m->special != KAPI_SCHEMA_PLAIN)
        return name;
    ensure_typemeta(&c, s);
    struct kapi_value *gvks = kapi_obj_get(s, "x-kubernetes-group-version-kind");
    if (!gvks || gvks->type != KAPI_V_ARRAY) {
        gvks = kapi_value_array(pool);
        kapi_obj_set(pool, s, "x-kubernetes-group-version-kind", gvks);
    }
    for (size_t i = 0; i < gvks->u.arr.len; i++) {
        const struct kapi_value *g = gvks->u.arr.items[i];
        const char *gg = kapi_obj_get_str(g, "group"), *gv = kapi_obj_get_str(g, "version"),
                   *gk = kapi_obj_get_str(g, "kind");
        if (gg && gv && gk && strcmp(gg, group) == 0 && strcmp(gv, version) == 0 && strcmp(gk, kind) == 0)
            return name;
    }
    struct kapi_value *g = kapi_value_object(pool);
    kapi_obj_set(pool, g, "group", str(pool, group));
    kapi_obj_set(pool, g, "kind", str(pool, kind));
    kapi_obj_set(pool, g, "version", str(pool, version));
    kapi_arr_push(pool, gvks, g);
    return name;
}

const char *kapi_openapi_add_msg_schema(struct kapi_pool *pool, struct kapi_value *schemas, const char *full_name)
{
    const struct kapi_schema_msg *m = kapi_schema_msg_find(full_name);
    if (!m || !pool || !schemas || schemas->type != KAPI_V_OBJECT)
        return NULL;
    struct ctx c = {pool, schemas};
    return add_msg(&c, m);
}

void kapi_openapi_ensure_typemeta(struct kapi_pool *pool, struct kapi_value *schemas, struct kapi_value *schema)
{
    struct ctx c = {pool, schemas};
    ensure_typemeta(&c, schema);
}
