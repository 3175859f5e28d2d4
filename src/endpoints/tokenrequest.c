/* serviceaccounts/token (TokenRequest) and the service-account issuer's
 * discovery documents, plus the lookups token authentication needs (does
 * the service account, pod, secret or node a token names still exist). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/names.h"
#include "../api/status.h"
#include "../base/b64.h"
#include "../auth/satoken.h"
#include "endpoints_int.h"

/* The object of kind/ns/name from the cache, parsed into pool; NULL when
 * absent. */
static struct kapi_value *lookup(struct kapi_apiserver *srv, struct kapi_pool *pool, const char *group,
                                 const char *resource, const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(srv->registry, group, "v1", resource);
    if (!k || !k->rc)
        return NULL;
    struct kapi_cobj *o = kapi_rcache_get(k->rc, kapi_registry_key(pool, k, ns, name));
    if (!o)
        return NULL;
    struct kapi_value *v = kapi_cobj_value(o, pool);
    kapi_cobj_unref(o);
    return v;
}

bool kapi_sa_object_exists(void *ctx, const char *kind, const char *ns, const char *name, const char *uid,
                           const char *secret_token)
{
    struct kapi_apiserver *srv = ctx;
    static const struct {
        const char *kind, *resource;
    } kinds[] = {{"ServiceAccount", "serviceaccounts"}, {"Pod", "pods"}, {"Secret", "secrets"}, {"Node", "nodes"}};
    const char *resource = NULL;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            resource = kinds[i].resource;
    if (!resource)
        return false;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = lookup(srv, pool, "", resource, strcmp(kind, "Node") == 0 ? "" : ns, name);
    bool ok = v != NULL && !kapi_value_path(v, "metadata", "deletionTimestamp", NULL);
    if (ok && uid && uid[0]) {
        const char *have = kapi_value_cstr(kapi_value_path(v, "metadata", "uid", NULL));
        ok = have && strcmp(have, uid) == 0;
    }
    if (ok && secret_token) {
        /* legacy tokens: the Secret's data.token (base64) must be this token */
        const char *b64 = kapi_value_cstr(kapi_value_path(v, "data", "token", NULL));
        size_t n = 0;
        unsigned char *raw = b64 ? kapi_b64_decode_pool(pool, b64, strlen(b64), 0, &n, NULL) : NULL;
        ok = raw && n == strlen(secret_token) && memcmp(raw, secret_token, n) == 0;
    }
    kapi_pool_free(pool);
    return ok;
}

int kapi_sa_token_hook(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out)
{
    struct kapi_apiserver *srv = ctx;
    struct kapi_satoken *t = atomic_load(&srv->satoken);
    if (!t)
        return 0; /* keys not ready yet (first start): not ours */
    return kapi_satoken_authenticate(t, pool, token, NULL, 0, kapi_wall_ms() / 1000, kapi_sa_object_exists, srv,
                                     out) == 0;
}

static void invalid(struct kapi_req *r, const char *field, int64_t bad, const char *detail)
{
    struct kapi_field_errors errs = {0};
    kapi_ferr_invalid_int(r->pool, &errs, field, bad, detail);
    kapi_respond_status(r, kapi_status_invalid(r->pool, "authentication.k8s.io", "TokenRequest", r->name, &errs));
}

void kapi_handle_token_request(struct kapi_req *r)
{
    struct kapi_satoken *t = atomic_load(&r->srv->satoken);
    if (!t) {
        kapi_respond_status(r, kapi_status_service_unavailable(r->pool, "the service account signing key is not ready yet"));
        return;
    }
    struct kapi_value *body = kapi_decode_body(r);
    if (!body)
        return;
    struct kapi_pool *p = r->pool;
    struct kapi_value *sa = lookup(r->srv, p, "", "serviceaccounts", r->ns, r->name);
    if (!sa) {
        kapi_respond_status(r, kapi_status_not_found(p, "", "serviceaccounts", r->name));
        return;
    }
    struct kapi_value *spec = kapi_obj_get(body, "spec");
    struct kapi_value *auds = kapi_obj_get(spec, "audiences");
    const char *audv[16];
    size_t naud = 0;
    for (size_t i = 0; auds && auds->type == KAPI_V_ARRAY && i < auds->u.arr.len && naud < 16; i++)
        if (kapi_value_cstr(auds->u.arr.items[i]))
            audv[naud++] = kapi_value_cstr(auds->u.arr.items[i]);
    struct kapi_value *exp = kapi_obj_get(spec, "expirationSeconds");
    int64_t expiration = exp && exp->type == KAPI_V_INT ? exp->u.i : 3600;
    if (expiration < 600) {
        invalid(r, "spec.expirationSeconds", expiration, "may not specify a duration less than 10 minutes");
        return;
    }
    struct kapi_satoken_claims c = {
        .ns = r->ns,
        .sa_name = r->name,
        .sa_uid = kapi_value_cstr(kapi_value_path(sa, "metadata", "uid", NULL)),
        .audiences = naud ? audv : NULL,
        .naud = naud,
        .expiration_seconds = expiration,
    };
    struct kapi_value *bref = kapi_obj_get(spec, "boundObjectRef");
    if (bref && bref->type == KAPI_V_OBJECT) {
        const char *kind = kapi_obj_get_str(bref, "kind");
        const char *name = kapi_obj_get_str(bref, "name");
        const char *uid = kapi_obj_get_str(bref, "uid");
        const char *resource = kind && strcmp(kind, "Pod") == 0      ? "pods"
                               : kind && strcmp(kind, "Secret") == 0 ? "secrets"
                               : kind && strcmp(kind, "Node") == 0   ? "nodes"
                                                                     : NULL;
        if (!resource || !name) {
            kapi_respond_error(r, 400, "BadRequest",
                               kapi_pool_printf(p, "cannot bind token for object of kind %s", kind ? kind : ""));
            return;
        }
        struct kapi_value *obj = lookup(r->srv, p, "", resource, strcmp(resource, "nodes") == 0 ? "" : r->ns, name);
        const char *have_uid = kapi_value_cstr(kapi_value_path(obj, "metadata", "uid", NULL));
        if (!obj) {
            kapi_respond_status(r, kapi_status_not_found(p, "", resource, name));
            return;
        }
        if (uid && uid[0] && (!have_uid || strcmp(uid, have_uid) != 0)) {
            kapi_respond_status(r, kapi_status_conflict(p, "", resource, name,
                                                        kapi_pool_printf(p, "the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", uid)));
            return;
        }
        if (strcmp(resource, "pods") == 0) {
            const char *pod_sa = kapi_value_cstr(kapi_value_path(obj, "spec", "serviceAccountName", NULL));
            if (!pod_sa || strcmp(pod_sa, r->name) != 0) {
                kapi_respond_error(r, 400, "BadRequest",
                                   kapi_pool_printf(p, "cannot bind token to a Pod running as a different ServiceAccount"));
                return;
            }
            c.pod_node_name = kapi_value_cstr(kapi_value_path(obj, "spec", "nodeName", NULL));
            if (c.pod_node_name) {
                struct kapi_value *node = lookup(r->srv, p, "", "nodes", "", c.pod_node_name);
                c.pod_node_uid = kapi_value_cstr(kapi_value_path(node, "metadata", "uid", NULL));
            }
        }
        c.bound_kind = kind;
        c.bound_name = name;
        c.bound_uid = have_uid;
    }
    int64_t now = kapi_wall_ms() / 1000, expires = 0;
    char err[256];
    const char *token = kapi_satoken_issue(t, p, &c, now, &expires, err, sizeof(err));
    if (!token) {
        invalid(r, "spec.expirationSeconds", expiration, err);
        return;
    }
    if (expires - now < expiration)
        kapi_req_warn(r, kapi_pool_printf(p, "requested expiration of %lld seconds shortened to %lld seconds",
                                          (long long)expiration, (long long)(expires - now)));
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "kind", kapi_value_str(p, "TokenRequest"));
    kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, "authentication.k8s.io/v1"));
    struct kapi_value *md = kapi_value_object(p);
    kapi_obj_set(p, md, "name", kapi_value_str(p, r->name));
    kapi_obj_set(p, md, "namespace", kapi_value_str(p, r->ns));
    kapi_obj_set(p, md, "creationTimestamp", kapi_value_null(p));
    kapi_obj_set(p, o, "metadata", md);
    struct kapi_value *ospec = kapi_value_object(p);
    struct kapi_value *oaud = kapi_value_array(p);
    if (naud)
        for (size_t i = 0; i < naud; i++)
            kapi_arr_push(p, oaud, kapi_value_str(p, audv[i]));
    else
        kapi_arr_push(p, oaud, kapi_value_str(p, r->srv->sa_issuer));
    kapi_obj_set(p, ospec, "audiences", oaud);
    kapi_obj_set(p, ospec, "expirationSeconds", kapi_value_int(p, expiration));
    kapi_obj_set(p, ospec, "boundObjectRef", bref ? bref : kapi_value_null(p));
    kapi_obj_set(p, o, "spec", ospec);
    struct kapi_value *st = kapi_value_object(p);
    kapi_obj_set(p, st, "token", kapi_value_str(p, token));
    char ts[21];
    kapi_time_rfc3339(expires, ts);
    kapi_obj_set(p, st, "expirationTimestamp", kapi_value_str(p, ts));
    kapi_obj_set(p, o, "status", st);
    kapi_respond_value(r, 201, o);
}

bool kapi_handle_openid(struct kapi_req *r)
{
    const char *path = r->http->path;
    bool config = strcmp(path, "/.well-known/openid-configuration") == 0;
    if (!config && strcmp(path, "/openid/v1/jwks") != 0)
        return false;
    struct kapi_satoken *t = atomic_load(&r->srv->satoken);
    const struct kapi_blob *b = !t ? NULL : config ? kapi_satoken_openid_config(t) : kapi_satoken_jwks(t);
    if (!b) {
        kapi_respond_raw(r, 404, "text/plain; charset=utf-8", "404 page not found\n", 19, NULL, 0);
        return true;
    }
    struct kapi_http_header h = {"Cache-Control", "public, max-age=3600"};
    kapi_respond_raw(r, 200, config ? "application/json" : "application/jwk-set+json", b->data, b->len, &h, 1);
    return true;
}
