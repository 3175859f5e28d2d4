/* Writing responses: every API answer leaves through these functions, so
 * headers (Audit-Id, Cache-Control, Warning) and encodings are uniform. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../codec/json.h"
#include "../codec/yaml.h"
#include "../schema/protobuf.h"
#include "../api/names.h"
#include "../api/status.h"
#include "endpoints_int.h"

#define MAX_RESPONSE_HEADERS (8 + KAPI_MAX_WARNINGS)

#define WARN_TOTAL_RUNES 4096
#define WARN_ITEM_RUNES 256

/* Runes in s, or -1 when s is not valid UTF-8 (utf8.ValidString). */
static long utf8_runes(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    long n = 0;
    while (*u) {
        size_t w;
        uint32_t cp;
        if (u[0] < 0x80)
            w = 1, cp = u[0];
        else if ((u[0] & 0xE0) == 0xC0)
            w = 2, cp = u[0] & 0x1F;
        else if ((u[0] & 0xF0) == 0xE0)
            w = 3, cp = u[0] & 0x0F;
        else if ((u[0] & 0xF8) == 0xF0)
            w = 4, cp = u[0] & 0x07;
        else
            return -1;
        for (size_t i = 1; i < w; i++) {
            if ((u[i] & 0xC0) != 0x80)
                return -1;
            cp = cp << 6 | (u[i] & 0x3F);
        }
        if ((w == 2 && cp < 0x80) || (w == 3 && cp < 0x800) || (w == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        u += w;
        n++;
    }
    return n;
}

/* The first max runes of a valid UTF-8 text. */
static const char *cut_runes(struct kapi_pool *pool, const char *s, long max)
{
    const unsigned char *u = (const unsigned char *)s;
    for (long n = 0; *u && n < max; n++) {
        u++;
        while ((*u & 0xC0) == 0x80)
            u++;
    }
    return kapi_pool_strndup(pool, s, (size_t)((const char *)u - s));
}

/* Adds a header text, cut to WARN_ITEM_RUNES runes when truncating. */
static void warn_header(struct kapi_req *r, const char *text, long runes)
{
    if (runes > WARN_ITEM_RUNES && r->warn_truncating) {
        text = cut_runes(r->pool, text, WARN_ITEM_RUNES);
        runes = WARN_ITEM_RUNES;
    }
    r->warn_runes += (size_t)runes;
    if (r->nwarnings < KAPI_MAX_WARNINGS)
        r->warnings[r->nwarnings++] = text;
}

void kapi_req_warn(struct kapi_req *r, const char *msg)
{
    if (!msg || !*msg || (r->warn_truncating && r->warn_runes >= WARN_TOTAL_RUNES))
        return;
    for (size_t i = 0; i < r->nwarn_seen; i++)
        if (strcmp(r->warn_seen[i], msg) == 0)
            return;
    if (r->nwarn_seen == r->warn_seen_cap) {
        size_t cap = r->warn_seen_cap ? r->warn_seen_cap * 2 : 8;
        const char **seen = kapi_pool_alloc(r->pool, cap * sizeof(*seen));
        if (r->nwarn_seen)
            memcpy(seen, r->warn_seen, r->nwarn_seen * sizeof(*seen));
        r->warn_seen = seen;
        r->warn_seen_cap = cap;
    }
    const char *text = kapi_pool_strdup(r->pool, msg);
    r->warn_seen[r->nwarn_seen++] = text;
    long runes = utf8_runes(text);
    if (runes < 0)
        return;
    if (r->warn_truncating || r->warn_runes + (size_t)runes <= WARN_TOTAL_RUNES) {
        warn_header(r, text, runes);
        return;
    }
    /* over the limit: start again with every text cut short */
    r->warn_truncating = true;
    r->warn_runes = 0;
    r->nwarnings = 0;
    for (size_t i = 0; i < r->nwarn_seen; i++) {
        long n = utf8_runes(r->warn_seen[i]);
        if (n >= 0)
            warn_header(r, r->warn_seen[i], n);
    }
}

const char *kapi_req_audit_id(struct kapi_req *r)
{
    if (!r->audit_id) {
        char uuid[37];
        kapi_uuid(uuid);
        r->audit_id = kapi_pool_strdup(r->pool, uuid);
    }
    return r->audit_id;
}

static size_t common_headers(struct kapi_req *r, struct kapi_http_header *h, const char *ctype)
{
    size_t n = 0;
    h[n++] = (struct kapi_http_header){"Audit-Id", kapi_req_audit_id(r)};
    h[n++] = (struct kapi_http_header){"Cache-Control", "no-cache, private"};
    /* API Priority and Fairness headers: clients that see them turn off
     * their own client-side throttling, as they do against upstream. */
    h[n++] = (struct kapi_http_header){"X-Kubernetes-Pf-Flowschema-Uid", r->srv->apf_flowschema_uid};
    h[n++] = (struct kapi_http_header){"X-Kubernetes-Pf-Prioritylevel-Uid", r->srv->apf_prioritylevel_uid};
    if (ctype)
        h[n++] = (struct kapi_http_header){"Content-Type", ctype};
    for (size_t i = 0; i < r->nwarnings; i++) {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        /* upstream's NewWarningHeader: code, agent "-", strconv.Quote(text) */
        kapi_buf_puts(&b, "299 - ");
        kapi_go_quote_buf(&b, r->warnings[i], strlen(r->warnings[i]));
        h[n++] = (struct kapi_http_header){"Warning", kapi_pool_strndup(r->pool, b.data, b.len)};
        kapi_buf_dispose(&b);
    }
    return n;
}

void kapi_respond_raw(struct kapi_req *r, int code, const char *content_type, const char *body, size_t len,
                      const struct kapi_http_header *extra, size_t nextra)
{
    struct kapi_http_header h[MAX_RESPONSE_HEADERS + 8];
    size_t n = common_headers(r, h, content_type);
    for (size_t i = 0; i < nextra && n < KAPI_ARRAY_LEN(h); i++)
        h[n++] = extra[i];
    if (strcmp(r->http->method, "HEAD") == 0)
        len = 0;
    r->resp_code = code;
    r->resp_body = NULL;
    r->resp_len = 0;
    r->resp_ctype = content_type;
    /* the audit event is written after the answer, when body is gone: keep
     * a copy when the event will show it (or the Status of a failure) */
    if (r->audit_begun && r->audit_level != 0 && body && len && (r->audit_level >= 3 || code >= 300)) {
        r->resp_body = kapi_pool_memdup(r->pool, body, len);
        r->resp_len = len;
    }
    kapi_http_respond(r->http, code, h, n, body, len);
}

static const char *content_type_for(struct kapi_req *r)
{
    if (r->fmt == KAPI_FMT_YAML)
        return "application/yaml";
    if (r->as == KAPI_AS_TABLE)
        return "application/json;as=Table;v=v1;g=meta.k8s.io";
    if (r->as == KAPI_AS_PARTIAL)
        return strcmp(r->verb, "list") == 0 ? "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
                                           : "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    return "application/json";
}

static void encode(struct kapi_req *r, struct kapi_buf *b, struct kapi_value *v)
{
    if (r->fmt == KAPI_FMT_YAML) {
        kapi_yaml_write(b, v);
    } else {
        if (r->pretty)
            kapi_json_write_indent(b, v);
        else
            kapi_json_write(b, v);
        kapi_buf_putc(b, '\n');
    }
}

/* Protobuf of v with its envelope; false when v has no protobuf form. */
static bool respond_protobuf(struct kapi_req *r, int code, struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    char err[256];
    bool ok = kapi_pb_encode_object(&b, v, err, sizeof(err)) == 0;
    if (ok)
        kapi_respond_raw(r, code, "application/vnd.kubernetes.protobuf", b.data, b.len, NULL, 0);
    kapi_buf_dispose(&b);
    return ok;
}

void kapi_respond_value(struct kapi_req *r, int code, struct kapi_value *v)
{
    if (r->fmt == KAPI_FMT_PROTOBUF) {
        if (respond_protobuf(r, code, v))
            return;
        r->fmt = KAPI_FMT_JSON;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    encode(r, &b, v);
    kapi_respond_raw(r, code, content_type_for(r), b.data, b.len, NULL, 0);
    kapi_buf_dispose(&b);
}

void kapi_respond_cobj(struct kapi_req *r, int code, struct kapi_cobj *o)
{
    if (r->fmt == KAPI_FMT_PROTOBUF && r->as == KAPI_AS_OBJECT && r->kind && r->kind->msg) {
        struct kapi_blob *raw = kapi_cobj_protobuf(o, r->kind->msg);
        if (raw) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_pb_envelope(&b, r->kind->api_version, r->kind->kind, raw->data, raw->len);
            kapi_respond_raw(r, code, "application/vnd.kubernetes.protobuf", b.data, b.len, NULL, 0);
            kapi_buf_dispose(&b);
            return;
        }
    }
    kapi_respond_object_json(r, code, o->json->data, o->json->len);
}

void kapi_respond_object_json(struct kapi_req *r, int code, const char *json, size_t len)
{
    if (r->fmt == KAPI_FMT_JSON && r->as == KAPI_AS_OBJECT && !r->pretty && !(r->kind && r->kind->view_out)) {
        /* The shared bytes go out as they are, plus the encoder's newline. */
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_append(&b, json, len);
        kapi_buf_putc(&b, '\n');
        kapi_respond_raw(r, code, "application/json", b.data, b.len, NULL, 0);
        kapi_buf_dispose(&b);
        return;
    }
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(r->pool, json, len, NULL, &err);
    if (!v) {
        kapi_respond_error(r, 500, "InternalError", "Internal error occurred: stored object is not valid JSON");
        return;
    }
    v = kapi_rest_view(r, r->pool, v, true);
    if (!v)
        return;
    if (r->as == KAPI_AS_TABLE) {
        const char *rv = kapi_value_cstr(kapi_value_path(v, "metadata", "resourceVersion", NULL));
        v = kapi_table_for_objects(r, &v, 1, rv, NULL, 0);
    } else if (r->as == KAPI_AS_PARTIAL) {
        v = kapi_partial_object(r, v);
    }
    kapi_respond_value(r, code, v);
}

void kapi_respond_status(struct kapi_req *r, const struct kapi_status *st)
{
    /* Status bodies are JSON unless YAML was asked for; never a Table. */
    enum kapi_as as = r->as;
    r->as = KAPI_AS_OBJECT;
    int code = st->code ? st->code : (st->status && strcmp(st->status, "Success") == 0 ? 200 : 500);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    struct kapi_value *sv = kapi_status_to_value(r->pool, st);
    const char *ctype = r->fmt == KAPI_FMT_YAML ? "application/yaml" : "application/json";
    char err[128];
    if (r->fmt == KAPI_FMT_PROTOBUF && kapi_pb_encode_object(&b, sv, err, sizeof(err)) == 0) {
        ctype = "application/vnd.kubernetes.protobuf";
    } else {
        kapi_buf_reset(&b);
        enum kapi_format f = r->fmt;
        if (f == KAPI_FMT_PROTOBUF)
            r->fmt = KAPI_FMT_JSON;
        encode(r, &b, sv);
        r->fmt = f;
    }
    if (st->retry_after_seconds > 0) {
        struct kapi_http_header ra = {"Retry-After", kapi_pool_printf(r->pool, "%d", (int)st->retry_after_seconds)};
        kapi_respond_raw(r, code, ctype, b.data, b.len, &ra, 1);
    } else {
        kapi_respond_raw(r, code, ctype, b.data, b.len, NULL, 0);
    }
    kapi_buf_dispose(&b);
    r->as = as;
}

void kapi_respond_error(struct kapi_req *r, int code, const char *reason, const char *message)
{
    kapi_respond_status(r, kapi_status_new(r->pool, code, reason, message));
}
