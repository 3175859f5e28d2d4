/* Discovery documents, written by hand in the key order of upstream's Go
 * structs so the bytes match encoding/json's. */
#include "discovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../codec/json.h"
#include "../registry/resources.h"

enum { AGG_V2, AGG_V2BETA1, AGG_N };

static const char *const agg_api_version[AGG_N] = {"apidiscovery.k8s.io/v2",
                                                   "apidiscovery.k8s.io/v2beta1"};
static const char *const agg_ct[AGG_N] = {KAPI_DISCOVERY_CT_AGG_V2, KAPI_DISCOVERY_CT_AGG_V2BETA1};

/* What upstream's negotiator lists as servable when nothing in Accept fits. */
static const char not_acceptable_body[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"only the following media types are accepted: application/json, "
    "application/yaml, application/vnd.kubernetes.protobuf\",\"reason\":\"NotAcceptable\","
    "\"code\":406}\n";

struct gv_doc {
    const char *group, *version;
    struct kapi_blob *body;
};

struct agg_doc {
    struct kapi_blob *body;
    char etag[2 + 128 + 1]; /* quoted upper-case hex SHA-512 */
};

/* One served group: a built-in one (x NULL) or a custom one. */
struct dgroup {
    const struct kapi_api_group *g;
    const struct kapi_api_extra_group *x;
};

struct kapi_discovery {
    bool serve_v2beta1;
    struct dgroup *groups; /* /apis order: built-in groups, then the extra ones */
    struct kapi_blob *api, *apis, *empty, *not_acceptable;
    struct agg_doc agg_api[AGG_N], agg_apis[AGG_N];
    struct kapi_blob **group_docs; /* parallel to groups */
    size_t ngroups;
    struct gv_doc *gv_docs;
    size_t ngv;
};

/* ---- writing ---- */

static void put(struct kapi_buf *b, const char *s)
{
    (void)kapi_buf_puts(b, s);
}

static void str(struct kapi_buf *b, const char *s)
{
    (void)kapi_json_write_string(b, s, strlen(s));
}

/* ,"key": */
static void key(struct kapi_buf *b, const char *k, bool comma)
{
    if (comma)
        put(b, ",");
    str(b, k);
    put(b, ":");
}

static void str_array(struct kapi_buf *b, const char *const *list)
{
    put(b, "[");
    for (size_t i = 0; list[i]; i++) {
        if (i)
            put(b, ",");
        str(b, list[i]);
    }
    put(b, "]");
}

static const struct kapi_resource *dg_resources(const struct dgroup *dg, size_t vi, size_t *n)
{
    if (!dg->x)
        return kapi_resources_for(dg->g->name, dg->g->versions[vi], n);
    *n = dg->x->vers[vi].n;
    return dg->x->vers[vi].res;
}

static struct kapi_blob *finish(struct kapi_buf *b)
{
    /* Go's json.Encoder, which the apiserver's serializer uses, ends with \n. */
    put(b, "\n");
    struct kapi_blob *blob = kapi_blob_new(b->data, b->len);
    kapi_buf_dispose(b);
    return blob;
}

static void group_version(struct kapi_buf *b, const char *group, const char *version)
{
    put(b, "{\"groupVersion\":");
    if (group[0]) {
        char *gv = kapi_xasprintf("%s/%s", group, version);
        str(b, gv);
        free(gv);
    } else {
        str(b, version);
    }
    put(b, ",\"version\":");
    str(b, version);
    put(b, "}");
}

/* metav1.APIGroup without TypeMeta: name, versions, preferredVersion. */
static void api_group_body(struct kapi_buf *b, const struct kapi_api_group *g)
{
    put(b, "\"name\":");
    str(b, g->name);
    put(b, ",\"versions\":[");
    for (size_t i = 0; g->versions[i]; i++) {
        if (i)
            put(b, ",");
        group_version(b, g->name, g->versions[i]);
    }
    put(b, "],\"preferredVersion\":");
    group_version(b, g->name, g->versions[0]);
}

static struct kapi_blob *build_api(const char *server_address)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    put(&b, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":");
    if (server_address) {
        put(&b, "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":");
        str(&b, server_address);
        put(&b, "}]");
    } else {
        put(&b, "null");
    }
    put(&b, "}");
    return finish(&b);
}

static struct kapi_blob *build_apis(const struct kapi_discovery *d)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    put(&b, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[");
    for (size_t i = 0; i < d->ngroups; i++) {
        put(&b, i ? ",{" : "{");
        api_group_body(&b, d->groups[i].g);
        put(&b, "}");
    }
    put(&b, "]}");
    return finish(&b);
}

static struct kapi_blob *build_group(const struct kapi_api_group *g)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    put(&b, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",");
    api_group_body(&b, g);
    put(&b, "}");
    return finish(&b);
}

/* metav1.APIResourceList. The legacy /api/v1 document carries no apiVersion;
 * group documents do. */
static struct kapi_blob *build_resource_list(const char *group, const char *version,
                                             const struct kapi_resource *rs, size_t n)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    put(&b, "{\"kind\":\"APIResourceList\",");
    if (group[0])
        put(&b, "\"apiVersion\":\"v1\",");
    put(&b, "\"groupVersion\":");
    if (group[0]) {
        char *gv = kapi_xasprintf("%s/%s", group, version);
        str(&b, gv);
        free(gv);
    } else {
        str(&b, version);
    }
    put(&b, ",\"resources\":[");
    for (size_t i = 0; i < n; i++) {
        const struct kapi_resource *r = &rs[i];
        put(&b, i ? ",{" : "{");
        key(&b, "name", false);
        str(&b, r->name);
        key(&b, "singularName", true);
        str(&b, r->singular ? r->singular : "");
        key(&b, "namespaced", true);
        put(&b, r->namespaced ? "true" : "false");
        if (r->sub_group) {
            key(&b, "group", true);
            str(&b, r->sub_group);
            key(&b, "version", true);
            str(&b, r->sub_version);
        }
        key(&b, "kind", true);
        str(&b, r->kind);
        key(&b, "verbs", true);
        str_array(&b, r->verbs);
        if (r->short_names[0]) {
            key(&b, "shortNames", true);
            str_array(&b, r->short_names);
        }
        if (r->categories[0]) {
            key(&b, "categories", true);
            str_array(&b, r->categories);
        }
        if (r->storage_version_hash) {
            key(&b, "storageVersionHash", true);
            str(&b, r->storage_version_hash);
        }
        put(&b, "}");
    }
    put(&b, "]}");
    return finish(&b);
}

static void response_kind(struct kapi_buf *b, const struct kapi_resource *r)
{
    put(b, "{\"group\":");
    str(b, r->sub_group ? r->sub_group : r->own_response_kind ? r->group : "");
    put(b, ",\"version\":");
    str(b, r->sub_version ? r->sub_version : r->own_response_kind ? r->version : "");
    put(b, ",\"kind\":");
    str(b, r->kind);
    put(b, "}");
}

/* One apidiscovery APIVersionDiscovery: version, resources, freshness. */
static void agg_version(struct kapi_buf *b, const char *version, const struct kapi_resource *rs, size_t n)
{
    put(b, "{\"version\":");
    str(b, version);
    put(b, ",\"resources\":[");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const struct kapi_resource *r = &rs[i];
        if (kapi_resource_is_sub(r))
            continue;
        put(b, first ? "{" : ",{");
        first = false;
        key(b, "resource", false);
        str(b, r->name);
        key(b, "responseKind", true);
        response_kind(b, r);
        key(b, "scope", true);
        put(b, r->namespaced ? "\"Namespaced\"" : "\"Cluster\"");
        key(b, "singularResource", true);
        str(b, r->singular);
        key(b, "verbs", true);
        str_array(b, r->verbs);
        if (r->short_names[0]) {
            key(b, "shortNames", true);
            str_array(b, r->short_names);
        }
        if (r->categories[0]) {
            key(b, "categories", true);
            str_array(b, r->categories);
        }
        /* The table keeps a parent's subresources right after it. */
        size_t plen = strlen(r->name);
        bool any = false;
        for (size_t j = i + 1; j < n && strncmp(rs[j].name, r->name, plen) == 0 &&
                               rs[j].name[plen] == '/';
             j++) {
            put(b, any ? ",{" : ",\"subresources\":[{");
            any = true;
            key(b, "subresource", false);
            str(b, rs[j].name + plen + 1);
            key(b, "responseKind", true);
            response_kind(b, &rs[j]);
            key(b, "verbs", true);
            str_array(b, rs[j].verbs);
            put(b, "}");
        }
        if (any)
            put(b, "]");
        put(b, "}");
    }
    put(b, "],\"freshness\":\"Current\"}");
}

static void agg_group(struct kapi_buf *b, const struct dgroup *dg)
{
    const struct kapi_api_group *g = dg->g;
    /* ObjectMeta: an empty name is omitted, creationTimestamp never is. */
    put(b, "{\"metadata\":{");
    if (g->name[0]) {
        put(b, "\"name\":");
        str(b, g->name);
        put(b, ",");
    }
    put(b, "\"creationTimestamp\":null},\"versions\":[");
    for (size_t i = 0; g->versions[i]; i++) {
        if (i)
            put(b, ",");
        size_t n;
        const struct kapi_resource *rs = dg_resources(dg, i, &n);
        agg_version(b, g->versions[i], rs, n);
    }
    put(b, "]}");
}

static void set_etag(struct agg_doc *doc)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* Hash without the encoder's trailing newline: the value is opaque to
     * clients, it only has to change whenever the content does. */
    if (EVP_Digest(doc->body->data, doc->body->len - 1, md, &mdlen, EVP_sha512(), NULL) != 1 ||
        mdlen != 64) {
        kapi_log(0, "discovery: SHA-512 unavailable");
        abort();
    }
    char *p = doc->etag;
    *p++ = '"';
    for (unsigned int i = 0; i < mdlen; i++)
        p += sprintf(p, "%02X", md[i]);
    *p++ = '"';
    *p = '\0';
}

static void build_agg(const struct kapi_discovery *d, struct agg_doc *doc, int which, bool core)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    put(&b, "{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":");
    str(&b, agg_api_version[which]);
    put(&b, ",\"metadata\":{},\"items\":[");
    if (core) {
        struct dgroup cg = {kapi_api_core_group(), NULL};
        agg_group(&b, &cg);
    } else {
        for (size_t i = 0; i < d->ngroups; i++) {
            if (i)
                put(&b, ",");
            agg_group(&b, &d->groups[i]);
        }
    }
    put(&b, "]}");
    doc->body = finish(&b);
    set_etag(doc);
}

struct kapi_discovery *kapi_discovery_new(const struct kapi_discovery_opts *opts)
{
    struct kapi_discovery *d = kapi_xcalloc(1, sizeof(*d));
    d->serve_v2beta1 = opts && opts->serve_v2beta1;
    size_t nstatic;
    const struct kapi_api_group *groups = kapi_api_groups(&nstatic);
    const struct kapi_api_extra *extra = opts ? opts->extra : NULL;
    size_t nextra = extra ? extra->n : 0;
    d->groups = kapi_xcalloc(nstatic + nextra + 1, sizeof(*d->groups));
    for (size_t i = 0; i < nstatic; i++)
        d->groups[d->ngroups++] = (struct dgroup){&groups[i], NULL};
    for (size_t i = 0; i < nextra; i++)
        d->groups[d->ngroups++] = (struct dgroup){&extra->groups[i].g, &extra->groups[i]};

    d->api = build_api(opts ? opts->server_address : NULL);
    d->apis = build_apis(d);
    d->empty = kapi_blob_new("", 0);
    d->not_acceptable = kapi_blob_new(not_acceptable_body, sizeof(not_acceptable_body) - 1);
    for (int w = 0; w < AGG_N; w++) {
        build_agg(d, &d->agg_api[w], w, true);
        build_agg(d, &d->agg_apis[w], w, false);
    }

    d->group_docs = kapi_xcalloc(d->ngroups + 1, sizeof(*d->group_docs));
    size_t ngv = 1;
    for (size_t i = 0; i < d->ngroups; i++) {
        d->group_docs[i] = build_group(d->groups[i].g);
        for (size_t v = 0; d->groups[i].g->versions[v]; v++)
            ngv++;
    }
    d->gv_docs = kapi_xcalloc(ngv, sizeof(*d->gv_docs));
    size_t ncore;
    const struct kapi_resource *core = kapi_resources_for("", "v1", &ncore);
    d->gv_docs[d->ngv++] = (struct gv_doc){"", "v1", build_resource_list("", "v1", core, ncore)};
    for (size_t i = 0; i < d->ngroups; i++)
        for (size_t v = 0; d->groups[i].g->versions[v]; v++) {
            const char *g = d->groups[i].g->name, *ver = d->groups[i].g->versions[v];
            size_t n;
            const struct kapi_resource *rs = dg_resources(&d->groups[i], v, &n);
            d->gv_docs[d->ngv++] = (struct gv_doc){g, ver, build_resource_list(g, ver, rs, n)};
        }
    return d;
}

void kapi_discovery_free(struct kapi_discovery *d)
{
    if (!d)
        return;
    kapi_blob_unref(d->api);
    kapi_blob_unref(d->apis);
    kapi_blob_unref(d->empty);
    kapi_blob_unref(d->not_acceptable);
    for (int w = 0; w < AGG_N; w++) {
        kapi_blob_unref(d->agg_api[w].body);
        kapi_blob_unref(d->agg_apis[w].body);
    }
    for (size_t i = 0; i < d->ngroups; i++)
        kapi_blob_unref(d->group_docs[i]);
    for (size_t i = 0; i < d->ngv; i++)
        kapi_blob_unref(d->gv_docs[i].body);
    free(d->group_docs);
    free(d->gv_docs);
    free(d->groups);
    free(d);
}

/* ---- content negotiation ---- */

enum pick { PICK_NONE, PICK_LEGACY, PICK_AGG_V2, PICK_AGG_V2BETA1 };

struct clause {
    const char *start; /* media range text, up to len */
    size_t len;
    double q;
    size_t order;
};

static const char *trim(const char *s, const char *end, const char **out_end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *out_end = end;
    return s;
}

static bool eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Judges one media range ("type/sub;k=v;...", q already removed) the way
 * upstream's negotiator does for the discovery serializers (JSON, YAML,
 * protobuf; only JSON is produced here). aggregated says whether the endpoint
 * may transform to apidiscovery types (only /api and /apis). */
static enum pick judge(const struct kapi_discovery *d, const char *s, size_t len, bool aggregated)
{
    const char *end = s + len, *semi = memchr(s, ';', len);
    const char *mt_end = semi ? semi : end, *te;
    const char *mt = trim(s, mt_end, &te);
    const char *slash = memchr(mt, '/', (size_t)(te - mt));
    if (!slash)
        return PICK_NONE;
    size_t tlen = (size_t)(slash - mt), slen = (size_t)(te - slash - 1);
    const char *sub = slash + 1;
    bool json = false;
    if (eq(mt, tlen, "*") && eq(sub, slen, "*"))
        json = true; /* the first servable type, JSON */
    else if (eq(mt, tlen, "application") && (eq(sub, slen, "*") || eq(sub, slen, "json")))
        json = true;
    if (!json)
        return PICK_NONE; /* YAML and protobuf are not produced by kapi */

    const char *g = NULL, *v = NULL, *as = NULL;
    size_t gl = 0, vl = 0, asl = 0;
    bool convert = false;
    for (const char *p = semi; p && p < end;) {
        const char *pe = memchr(p + 1, ';', (size_t)(end - p - 1));
        if (!pe)
            pe = end;
        const char *ke, *k = trim(p + 1, pe, &ke);
        const char *eqs = memchr(k, '=', (size_t)(ke - k));
        const char *kn_end = eqs ? eqs : ke, *kne;
        const char *kn = trim(k, kn_end, &kne);
        const char *ve = ke, *val = eqs ? trim(eqs + 1, ke, &ve) : ke;
        size_t kl = (size_t)(kne - kn), vlen = (size_t)(ve - val);
        if (eq(kn, kl, "g")) {
            g = val, gl = vlen, convert = true;
        } else if (eq(kn, kl, "v")) {
            v = val, vl = vlen, convert = true;
        } else if (eq(kn, kl, "as")) {
            as = val, asl = vlen, convert = true;
        } else if (eq(kn, kl, "stream") || eq(kn, kl, "sv")) {
            if (vlen > 0)
                return PICK_NONE; /* discovery has no watch stream nor server versions */
        }
        /* anything else (pretty, charset, unknown) does not disqualify */
        p = pe;
    }
    if (!convert)
        return PICK_LEGACY;
    if (!aggregated || !g || !v || !as || !eq(g, gl, "apidiscovery.k8s.io") ||
        !eq(as, asl, "APIGroupDiscoveryList"))
        return PICK_NONE;
    if (eq(v, vl, "v2"))
        return PICK_AGG_V2;
    if (eq(v, vl, "v2beta1") && d->serve_v2beta1)
        return PICK_AGG_V2BETA1;
    return PICK_NONE;
}

static int clause_cmp(const void *pa, const void *pb)
{
    const struct clause *a = pa, *b = pb;
    if (a->q != b->q)
        return a->q > b->q ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static enum pick negotiate(const struct kapi_discovery *d, const char *accept, bool aggregated)
{
    if (!accept)
        return PICK_LEGACY;
    const char *e, *s = trim(accept, accept + strlen(accept), &e);
    if (s == e)
        return PICK_LEGACY;
    size_t cap = 1;
    for (const char *p = s; p < e; p++)
        cap += *p == ',';
    struct clause stack_buf[16], *cl = cap <= 16 ? stack_buf : kapi_xmalloc(cap * sizeof(*cl));
    size_t n = 0;
    for (const char *p = s; p <= e;) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        if (!c)
            c = e;
        const char *ce, *cs = trim(p, c, &ce);
        if (cs < ce) {
            /* Split off q; keep the other parameters in the clause text. */
            struct clause x = {cs, (size_t)(ce - cs), 1.0, n};
            const char *qp = NULL;
            for (const char *t = cs; t + 2 < ce; t++)
                if (*t == ';') {
                    const char *ke, *k = trim(t + 1, ce, &ke);
                    if (ke - k >= 2 && k[0] == 'q' && (k[1] == '=' || k[1] == ' ')) {
                        qp = t;
                        const char *eqs = memchr(k, '=', (size_t)(ke - k));
                        x.q = eqs ? strtod(eqs + 1, NULL) : 1.0;
                        break;
                    }
                }
            if (qp) {
                /* Parameters after q are accept-extensions; drop them too. */
                x.len = (size_t)(qp - cs);
            }
            if (x.q > 0)
                cl[n++] = x;
        }
        p = c + 1;
    }
    qsort(cl, n, sizeof(*cl), clause_cmp);
    enum pick best = PICK_NONE;
    for (size_t i = 0; i < n && best == PICK_NONE; i++)
        best = judge(d, cl[i].start, cl[i].len, aggregated);
    if (cl != stack_buf)
        free(cl);
    return best;
}

/* ---- routing ---- */

static struct kapi_blob *find_gv(const struct kapi_discovery *d, const char *g, size_t gl,
                                       const char *v, size_t vl)
{
    for (size_t i = 0; i < d->ngv; i++)
        if (eq(g, gl, d->gv_docs[i].group) && eq(v, vl, d->gv_docs[i].version))
            return d->gv_docs[i].body;
    return NULL;
}

static int reply_json(struct kapi_discovery_reply *out, struct kapi_blob *body)
{
    out->status = 200;
    out->body = body;
    out->content_type = KAPI_DISCOVERY_CT_JSON;
    return 200;
}

int kapi_discovery_serve(const struct kapi_discovery *d, const char *path, const char *accept,
                         const char *if_none_match, struct kapi_discovery_reply *out)
{
    memset(out, 0, sizeof(*out));
    size_t len = strcspn(path, "?");
    if (len > 1 && path[len - 1] == '/')
        len--;

    bool root = false, core = false;
    struct kapi_blob *doc = NULL;
    if (eq(path, len, "/api")) {
        root = core = true;
    } else if (eq(path, len, "/apis")) {
        root = true;
    } else if (len > 5 && memcmp(path, "/api/", 5) == 0) {
        doc = find_gv(d, "", 0, path + 5, len - 5);
    } else if (len > 6 && memcmp(path, "/apis/", 6) == 0) {
        const char *g = path + 6, *end = path + len;
        const char *slash = memchr(g, '/', (size_t)(end - g));
        if (!slash) {
            for (size_t i = 0; i < d->ngroups && !doc; i++)
                if (eq(g, (size_t)(end - g), d->groups[i].g->name))
                    doc = d->group_docs[i];
        } else if (slash > g) {
            doc = find_gv(d, g, (size_t)(slash - g), slash + 1,
                                              (size_t)(end - slash - 1));
        }
    }
    if (!root && !doc)
        return 0;

    out->vary_accept = root;
    enum pick pick = negotiate(d, accept, root);
    if (pick == PICK_NONE) {
        out->status = 406;
        out->body = d->not_acceptable;
        out->content_type = KAPI_DISCOVERY_CT_JSON;
        return 406;
    }
    if (!root)
        return reply_json(out, doc);
    if (pick == PICK_LEGACY)
        return reply_json(out, core ? d->api : d->apis);

    int which = pick == PICK_AGG_V2 ? AGG_V2 : AGG_V2BETA1;
    const struct agg_doc *agg = core ? &d->agg_api[which] : &d->agg_apis[which];
    out->etag = agg->etag;
    out->cache_control = "public";
    if (if_none_match && strcmp(if_none_match, agg->etag) == 0) {
        out->status = 304;
        out->body = d->empty;
        return 304;
    }
    out->status = 200;
    out->body = agg->body;
    out->content_type = agg_ct[which];
    return 200;
}
