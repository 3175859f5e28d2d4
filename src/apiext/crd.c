/* Implementation of apiext/crd.h: custom resource kinds built from CRDs,
 * their request-path hooks, and the CRD controller. */
#include "crd.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "../base/b64.h"
#include "../cache/cache.h"
#include "../codec/json.h"
#include "../codec/jsonpath.h"
#include "../http/client.h"
#include "../registry/objectmeta.h"
#include "../registry/printers.h"
#include "../storage/storage.h"

#define CRD_MAX_VERSIONS 32

/* ---- version order ---- */

/* Splits "v1beta2" into major 1, kind 1 (beta), minor 2. kind: 3 GA,
 * 2 beta, 1 alpha; false when v is not a Kubernetes-style version. */
static bool kube_version(const char *v, long *major, int *kind, long *minor)
{
    if (v[0] != 'v' || !isdigit((unsigned char)v[1]))
        return false;
    char *end;
    *major = strtol(v + 1, &end, 10);
    if (*end == 0) {
        *kind = 3;
        *minor = 0;
        return true;
    }
    const char *rest;
    if (strncmp(end, "beta", 4) == 0) {
        *kind = 2;
        rest = end + 4;
    } else if (strncmp(end, "alpha", 5) == 0) {
        *kind = 1;
        rest = end + 5;
    } else {
        return false;
    }
    if (!isdigit((unsigned char)*rest))
        return false;
    *minor = strtol(rest, &end, 10);
    return *end == 0;
}

int kapi_crd_version_cmp(const char *a, const char *b)
{
    long ma, mb, na, nb;
    int ka, kb;
    bool va = kube_version(a, &ma, &ka, &na), vb = kube_version(b, &mb, &kb, &nb);
    if (va && vb) {
        if (ka != kb)
            return ka > kb ? -1 : 1;
        if (ma != mb)
            return ma > mb ? -1 : 1;
        if (na != nb)
            return na > nb ? -1 : 1;
        return 0;
    }
    if (va != vb)
        return va ? -1 : 1;
    return strcmp(a, b);
}

/* ---- small value helpers ---- */

static const struct kapi_value *vget(const struct kapi_value *o, const char *key)
{
    return o && o->type == KAPI_V_OBJECT ? kapi_obj_get(o, key) : NULL;
}

static const char *vstr(const struct kapi_value *o, const char *key)
{
    return kapi_value_cstr(vget(o, key));
}

static bool vbool(const struct kapi_value *o, const char *key)
{
    const struct kapi_value *v = vget(o, key);
    return v && v->type == KAPI_V_BOOL && v->u.b;
}

static size_t vlen(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_ARRAY ? v->u.arr.len : 0;
}

/* A NULL-terminated copy of an array of strings (never NULL). */
static const char *const *str_list(struct kapi_pool *pool, const struct kapi_value *arr)
{
    size_t n = vlen(arr);
    const char **out = kapi_pool_calloc(pool, (n + 1) * sizeof(*out));
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = kapi_value_cstr(arr->u.arr.items[i]);
        if (s)
            out[j++] = kapi_pool_strdup(pool, s);
    }
    return out;
}

/* Value at a simple path ".a.b.c" (NULL when absent). */
static struct kapi_value *dotted_get(const struct kapi_value *obj, const char *path)
{
    const struct kapi_value *cur = obj;
    const char *p = path && path[0] == '.' ? path + 1 : path;
    while (p && *p && cur) {
        size_t n = strcspn(p, ".");
        char key[256];
        if (n >= sizeof(key) || cur->type != KAPI_V_OBJECT)
            return NULL;
        memcpy(key, p, n);
        key[n] = 0;
        cur = kapi_obj_get(cur, key);
        p = p[n] ? p + n + 1 : p + n;
    }
    return (struct kapi_value *)cur;
}

static void dotted_set(struct kapi_pool *pool, struct kapi_value *obj, const char *path, struct kapi_value *val)
{
    struct kapi_value *cur = obj;
    const char *p = path && path[0] == '.' ? path + 1 : path;
    while (p && *p) {
        size_t n = strcspn(p, ".");
        char *key = kapi_pool_strndup(pool, p, n);
        if (!p[n]) {
            kapi_obj_set(pool, cur, key, val);
            return;
        }
        cur = kapi_obj_ensure_obj(pool, cur, key);
        p += n + 1;
    }
}

/* ---- custom resource kinds ---- */

struct crd_kind {
    struct kapi_kind k;
    struct kapi_resource res[3];
    struct kapi_crd_version v;
    struct kapi_pool *pool;
    /* the CRD's Terminating condition is True: creates are refused (set by
     * the controller, read by request threads) */
    atomic_bool terminating;
};

static const char *const cr_verbs[] = {"delete", "deletecollection", "get", "list", "patch", "create", "update",
                                       "watch", NULL};
static const char *const sub_verbs[] = {"get", "patch", "update", NULL};
static const char *const no_names[] = {NULL};

static void crd_kind_free(struct kapi_kind *k)
{
    struct crd_kind *ck = (struct crd_kind *)k;
    kapi_crd_schema_free(ck->v.schema);
    for (size_t i = 0; i < ck->v.ncolumns; i++)
        kapi_jsonpath_free(ck->v.columns[i].path);
    free(ck->k.prefix);
    kapi_pool_free(ck->pool);
    free(ck);
}

/* upstream's StorageVersionHash: the first 8 bytes of SHA-256 over
 * "group/version/kind", base64. */
static const char *storage_hash(struct kapi_pool *pool, const char *group, const char *version, const char *kind)
{
    char *text = kapi_pool_printf(pool, "%s/%s/%s", group, version, kind);
    unsigned char md[32];
    kapi_sha256(text, strlen(text), md);
    return kapi_b64_encode_pool(pool, md, 8, 0);
}

/* Builds the kind serving version ver (an element of spec.versions) of crd. */
static struct crd_kind *build_kind(struct kapi_cache *cache, struct kapi_registry *reg, const struct kapi_value *crd,
                                   const struct kapi_value *ver, const char *storage_version, bool multi)
{
    const struct kapi_value *spec = vget(crd, "spec");
    const struct kapi_value *names = vget(spec, "names");
    const char *group = vstr(spec, "group"), *vname = vstr(ver, "name");
    const char *plural = vstr(names, "plural"), *kind = vstr(names, "kind");
    if (!group || !vname || !plural || !kind)
        return NULL;
    struct crd_kind *ck = kapi_xcalloc(1, sizeof(*ck));
    struct kapi_pool *p = ck->pool = kapi_pool_new();
    const char *singular = vstr(names, "singular");
    if (!singular || !*singular) {
        char *s = kapi_pool_strdup(p, kind);
        for (char *c = s; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        singular = s;
    }
    const char *list_kind = vstr(names, "listKind");
    if (!list_kind || !*list_kind)
        list_kind = kapi_pool_printf(p, "%sList", kind);
    bool namespaced = !vstr(spec, "scope") || strcmp(vstr(spec, "scope"), "Cluster") != 0;
    group = kapi_pool_strdup(p, group);
    vname = kapi_pool_strdup(p, vname);
    plural = kapi_pool_strdup(p, plural);
    kind = kapi_pool_strdup(p, kind);

    struct kapi_crd_version *v = &ck->v;
    v->crd_name = kapi_pool_strdup(p, vstr(vget(crd, "metadata"), "name") ? vstr(vget(crd, "metadata"), "name") : "");
    v->storage_api_version = kapi_pool_printf(p, "%s/%s", group, storage_version);
    const struct kapi_value *schema = vget(vget(ver, "schema"), "openAPIV3Schema");
    if (schema) {
        v->openapi_schema = kapi_value_clone(p, schema);
        char *err = NULL;
        v->schema = kapi_crd_schema_compile(schema, &err);
        if (!v->schema) {
            kapi_log(0, "crd %s: version %s: schema not usable: %s", v->crd_name, vname, err ? err : "?");
            free(err);
        }
    }
    v->preserve_unknown_root = !schema || vbool(schema, "x-kubernetes-preserve-unknown-fields");
    const struct kapi_value *subs = vget(ver, "subresources");
    v->has_status = vget(subs, "status") != NULL;
    const struct kapi_value *scale = vget(subs, "scale");
    if (scale) {
        v->has_scale = true;
        const char *s = vstr(scale, "specReplicasPath"), *st = vstr(scale, "statusReplicasPath"),
                   *ls = vstr(scale, "labelSelectorPath");
        v->spec_replicas_path = kapi_pool_strdup(p, s ? s : ".spec.replicas");
        v->status_replicas_path = kapi_pool_strdup(p, st ? st : ".status.replicas");
        v->label_selector_path = ls ? kapi_pool_strdup(p, ls) : NULL;
    }
    const struct kapi_value *cols = vget(ver, "additionalPrinterColumns");
    size_t ncols = vlen(cols);
    v->columns = kapi_pool_calloc(p, (ncols ? ncols : 1) * sizeof(*v->columns));
    for (size_t i = 0; i < ncols; i++) {
        const struct kapi_value *c = cols->u.arr.items[i];
        struct kapi_crd_column *col = &v->columns[v->ncolumns];
        const char *name = vstr(c, "name"), *jp = vstr(c, "jsonPath");
        if (!name || !jp)
            continue;
        col->name = kapi_pool_strdup(p, name);
        col->type = kapi_pool_strdup(p, vstr(c, "type") ? vstr(c, "type") : "string");
        col->format = kapi_pool_strdup(p, vstr(c, "format") ? vstr(c, "format") : "");
        const char *desc = vstr(c, "description");
        col->description = desc && *desc ? kapi_pool_strdup(p, desc)
                                         : kapi_pool_printf(p, "Custom resource definition column (in JSONPath format): %s", jp);
        const struct kapi_value *prio = vget(c, "priority");
        col->priority = prio && prio->type == KAPI_V_INT ? prio->u.i : 0;
        char *err = NULL;
        col->path = kapi_jsonpath_compile_column(jp, &err);
        if (!col->path) {
            /* upstream serves the columns before an unparsable one and drops the rest */
            kapi_log(2, "crd %s: printer column %s: %s", v->crd_name, name, err ? err : "");
            free(err);
            break;
        }
        v->ncolumns++;
    }
    const struct kapi_value *conv = vget(spec, "conversion");
    if (vstr(conv, "strategy") && strcmp(vstr(conv, "strategy"), "Webhook") == 0) {
        const struct kapi_value *cc = vget(vget(conv, "webhook"), "clientConfig");
        v->webhook = true;
        v->reg = reg;
        v->kind_name = kind;
        if (vstr(cc, "url"))
            v->webhook_url = kapi_pool_strdup(p, vstr(cc, "url"));
        const struct kapi_value *svc = vget(cc, "service");
        if (svc) {
            v->svc_namespace = kapi_pool_strdup(p, vstr(svc, "namespace") ? vstr(svc, "namespace") : "");
            v->svc_name = kapi_pool_strdup(p, vstr(svc, "name") ? vstr(svc, "name") : "");
            v->svc_path = kapi_pool_strdup(p, vstr(svc, "path") ? vstr(svc, "path") : "");
            const struct kapi_value *port = vget(svc, "port");
            v->svc_port = port && port->type == KAPI_V_INT ? (int)port->u.i : 443;
        }
        const char *ca = vstr(cc, "caBundle");
        if (ca && *ca) {
            size_t len = 0;
            unsigned char *pem = kapi_b64_decode_pool(p, ca, strlen(ca), 0, &len, NULL);
            if (pem && len > 0) {
                v->ca_bundle = (const char *)pem;
                v->ca_len = len;
            }
        }
    }
    if (vbool(ver, "deprecated")) {
        const char *w = vstr(ver, "deprecationWarning");
        v->deprecation_warning = w ? kapi_pool_strdup(p, w) : kapi_pool_printf(p, "%s/%s %s is deprecated", group, vname, kind);
    }

    struct kapi_resource *r = &ck->res[0];
    *r = (struct kapi_resource){.group = group, .version = vname, .name = plural, .singular = kapi_pool_strdup(p, singular),
                                .kind = kind, .namespaced = namespaced, .verbs = cr_verbs,
                                .short_names = str_list(p, vget(names, "shortNames")),
                                .categories = str_list(p, vget(names, "categories")),
                                .storage_version_hash = storage_hash(p, group, storage_version, kind),
                                .own_response_kind = true};
    size_t nres = 1;
    if (v->has_status)
        ck->res[nres++] = (struct kapi_resource){.group = group, .version = vname,
                                                 .name = kapi_pool_printf(p, "%s/status", plural), .kind = kind,
                                                 .namespaced = namespaced, .verbs = sub_verbs, .short_names = no_names,
                                                 .categories = no_names, .own_response_kind = true};
    if (v->has_scale)
        ck->res[nres++] = (struct kapi_resource){.group = group, .version = vname,
                                                 .name = kapi_pool_printf(p, "%s/scale", plural), .kind = "Scale",
                                                 .sub_group = "autoscaling", .sub_version = "v1", .namespaced = namespaced,
                                                 .verbs = sub_verbs, .short_names = no_names, .categories = no_names};

    /* selectable fields: metadata.name/namespace always, plus the CRD's */
    const struct kapi_value *sf = vget(ver, "selectableFields");
    size_t nsf = vlen(sf);
    const char **fields = kapi_pool_calloc(p, (nsf + 1) * sizeof(*fields));
    size_t nf = 0;
    for (size_t i = 0; i < nsf && nf < 30; i++) {
        const char *jp = vstr(sf->u.arr.items[i], "jsonPath");
        if (jp)
            fields[nf++] = kapi_pool_strdup(p, jp[0] == '.' ? jp + 1 : jp);
    }

    struct kapi_kind *k = &ck->k;
    k->res = r;
    k->group = group;
    k->version = vname;
    k->resource = plural;
    k->kind = kind;
    k->api_version = kapi_pool_printf(p, "%s/%s", group, vname);
    k->list_kind = kapi_pool_strdup(p, list_kind);
    k->group_resource = kapi_pool_printf(p, "%s.%s", plural, group);
    k->prefix = kapi_xasprintf("/registry/%s/%s/", group, plural);
    k->fields = fields;
    k->flags = KAPI_KIND_STORED | KAPI_KIND_GENERATION;
    k->crd = v;
    k->free_fn = crd_kind_free;
    if (multi || v->webhook)
        k->view_out = kapi_crd_view_out;
    int err = 0;
    k->rc = kapi_cache_add_live(cache, k->prefix, fields, &err);
    if (!k->rc) {
        kapi_log(0, "crd %s: cannot load %s: %s", v->crd_name, k->prefix, kapi_store_strerror(err));
        crd_kind_free(k);
        return NULL;
    }
    return ck;
}

bool kapi_crd_terminating(const struct kapi_kind *k)
{
    return k->crd && atomic_load(&((struct crd_kind *)k)->terminating);
}

static size_t kind_nres(const struct kapi_kind *k)
{
    const struct crd_kind *ck = (const struct crd_kind *)k;
    return 1 + (ck->v.has_status ? 1 : 0) + (ck->v.has_scale ? 1 : 0);
}

/* ---- request-path hooks ---- */

void kapi_crd_decode(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                     struct kapi_strlist *unknown)
{
    if (!k->crd || !k->crd->schema || !obj || obj->type != KAPI_V_OBJECT)
        return;
    kapi_crd_schema_prune(pool, k->crd->schema, obj, unknown);
    kapi_crd_schema_default(pool, k->crd->schema, obj);
}

void kapi_crd_validate(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *obj,
                       const struct kapi_value *old, struct kapi_field_errors *errs)
{
    if (!k->crd || !k->crd->schema)
        return;
    kapi_crd_schema_validate(pool, k->crd->schema, obj, old, errs);
}

void kapi_crd_prepare_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj)
{
    (void)pool;
    if (k->crd && k->crd->has_status)
        kapi_obj_del(obj, "status");
}

/* ---- conversion ---- */

static _Thread_local const char *view_error;

const char *kapi_crd_view_error(void)
{
    return view_error ? view_error : "conversion failed";
}

/* https://<name>.<namespace>.svc:<port><path>, dialled at the first ready
 * address of the service's Endpoints (kapi has no service proxy). */
static const char *service_url(struct kapi_pool *p, const struct kapi_crd_version *v, const char **server_name,
                               const char **err)
{
    *server_name = kapi_pool_printf(p, "%s.%s.svc", v->svc_name, v->svc_namespace);
    const struct kapi_kind *ek = v->reg ? kapi_registry_find(v->reg, "", "v1", "endpoints") : NULL;
    struct kapi_cobj *o = ek && ek->rc ? kapi_rcache_get(ek->rc, kapi_registry_key(p, ek, v->svc_namespace, v->svc_name))
                                       : NULL;
    const char *ip = NULL;
    int64_t port = v->svc_port;
    if (o) {
        struct kapi_value *ep = kapi_cobj_value(o, p);
        kapi_cobj_unref(o);
        const struct kapi_value *subsets = vget(ep, "subsets");
        for (size_t i = 0; i < vlen(subsets) && !ip; i++) {
            const struct kapi_value *addrs = vget(subsets->u.arr.items[i], "addresses");
            const struct kapi_value *ports = vget(subsets->u.arr.items[i], "ports");
            if (vlen(addrs))
                ip = vstr(addrs->u.arr.items[0], "ip");
            if (vlen(ports) && vget(ports->u.arr.items[0], "port") &&
                vget(ports->u.arr.items[0], "port")->type == KAPI_V_INT)
                port = vget(ports->u.arr.items[0], "port")->u.i;
        }
    }
    if (!ip) {
        *err = kapi_pool_printf(p, "service \"%s/%s\" has no ready endpoints", v->svc_namespace, v->svc_name);
        return NULL;
    }
    bool v6 = strchr(ip, ':') != NULL;
    return kapi_pool_printf(p, v6 ? "https://[%s]:%lld%s" : "https://%s:%lld%s", ip, (long long)port, v->svc_path);
}

/* One ConversionReview (apiextensions.k8s.io/v1) of obj to desired. */
static struct kapi_value *webhook_convert(struct kapi_pool *p, const struct kapi_kind *k, const struct kapi_value *obj,
                                          const char *desired, const char **err)
{
    const struct kapi_crd_version *v = k->crd;
    const char *from = kapi_obj_get_str(obj, "apiVersion");
    const char *gvk = kapi_pool_printf(p, "%s, Kind=%s", from ? from : "", v->kind_name);
    const char *server_name = NULL, *why = NULL;
    const char *url = v->webhook_url;
    if (!url)
        url = service_url(p, v, &server_name, &why);
    if (!url) {
        *err = kapi_pool_printf(p, "conversion webhook for %s failed: %s", gvk, why);
        return NULL;
    }
    char uid[37];
    kapi_uuid(uid);
    struct kapi_value *review = kapi_value_object(p), *req = kapi_value_object(p), *objs = kapi_value_array(p);
    kapi_obj_set(p, review, "kind", kapi_value_str(p, "ConversionReview"));
    kapi_obj_set(p, review, "apiVersion", kapi_value_str(p, "apiextensions.k8s.io/v1"));
    kapi_obj_set(p, req, "uid", kapi_value_str(p, uid));
    kapi_obj_set(p, req, "desiredAPIVersion", kapi_value_str(p, desired));
    kapi_arr_push(p, objs, (struct kapi_value *)obj);
    kapi_obj_set(p, req, "objects", objs);
    kapi_obj_set(p, review, "request", req);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, review);
    const char *full = kapi_pool_printf(p, "%s%stimeout=30s", url, strchr(url, '?') ? "&" : "?");
    struct kapi_http_client_req hr = {.url = full, .method = "POST", .content_type = "application/json",
                                      .body = b.data, .body_len = b.len, .ca_pem = v->ca_bundle, .ca_len = v->ca_len,
                                      .server_name = server_name, .timeout_ms = 30000, .max_response = 3 << 20,
                                      .user_agent = "kube-apiserver-admission"};
    struct kapi_http_client_resp resp = {0};
    int rc = kapi_http_client_do(&hr, &resp);
    kapi_buf_dispose(&b);
    if (rc < 0) {
        *err = kapi_pool_printf(p, "conversion webhook for %s failed: %s", gvk, resp.err);
        kapi_http_client_resp_dispose(&resp);
        return NULL;
    }
    struct kapi_json_error je;
    struct kapi_value *out = resp.status == 200 ? kapi_json_parse(p, resp.body ? resp.body : "", resp.body_len, NULL, &je)
                                                 : NULL;
    int status = resp.status;
    kapi_http_client_resp_dispose(&resp);
    if (!out) {
        *err = status == 200 ? kapi_pool_printf(p, "conversion webhook for %s failed: invalid response", gvk)
                             : kapi_pool_printf(p, "conversion webhook for %s failed: the server responded with the status code %d", gvk, status);
        return NULL;
    }
    const struct kapi_value *r = vget(out, "response");
    const struct kapi_value *result = vget(r, "result");
    if (!r || !vstr(r, "uid") || strcmp(vstr(r, "uid"), uid) != 0) {
        *err = kapi_pool_printf(p, "conversion webhook for %s failed: expected response uid %s, got %s", gvk, uid,
                                vstr(r, "uid") ? vstr(r, "uid") : "");
        return NULL;
    }
    if (!vstr(result, "status") || strcmp(vstr(result, "status"), "Success") != 0) {
        *err = kapi_pool_printf(p, "conversion webhook for %s returned failure: %s", gvk,
                                vstr(result, "message") ? vstr(result, "message") : "");
        return NULL;
    }
    const struct kapi_value *conv = vget(r, "convertedObjects");
    if (vlen(conv) != 1 || conv->u.arr.items[0]->type != KAPI_V_OBJECT) {
        *err = kapi_pool_printf(p, "conversion webhook for %s returned %zu objects, expected 1", gvk, vlen(conv));
        return NULL;
    }
    struct kapi_value *c = conv->u.arr.items[0];
    const char *cav = kapi_obj_get_str(c, "apiVersion"), *ck = kapi_obj_get_str(c, "kind");
    if (!cav || strcmp(cav, desired) != 0) {
        *err = kapi_pool_printf(p, "conversion webhook for %s returned invalid converted object at index 0: invalid apiVersion %s, expected %s",
                                gvk, cav ? kapi_go_quote(p, cav, strlen(cav)) : "\"\"", kapi_go_quote(p, desired, strlen(desired)));
        return NULL;
    }
    if (!ck || strcmp(ck, v->kind_name) != 0) {
        *err = kapi_pool_printf(p, "conversion webhook for %s returned invalid converted object at index 0: invalid kind %s, expected %s",
                                gvk, ck ? kapi_go_quote(p, ck, strlen(ck)) : "\"\"", kapi_go_quote(p, v->kind_name, strlen(v->kind_name)));
        return NULL;
    }
    /* Only labels and annotations may change in metadata. */
    struct kapi_value *md = kapi_value_clone(p, vget(obj, "metadata"));
    if (md && md->type == KAPI_V_OBJECT) {
        const struct kapi_value *cmd = vget(c, "metadata");
        static const char *const mutable[] = {"labels", "annotations"};
        for (size_t i = 0; i < 2; i++) {
            const struct kapi_value *mv = vget(cmd, mutable[i]);
            if (mv)
                kapi_obj_set(p, md, mutable[i], kapi_value_clone(p, mv));
            else
                kapi_obj_del(md, mutable[i]);
        }
        kapi_obj_set(p, c, "metadata", md);
    }
    return c;
}

struct kapi_value *kapi_crd_convert(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *obj,
                                    const char *desired, const char **err)
{
    const char *av = kapi_obj_get_str(obj, "apiVersion");
    if (av && strcmp(av, desired) == 0)
        return (struct kapi_value *)obj;
    if (k->crd && k->crd->webhook)
        return webhook_convert(pool, k, obj, desired, err);
    struct kapi_value *out = kapi_value_clone(pool, obj);
    kapi_obj_set(pool, out, "apiVersion", kapi_value_str(pool, desired));
    return out;
}

int kapi_crd_to_storage(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj, const char **err)
{
    if (!k->crd || strcmp(k->crd->storage_api_version, k->api_version) == 0)
        return 0;
    struct kapi_value *c = kapi_crd_convert(pool, k, obj, k->crd->storage_api_version, err);
    if (!c)
        return -1;
    if (c != obj) {
        obj->u.obj = c->u.obj; /* in place: the caller keeps its pointer */
    }
    return 0;
}

struct kapi_value *kapi_crd_view_out(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *stored)
{
    const char *av = kapi_obj_get_str(stored, "apiVersion");
    if (av && strcmp(av, k->api_version) == 0)
        return (struct kapi_value *)stored;
    const char *err = NULL;
    struct kapi_value *out = kapi_crd_convert(pool, k, stored, k->api_version, &err);
    if (!out) {
        view_error = err;
        return NULL;
    }
    if (out == stored)
        out = kapi_value_clone(pool, stored);
    if (k->crd && k->crd->schema)
        kapi_crd_schema_default(pool, k->crd->schema, out);
    return out;
}

struct kapi_value *kapi_crd_scale_view(struct kapi_pool *p, const struct kapi_kind *k, const struct kapi_value *obj)
{
    const struct kapi_crd_version *v = k->crd;
    if (!v || !v->has_scale)
        return NULL;
    struct kapi_value *s = kapi_value_object(p);
    kapi_obj_set(p, s, "kind", kapi_value_str(p, "Scale"));
    kapi_obj_set(p, s, "apiVersion", kapi_value_str(p, "autoscaling/v1"));
    const struct kapi_value *omd = vget(obj, "metadata");
    struct kapi_value *md = kapi_value_object(p);
    static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(keep); i++)
        if (vget(omd, keep[i]))
            kapi_obj_set(p, md, keep[i], kapi_value_clone(p, vget(omd, keep[i])));
    kapi_obj_set(p, s, "metadata", md);
    const struct kapi_value *rep = dotted_get(obj, v->spec_replicas_path);
    struct kapi_value *spec = kapi_value_object(p);
    kapi_obj_set(p, spec, "replicas", kapi_value_int(p, rep && rep->type == KAPI_V_INT ? rep->u.i : 0));
    kapi_obj_set(p, s, "spec", spec);
    struct kapi_value *status = kapi_value_object(p);
    const struct kapi_value *srep = dotted_get(obj, v->status_replicas_path);
    kapi_obj_set(p, status, "replicas", kapi_value_int(p, srep && srep->type == KAPI_V_INT ? srep->u.i : 0));
    const char *sel = v->label_selector_path ? kapi_value_cstr(dotted_get(obj, v->label_selector_path)) : NULL;
    if (sel && *sel)
        kapi_obj_set(p, status, "selector", kapi_value_str(p, sel));
    kapi_obj_set(p, s, "status", status);
    return s;
}

void kapi_crd_scale_apply(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *out,
                          const struct kapi_value *scale)
{
    if (!k->crd || !k->crd->has_scale)
        return;
    const struct kapi_value *rep = kapi_value_path(scale, "spec", "replicas", NULL);
    dotted_set(pool, out, k->crd->spec_replicas_path,
               kapi_value_int(pool, rep && rep->type == KAPI_V_INT ? rep->u.i : 0));
}

/* The ObjectMeta.name description as the apiserver publishes it. */
static const char name_desc[] =
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

static struct kapi_value *column_def(struct kapi_pool *p, const char *name, const char *type, const char *format,
                                     const char *desc, int64_t prio)
{
    struct kapi_value *c = kapi_value_object(p);
    kapi_obj_set(p, c, "name", kapi_value_str(p, name));
    kapi_obj_set(p, c, "type", kapi_value_str(p, type));
    kapi_obj_set(p, c, "format", kapi_value_str(p, format));
    kapi_obj_set(p, c, "description", kapi_value_str(p, desc));
    kapi_obj_set(p, c, "priority", kapi_value_int(p, prio));
    return c;
}

struct kapi_value *kapi_crd_table_columns(struct kapi_pool *p, const struct kapi_kind *k)
{
    struct kapi_value *cols = kapi_value_array(p);
    kapi_arr_push(p, cols, column_def(p, "Name", "string", "name", name_desc, 0));
    const struct kapi_crd_version *v = k->crd;
    if (!v || v->ncolumns == 0) {
        kapi_arr_push(p, cols, column_def(p, "Age", "date", "",
                                          "Custom resource definition column (in JSONPath format): "
                                          ".metadata.creationTimestamp",
                                          0));
        return cols;
    }
    for (size_t i = 0; i < v->ncolumns; i++)
        kapi_arr_push(p, cols, column_def(p, v->columns[i].name, v->columns[i].type, v->columns[i].format,
                                          v->columns[i].description, v->columns[i].priority));
    return cols;
}

/* A value printed as the JSONPath printer prints one result. */
static struct kapi_value *text_cell(struct kapi_pool *p, const struct kapi_value *val)
{
    switch (val->type) {
    case KAPI_V_STRING:
        return kapi_value_strn(p, val->u.str.s, val->u.str.len);
    case KAPI_V_INT:
        return kapi_value_str(p, kapi_pool_printf(p, "%lld", (long long)val->u.i));
    case KAPI_V_BOOL:
        return kapi_value_str(p, val->u.b ? "true" : "false");
    case KAPI_V_NULL:
        return kapi_value_str(p, "<nil>");
    default: {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        if (val->type == KAPI_V_FLOAT)
            kapi_buf_printf(&b, "%g", val->u.f);
        else
            kapi_json_write(&b, val);
        struct kapi_value *out = kapi_value_strn(p, b.data ? b.data : "", b.len);
        kapi_buf_dispose(&b);
        return out;
    }
    }
}

static struct kapi_value *typed_cell(struct kapi_pool *p, const char *type, const struct kapi_value *val,
                                     int64_t now)
{
    if (!val || val->type == KAPI_V_NULL)
        return kapi_value_null(p);
    if (strcmp(type, "integer") == 0) {
        if (val->type == KAPI_V_INT)
            return kapi_value_int(p, val->u.i);
        if (val->type == KAPI_V_FLOAT)
            return kapi_value_int(p, (int64_t)val->u.f);
    } else if (strcmp(type, "number") == 0) {
        if (val->type == KAPI_V_INT)
            return kapi_value_float(p, (double)val->u.i);
        if (val->type == KAPI_V_FLOAT)
            return kapi_value_float(p, val->u.f);
    } else if (strcmp(type, "boolean") == 0) {
        if (val->type == KAPI_V_BOOL)
            return kapi_value_bool(p, val->u.b);
    } else if (strcmp(type, "string") == 0) {
        return text_cell(p, val);
    } else if (strcmp(type, "date") == 0) {
        if (val->type == KAPI_V_STRING) {
            int64_t t;
            if (!kapi_printer_parse_time(val->u.str.s, &t))
                return kapi_value_str(p, "<invalid>");
            return kapi_value_str(p, kapi_human_duration(p, now - t));
        }
    }
    return kapi_value_null(p);
}

struct kapi_value *kapi_crd_table_cells(struct kapi_pool *p, const struct kapi_kind *k, const struct kapi_value *obj)
{
    struct kapi_value *cells = kapi_value_array(p);
    const char *name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL));
    kapi_arr_push(p, cells, kapi_value_str(p, name ? name : ""));
    int64_t now = kapi_wall_ms() / 1000;
    const struct kapi_crd_version *v = k->crd;
    if (!v || v->ncolumns == 0) {
        kapi_arr_push(p, cells, typed_cell(p, "date", kapi_value_path(obj, "metadata", "creationTimestamp", NULL), now));
        return cells;
    }
    for (size_t i = 0; i < v->ncolumns; i++) {
        const struct kapi_crd_column *c = &v->columns[i];
        const struct kapi_value **res = NULL;
        char *err = NULL;
        long n = c->path ? kapi_jsonpath_eval_first(p, c->path, obj, &res, &err) : -1;
        kapi_arr_push(p, cells, n > 0 ? typed_cell(p, c->type, res[0], now) : kapi_value_null(p));
    }
    return cells;
}

/* ---- snapshots ---- */

struct kapi_crd_snapshot {
    struct kapi_pool *pool;
    struct kapi_api_extra extra;
};

const struct kapi_api_extra *kapi_crd_snapshot_extra(const struct kapi_crd_snapshot *s)
{
    return &s->extra;
}

void kapi_crd_snapshot_free(struct kapi_crd_snapshot *s)
{
    if (!s)
        return;
    kapi_pool_free(s->pool);
    free(s);
}

/* ---- the controller ---- */

struct crd_state {
    char *name;
    char *group;
    /* accepted names (for conflicts with other CRDs of the group) */
    char *plural, *singular, *kind, *list_kind;
    char **short_names;
    size_t nshort;
    int64_t generation;          /* of the registered kinds; -1 when none */
    int64_t mod_rev;
    struct kapi_kind *kinds[CRD_MAX_VERSIONS];
    size_t nkinds;
    bool terminating;
    /* deletion (upstream's CRD finalizer): the end of the present round's
     * wait for the instances to go (0: no round under way), and when a
     * failed round may start again */
    int64_t round_end_ms, retry_ms;
    int failures;
};

struct kapi_crdctl {
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    const struct kapi_kind *crd_kind;
    kapi_crd_publish_fn publish;
    void *ctx;
    pthread_t thread;
    _Atomic bool stop;
    struct crd_state **states;
    size_t n, cap;
    bool initial, dirty; /* during the start-up pass publishing waits for its end */
};

static struct crd_state *state_find(struct kapi_crdctl *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->states[i]->name, name) == 0)
            return c->states[i];
    return NULL;
}

static void free_names(struct crd_state *s)
{
    free(s->plural);
    free(s->singular);
    free(s->kind);
    free(s->list_kind);
    for (size_t i = 0; i < s->nshort; i++)
        free(s->short_names[i]);
    free(s->short_names);
    s->plural = s->singular = s->kind = s->list_kind = NULL;
    s->short_names = NULL;
    s->nshort = 0;
}

static void unregister_kinds(struct kapi_crdctl *c, struct crd_state *s)
{
    for (size_t i = 0; i < s->nkinds; i++)
        kapi_registry_remove_dynamic(c->reg, s->kinds[i]->group, s->kinds[i]->version, s->kinds[i]->resource);
    s->nkinds = 0;
    s->generation = -1;
}

static void state_remove(struct kapi_crdctl *c, struct crd_state *s)
{
    unregister_kinds(c, s);
    for (size_t i = 0; i < c->n; i++)
        if (c->states[i] == s) {
            c->states[i] = c->states[--c->n];
            break;
        }
    free_names(s);
    free(s->name);
    free(s->group);
    free(s);
}

static int cmp_res(const void *a, const void *b)
{
    return strcmp(((const struct kapi_resource *)a)->name, ((const struct kapi_resource *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_version(const void *a, const void *b)
{
    return kapi_crd_version_cmp(*(const char *const *)a, *(const char *const *)b);
}

static void publish_now(struct kapi_crdctl *c);

static void publish(struct kapi_crdctl *c)
{
    if (c->initial) {
        c->dirty = true;
        return;
    }
    publish_now(c);
}

static void publish_now(struct kapi_crdctl *c)
{
    struct kapi_crd_snapshot *snap = kapi_xcalloc(1, sizeof(*snap));
    struct kapi_pool *p = snap->pool = kapi_pool_new();
    /* distinct groups, by name */
    const char **groups = kapi_pool_calloc(p, (c->n + 1) * sizeof(*groups));
    size_t ng = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->states[i]->nkinds)
            continue;
        bool dup = false;
        for (size_t j = 0; j < ng && !dup; j++)
            dup = strcmp(groups[j], c->states[i]->group) == 0;
        if (!dup)
            groups[ng++] = c->states[i]->group;
    }
    qsort(groups, ng, sizeof(*groups), cmp_str);
    struct kapi_api_extra_group *xg = kapi_pool_calloc(p, (ng + 1) * sizeof(*xg));
    for (size_t g = 0; g < ng; g++) {
        const char **vers = kapi_pool_calloc(p, (CRD_MAX_VERSIONS * c->n + 1) * sizeof(*vers));
        size_t nv = 0;
        for (size_t i = 0; i < c->n; i++) {
            struct crd_state *s = c->states[i];
            if (strcmp(s->group, groups[g]) != 0)
                continue;
            for (size_t k = 0; k < s->nkinds; k++) {
                bool dup = false;
                for (size_t j = 0; j < nv && !dup; j++)
                    dup = strcmp(vers[j], s->kinds[k]->version) == 0;
                if (!dup)
                    vers[nv++] = kapi_pool_strdup(p, s->kinds[k]->version);
            }
        }
        qsort(vers, nv, sizeof(*vers), cmp_version);
        struct kapi_api_extra_version *xv = kapi_pool_calloc(p, (nv + 1) * sizeof(*xv));
        for (size_t v = 0; v < nv; v++) {
            size_t cap = 0;
            for (size_t i = 0; i < c->n; i++)
                cap += 3 * c->states[i]->nkinds;
            struct kapi_resource *rs = kapi_pool_calloc(p, (cap + 1) * sizeof(*rs));
            const struct kapi_value **sch = kapi_pool_calloc(p, (cap + 1) * sizeof(*sch));
            size_t nr = 0;
            for (size_t i = 0; i < c->n; i++) {
                struct crd_state *s = c->states[i];
                if (strcmp(s->group, groups[g]) != 0)
                    continue;
                for (size_t k = 0; k < s->nkinds; k++)
                    if (strcmp(s->kinds[k]->version, vers[v]) == 0) {
                        size_t m = kind_nres(s->kinds[k]);
                        memcpy(&rs[nr], s->kinds[k]->res, m * sizeof(*rs));
                        nr += m;
                    }
            }
            qsort(rs, nr, sizeof(*rs), cmp_res);
            /* schemas follow the sorted order: look each top-level kind up */
            for (size_t j = 0; j < nr; j++) {
                if (kapi_resource_is_sub(&rs[j]))
                    continue;
                for (size_t i = 0; i < c->n && !sch[j]; i++)
                    for (size_t k = 0; k < c->states[i]->nkinds; k++) {
                        const struct kapi_kind *kk = c->states[i]->kinds[k];
                        if (strcmp(kk->resource, rs[j].name) == 0 && strcmp(kk->group, rs[j].group) == 0 &&
                            strcmp(kk->version, rs[j].version) == 0)
                            sch[j] = kk->crd->openapi_schema;
                    }
            }
            xv[v] = (struct kapi_api_extra_version){.version = vers[v], .res = rs, .n = nr, .schemas = sch};
        }
        vers[nv] = NULL;
        xg[g].g.name = kapi_pool_strdup(p, groups[g]);
        xg[g].g.versions = vers;
        xg[g].vers = xv;
    }
    snap->extra.groups = xg;
    snap->extra.n = ng;
    if (c->publish)
        c->publish(c->ctx, snap);
    else
        kapi_crd_snapshot_free(snap);
}

/* Writes obj over key when the stored version is still *mod_rev, which
 * then moves on to the written one. */
static int write_obj_at(struct kapi_crdctl *c, const char *key, struct kapi_value *obj, int64_t *mod_rev)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = key, .value = b.data, .len = b.len,
                           .expect_mod_rev = *mod_rev};
    struct kapi_write_result res = {0};
    int err = kapi_store_write(c->store, &w, &res);
    if (!err)
        *mod_rev = res.rev;
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    return err;
}

static int write_obj(struct kapi_crdctl *c, const char *key, struct kapi_value *obj, int64_t mod_rev)
{
    return write_obj_at(c, key, obj, &mod_rev);
}

/* How long one round of deletion waits for the instances to go, and how
 * often it looks (upstream's CRD finalizer polls every second for a
 * minute). */
#define CRD_DELETE_WAIT_MS 60000
/* Retry delay after a failed round: 5ms doubling per failure up to 1000s,
 * as upstream's default per-item rate limiter. */
#define CRD_RETRY_BASE_MS 5
#define CRD_RETRY_MAX_MS 1000000

static struct kapi_value *condition(struct kapi_pool *p, const char *type, const char *status, const char *reason,
                                    const char *message, const struct kapi_value *old_conds);
static void set_condition(struct kapi_pool *p, struct kapi_value *conds, struct kapi_value *cnd);

static bool condition_true(const struct kapi_value *crd, const char *type)
{
    const struct kapi_value *conds = vget(vget(crd, "status"), "conditions");
    for (size_t i = 0; i < vlen(conds); i++) {
        const char *t = vstr(conds->u.arr.items[i], "type"), *st = vstr(conds->u.arr.items[i], "status");
        if (t && st && strcmp(t, type) == 0)
            return strcmp(st, "True") == 0;
    }
    return false;
}

/* Sets the CRD's Terminating condition (status.conditions of crd, in p). */
static void set_terminating(struct kapi_pool *p, struct kapi_value *crd, bool on, const char *reason,
                            const char *message)
{
    struct kapi_value *st = kapi_obj_ensure_obj(p, crd, "status");
    struct kapi_value *conds = kapi_obj_get(st, "conditions");
    if (!conds || conds->type != KAPI_V_ARRAY) {
        conds = kapi_value_array(p);
        kapi_obj_set(p, st, "conditions", conds);
    }
    set_condition(p, conds, condition(p, "Terminating", on ? "True" : "False", reason, message, conds));
}

/* The kinds serving the CRD refuse creates while it is terminating. */
static void mark_terminating(struct crd_state *s, const struct kapi_value *crd)
{
    bool on = condition_true(crd, "Terminating");
    for (size_t i = 0; i < s->nkinds; i++)
        atomic_store(&((struct crd_kind *)s->kinds[i])->terminating, on);
}

/* Distinct error texts, joined as upstream's error aggregate prints them. */
struct err_agg {
    const char *msgs[16];
    size_t n;
};

static void add_error(struct err_agg *a, const char *msg)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->msgs[i], msg) == 0)
            return;
    if (a->n < KAPI_ARRAY_LEN(a->msgs))
        a->msgs[a->n++] = msg;
}

static const char *agg_text(struct kapi_pool *p, const struct err_agg *a)
{
    if (a->n == 1)
        return a->msgs[0];
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "[");
    for (size_t i = 0; i < a->n; i++)
        kapi_buf_printf(&b, "%s%s", i ? ", " : "", a->msgs[i]);
    kapi_buf_puts(&b, "]");
    const char *out = kapi_pool_strndup(p, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

/* Deletes every custom resource stored under prefix as a DELETE without
 * options does (kapi_meta_delete_stored: those with finalizers are only
 * marked; their dependents are the garbage collector's). NULL, or
 * upstream's condition message on failure. */
static const char *delete_instances(struct kapi_crdctl *c, struct kapi_pool *p, const char *prefix)
{
    char *end = kapi_store_prefix_end(prefix);
    char *start = kapi_xstrdup(prefix);
    struct err_agg agg = {0};
    for (;;) {
        struct kapi_kv *kvs = NULL;
        size_t n = 0;
        int64_t rev = 0;
        bool more = false;
        int err = c->store->ops->range(c->store, start, end, 500, &kvs, &n, &rev, &more);
        if (err) {
            const char *msg = kapi_pool_printf(p, "could not list instances: %s", kapi_store_strerror(err));
            free(start);
            free(end);
            return msg;
        }
        for (size_t i = 0; i < n; i++) {
            bool held = false;
            if (kvs[i].value) {
                int derr = kapi_meta_delete_stored(c->store, kvs[i].key, kvs[i].value, kvs[i].mod_rev, &held);
                if (derr)
                    add_error(&agg, kapi_store_strerror(derr));
            }
            if (i + 1 == n && more) {
                /* the next page starts right after this key */
                free(start);
                start = kapi_xasprintf("%s\x01", kvs[i].key);
            }
            kapi_kv_dispose(&kvs[i]);
        }
        free(kvs);
        if (!more || n == 0)
            break;
    }
    free(start);
    free(end);
    if (!agg.n)
        return NULL;
    return kapi_pool_printf(p, "could not issue all deletes: %s", agg_text(p, &agg));
}

/* How many custom resources are left under prefix (0 or 1 is all that
 * matters); -1 with *err on a store error. */
static int count_instances(struct kapi_crdctl *c, const char *prefix, int *err)
{
    char *end = kapi_store_prefix_end(prefix);
    struct kapi_kv *kvs = NULL;
    size_t n = 0;
    int64_t rev = 0;
    bool more = false;
    *err = c->store->ops->range(c->store, prefix, end, 1, &kvs, &n, &rev, &more);
    free(end);
    for (size_t i = 0; i < n; i++)
        kapi_kv_dispose(&kvs[i]);
    free(kvs);
    return *err ? -1 : (int)n;
}

/* Drops the cleanup finalizer and writes the CRD, or deletes it when that
 * was its last finalizer (upstream's status update then removes it). */
static void remove_cleanup_finalizer(struct kapi_crdctl *c, struct kapi_pool *p, struct kapi_value *crd,
                                     const char *key, int64_t mod_rev, const char *name);

static const char *const cleanup_finalizer = "customresourcecleanup.apiextensions.k8s.io";

/* A failed round: the next one starts after the rate limiter's delay. */
static void round_failed(struct crd_state *s)
{
    int64_t delay = CRD_RETRY_BASE_MS;
    for (int i = 0; i < s->failures && delay < CRD_RETRY_MAX_MS; i++)
        delay *= 2;
    if (delay > CRD_RETRY_MAX_MS)
        delay = CRD_RETRY_MAX_MS;
    s->failures++;
    s->round_end_ms = 0;
    s->retry_ms = kapi_now_ms() + delay;
}

/* A CRD marked for deletion, as upstream's CRD finalizer: a round says
 * Terminating=True InstanceDeletionInProgress, deletes every instance the
 * way DELETE does (finalizers keep theirs, marked), then waits up to a
 * minute, looking each second, for none to be left; only then the cleanup
 * finalizer goes (and with it the CRD, when it was the last). A round that
 * fails says why in the condition and is retried with backoff. Called for
 * each watch event of the CRD and from the controller's sweep each second. */
static void finish_deletion(struct kapi_crdctl *c, struct crd_state *s, struct kapi_pool *p, struct kapi_value *crd,
                            int64_t mod_rev)
{
    struct kapi_value *md = kapi_obj_get(crd, "metadata");
    const char *name = kapi_obj_get_str(md, "name");
    struct kapi_value *fins = kapi_obj_get(md, "finalizers");
    bool has = false;
    for (size_t i = 0; i < vlen(fins); i++)
        has |= kapi_value_cstr(fins->u.arr.items[i]) &&
               strcmp(kapi_value_cstr(fins->u.arr.items[i]), cleanup_finalizer) == 0;
    char *key = kapi_registry_key(p, c->crd_kind, NULL, name);
    if (!has) {
        s->round_end_ms = 0;
        if (vlen(fins) == 0) {
            struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key, .expect_mod_rev = mod_rev};
            struct kapi_write_result res = {0};
            if (kapi_store_write(c->store, &w, &res) == 0)
                kapi_log(1, "crd %s: deleted", name);
            kapi_write_result_dispose(&res);
        }
        return;
    }
    const struct kapi_value *spec = vget(crd, "spec");
    const char *group = vstr(spec, "group"), *plural = vstr(vget(spec, "names"), "plural");
    int64_t now = kapi_now_ms();
    if (!s->round_end_ms) {
        if (now < s->retry_ms)
            return;
        set_terminating(p, crd, true, "InstanceDeletionInProgress", "CustomResource deletion is in progress");
        int err = write_obj_at(c, key, crd, &mod_rev);
        if (err) {
            /* changed or gone meanwhile: its next event brings it back */
            if (err != KAPI_STORE_CONFLICT && err != KAPI_STORE_NOT_FOUND)
                round_failed(s);
            return;
        }
        static const char *const overlapping[][2] = {{"apiregistration.k8s.io", "apiservices"},
                                                     {"apiextensions.k8s.io", "customresourcedefinitions"}};
        bool overlaps = false;
        for (size_t i = 0; i < KAPI_ARRAY_LEN(overlapping) && group && plural; i++)
            overlaps |= strcmp(group, overlapping[i][0]) == 0 && strcmp(plural, overlapping[i][1]) == 0;
        if (overlaps || !group || !plural) {
            /* their keys are a built-in resource's: never deleted */
            set_terminating(p, crd, false, "OverlappingBuiltInResource",
                            "instances overlap with built-in resources in storage");
            remove_cleanup_finalizer(c, p, crd, key, mod_rev, name);
            return;
        }
        if (!condition_true(crd, "Established")) {
            set_terminating(p, crd, false, "NeverEstablished", "resource was never established");
            remove_cleanup_finalizer(c, p, crd, key, mod_rev, name);
            return;
        }
        const char *fail = delete_instances(c, p, kapi_pool_printf(p, "/registry/%s/%s/", group, plural));
        if (fail) {
            set_terminating(p, crd, true, "InstanceDeletionFailed", fail);
            (void)write_obj_at(c, key, crd, &mod_rev);
            kapi_log(0, "crd %s: %s", name, fail);
            round_failed(s);
            return;
        }
        s->round_end_ms = now + CRD_DELETE_WAIT_MS;
    }
    int err = 0;
    int left = count_instances(c, kapi_pool_printf(p, "/registry/%s/%s/", group, plural), &err);
    if (left == 0) {
        s->round_end_ms = 0;
        s->failures = 0;
        set_terminating(p, crd, false, "InstanceDeletionCompleted", "removed all instances");
        remove_cleanup_finalizer(c, p, crd, key, mod_rev, name);
        return;
    }
    if (left < 0 || now >= s->round_end_ms) {
        const char *why = left < 0 ? kapi_store_strerror(err) : "context deadline exceeded";
        set_terminating(p, crd, true, "InstanceDeletionCheck",
                        kapi_pool_printf(p, "could not confirm zero CustomResources remaining: %s", why));
        (void)write_obj_at(c, key, crd, &mod_rev);
        round_failed(s);
    }
}

static void remove_cleanup_finalizer(struct kapi_crdctl *c, struct kapi_pool *p, struct kapi_value *crd,
                                     const char *key, int64_t mod_rev, const char *name)
{
    struct kapi_value *md = kapi_obj_get(crd, "metadata");
    struct kapi_value *fins = kapi_obj_get(md, "finalizers");
    struct kapi_value *nf = kapi_value_array(p);
    for (size_t i = 0; i < vlen(fins); i++)
        if (!kapi_value_cstr(fins->u.arr.items[i]) ||
            strcmp(kapi_value_cstr(fins->u.arr.items[i]), cleanup_finalizer) != 0)
            kapi_arr_push(p, nf, fins->u.arr.items[i]);
    if (nf->u.arr.len) {
        kapi_obj_set(p, md, "finalizers", nf);
        if (write_obj_at(c, key, crd, &mod_rev) == 0)
            kapi_log(1, "crd %s: custom resources removed", name);
        return;
    }
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key, .expect_mod_rev = mod_rev};
    struct kapi_write_result res = {0};
    if (kapi_store_write(c->store, &w, &res) == 0)
        kapi_log(1, "crd %s: custom resources removed; deleted", name);
    kapi_write_result_dispose(&res);
}

static bool names_has(const struct crd_state *s, const char *name, bool kinds)
{
    if (!name || !*name)
        return false;
    if (kinds)
        return (s->kind && strcmp(s->kind, name) == 0) || (s->list_kind && strcmp(s->list_kind, name) == 0);
    if ((s->plural && strcmp(s->plural, name) == 0) || (s->singular && strcmp(s->singular, name) == 0))
        return true;
    for (size_t i = 0; i < s->nshort; i++)
        if (strcmp(s->short_names[i], name) == 0)
            return true;
    return false;
}

/* upstream's equalToAcceptedOrFresh over the other CRDs of the group. */
static const char *name_conflict(struct kapi_crdctl *c, struct kapi_pool *p, const char *self, const char *group,
                                 const char *requested, const char *accepted, bool kinds)
{
    if (!requested || (accepted && strcmp(requested, accepted) == 0))
        return NULL;
    for (size_t i = 0; i < c->n; i++) {
        const struct crd_state *o = c->states[i];
        if (strcmp(o->name, self) == 0 || strcmp(o->group, group) != 0)
            continue;
        if (names_has(o, requested, kinds))
            return kapi_pool_printf(p, "\"%s\" is already in use", requested);
    }
    return NULL;
}

static struct kapi_value *condition(struct kapi_pool *p, const char *type, const char *status, const char *reason,
                                    const char *message, const struct kapi_value *old_conds)
{
    const char *ltt = NULL;
    for (size_t i = 0; i < vlen(old_conds); i++) {
        const struct kapi_value *oc = old_conds->u.arr.items[i];
        if (vstr(oc, "type") && strcmp(vstr(oc, "type"), type) == 0 && vstr(oc, "status") &&
            strcmp(vstr(oc, "status"), status) == 0)
            ltt = vstr(oc, "lastTransitionTime");
    }
    struct kapi_value *cnd = kapi_value_object(p);
    kapi_obj_set(p, cnd, "type", kapi_value_str(p, type));
    kapi_obj_set(p, cnd, "status", kapi_value_str(p, status));
    kapi_obj_set(p, cnd, "lastTransitionTime", kapi_value_str(p, ltt ? ltt : kapi_meta_now(p)));
    kapi_obj_set(p, cnd, "reason", kapi_value_str(p, reason));
    kapi_obj_set(p, cnd, "message", kapi_value_str(p, message));
    return cnd;
}

/* Sets (replaces or appends) a condition in conds, keeping the others. */
static void set_condition(struct kapi_pool *p, struct kapi_value *conds, struct kapi_value *cnd)
{
    const char *type = vstr(cnd, "type");
    for (size_t i = 0; i < conds->u.arr.len; i++)
        if (vstr(conds->u.arr.items[i], "type") && strcmp(vstr(conds->u.arr.items[i], "type"), type) == 0) {
            conds->u.arr.items[i] = cnd;
            return;
        }
    kapi_arr_push(p, conds, cnd);
}

static void remember_names(struct crd_state *s, const struct kapi_value *names)
{
    free_names(s);
    const char *v;
    s->plural = (v = vstr(names, "plural")) ? kapi_xstrdup(v) : NULL;
    s->singular = (v = vstr(names, "singular")) ? kapi_xstrdup(v) : NULL;
    s->kind = (v = vstr(names, "kind")) ? kapi_xstrdup(v) : NULL;
    s->list_kind = (v = vstr(names, "listKind")) ? kapi_xstrdup(v) : NULL;
    const struct kapi_value *sn = vget(names, "shortNames");
    s->short_names = kapi_xcalloc(vlen(sn) + 1, sizeof(char *));
    for (size_t i = 0; i < vlen(sn); i++)
        if (kapi_value_cstr(sn->u.arr.items[i]))
            s->short_names[s->nshort++] = kapi_xstrdup(kapi_value_cstr(sn->u.arr.items[i]));
}

/* The status upstream's naming and establishing controllers converge to;
 * NULL when it equals the stored one. *accepted tells whether the names
 * were accepted. */
static struct kapi_value *desired_status(struct kapi_crdctl *c, struct kapi_pool *p, const struct kapi_value *crd,
                                         bool *accepted)
{
    const char *name = vstr(vget(crd, "metadata"), "name");
    const struct kapi_value *spec = vget(crd, "spec"), *status = vget(crd, "status");
    const struct kapi_value *req = vget(spec, "names"), *acc = vget(status, "acceptedNames");
    const char *group = vstr(spec, "group");
    const struct kapi_value *old_conds = vget(status, "conditions");

    const char *reason = NULL, *msg = NULL, *m;
    struct kapi_value *nn = kapi_value_object(p);
    static const char *const res_fields[] = {"plural", "singular"};
    static const char *const res_reasons[] = {"PluralConflict", "SingularConflict"};
    for (int i = 0; i < 2; i++) {
        const char *r = vstr(req, res_fields[i]), *a = vstr(acc, res_fields[i]);
        if ((m = name_conflict(c, p, name, group, r, a, false))) {
            reason = res_reasons[i], msg = m;
            if (a)
                kapi_obj_set(p, nn, res_fields[i], kapi_value_str(p, a));
        } else if (r) {
            kapi_obj_set(p, nn, res_fields[i], kapi_value_str(p, r));
        }
    }
    const struct kapi_value *rsn = vget(req, "shortNames"), *asn = vget(acc, "shortNames");
    if (!kapi_value_equal(rsn, asn) && rsn) {
        const char *sm = NULL;
        for (size_t i = 0; i < vlen(rsn) && !sm; i++) {
            const char *s = kapi_value_cstr(rsn->u.arr.items[i]);
            bool mine = false;
            for (size_t j = 0; j < vlen(asn); j++)
                mine |= kapi_value_cstr(asn->u.arr.items[j]) && s && strcmp(kapi_value_cstr(asn->u.arr.items[j]), s) == 0;
            if (!mine)
                sm = name_conflict(c, p, name, group, s, NULL, false);
        }
        if (sm) {
            reason = "ShortNamesConflict", msg = sm;
            if (asn)
                kapi_obj_set(p, nn, "shortNames", kapi_value_clone(p, asn));
        } else {
            kapi_obj_set(p, nn, "shortNames", kapi_value_clone(p, rsn));
        }
    } else if (asn) {
        kapi_obj_set(p, nn, "shortNames", kapi_value_clone(p, asn));
    }
    static const char *const kind_fields[] = {"kind", "listKind"};
    static const char *const kind_reasons[] = {"KindConflict", "ListKindConflict"};
    for (int i = 0; i < 2; i++) {
        const char *r = vstr(req, kind_fields[i]), *a = vstr(acc, kind_fields[i]);
        if ((m = name_conflict(c, p, name, group, r, a, true))) {
            reason = kind_reasons[i], msg = m;
            if (a)
                kapi_obj_set(p, nn, kind_fields[i], kapi_value_str(p, a));
        } else if (r) {
            kapi_obj_set(p, nn, kind_fields[i], kapi_value_str(p, r));
        }
    }
    if (vget(req, "categories"))
        kapi_obj_set(p, nn, "categories", kapi_value_clone(p, vget(req, "categories")));

    *accepted = reason == NULL;
    struct kapi_value *conds = kapi_value_array(p);
    for (size_t i = 0; i < vlen(old_conds); i++)
        kapi_arr_push(p, conds, kapi_value_clone(p, old_conds->u.arr.items[i]));
    if (*accepted) {
        set_condition(p, conds, condition(p, "NamesAccepted", "True", "NoConflicts", "no conflicts found", old_conds));
        set_condition(p, conds, condition(p, "Established", "True", "InitialNamesAccepted",
                                          "the initial names have been accepted", old_conds));
    } else {
        set_condition(p, conds, condition(p, "NamesAccepted", "False", reason, msg, old_conds));
        bool was_established = false;
        for (size_t i = 0; i < vlen(old_conds); i++)
            was_established |= vstr(old_conds->u.arr.items[i], "type") &&
                               strcmp(vstr(old_conds->u.arr.items[i], "type"), "Established") == 0 &&
                               vstr(old_conds->u.arr.items[i], "status") &&
                               strcmp(vstr(old_conds->u.arr.items[i], "status"), "True") == 0;
        if (!was_established)
            set_condition(p, conds, condition(p, "Established", "False", "NotAccepted", "not all names are accepted",
                                              old_conds));
    }
    /* storedVersions: what is stored so far plus the storage version */
    struct kapi_value *stored = kapi_value_array(p);
    const struct kapi_value *osv = vget(status, "storedVersions");
    for (size_t i = 0; i < vlen(osv); i++)
        kapi_arr_push(p, stored, kapi_value_clone(p, osv->u.arr.items[i]));
    const struct kapi_value *vers = vget(spec, "versions");
    for (size_t i = 0; i < vlen(vers); i++) {
        const struct kapi_value *v = vers->u.arr.items[i];
        if (!vbool(v, "storage") || !vstr(v, "name"))
            continue;
        bool have = false;
        for (size_t j = 0; j < stored->u.arr.len; j++)
            have |= kapi_value_cstr(stored->u.arr.items[j]) && strcmp(kapi_value_cstr(stored->u.arr.items[j]), vstr(v, "name")) == 0;
        if (!have)
            kapi_arr_push(p, stored, kapi_value_str(p, vstr(v, "name")));
    }
    struct kapi_value *st = kapi_value_object(p);
    kapi_obj_set(p, st, "conditions", conds);
    kapi_obj_set(p, st, "acceptedNames", nn);
    kapi_obj_set(p, st, "storedVersions", stored);
    if (kapi_value_equal(st, status))
        return NULL;
    return st;
}

/* Registers one kind per served version (again when the spec changed). */
static void register_kinds(struct kapi_crdctl *c, struct crd_state *s, const struct kapi_value *crd, int64_t generation)
{
    const struct kapi_value *spec = vget(crd, "spec");
    const struct kapi_value *vers = vget(spec, "versions");
    const char *storage = NULL;
    size_t nserved = 0;
    for (size_t i = 0; i < vlen(vers); i++) {
        if (vbool(vers->u.arr.items[i], "storage"))
            storage = vstr(vers->u.arr.items[i], "name");
        nserved += vbool(vers->u.arr.items[i], "served");
    }
    if (!storage)
        return;
    unregister_kinds(c, s);
    for (size_t i = 0; i < vlen(vers) && s->nkinds < CRD_MAX_VERSIONS; i++) {
        const struct kapi_value *v = vers->u.arr.items[i];
        if (!vbool(v, "served"))
            continue;
        struct crd_kind *ck = build_kind(c->cache, c->reg, crd, v, storage, vlen(vers) > 1);
        if (!ck)
            continue;
        kapi_registry_add_dynamic(c->reg, &ck->k, kind_nres(&ck->k));
        s->kinds[s->nkinds++] = &ck->k;
    }
    s->generation = generation;
    (void)nserved;
}

static void on_crd(struct kapi_crdctl *c, struct kapi_pool *p, enum kapi_watch_type type, struct kapi_value *crd,
                   int64_t mod_rev)
{
    const struct kapi_value *md = vget(crd, "metadata");
    const char *name = vstr(md, "name");
    if (!name)
        return;
    struct crd_state *s = state_find(c, name);
    if (type == KAPI_WATCH_DELETED) {
        if (s) {
            state_remove(c, s);
            publish(c);
        }
        return;
    }
    const struct kapi_value *spec = vget(crd, "spec");
    const char *group = vstr(spec, "group");
    if (!group)
        return;
    if (!s) {
        s = kapi_xcalloc(1, sizeof(*s));
        s->name = kapi_xstrdup(name);
        s->group = kapi_xstrdup(group);
        s->generation = -1;
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 16;
            c->states = kapi_xrealloc(c->states, c->cap * sizeof(*c->states));
        }
        c->states[c->n++] = s;
    }
    s->mod_rev = mod_rev;
    remember_names(s, vget(vget(crd, "status"), "acceptedNames"));
    const struct kapi_value *gen = vget(md, "generation");
    int64_t generation = gen && gen->type == KAPI_V_INT ? gen->u.i : 0;

    if (vstr(md, "deletionTimestamp")) {
        s->terminating = true;
        if (!s->nkinds)
            register_kinds(c, s, crd, generation);
        mark_terminating(s, crd);
        finish_deletion(c, s, p, crd, mod_rev);
        return;
    }
    bool accepted = false;
    struct kapi_value *st = desired_status(c, p, crd, &accepted);
    /* Serve first, then say so: Established=True is written only once the
     * kinds are registered and discovery lists them. */
    bool established = false;
    const struct kapi_value *conds = vget(st ? st : vget(crd, "status"), "conditions");
    for (size_t i = 0; i < vlen(conds); i++)
        established |= vstr(conds->u.arr.items[i], "type") &&
                       strcmp(vstr(conds->u.arr.items[i], "type"), "Established") == 0 &&
                       vstr(conds->u.arr.items[i], "status") &&
                       strcmp(vstr(conds->u.arr.items[i], "status"), "True") == 0;
    if (!established) {
        if (s->nkinds) {
            unregister_kinds(c, s);
            publish(c);
        }
    } else if (s->generation != generation || !s->nkinds) {
        register_kinds(c, s, crd, generation);
        publish(c);
    }
    mark_terminating(s, crd);
    if (st) {
        struct kapi_value *upd = kapi_value_clone(p, crd);
        kapi_obj_set(p, upd, "status", st);
        char *key = kapi_registry_key(p, c->crd_kind, NULL, name);
        int err = write_obj(c, key, upd, mod_rev);
        if (err && err != KAPI_STORE_CONFLICT && err != KAPI_STORE_NOT_FOUND)
            kapi_log(0, "crd %s: status update: %s", name, kapi_store_strerror(err));
    }
}

static void *crdctl_main(void *arg)
{
    kapi_thread_name("ctl-crd");
    struct kapi_crdctl *c = arg;
    struct kapi_watcher *w = NULL;
    int64_t next_sweep = 0;
    while (!atomic_load(&c->stop)) {
        if (!w) {
            struct kapi_cache_filter f = {.ns = ""};
            int err = 0;
            w = kapi_rcache_watch(c->cache, c->crd_kind->rc, &f, -1, c->crd_kind->api_version, &err);
            if (!w) {
                struct timespec ts = {0, 200 * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
        }
        struct kapi_watch_item it;
        int r = kapi_watcher_next(w, &it, 200);
        if (r == 1) {
            if (it.obj && it.type != KAPI_WATCH_BOOKMARK && it.type != KAPI_WATCH_ERROR) {
                struct kapi_pool *p = kapi_pool_new();
                struct kapi_value *crd = kapi_cobj_value(it.obj, p);
                if (crd)
                    on_crd(c, p, it.type, crd, it.obj->mod_rev);
                kapi_pool_free(p);
            }
            kapi_blob_unref(it.frame);
            kapi_cobj_unref(it.obj);
        } else if (r < 0) {
            kapi_watcher_free(w);
            w = NULL;
        }
        /* CRDs still terminating get another pass now and then. */
        int64_t now = kapi_now_ms();
        if (now >= next_sweep) {
            next_sweep = now + 1000;
            for (size_t i = 0; i < c->n; i++) {
                if (!c->states[i]->terminating)
                    continue;
                struct kapi_pool *p = kapi_pool_new();
                char *key = kapi_registry_key(p, c->crd_kind, NULL, c->states[i]->name);
                struct kapi_cobj *o = kapi_rcache_get(c->crd_kind->rc, key);
                if (o) {
                    struct kapi_value *crd = kapi_cobj_value(o, p);
                    if (crd)
                        finish_deletion(c, c->states[i], p, crd, o->mod_rev);
                    kapi_cobj_unref(o);
                }
                kapi_pool_free(p);
            }
        }
    }
    kapi_watcher_free(w);
    return NULL;
}

struct kapi_crdctl *kapi_crdctl_start(struct kapi_store *store, struct kapi_cache *cache, struct kapi_registry *reg,
                                      kapi_crd_publish_fn publish_fn, void *ctx)
{
    const struct kapi_kind *k = kapi_registry_find(reg, "apiextensions.k8s.io", "v1", "customresourcedefinitions");
    if (!k || !k->rc)
        return NULL;
    struct kapi_crdctl *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->reg = reg;
    c->crd_kind = k;
    c->publish = publish_fn;
    c->ctx = ctx;
    atomic_init(&c->stop, false);
    /* Serve every existing CRD before the server says it is ready. */
    c->initial = true;
    struct kapi_cache_filter all = {.ns = ""};
    struct kapi_cache_list l;
    kapi_rcache_list(k->rc, &all, NULL, 0, &l);
    for (size_t i = 0; i < l.n; i++) {
        struct kapi_pool *p = kapi_pool_new();
        struct kapi_value *crd = kapi_cobj_value(l.items[i], p);
        if (crd)
            on_crd(c, p, KAPI_WATCH_ADDED, crd, l.items[i]->mod_rev);
        kapi_pool_free(p);
    }
    kapi_cache_list_dispose(&l);
    c->initial = false;
    if (c->dirty)
        publish_now(c);
    if (pthread_create(&c->thread, NULL, crdctl_main, c) != 0) {
        kapi_log(0, "crd controller: cannot start thread");
        abort();
    }
    return c;
}

void kapi_crdctl_stop(struct kapi_crdctl *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    while (c->n)
        state_remove(c, c->states[c->n - 1]);
    free(c->states);
    free(c);
}
