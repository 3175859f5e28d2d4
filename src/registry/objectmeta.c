/* Implementation of src/registry/objectmeta.h. */
#include "objectmeta.h"

#include <stdio.h>
#include <string.h>

#include "../apiext/crd.h"
#include "../codec/json.h"
#include "../storage/storage.h"
#include "defaults.h"
#include "validation.h"
#include "kinds.h"
#include "core/services.h"

struct okey {
    const char *key;
    size_t len;
};
#define OKEY(s) {s, sizeof(s) - 1}

static const struct okey meta_order[] = {
    OKEY("name"),       OKEY("generateName"), OKEY("namespace"),       OKEY("selfLink"),
    OKEY("uid"),        OKEY("resourceVersion"), OKEY("generation"),   OKEY("creationTimestamp"),
    OKEY("deletionTimestamp"), OKEY("deletionGracePeriodSeconds"), OKEY("labels"), OKEY("annotations"),
    OKEY("ownerReferences"), OKEY("finalizers"), OKEY("managedFields"),
};

/* Moves the named keys to the front in the given order; others keep their
 * relative order after them (a stable sort by each key's place in keys,
 * skipped when the members are in that order already). nkeys < 255. */
static void reorder(struct kapi_pool *pool, struct kapi_value *obj, const struct okey *keys, size_t nkeys)
{
    if (!obj || obj->type != KAPI_V_OBJECT || obj->u.obj.len < 2)
        return;
    size_t n = obj->u.obj.len;
    struct kapi_member *ms = obj->u.obj.members;
    unsigned char rank_small[64];
    unsigned char *rank = n <= sizeof(rank_small) ? rank_small : kapi_pool_alloc(pool, n);
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        const char *key = ms[i].key;
        size_t kl = ms[i].klen, k = 0;
        while (k < nkeys && !(kl == keys[k].len && key[0] == keys[k].key[0] && memcmp(key, keys[k].key, kl) == 0))
            k++;
        rank[i] = (unsigned char)k;
        sorted = sorted && (i == 0 || rank[i - 1] <= rank[i]);
    }
    if (sorted)
        return;
    size_t at[256];
    memset(at, 0, (nkeys + 2) * sizeof(*at));
    for (size_t i = 0; i < n; i++)
        at[rank[i] + 1]++;
    for (size_t k = 1; k <= nkeys; k++)
        at[k] += at[k - 1];
    struct kapi_member out_small[32];
    struct kapi_member *out = n <= KAPI_ARRAY_LEN(out_small) ? out_small : kapi_pool_alloc(pool, n * sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[at[rank[i]]++] = ms[i];
    memcpy(ms, out, n * sizeof(*out));
}

void kapi_meta_canonicalize(struct kapi_pool *pool, struct kapi_value *obj)
{
    static const struct okey top[] = {OKEY("kind"), OKEY("apiVersion"), OKEY("metadata")};
    reorder(pool, obj, top, KAPI_ARRAY_LEN(top));
    reorder(pool, kapi_obj_get(obj, "metadata"), meta_order, KAPI_ARRAY_LEN(meta_order));
}

void kapi_meta_encode_for_store(struct kapi_value *obj, struct kapi_buf *buf)
{
    struct kapi_value *md = kapi_obj_get(obj, "metadata");
    struct kapi_value *rv = kapi_obj_get(md, "resourceVersion");
    if (rv)
        kapi_obj_del(md, "resourceVersion");
    kapi_json_write(buf, obj);
    (void)rv;
}

kapi_name_fn kapi_kind_name_fn(const struct kapi_kind *k)
{
    if (k->group[0] == 0 && kapi_streq(k->resource, "namespaces"))
        return kapi_name_dns_label;
    if (k->group[0] == 0 && kapi_streq(k->resource, "services"))
        return kapi_name_dns1035_label;
    if (kapi_streq(k->group, "rbac.authorization.k8s.io") || kapi_streq(k->group, "apiregistration.k8s.io"))
        return kapi_name_path_segment;
    return kapi_name_dns_subdomain;
}

const char *kapi_meta_now(struct kapi_pool *pool)
{
    char ts[21];
    kapi_time_rfc3339(kapi_wall_ms() / 1000, ts);
    return kapi_pool_strdup(pool, ts);
}

const char *kapi_meta_time_after(struct kapi_pool *pool, int64_t seconds)
{
    char ts[21];
    kapi_time_rfc3339(kapi_wall_ms() / 1000 + seconds, ts);
    return kapi_pool_strdup(pool, ts);
}

static int check_namespace(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *md,
                           const char *url_ns, const char **bad_request)
{
    const char *ns = kapi_obj_get_str(md, "namespace");
    if (k->res->namespaced) {
        if (ns && ns[0] && url_ns && url_ns[0] && strcmp(ns, url_ns) != 0) {
            *bad_request = "the namespace of the provided object does not match the namespace sent on the request";
            return -1;
        }
        if (url_ns && url_ns[0])
            kapi_obj_set(pool, md, "namespace", kapi_value_str(pool, url_ns));
    } else {
        kapi_obj_del(md, "namespace");
    }
    return 0;
}

/* core/v1 Service: validated after the allocator's preparation, as upstream. */
static bool is_service(const struct kapi_kind *k)
{
    return k->group[0] == 0 && kapi_streq(k->kind, "Service");
}

int kapi_meta_default_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const char *url_ns, const char **bad_request)
{
    struct kapi_value *md = kapi_obj_ensure_obj(pool, obj, "metadata");
    if (check_namespace(pool, k, md, url_ns, bad_request) < 0)
        return -1;
    /* What the client may not set; the store fills them in after mutating
     * admission (webhooks see neither a uid nor a creation time). */
    kapi_obj_del(md, "uid");
    kapi_obj_del(md, "creationTimestamp");
    kapi_obj_del(md, "resourceVersion");
    kapi_obj_del(md, "selfLink");
    kapi_obj_del(md, "deletionTimestamp");
    kapi_obj_del(md, "deletionGracePeriodSeconds");
    kapi_obj_set(pool, obj, "kind", kapi_value_str(pool, k->kind));
    kapi_obj_set(pool, obj, "apiVersion", kapi_value_str(pool, k->api_version));
    kapi_defaults_apply(pool, k->group, k->version, k->kind, obj);
    return 0;
}

/* The store's part of a create, after mutating admission: the generated
 * name, uid and creation time, then the strategy's preparation. */
static void fill_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                        struct kapi_value *md)
{
    const char *name = kapi_obj_get_str(md, "name");
    const char *gen = kapi_obj_get_str(md, "generateName");
    if ((!name || !name[0]) && gen && gen[0]) {
        /* Validate the prefix first so a bad generateName is reported as such. */
        const char *msgs[KAPI_NAME_MSGS_MAX];
        if (kapi_kind_name_fn(k)(gen, true, msgs) == 0)
            kapi_obj_set(pool, md, "name", kapi_value_str(pool, kapi_generate_name(pool, gen)));
    }
    char uid[37];
    kapi_uuid(uid);
    kapi_obj_set(pool, md, "uid", kapi_value_str(pool, uid));
    kapi_obj_set(pool, md, "creationTimestamp", kapi_value_str(pool, kapi_meta_now(pool)));
    kapi_obj_del(md, "deletionTimestamp");
    kapi_obj_del(md, "deletionGracePeriodSeconds");
    if (k->flags & KAPI_KIND_GENERATION)
        kapi_obj_set(pool, md, "generation", kapi_value_int(pool, 1));
    else
        kapi_obj_del(md, "generation");
    if (k->crd)
        kapi_crd_prepare_create(pool, k, obj);
}

void kapi_meta_validate_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                               struct kapi_field_errors *errs, struct kapi_warnings *warns)
{
    struct kapi_value *md = kapi_obj_ensure_obj(pool, obj, "metadata");
    fill_create(pool, k, obj, md);
    /* the create strategy, on what mutating admission left (a pod's
     * qosClass follows the resources LimitRanger filled in) */
    kapi_defaults_prepare_create(pool, k->group, k->version, k->kind, obj);
    if (is_service(k))
        kapi_svc_prepare(pool, obj, NULL);
    kapi_kind_prepare_create_early(pool, k, obj, warns);
    kapi_validate_object_meta(pool, md, kapi_kind_name_fn(k), k->res->namespaced, errs);
    kapi_validate_kind(pool, k->group, k->version, k->kind, obj, NULL, errs);
    if (k->crd)
        kapi_crd_validate(pool, k, obj, NULL, errs);
    else if (!errs->len)
        kapi_warnings_on_create(pool, k->group, k->kind, obj, warns);
    kapi_kind_prepare_create(pool, k, obj); /* after validation, like a strategy's Canonicalize */
    kapi_meta_canonicalize(pool, obj);
}

int kapi_meta_prepare_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const char *url_ns, struct kapi_field_errors *errs, const char **bad_request)
{
    if (kapi_meta_default_create(pool, k, obj, url_ns, bad_request) < 0)
        return -1;
    kapi_meta_validate_create(pool, k, obj, errs, NULL);
    return 0;
}

/* Whether a and b differ anywhere outside metadata and status. */
static bool spec_changed(const struct kapi_value *a, const struct kapi_value *b)
{
    static const char *const skip[] = {"metadata", "status", "kind", "apiVersion"};
    for (int pass = 0; pass < 2; pass++) {
        const struct kapi_value *x = pass ? b : a, *y = pass ? a : b;
        for (size_t i = 0; i < x->u.obj.len; i++) {
            const char *key = x->u.obj.members[i].key;
            bool skipped = false;
            for (size_t s = 0; s < KAPI_ARRAY_LEN(skip); s++)
                skipped |= strcmp(key, skip[s]) == 0;
            if (skipped)
                continue;
            if (!kapi_value_equal(x->u.obj.members[i].val, kapi_obj_get(y, key)))
                return true;
        }
    }
    return false;
}

int kapi_meta_default_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const struct kapi_value *old, const char *url_ns, const char **bad_request)
{
    struct kapi_value *md = kapi_obj_ensure_obj(pool, obj, "metadata");
    const struct kapi_value *omd = kapi_obj_get(old, "metadata");
    if (check_namespace(pool, k, md, url_ns, bad_request) < 0)
        return -1;
    /* System fields the client cannot change come from the stored object. */
    const char *uid = kapi_obj_get_str(md, "uid");
    if (!uid || !uid[0])
        kapi_obj_set(pool, md, "uid", kapi_value_clone(pool, kapi_obj_get(omd, "uid")));
    static const char *const carried[] = {"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                                          "generation"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(carried); i++) {
        struct kapi_value *ov = kapi_obj_get(omd, carried[i]);
        if (ov)
            kapi_obj_set(pool, md, carried[i], kapi_value_clone(pool, ov));
        else
            kapi_obj_del(md, carried[i]);
    }
    kapi_obj_del(md, "selfLink");
    kapi_obj_set(pool, obj, "kind", kapi_value_str(pool, k->kind));
    kapi_obj_set(pool, obj, "apiVersion", kapi_value_str(pool, k->api_version));
    kapi_defaults_apply(pool, k->group, k->version, k->kind, obj);
    /* The stored resourceVersion stands in for a missing one (unconditional update). */
    if (!kapi_obj_get_str(md, "resourceVersion") || !kapi_obj_get_str(md, "resourceVersion")[0])
        kapi_obj_set(pool, md, "resourceVersion", kapi_value_clone(pool, kapi_obj_get(omd, "resourceVersion")));
    if (is_service(k)) /* again after admission; here so an unchanged PUT compares equal */
        kapi_svc_prepare(pool, obj, old);
    return 0;
}

void kapi_meta_validate_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                               const struct kapi_value *old, const char *subresource, struct kapi_field_errors *errs,
                               struct kapi_warnings *warns)
{
    struct kapi_value *md = kapi_obj_ensure_obj(pool, obj, "metadata");
    const struct kapi_value *omd = kapi_obj_get(old, "metadata");
    if (!subresource || !*subresource)
        kapi_kind_prepare_update_early(pool, k, obj, old);
    if (k->flags & KAPI_KIND_GENERATION) {
        struct kapi_value *g = kapi_obj_get(md, "generation");
        int64_t gen = g && g->type == KAPI_V_INT ? g->u.i : 0;
        if (spec_changed(obj, old))
            kapi_obj_set(pool, md, "generation", kapi_value_int(pool, gen + 1));
    }
    if (is_service(k))
        kapi_svc_prepare(pool, obj, old);
    kapi_validate_object_meta_update(pool, md, omd, errs);
    if (!kapi_validate_subresource(pool, k->group, k->version, k->kind, subresource, obj, old, errs))
        kapi_validate_kind(pool, k->group, k->version, k->kind, obj, old, errs);
    if (k->crd)
        kapi_crd_validate(pool, k, obj, old, errs);
    else if (!errs->len)
        kapi_warnings_on_update(pool, k->group, k->kind, subresource, obj, old, warns);
    kapi_kind_prepare_update(pool, k, obj, old);
    kapi_meta_canonicalize(pool, obj);
}

int kapi_meta_prepare_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const struct kapi_value *old, const char *url_ns, const char *subresource,
                             struct kapi_field_errors *errs, const char **bad_request)
{
    if (kapi_meta_default_update(pool, k, obj, old, url_ns, bad_request) < 0)
        return -1;
    kapi_meta_validate_update(pool, k, obj, old, subresource, errs, NULL);
    return 0;
}

int kapi_meta_create_if_missing(struct kapi_store *store, struct kapi_pool *pool, const struct kapi_kind *k,
                                const char *ns, struct kapi_value *obj)
{
    const char *name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL));
    if (!name)
        return -1;
    char *key = kapi_registry_key(pool, k, ns, name);
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(store, key, &kv);
    kapi_kv_dispose(&kv);
    if (rc != KAPI_STORE_NOT_FOUND)
        return rc;
    struct kapi_field_errors errs = {0};
    const char *bad = NULL;
    if (kapi_meta_prepare_create(pool, k, obj, ns, &errs, &bad) < 0 || errs.len)
        return -1;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = b.data, .len = b.len};
    struct kapi_write_result res = {0};
    rc = kapi_store_write(store, &w, &res);
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    return rc == KAPI_STORE_EXISTS ? 0 : rc;
}

bool kapi_meta_has_finalizers(const struct kapi_value *md)
{
    const struct kapi_value *f = md && md->type == KAPI_V_OBJECT ? kapi_obj_get(md, "finalizers") : NULL;
    return f && f->type == KAPI_V_ARRAY && f->u.arr.len > 0;
}

bool kapi_meta_mark_deleted(struct kapi_pool *pool, struct kapi_value *md)
{
    if (kapi_obj_get(md, "deletionTimestamp"))
        return false;
    struct kapi_value *gen = kapi_obj_get(md, "generation");
    if (gen && gen->type == KAPI_V_INT && gen->u.i > 0)
        kapi_obj_set(pool, md, "generation", kapi_value_int(pool, gen->u.i + 1));
    kapi_obj_set(pool, md, "deletionTimestamp", kapi_value_str(pool, kapi_meta_now(pool)));
    kapi_obj_set(pool, md, "deletionGracePeriodSeconds", kapi_value_int(pool, 0));
    return true;
}

/* CAS attempts on one key before kapi_meta_delete_stored gives up. */
#define DELETE_CAS_ATTEMPTS 8

int kapi_meta_delete_stored(struct kapi_store *store, const char *key, struct kapi_blob *json0, int64_t rev0,
                            bool *held)
{
    struct kapi_blob *json = kapi_blob_ref(json0);
    int64_t rev = rev0;
    int err = KAPI_STORE_CONFLICT;
    for (int attempt = 0; attempt < DELETE_CAS_ATTEMPTS && json; attempt++) {
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error jerr;
        struct kapi_value *obj = kapi_json_parse(pool, json->data, json->len, NULL, &jerr);
        struct kapi_value *md = obj && obj->type == KAPI_V_OBJECT ? kapi_obj_get(obj, "metadata") : NULL;
        /* Stored bytes that do not parse have no finalizers anyone could
         * remove, so they are simply deleted. */
        bool fin = md && md->type == KAPI_V_OBJECT && kapi_meta_has_finalizers(md);
        struct kapi_write_result res = {0};
        err = 0;
        if (fin && kapi_meta_mark_deleted(pool, md)) {
            kapi_meta_canonicalize(pool, obj);
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_meta_encode_for_store(obj, &b);
            struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = key, .value = b.data, .len = b.len,
                                   .expect_mod_rev = rev};
            err = kapi_store_write(store, &w, &res);
            kapi_buf_dispose(&b);
        } else if (!fin) {
            struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key, .expect_mod_rev = rev};
            err = kapi_store_write(store, &w, &res);
        }
        kapi_pool_free(pool);
        if (err == KAPI_STORE_CONFLICT) {
            /* the present state: from the write result, or a fresh read */
            kapi_blob_unref(json);
            json = NULL;
            if (res.current.value) {
                json = kapi_blob_ref(res.current.value);
                rev = res.current.mod_rev;
            } else {
                struct kapi_kv kv = {0};
                if (kapi_store_get(store, key, &kv) == 0 && kv.value) {
                    json = kapi_blob_ref(kv.value);
                    rev = kv.mod_rev;
                }
                kapi_kv_dispose(&kv);
            }
            kapi_write_result_dispose(&res);
            if (!json)
                err = 0; /* gone meanwhile */
            continue;
        }
        kapi_write_result_dispose(&res);
        if (err == KAPI_STORE_NOT_FOUND)
            err = 0;
        else if (err == 0 && fin)
            *held = true;
        break;
    }
    kapi_blob_unref(json);
    return err;
}
