/* Content negotiation: which encoding a response uses (Accept, including
 * the as=Table / as=PartialObjectMetadata forms) and how a request body is
 * decoded (Content-Type). */
#include <string.h>
#include <strings.h>

#include "../codec/json.h"
#include "../codec/yaml.h"
#include "../registry/printers.h"
#include "../schema/protobuf.h"
#include "endpoints_int.h"
#include "../apiext/crd.h"

#define ACCEPTED_TYPES "application/json, application/yaml"
#define ACCEPTED_OUTPUT "application/json, application/yaml, application/vnd.kubernetes.protobuf"

struct media {
    char type[64];
    char as[48], g[48], v[16];
};

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static void copy_tok(char *dst, size_t cap, const char *s, const char *e)
{
    size_t n = (size_t)(e - s);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
    if (n >= 2 && dst[0] == '"' && dst[n - 1] == '"') {
        memmove(dst, dst + 1, n - 2);
        dst[n - 2] = 0;
    }
}

/* Parses one media range "type/sub;k=v;k=v". */
static void parse_media(const char *s, const char *e, struct media *m)
{
    memset(m, 0, sizeof(*m));
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *te = semi ? semi : e;
    const char *ts = s;
    trim(&ts, &te);
    copy_tok(m->type, sizeof(m->type), ts, te);
    for (char *c = m->type; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    while (semi) {
        const char *ps = semi + 1;
        semi = memchr(ps, ';', (size_t)(e - ps));
        const char *pe = semi ? semi : e;
        const char *eq = memchr(ps, '=', (size_t)(pe - ps));
        if (!eq)
            continue;
        const char *ks = ps, *ke = eq, *vs = eq + 1, *ve = pe;
        trim(&ks, &ke);
        trim(&vs, &ve);
        size_t kl = (size_t)(ke - ks);
        if (kl == 2 && strncmp(ks, "as", 2) == 0)
            copy_tok(m->as, sizeof(m->as), vs, ve);
        else if (kl == 1 && *ks == 'g')
            copy_tok(m->g, sizeof(m->g), vs, ve);
        else if (kl == 1 && *ks == 'v')
            copy_tok(m->v, sizeof(m->v), vs, ve);
    }
}

static int type_format(const char *t)
{
    if (strcmp(t, "application/json") == 0 || strcmp(t, "*/*") == 0 || strcmp(t, "application/*") == 0 ||
        strcmp(t, "application/json;stream=watch") == 0)
        return KAPI_FMT_JSON;
    if (strcmp(t, "application/yaml") == 0)
        return KAPI_FMT_YAML;
    return -1;
}

int kapi_negotiate_output(struct kapi_req *r)
{
    const char *accept = kapi_http_header(r->http, "Accept");
    const char *pretty = kapi_req_param(r, "pretty");
    if (pretty && kapi_parse_bool(pretty) == 1)
        r->pretty = true;
    r->fmt = KAPI_FMT_JSON;
    r->as = KAPI_AS_OBJECT;
    if (!accept || !*accept)
        return 0;
    bool table_ok = r->is_resource && (strcmp(r->verb, "get") == 0 || strcmp(r->verb, "list") == 0 ||
                                       strcmp(r->verb, "watch") == 0);
    const char *p = accept;
    while (*p) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        struct media m;
        parse_media(p, e, &m);
        p = comma ? comma + 1 : e;
        int fmt = type_format(m.type);
        if (strcmp(m.type, "application/vnd.kubernetes.protobuf") == 0 && !m.as[0] && r->is_resource) {
            /* Protobuf for kinds that have a schema; others fall through
             * to the next acceptable type, as upstream does. */
            const struct kapi_kind *k = kapi_registry_find(r->srv->registry, r->group, r->version, r->resource);
            if (k && k->msg && !k->view_out) {
                r->fmt = KAPI_FMT_PROTOBUF;
                return 0;
            }
            continue;
        }
        if (fmt < 0)
            continue;
        if (m.as[0]) {
            if (strcmp(m.g, "meta.k8s.io") != 0)
                continue;
            if (strcmp(m.as, "Table") == 0 && table_ok && (strcmp(m.v, "v1") == 0 || strcmp(m.v, "v1beta1") == 0)) {
                r->fmt = fmt;
                r->as = KAPI_AS_TABLE;
                return 0;
            }
            /* Metadata-only views, as metadata informers ask for them:
             * PartialObjectMetadataList for lists, PartialObjectMetadata
             * for single objects and watch events. */
            bool list = r->is_resource && strcmp(r->verb, "list") == 0;
            bool v_ok = strcmp(m.v, "v1") == 0 || strcmp(m.v, "v1beta1") == 0;
            if (v_ok && table_ok &&
                ((list && strcmp(m.as, "PartialObjectMetadataList") == 0) ||
                 (!list && strcmp(m.as, "PartialObjectMetadata") == 0))) {
                r->fmt = fmt;
                r->as = KAPI_AS_PARTIAL;
                r->partial_version = strcmp(m.v, "v1") == 0 ? "meta.k8s.io/v1" : "meta.k8s.io/v1beta1";
                return 0;
            }
            continue;
        }
        r->fmt = fmt;
        return 0;
    }
    kapi_respond_error(r, 406, "NotAcceptable", "only the following media types are accepted: " ACCEPTED_OUTPUT);
    return -1;
}

struct kapi_value *kapi_decode_body(struct kapi_req *r)
{
    const char *ct = kapi_http_header(r->http, "Content-Type");
    struct media m;
    if (ct && *ct)
        parse_media(ct, ct + strlen(ct), &m);
    else
        strcpy(m.type, "application/json");
    int fmt = type_format(m.type);
    bool protobuf = strcmp(m.type, "application/vnd.kubernetes.protobuf") == 0;
    if ((fmt < 0 && !protobuf) || strcmp(m.type, "*/*") == 0 || strcmp(m.type, "application/*") == 0) {
        kapi_respond_error(r, 415, "UnsupportedMediaType",
                           kapi_pool_printf(r->pool, "the body of the request was in an unknown format - accepted media types include: %s",
                                            ACCEPTED_TYPES ", application/vnd.kubernetes.protobuf"));
        return NULL;
    }
    const char *body = r->http->body ? r->http->body : "";
    size_t len = r->http->body_len;
    struct kapi_value *v;
    if (protobuf) {
        char err[256];
        v = kapi_pb_decode_object_ex(r->pool, body, len, r->group, r->version, NULL, KAPI_PB_OMIT_EMPTY, err,
                                     sizeof(err));
        if (!v) {
            kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "protobuf: %s", err));
            return NULL;
        }
    } else if (fmt == KAPI_FMT_YAML) {
        struct kapi_yaml_error err;
        v = kapi_yaml_parse(r->pool, body, len, &err);
        if (!v) {
            kapi_respond_error(r, 400, "BadRequest",
                               kapi_pool_printf(r->pool, "error converting YAML to JSON: %s", err.msg));
            return NULL;
        }
    } else {
        struct kapi_json_error err;
        struct kapi_json_opts jo = {.dups = &r->body_dups};
        v = kapi_json_parse(r->pool, body, len, &jo, &err);
        if (!v) {
            kapi_respond_error(r, 400, "BadRequest",
                               kapi_pool_printf(r->pool, "json: %s", err.msg));
            return NULL;
        }
    }
    if (v->type != KAPI_V_OBJECT) {
        kapi_respond_error(r, 400, "BadRequest",
                           "json: cannot unmarshal non-object into Go value of type struct");
        return NULL;
    }
    return v;
}

/* ---- metadata-only objects ---- */

struct kapi_value *kapi_partial_object(struct kapi_req *r, struct kapi_value *obj)
{
    struct kapi_pool *p = r->pool;
    struct kapi_value *out = kapi_value_object(p);
    kapi_obj_set(p, out, "kind", kapi_value_str(p, "PartialObjectMetadata"));
    kapi_obj_set(p, out, "apiVersion", kapi_value_str(p, r->partial_version ? r->partial_version : "meta.k8s.io/v1"));
    struct kapi_value *md = kapi_obj_get(obj, "metadata");
    kapi_obj_set(p, out, "metadata", md ? md : kapi_value_object(p));
    return out;
}

/* ---- tables ---- */

static struct kapi_value *column(struct kapi_pool *p, const char *name, const char *type, const char *format)
{
    struct kapi_value *c = kapi_value_object(p);
    kapi_obj_set(p, c, "name", kapi_value_str(p, name));
    kapi_obj_set(p, c, "type", kapi_value_str(p, type));
    kapi_obj_set(p, c, "format", kapi_value_str(p, format));
    kapi_obj_set(p, c, "description", kapi_value_str(p, ""));
    kapi_obj_set(p, c, "priority", kapi_value_int(p, 0));
    return c;
}

struct kapi_value *kapi_table_for_objects(struct kapi_req *r, struct kapi_value **objs, size_t n,
                                          const char *rv, const char *cont, int64_t remaining)
{
    struct kapi_pool *p = r->pool;
    const char *include = kapi_req_param(r, "includeObject");
    if (!include || !*include)
        include = "Metadata";
    struct kapi_value *t = kapi_value_object(p);
    kapi_obj_set(p, t, "kind", kapi_value_str(p, "Table"));
    kapi_obj_set(p, t, "apiVersion", kapi_value_str(p, "meta.k8s.io/v1"));
    struct kapi_value *md = kapi_obj_ensure_obj(p, t, "metadata");
    if (rv)
        kapi_obj_set(p, md, "resourceVersion", kapi_value_str(p, rv));
    if (cont && *cont)
        kapi_obj_set(p, md, "continue", kapi_value_str(p, cont));
    if (remaining > 0)
        kapi_obj_set(p, md, "remainingItemCount", kapi_value_int(p, remaining));
    /* The kind's own printer when upstream has one, else Name / Created At. */
    size_t npc = 0;
    const struct kapi_printer_column *pc =
        r->kind ? kapi_printer_columns(r->kind->group, r->kind->resource, &npc) : NULL;
    struct kapi_value *cols = kapi_value_array(p);
    bool crd = r->kind && r->kind->crd;
    if (crd) {
        cols = kapi_crd_table_columns(p, r->kind);
    } else if (pc) {
        for (size_t i = 0; i < npc; i++) {
            struct kapi_value *c = column(p, pc[i].name, pc[i].type, pc[i].format ? pc[i].format : "");
            kapi_obj_set(p, c, "description", kapi_value_str(p, pc[i].description ? pc[i].description : ""));
            kapi_obj_set(p, c, "priority", kapi_value_int(p, pc[i].priority));
            kapi_arr_push(p, cols, c);
        }
    } else {
        kapi_arr_push(p, cols, column(p, "Name", "string", "name"));
        kapi_arr_push(p, cols, column(p, "Created At", "date", ""));
    }
    kapi_obj_set(p, t, "columnDefinitions", cols);
    int64_t now = kapi_wall_ms() / 1000;
    struct kapi_value *rows = kapi_value_array(p);
    for (size_t i = 0; i < n; i++) {
        struct kapi_value *o = objs[i];
        struct kapi_value *omd = kapi_obj_get(o, "metadata");
        struct kapi_value *row = kapi_value_object(p);
        struct kapi_value *cells = kapi_value_array(p);
        if (crd) {
            cells = kapi_crd_table_cells(p, r->kind, o);
        } else if (!pc || kapi_printer_cells(p, r->kind->group, r->kind->resource, o, now, cells) < 0) {
            const char *name = kapi_obj_get_str(omd, "name");
            const char *ts = kapi_obj_get_str(omd, "creationTimestamp");
            kapi_arr_push(p, cells, kapi_value_str(p, name ? name : ""));
            kapi_arr_push(p, cells, ts ? kapi_value_str(p, ts) : kapi_value_null(p));
        }
        kapi_obj_set(p, row, "cells", cells);
        struct kapi_value *conds = pc ? kapi_printer_row_conditions(p, r->kind->group, r->kind->resource, o) : NULL;
        if (conds)
            kapi_obj_set(p, row, "conditions", conds);
        if (strcmp(include, "Object") == 0) {
            kapi_obj_set(p, row, "object", o);
        } else if (strcmp(include, "Metadata") == 0) {
            struct kapi_value *pom = kapi_value_object(p);
            kapi_obj_set(p, pom, "kind", kapi_value_str(p, "PartialObjectMetadata"));
            kapi_obj_set(p, pom, "apiVersion", kapi_value_str(p, "meta.k8s.io/v1"));
            kapi_obj_set(p, pom, "metadata", omd ? omd : kapi_value_object(p));
            kapi_obj_set(p, row, "object", pom);
        }
        kapi_arr_push(p, rows, row);
    }
    kapi_obj_set(p, t, "rows", rows);
    return t;
}
