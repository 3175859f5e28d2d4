/* Implementation of src/endpoints/openapi.h. */
#include "openapi.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../codec/json.h"
#include "../registry/resources.h"
#include "../schema/openapi_schema.h"
#include "openapi_pb.h"

struct doc {
    char *path;             /* "api/v1", "apis/apps/v1" */
    struct kapi_blob *body;
    char *hash;             /* upper-case hex SHA-512 */
    char *etag;
};

struct kapi_openapi {
    struct doc *docs;
    size_t n;
    struct doc index;
    struct doc v2;
    struct doc v2pb;  /* the same document as gnostic protobuf (kubectl 1.27 asks for it) */
};

static char *sha512_hex(const char *data, size_t len)
{
    unsigned char md[64];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha512(), NULL);
    char *out = kapi_xmalloc(mdlen * 2 + 1);
    for (unsigned i = 0; i < mdlen; i++)
        sprintf(out + i * 2, "%02X", md[i]);
    return out;
}

static struct kapi_value *param(struct kapi_pool *p, const char *name, const char *in, const char *type, bool required)
{
    struct kapi_value *v = kapi_value_object(p);
    kapi_obj_set(p, v, "name", kapi_value_str(p, name));
    kapi_obj_set(p, v, "in", kapi_value_str(p, in));
    if (required)
        kapi_obj_set(p, v, "required", kapi_value_bool(p, true));
    struct kapi_value *s = kapi_value_object(p);
    kapi_obj_set(p, s, "type", kapi_value_str(p, type));
    if (strcmp(name, "dryRun") == 0 || strcmp(name, "fieldValidation") == 0 || strcmp(name, "fieldManager") == 0)
        kapi_obj_set(p, s, "uniqueItems", kapi_value_bool(p, true));
    kapi_obj_set(p, v, "schema", s);
    return v;
}

static const char *const list_params[] = {"allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
                                          "resourceVersion", "resourceVersionMatch", "sendInitialEvents",
                                          "timeoutSeconds", "watch"};

static void add_params(struct kapi_pool *p, struct kapi_value *op, const char *action)
{
    struct kapi_value *ps = kapi_value_array(p);
    if (strcmp(action, "list") == 0 || strcmp(action, "deletecollection") == 0) {
        for (size_t i = 0; i < KAPI_ARRAY_LEN(list_params); i++) {
            const char *t = strcmp(list_params[i], "limit") == 0 || strcmp(list_params[i], "timeoutSeconds") == 0
                                ? "integer"
                                : (strcmp(list_params[i], "watch") == 0 || strcmp(list_params[i], "allowWatchBookmarks") == 0 ||
                                   strcmp(list_params[i], "sendInitialEvents") == 0)
                                      ? "boolean"
                                      : "string";
            kapi_arr_push(p, ps, param(p, list_params[i], "query", t, false));
        }
    }
    if (strcmp(action, "post") == 0 || strcmp(action, "put") == 0 || strcmp(action, "patch") == 0) {
        kapi_arr_push(p, ps, param(p, "dryRun", "query", "string", false));
        kapi_arr_push(p, ps, param(p, "fieldManager", "query", "string", false));
        kapi_arr_push(p, ps, param(p, "fieldValidation", "query", "string", false));
        if (strcmp(action, "patch") == 0)
            kapi_arr_push(p, ps, param(p, "force", "query", "boolean", false));
    }
    if (strcmp(action, "delete") == 0 || strcmp(action, "deletecollection") == 0) {
        kapi_arr_push(p, ps, param(p, "dryRun", "query", "string", false));
        kapi_arr_push(p, ps, param(p, "gracePeriodSeconds", "query", "integer", false));
        kapi_arr_push(p, ps, param(p, "propagationPolicy", "query", "string", false));
    }
    kapi_obj_set(p, op, "parameters", ps);
}

static struct kapi_value *operation(struct kapi_pool *p, const struct kapi_resource *r, const char *action,
                                    const char *opid)
{
    struct kapi_value *op = kapi_value_object(p);
    kapi_obj_set(p, op, "description", kapi_value_str(p, ""));
    kapi_obj_set(p, op, "operationId", kapi_value_str(p, opid));
    add_params(p, op, action);
    struct kapi_value *resp = kapi_value_object(p);
    struct kapi_value *ok = kapi_value_object(p);
    kapi_obj_set(p, ok, "description", kapi_value_str(p, "OK"));
    kapi_obj_set(p, resp, "200", ok);
    kapi_obj_set(p, op, "responses", resp);
    kapi_obj_set(p, op, "x-kubernetes-action", kapi_value_str(p, action));
    struct kapi_value *gvk = kapi_value_object(p);
    kapi_obj_set(p, gvk, "group", kapi_value_str(p, r->group));
    kapi_obj_set(p, gvk, "version", kapi_value_str(p, r->version));
    kapi_obj_set(p, gvk, "kind", kapi_value_str(p, r->kind));
    kapi_obj_set(p, op, "x-kubernetes-group-version-kind", gvk);
    return op;
}

static char *gv_path(const char *group, const char *version)
{
    return group[0] ? kapi_xasprintf("apis/%s/%s", group, version) : kapi_xasprintf("api/%s", version);
}

/* Upstream's definition name of a custom kind: the group reversed
 * ("example.com" -> "com.example"), then version and kind. */
static const char *custom_def_name(struct kapi_pool *p, const char *group, const char *version, const char *kind)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    const char *end = group + strlen(group);
    while (end > group) {
        const char *dot = end;
        while (dot > group && dot[-1] != '.')
            dot--;
        kapi_buf_printf(&b, "%.*s.", (int)(end - dot), dot);
        end = dot > group ? dot - 1 : group;
    }
    kapi_buf_printf(&b, "%s.%s", version, kind);
    const char *out = kapi_pool_strndup(p, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

static struct kapi_value *gvk_list(struct kapi_pool *p, const char *group, const char *version, const char *kind)
{
    struct kapi_value *arr = kapi_value_array(p), *g = kapi_value_object(p);
    kapi_obj_set(p, g, "group", kapi_value_str(p, group));
    kapi_obj_set(p, g, "kind", kapi_value_str(p, kind));
    kapi_obj_set(p, g, "version", kapi_value_str(p, version));
    kapi_arr_push(p, arr, g);
    return arr;
}

static struct kapi_value *meta_ref(struct kapi_pool *p, struct kapi_value *schemas, const char *msg)
{
    const char *name = kapi_openapi_add_msg_schema(p, schemas, msg);
    struct kapi_value *v = kapi_value_object(p), *a = kapi_value_array(p), *r = kapi_value_object(p);
    kapi_obj_set(p, r, "$ref", kapi_value_str(p, kapi_pool_printf(p, "#/components/schemas/%s", name ? name : msg)));
    kapi_arr_push(p, a, r);
    kapi_obj_set(p, v, "allOf", a);
    return v;
}

/* A custom kind's schema and its list's, as the CRD OpenAPI builder
 * publishes them: the CRD's schema with apiVersion, kind and the
 * ObjectMeta reference added. */
static void add_custom_kind(struct kapi_pool *p, struct kapi_value *schemas, const struct kapi_resource *r,
                            const struct kapi_value *crd_schema)
{
    const char *name = custom_def_name(p, r->group, r->version, r->kind);
    struct kapi_value *s = crd_schema ? kapi_value_clone(p, crd_schema) : kapi_value_object(p);
    if (s->type != KAPI_V_OBJECT)
        s = kapi_value_object(p);
    if (!kapi_obj_get(s, "type"))
        kapi_obj_set(p, s, "type", kapi_value_str(p, "object"));
    struct kapi_value *props = kapi_obj_ensure_obj(p, s, "properties");
    kapi_obj_set(p, props, "metadata", meta_ref(p, schemas, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    kapi_obj_del(props, "kind");
    kapi_openapi_ensure_typemeta(p, schemas, s);
    kapi_obj_set(p, s, "x-kubernetes-group-version-kind", gvk_list(p, r->group, r->version, r->kind));
    kapi_obj_set(p, schemas, name, s);

    const char *list_kind = kapi_pool_printf(p, "%sList", r->kind);
    struct kapi_value *l = kapi_value_object(p), *lp = kapi_value_object(p);
    kapi_obj_set(p, l, "description", kapi_value_str(p, kapi_pool_printf(p, "%s is a list of %s", list_kind, r->kind)));
    kapi_obj_set(p, l, "type", kapi_value_str(p, "object"));
    struct kapi_value *req = kapi_value_array(p);
    kapi_arr_push(p, req, kapi_value_str(p, "items"));
    kapi_obj_set(p, l, "required", req);
    struct kapi_value *items = kapi_value_object(p), *iref = kapi_value_object(p);
    kapi_obj_set(p, items, "type", kapi_value_str(p, "array"));
    kapi_obj_set(p, iref, "$ref", kapi_value_str(p, kapi_pool_printf(p, "#/components/schemas/%s", name)));
    kapi_obj_set(p, items, "items", iref);
    kapi_obj_set(p, lp, "items", items);
    kapi_obj_set(p, lp, "metadata", meta_ref(p, schemas, "k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"));
    kapi_obj_set(p, l, "properties", lp);
    kapi_openapi_ensure_typemeta(p, schemas, l);
    kapi_obj_set(p, l, "x-kubernetes-group-version-kind", gvk_list(p, r->group, r->version, list_kind));
    kapi_obj_set(p, schemas, kapi_pool_printf(p, "%sList", name), l);
}

/* The resources of one group/version: built-in from the table, custom from
 * the extra version (then xv is set). */
struct gv_src {
    const char *group, *version;
    const struct kapi_resource *rs;
    size_t n;
    const struct kapi_api_extra_version *xv;
};

static struct kapi_value *build_gv_value(struct kapi_pool *p, const struct gv_src *src)
{
    const char *group = src->group, *version = src->version;
    struct kapi_value *doc = kapi_value_object(p);
    kapi_obj_set(p, doc, "openapi", kapi_value_str(p, "3.0.0"));
    struct kapi_value *info = kapi_value_object(p);
    kapi_obj_set(p, info, "title", kapi_value_str(p, "Kubernetes"));
    kapi_obj_set(p, info, "version", kapi_value_str(p, "v1.33.0"));
    kapi_obj_set(p, doc, "info", info);
    struct kapi_value *paths = kapi_value_object(p);
    size_t n = src->n;
    const struct kapi_resource *rs = src->rs;
    char *base = gv_path(group, version);
    for (size_t i = 0; i < n; i++) {
        const struct kapi_resource *r = &rs[i];
        const char *ns = r->namespaced ? "/namespaces/{namespace}" : "";
        if (kapi_resource_is_sub(r)) {
            /* /<parent>/{name}/<sub>: get/put/patch (or create for eviction, binding...) */
            const char *slash = strchr(r->name, '/');
            char *sp = kapi_pool_printf(p, "/%s%s/%.*s/{name}%s", base, ns, (int)(slash - r->name), r->name, slash);
            struct kapi_value *item = kapi_value_object(p);
            struct kapi_resource gvk = *r;
            if (r->sub_group) {
                gvk.group = r->sub_group;
                gvk.version = r->sub_version;
            }
            const char *id = kapi_pool_printf(p, "%s%s", r->kind, slash + 1);
            for (const char *const *v = r->verbs; *v; v++) {
                if (strcmp(*v, "get") == 0)
                    kapi_obj_set(p, item, "get", operation(p, &gvk, "get", kapi_pool_printf(p, "read%s", id)));
                else if (strcmp(*v, "update") == 0)
                    kapi_obj_set(p, item, "put", operation(p, &gvk, "put", kapi_pool_printf(p, "replace%s", id)));
                else if (strcmp(*v, "patch") == 0)
                    kapi_obj_set(p, item, "patch", operation(p, &gvk, "patch", kapi_pool_printf(p, "patch%s", id)));
                else if (strcmp(*v, "create") == 0)
                    kapi_obj_set(p, item, "post", operation(p, &gvk, "post", kapi_pool_printf(p, "create%s", id)));
                else if (strcmp(*v, "delete") == 0)
                    kapi_obj_set(p, item, "delete", operation(p, &gvk, "delete", kapi_pool_printf(p, "delete%s", id)));
            }
            if (item->u.obj.len)
                kapi_obj_set(p, paths, sp, item);
            continue;
        }
        char *coll = kapi_pool_printf(p, "/%s%s/%s", base, ns, r->name);
        char *item = kapi_pool_printf(p, "%s/{name}", coll);
        struct kapi_value *cp = kapi_value_object(p), *ip = kapi_value_object(p);
        const char *k = r->kind;
        for (const char *const *v = r->verbs; *v; v++) {
            if (strcmp(*v, "list") == 0)
                kapi_obj_set(p, cp, "get", operation(p, r, "list", kapi_pool_printf(p, "list%s", k)));
            else if (strcmp(*v, "create") == 0)
                kapi_obj_set(p, cp, "post", operation(p, r, "post", kapi_pool_printf(p, "create%s", k)));
            else if (strcmp(*v, "deletecollection") == 0)
                kapi_obj_set(p, cp, "delete", operation(p, r, "deletecollection", kapi_pool_printf(p, "deleteCollection%s", k)));
            else if (strcmp(*v, "get") == 0)
                kapi_obj_set(p, ip, "get", operation(p, r, "get", kapi_pool_printf(p, "read%s", k)));
            else if (strcmp(*v, "update") == 0)
                kapi_obj_set(p, ip, "put", operation(p, r, "put", kapi_pool_printf(p, "replace%s", k)));
            else if (strcmp(*v, "patch") == 0)
                kapi_obj_set(p, ip, "patch", operation(p, r, "patch", kapi_pool_printf(p, "patch%s", k)));
            else if (strcmp(*v, "delete") == 0)
                kapi_obj_set(p, ip, "delete", operation(p, r, "delete", kapi_pool_printf(p, "delete%s", k)));
        }
        if (cp->u.obj.len)
            kapi_obj_set(p, paths, coll, cp);
        if (ip->u.obj.len)
            kapi_obj_set(p, paths, item, ip);
    }
    free(base);
    kapi_obj_set(p, doc, "paths", paths);
    struct kapi_value *comp = kapi_value_object(p);
    struct kapi_value *schemas = kapi_value_object(p);
    for (size_t i = 0; i < n; i++) {
        /* subresources too: their kinds may live in another group (Scale, Eviction) */
        const struct kapi_resource *r = &rs[i];
        const char *g = r->sub_group ? r->sub_group : r->group;
        const char *v = r->sub_version ? r->sub_version : r->version;
        if (src->xv) {
            if (r->sub_group)
                kapi_openapi_add_kind_schema(p, schemas, g, v, r->kind);
            else if (!kapi_resource_is_sub(r))
                add_custom_kind(p, schemas, r, src->xv->schemas ? src->xv->schemas[i] : NULL);
            continue;
        }
        kapi_openapi_add_kind_schema(p, schemas, g, v, r->kind);
        if (!kapi_resource_is_sub(r))
            kapi_openapi_add_kind_schema(p, schemas, r->group, r->version, kapi_pool_printf(p, "%sList", r->kind));
    }
    /* custom groups have no meta kinds of their own: use core/v1's */
    const char *mg = src->xv ? "" : group, *mv = src->xv ? "v1" : version;
    kapi_openapi_add_kind_schema(p, schemas, mg, mv, "DeleteOptions");
    kapi_openapi_add_kind_schema(p, schemas, mg, mv, "Status");
    kapi_openapi_add_kind_schema(p, schemas, mg, mv, "WatchEvent");
    kapi_obj_set(p, comp, "schemas", schemas);
    kapi_obj_set(p, doc, "components", comp);
    return doc;
}

static struct kapi_blob *to_blob(const struct kapi_value *doc)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, doc);
    struct kapi_blob *blob = kapi_blob_new(b.data, b.len);
    kapi_buf_dispose(&b);
    return blob;
}

static struct kapi_blob *build_gv(const struct gv_src *src)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_blob *blob = to_blob(build_gv_value(p, src));
    kapi_pool_free(p);
    return blob;
}

/* Every served group/version: core, the built-in groups, then the custom
 * ones. Heap array; *n set. */
static struct gv_src *all_gvs(const struct kapi_api_extra *extra, size_t *n)
{
    size_t ng = 0, cap = 0;
    const struct kapi_api_group *groups = kapi_api_groups(&ng);
    const struct kapi_api_group *core = kapi_api_core_group();
    for (const char *const *v = core->versions; *v; v++)
        cap++;
    for (size_t g = 0; g < ng; g++)
        for (const char *const *v = groups[g].versions; *v; v++)
            cap++;
    for (size_t g = 0; extra && g < extra->n; g++)
        for (const char *const *v = extra->groups[g].g.versions; *v; v++)
            cap++;
    struct gv_src *out = kapi_xcalloc(cap + 1, sizeof(*out));
    size_t k = 0;
    for (const char *const *v = core->versions; *v; v++) {
        out[k] = (struct gv_src){"", *v, NULL, 0, NULL};
        out[k].rs = kapi_resources_for("", *v, &out[k].n);
        k++;
    }
    for (size_t g = 0; g < ng; g++)
        for (const char *const *v = groups[g].versions; *v; v++) {
            out[k] = (struct gv_src){groups[g].name, *v, NULL, 0, NULL};
            out[k].rs = kapi_resources_for(groups[g].name, *v, &out[k].n);
            k++;
        }
    for (size_t g = 0; extra && g < extra->n; g++)
        for (size_t v = 0; extra->groups[g].g.versions[v]; v++) {
            const struct kapi_api_extra_version *xv = &extra->groups[g].vers[v];
            out[k++] = (struct gv_src){extra->groups[g].g.name, xv->version, xv->res, xv->n, xv};
        }
    *n = k;
    return out;
}

/* ---- OpenAPI v2: the same facts in Swagger 2.0 form, one document ---- */

/* Rewrites a v3 schema into v2 form in place: references point into
 * #/definitions, and the allOf-wrapped references of v3 become plain ones. */
static struct kapi_value *v2_schema(struct kapi_pool *p, struct kapi_value *v)
{
    if (!v)
        return v;
    if (v->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < v->u.arr.len; i++)
            v->u.arr.items[i] = v2_schema(p, v->u.arr.items[i]);
        return v;
    }
    if (v->type != KAPI_V_OBJECT)
        return v;
    struct kapi_value *all = kapi_obj_get(v, "allOf");
    if (all && all->type == KAPI_V_ARRAY && all->u.arr.len == 1 && kapi_obj_get(all->u.arr.items[0], "$ref")) {
        struct kapi_value *ref = kapi_value_object(p);
        kapi_obj_set(p, ref, "$ref", kapi_obj_get(all->u.arr.items[0], "$ref"));
        v = ref;
    }
    for (size_t i = 0; i < v->u.obj.len; i++) {
        struct kapi_member *m = &v->u.obj.members[i];
        const char *rs = kapi_value_cstr(m->val);
        if (strcmp(m->key, "$ref") == 0 && rs && strncmp(rs, "#/components/schemas/", 21) == 0)
            m->val = kapi_value_str(p, kapi_pool_printf(p, "#/definitions/%s", rs + 21));
        else if (strcmp(m->key, "properties") == 0 && m->val->type == KAPI_V_OBJECT)
            for (size_t j = 0; j < m->val->u.obj.len; j++)
                m->val->u.obj.members[j].val = v2_schema(p, m->val->u.obj.members[j].val);
        else if (strcmp(m->key, "items") == 0 || strcmp(m->key, "additionalProperties") == 0)
            m->val = v2_schema(p, m->val);
    }
    return v;
}

/* v3 parameters {name, in, schema{type}} become v2 {name, in, type}. */
static void v2_operation(struct kapi_pool *p, struct kapi_value *op)
{
    struct kapi_value *ps = kapi_obj_get(op, "parameters");
    for (size_t i = 0; ps && i < ps->u.arr.len; i++) {
        struct kapi_value *par = ps->u.arr.items[i];
        struct kapi_value *sch = kapi_obj_get(par, "schema");
        if (sch) {
            for (size_t j = 0; j < sch->u.obj.len; j++)
                kapi_obj_set(p, par, sch->u.obj.members[j].key, sch->u.obj.members[j].val);
            kapi_obj_del(par, "schema");
        }
    }
}

static struct kapi_blob *build_v2(const struct gv_src *gvs, size_t ngvs, struct kapi_blob **pb_out)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *doc = kapi_value_object(p);
    kapi_obj_set(p, doc, "swagger", kapi_value_str(p, "2.0"));
    struct kapi_value *info = kapi_value_object(p);
    kapi_obj_set(p, info, "title", kapi_value_str(p, "Kubernetes"));
    kapi_obj_set(p, info, "version", kapi_value_str(p, "v1.33.0"));
    kapi_obj_set(p, doc, "info", info);
    struct kapi_value *paths = kapi_value_object(p), *defs = kapi_value_object(p);
    for (size_t g = 0; g < ngvs; g++) {
        {
            struct kapi_value *gv = build_gv_value(p, &gvs[g]);
            struct kapi_value *gp = kapi_obj_get(gv, "paths");
            for (size_t i = 0; i < gp->u.obj.len; i++) {
                struct kapi_value *item = gp->u.obj.members[i].val;
                for (size_t j = 0; j < item->u.obj.len; j++)
                    v2_operation(p, item->u.obj.members[j].val);
                kapi_obj_set(p, paths, gp->u.obj.members[i].key, item);
            }
            struct kapi_value *sch = kapi_value_path(gv, "components", "schemas", NULL);
            for (size_t i = 0; sch && i < sch->u.obj.len; i++)
                if (!kapi_obj_get(defs, sch->u.obj.members[i].key))
                    kapi_obj_set(p, defs, sch->u.obj.members[i].key, v2_schema(p, sch->u.obj.members[i].val));
        }
    }
    /* v2 has no oneOf: the two union types are plain strings there. */
    struct kapi_value *ios = kapi_value_object(p);
    kapi_obj_set(p, ios, "type", kapi_value_str(p, "string"));
    kapi_obj_set(p, ios, "format", kapi_value_str(p, "int-or-string"));
    kapi_obj_set(p, defs, "io.k8s.apimachinery.pkg.util.intstr.IntOrString", ios);
    struct kapi_value *q = kapi_value_object(p);
    kapi_obj_set(p, q, "type", kapi_value_str(p, "string"));
    kapi_obj_set(p, defs, "io.k8s.apimachinery.pkg.api.resource.Quantity", q);
    kapi_obj_set(p, doc, "paths", paths);
    kapi_obj_set(p, doc, "definitions", defs);
    struct kapi_buf pb;
    kapi_buf_init(&pb, 0);
    *pb_out = kapi_openapi_v2_protobuf(&pb, doc) == 0 ? kapi_blob_new(pb.data, pb.len) : NULL;
    kapi_buf_dispose(&pb);
    struct kapi_blob *blob = to_blob(doc);
    kapi_pool_free(p);
    return blob;
}

static void finish_doc(struct doc *d)
{
    d->hash = sha512_hex(d->body->data, d->body->len);
    d->etag = kapi_xasprintf("\"%s\"", d->hash);
}

struct kapi_openapi *kapi_openapi_new(const struct kapi_api_extra *extra)
{
    struct kapi_openapi *o = kapi_xcalloc(1, sizeof(*o));
    size_t ngvs = 0;
    struct gv_src *gvs = all_gvs(extra, &ngvs);
    o->docs = kapi_xcalloc(ngvs + 1, sizeof(*o->docs));
    for (size_t i = 0; i < ngvs; i++) {
        struct doc *d = &o->docs[o->n++];
        d->path = gv_path(gvs[i].group, gvs[i].version);
        d->body = build_gv(&gvs[i]);
        finish_doc(d);
    }
    /* The index: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."}}} */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"paths\":{");
    for (size_t i = 0; i < o->n; i++) {
        if (i)
            kapi_buf_putc(&b, ',');
        kapi_buf_printf(&b, "\"%s\":{\"serverRelativeURL\":\"/openapi/v3/%s?hash=%s\"}", o->docs[i].path, o->docs[i].path,
                        o->docs[i].hash);
    }
    kapi_buf_puts(&b, "}}");
    o->index.path = kapi_xstrdup("");
    o->index.body = kapi_blob_new(b.data, b.len);
    kapi_buf_dispose(&b);
    finish_doc(&o->index);
    struct kapi_blob *pb = NULL;
    o->v2.path = kapi_xstrdup("v2");
    o->v2.body = build_v2(gvs, ngvs, &pb);
    free(gvs);
    finish_doc(&o->v2);
    o->v2pb.path = kapi_xstrdup("v2pb");
    o->v2pb.body = pb ? pb : kapi_blob_new("", 0);
    finish_doc(&o->v2pb);
    return o;
}

void kapi_openapi_free(struct kapi_openapi *o)
{
    if (!o)
        return;
    for (size_t i = 0; i <= o->n + 2; i++) {
        struct doc *d = i < o->n ? &o->docs[i] : i == o->n ? &o->index : i == o->n + 1 ? &o->v2 : &o->v2pb;
        free(d->path);
        free(d->hash);
        free(d->etag);
        kapi_blob_unref(d->body);
    }
    free(o->docs);
    free(o);
}

int kapi_openapi_serve(const struct kapi_openapi *o, const char *path, const char *query_hash,
                       const char *if_none_match, bool protobuf, struct kapi_openapi_reply *out)
{
    memset(out, 0, sizeof(*out));
    const char *prefix = "/openapi/v3";
    size_t pl = strlen(prefix);
    const struct doc *d = NULL;
    if (strcmp(path, "/openapi/v2") == 0) {
        d = protobuf ? &o->v2pb : &o->v2;
        goto found;
    }
    if (strncmp(path, prefix, pl) != 0 || (path[pl] != 0 && path[pl] != '/'))
        return 0;
    const char *rest = path[pl] ? path + pl + 1 : "";
    if (!*rest) {
        d = &o->index;
    } else {
        for (size_t i = 0; i < o->n; i++)
            if (strcmp(o->docs[i].path, rest) == 0)
                d = &o->docs[i];
    }
found:
    if (!d) {
        out->status = 404;
        return 404;
    }
    out->etag = d->etag;
    out->immutable = query_hash && strcmp(query_hash, d->hash) == 0;
    if (if_none_match && strcmp(if_none_match, d->etag) == 0) {
        out->status = 304;
        return 304;
    }
    out->status = 200;
    out->body = d->body;
    return 200;
}
