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

static struct kapi_value *build_gv_value(struct kapi_pool *p, const char *group, const char *version)
{
    struct kapi_value *doc = kapi_value_object(p);
    kapi_obj_set(p, doc, "openapi", kapi_value_str(p, "3.0.0"));
    struct kapi_value *info = kapi_value_object(p);
    kapi_obj_set(p, info, "title", kapi_value_str(p, "Kubernetes"));
    kapi_obj_set(p, info, "version", kapi_value_str(p, "v1.33.0"));
    kapi_obj_set(p, doc, "info", info);
    struct kapi_value *paths = kapi_value_object(p);
    size_t n = 0;
    const struct kapi_resource *rs = kapi_resources_for(group, version, &n);
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
        kapi_openapi_add_kind_schema(p, schemas, g, v, r->kind);
        if (!kapi_resource_is_sub(r))
            kapi_openapi_add_kind_schema(p, schemas, r->group, r->version, kapi_pool_printf(p, "%sList", r->kind));
    }
    kapi_openapi_add_kind_schema(p, schemas, group, version, "DeleteOptions");
    kapi_openapi_add_kind_schema(p, schemas, group, version, "Status");
    kapi_openapi_add_kind_schema(p, schemas, group, version, "WatchEvent");
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

static struct kapi_blob *build_gv(const char *group, const char *version)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_blob *blob = to_blob(build_gv_value(p, group, version));
    kapi_pool_free(p);
    return blob;
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

static struct kapi_blob *build_v2(struct kapi_blob **pb_out)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *doc = kapi_value_object(p);
    kapi_obj_set(p, doc, "swagger", kapi_value_str(p, "2.0"));
    struct kapi_value *info = kapi_value_object(p);
    kapi_obj_set(p, info, "title", kapi_value_str(p, "Kubernetes"));
    kapi_obj_set(p, info, "version", kapi_value_str(p, "v1.33.0"));
    kapi_obj_set(p, doc, "info", info);
    struct kapi_value *paths = kapi_value_object(p), *defs = kapi_value_object(p);
    size_t ng = 0;
    const struct kapi_api_group *groups = kapi_api_groups(&ng);
    for (size_t g = 0; g <= ng; g++) {
        const struct kapi_api_group *grp = g < ng ? &groups[g] : kapi_api_core_group();
        for (const char *const *ver = grp->versions; *ver; ver++) {
            struct kapi_value *gv = build_gv_value(p, grp->name, *ver);
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

struct kapi_openapi *kapi_openapi_new(void)
{
    struct kapi_openapi *o = kapi_xcalloc(1, sizeof(*o));
    size_t ng = 0;
    const struct kapi_api_group *groups = kapi_api_groups(&ng);
    size_t cap = 1;
    for (size_t g = 0; g < ng; g++)
        for (const char *const *v = groups[g].versions; *v; v++)
            cap++;
    o->docs = kapi_xcalloc(cap, sizeof(*o->docs));
    const struct kapi_api_group *core = kapi_api_core_group();
    for (const char *const *v = core->versions; *v; v++) {
        struct doc *d = &o->docs[o->n++];
        d->path = gv_path("", *v);
        d->body = build_gv("", *v);
        finish_doc(d);
    }
    for (size_t g = 0; g < ng; g++)
        for (const char *const *v = groups[g].versions; *v; v++) {
            struct doc *d = &o->docs[o->n++];
            d->path = gv_path(groups[g].name, *v);
            d->body = build_gv(groups[g].name, *v);
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
    o->v2.body = build_v2(&pb);
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
