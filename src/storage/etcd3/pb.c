/* Protobuf wire encoding and decoding of the etcd v3 messages the etcd3
 * backend exchanges (field numbers from etcd's rpc.proto and kv.proto, API
 * v3.4). Written by hand: the messages are few and small, and a generated
 * codec would pull in a runtime library. Decoders treat input as hostile. */
#include "etcd3_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- encoding ---- */

static void put_varint(struct kapi_buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    kapi_buf_append(b, tmp, n);
}

static void put_tag(struct kapi_buf *b, unsigned field, unsigned wt)
{
    put_varint(b, ((uint64_t)field << 3) | wt);
}

static void put_int(struct kapi_buf *b, unsigned field, int64_t v)
{
    put_tag(b, field, 0);
    put_varint(b, (uint64_t)v);
}

/* proto3 omits scalars equal to their default. */
static void put_int_nz(struct kapi_buf *b, unsigned field, int64_t v)
{
    if (v)
        put_int(b, field, v);
}

static void put_bytes(struct kapi_buf *b, unsigned field, const void *p, size_t n)
{
    put_tag(b, field, 2);
    put_varint(b, n);
    kapi_buf_append(b, p, n);
}

/* Nested messages are built in a scratch buffer, then copied in with their
 * length; the messages are small enough that the copy does not matter. */
static void put_msg(struct kapi_buf *b, unsigned field, struct kapi_buf *sub)
{
    put_bytes(b, field, sub->data, sub->len);
    kapi_buf_reset(sub);
}

static size_t frame_begin(struct kapi_buf *b)
{
    size_t at = b->len;
    static const char zero[5];
    kapi_buf_append(b, zero, 5);
    return at;
}

static void frame_end(struct kapi_buf *b, size_t at)
{
    size_t n = b->len - at - 5;
    unsigned char *h = (unsigned char *)b->data + at;
    h[0] = 0; /* not compressed */
    h[1] = (unsigned char)(n >> 24);
    h[2] = (unsigned char)(n >> 16);
    h[3] = (unsigned char)(n >> 8);
    h[4] = (unsigned char)n;
}

static void range_body(struct kapi_buf *b, const char *key, size_t klen, const char *end, size_t elen,
                       int64_t limit, int64_t rev, bool count_only)
{
    put_bytes(b, 1, key, klen);
    if (elen)
        put_bytes(b, 2, end, elen);
    put_int_nz(b, 3, limit);
    put_int_nz(b, 4, rev);
    if (count_only)
        put_int(b, 9, 1);
}

void kapi_epb_range(struct kapi_buf *b, const char *key, size_t klen, const char *end, size_t elen,
                    int64_t limit, int64_t rev, bool count_only)
{
    size_t at = frame_begin(b);
    range_body(b, key, klen, end, elen, limit, rev, count_only);
    frame_end(b, at);
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Size of a length-delimited field of n bytes, tag included. */
static size_t bytes_field_len(unsigned field, size_t n)
{
    return varint_len((uint64_t)field << 3) + varint_len(n) + n;
}

void kapi_epb_txn(struct kapi_buf *b, const struct kapi_epb_txn *t)
{
    /* The small parts go through a scratch buffer; the put, which carries
     * the value, is written in place with lengths computed up front, so the
     * value is copied once and the buffer grows once. */
    struct kapi_buf scratch;
    kapi_buf_init(&scratch, 0);
    bool put = t->op == KAPI_EPB_PUT;
    size_t inner = bytes_field_len(1, t->klen) + (put && t->vlen ? bytes_field_len(2, t->vlen) : 0) + 2;
    size_t op = bytes_field_len(put ? 2 : 3, inner);
    kapi_buf_reserve(b, 5 + bytes_field_len(2, op) + 3 * (t->klen + 32));
    size_t at = frame_begin(b);

    /* Compare: the target_union member is written even when 0 so the server
     * sees which one is set. */
    put_int_nz(&scratch, 1, t->cmp_result);
    put_int_nz(&scratch, 2, t->cmp_target);
    put_bytes(&scratch, 3, t->key, t->klen);
    put_int(&scratch, t->cmp_target == KAPI_EPB_TARGET_CREATE ? 5 : 6, t->cmp_value);
    put_msg(b, 1, &scratch);

    /* success: RequestOp{request_put = 2 | request_delete_range = 3}, with
     * prev_kv (PutRequest field 4, DeleteRangeRequest field 3) set */
    put_tag(b, 2, 2);
    put_varint(b, op);
    put_tag(b, put ? 2 : 3, 2);
    put_varint(b, inner);
    put_bytes(b, 1, t->key, t->klen);
    if (put && t->vlen)
        put_bytes(b, 2, t->value, t->vlen);
    put_int(b, put ? 4 : 3, 1);

    /* failure: RequestOp{request_range = 1} of the key */
    struct kapi_buf range;
    kapi_buf_init(&range, 0);
    range_body(&range, t->key, t->klen, NULL, 0, 0, 0, false);
    put_msg(&scratch, 1, &range);
    put_msg(b, 3, &scratch);

    frame_end(b, at);
    kapi_buf_dispose(&scratch);
    kapi_buf_dispose(&range);
}

void kapi_epb_compact(struct kapi_buf *b, int64_t rev, bool physical)
{
    size_t at = frame_begin(b);
    put_int_nz(b, 1, rev);
    if (physical)
        put_int(b, 2, 1);
    frame_end(b, at);
}

void kapi_epb_watch_create(struct kapi_buf *b, const char *key, size_t klen, const char *end,
                           size_t elen, int64_t start_rev)
{
    struct kapi_buf cr;
    kapi_buf_init(&cr, 0);
    size_t at = frame_begin(b);
    put_bytes(&cr, 1, key, klen);
    if (elen)
        put_bytes(&cr, 2, end, elen);
    put_int_nz(&cr, 3, start_rev);
    put_int(&cr, 4, 1); /* progress_notify: keeps idle streams visibly alive */
    put_int(&cr, 6, 1); /* prev_kv */
    put_msg(b, 1, &cr);
    frame_end(b, at);
    kapi_buf_dispose(&cr);
}

void kapi_epb_watch_progress(struct kapi_buf *b)
{
    size_t at = frame_begin(b);
    put_tag(b, 3, 2); /* WatchRequest.progress_request: an empty message */
    put_varint(b, 0);
    frame_end(b, at);
}

/* ---- decoding ---- */

struct rd {
    const uint8_t *p, *end;
};

struct field {
    unsigned num;
    unsigned wt;
    uint64_t v;           /* wire type 0 */
    const uint8_t *data;  /* wire type 2 */
    size_t len;
};

static int get_varint(struct rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return -1;
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Next field, or 1 at the end of input, -1 when malformed. Fixed-width
 * fields are skipped over but reported so callers can ignore them. */
static int next_field(struct rd *r, struct field *f)
{
    if (r->p >= r->end)
        return 1;
    uint64_t tag;
    if (get_varint(r, &tag) < 0 || tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
        return -1;
    f->num = (unsigned)(tag >> 3);
    f->wt = (unsigned)(tag & 7);
    f->v = 0;
    f->data = NULL;
    f->len = 0;
    switch (f->wt) {
    case 0:
        return get_varint(r, &f->v);
    case 1:
        if (r->end - r->p < 8)
            return -1;
        r->p += 8;
        return 0;
    case 5:
        if (r->end - r->p < 4)
            return -1;
        r->p += 4;
        return 0;
    case 2: {
        uint64_t n;
        if (get_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
            return -1;
        f->data = r->p;
        f->len = (size_t)n;
        r->p += n;
        return 0;
    }
    default:
        return -1; /* groups are not used by etcd */
    }
}

/* A field of the expected kind, or the message is malformed. */
#define WANT(f, wtype) do { if ((f).wt != (wtype)) return -1; } while (0)

static int dec_header(const uint8_t *p, size_t n, int64_t *rev)
{
    struct rd r = {p, p + n};
    struct field f;
    int rc;
    while ((rc = next_field(&r, &f)) == 0) {
        if (f.num == 3) {
            WANT(f, 0);
            *rev = (int64_t)f.v;
        }
    }
    return rc < 0 ? -1 : 0;
}

/* KeyValue into kv. value_always: an absent value is an empty blob (a
 * stored empty value), not NULL. */
static int dec_kv(const uint8_t *p, size_t n, struct kapi_kv *kv, bool value_always)
{
    struct rd r = {p, p + n};
    struct field f;
    int rc;
    memset(kv, 0, sizeof(*kv));
    while ((rc = next_field(&r, &f)) == 0) {
        switch (f.num) {
        case 1:
            if (f.wt != 2)
                goto bad;
            free(kv->key);
            kv->key = kapi_xstrndup((const char *)f.data, f.len);
            break;
        case 2: if (f.wt != 0) goto bad; kv->create_rev = (int64_t)f.v; break;
        case 3: if (f.wt != 0) goto bad; kv->mod_rev = (int64_t)f.v; break;
        case 4: if (f.wt != 0) goto bad; kv->version = (int64_t)f.v; break;
        case 5:
            if (f.wt != 2)
                goto bad;
            kapi_blob_unref(kv->value);
            kv->value = kapi_blob_new(f.data, f.len);
            break;
        default: break;
        }
    }
    if (rc < 0)
        goto bad;
    if (!kv->key)
        kv->key = kapi_xstrdup("");
    if (!kv->value && value_always)
        kv->value = kapi_blob_new("", 0);
    return 0;
bad:
    kapi_kv_dispose(kv);
    return -1;
}

static int push_kv(struct kapi_epb_resp *r, const uint8_t *p, size_t n)
{
    struct kapi_kv kv;
    if (dec_kv(p, n, &kv, true) < 0)
        return -1;
    /* Grow geometrically: nkvs is bounded by the input size. */
    if ((r->nkvs & (r->nkvs - 1)) == 0)
        r->kvs = kapi_xrealloc(r->kvs, (r->nkvs ? r->nkvs * 2 : 1) * sizeof(*r->kvs));
    r->kvs[r->nkvs++] = kv;
    return 0;
}

static int dec_range_into(const uint8_t *p, size_t n, struct kapi_epb_resp *r)
{
    struct rd rd = {p, p + n};
    struct field f;
    int rc;
    while ((rc = next_field(&rd, &f)) == 0) {
        switch (f.num) {
        case 1: WANT(f, 2); if (dec_header(f.data, f.len, &r->revision) < 0) return -1; break;
        case 2: WANT(f, 2); if (push_kv(r, f.data, f.len) < 0) return -1; break;
        case 3: WANT(f, 0); r->more = f.v != 0; break;
        case 4: WANT(f, 0); r->count = (int64_t)f.v; break;
        default: break;
        }
    }
    return rc < 0 ? -1 : 0;
}

static int set_prev(struct kapi_epb_resp *r, const uint8_t *p, size_t n)
{
    if (r->has_prev)
        return -1; /* a single-key write has one prev_kv */
    if (dec_kv(p, n, &r->prev, true) < 0)
        return -1;
    r->has_prev = true;
    return 0;
}

/* PutResponse (field 2 prev_kv) or DeleteRangeResponse (field 3 prev_kvs). */
static int dec_write_resp(const uint8_t *p, size_t n, unsigned prev_field, struct kapi_epb_resp *r)
{
    struct rd rd = {p, p + n};
    struct field f;
    int rc;
    while ((rc = next_field(&rd, &f)) == 0) {
        if (f.num == prev_field) {
            WANT(f, 2);
            if (set_prev(r, f.data, f.len) < 0)
                return -1;
        }
    }
    return rc < 0 ? -1 : 0;
}

static int dec_response_op(const uint8_t *p, size_t n, struct kapi_epb_resp *r)
{
    struct rd rd = {p, p + n};
    struct field f;
    int rc;
    while ((rc = next_field(&rd, &f)) == 0) {
        int e = 0;
        switch (f.num) {
        case 1: WANT(f, 2); {
            int64_t keep = r->revision;
            e = dec_range_into(f.data, f.len, r);
            r->revision = keep; /* the Txn's own header is authoritative */
            break;
        }
        case 2: WANT(f, 2); e = dec_write_resp(f.data, f.len, 2, r); break;
        case 3: WANT(f, 2); e = dec_write_resp(f.data, f.len, 3, r); break;
        default: break;
        }
        if (e < 0)
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

static int fail(struct kapi_epb_resp *r)
{
    kapi_epb_resp_dispose(r);
    return -1;
}

int kapi_epb_decode_range(const void *p, size_t n, struct kapi_epb_resp *r)
{
    memset(r, 0, sizeof(*r));
    return dec_range_into(p, n, r) < 0 ? fail(r) : 0;
}

int kapi_epb_decode_header(const void *p, size_t n, struct kapi_epb_resp *r)
{
    memset(r, 0, sizeof(*r));
    struct rd rd = {p, (const uint8_t *)p + n};
    struct field f;
    int rc;
    while ((rc = next_field(&rd, &f)) == 0) {
        if (f.num == 1) {
            if (f.wt != 2 || dec_header(f.data, f.len, &r->revision) < 0)
                return fail(r);
        }
    }
    return rc < 0 ? fail(r) : 0;
}

int kapi_epb_decode_txn(const void *p, size_t n, struct kapi_epb_resp *r)
{
    memset(r, 0, sizeof(*r));
    struct rd rd = {p, (const uint8_t *)p + n};
    struct field f;
    int rc;
    int64_t rev = 0;
    while ((rc = next_field(&rd, &f)) == 0) {
        switch (f.num) {
        case 1:
            if (f.wt != 2 || dec_header(f.data, f.len, &rev) < 0)
                return fail(r);
            break;
        case 2:
            if (f.wt != 0)
                return fail(r);
            r->succeeded = f.v != 0;
            break;
        case 3:
            if (f.wt != 2 || dec_response_op(f.data, f.len, r) < 0)
                return fail(r);
            break;
        default: break;
        }
    }
    if (rc < 0)
        return fail(r);
    r->revision = rev;
    return 0;
}

static int dec_event(const uint8_t *p, size_t n, struct kapi_event *ev)
{
    struct rd rd = {p, p + n};
    struct field f;
    int rc;
    bool have_kv = false;
    memset(ev, 0, sizeof(*ev));
    int type = 0;
    while ((rc = next_field(&rd, &f)) == 0) {
        switch (f.num) {
        case 1:
            if (f.wt != 0)
                goto bad;
            type = (int)f.v;
            break;
        case 2:
            if (f.wt != 2 || have_kv)
                goto bad;
            if (dec_kv(f.data, f.len, &ev->kv, false) < 0)
                goto bad;
            have_kv = true;
            break;
        case 3:
            if (f.wt != 2 || ev->prev_kv.key)
                goto bad;
            if (dec_kv(f.data, f.len, &ev->prev_kv, true) < 0)
                goto bad;
            break;
        default: break;
        }
    }
    if (rc < 0 || !have_kv || (type != 0 && type != 1))
        goto bad;
    ev->type = type == 0 ? KAPI_EVENT_PUT : KAPI_EVENT_DELETE;
    if (ev->type == KAPI_EVENT_PUT && !ev->kv.value)
        ev->kv.value = kapi_blob_new("", 0);
    if (ev->type == KAPI_EVENT_DELETE) {
        kapi_blob_unref(ev->kv.value);
        ev->kv.value = NULL;
    }
    return 0;
bad:
    kapi_kv_dispose(&ev->kv);
    kapi_kv_dispose(&ev->prev_kv);
    return -1;
}

int kapi_epb_decode_watch(const void *p, size_t n, struct kapi_epb_resp *r)
{
    memset(r, 0, sizeof(*r));
    struct rd rd = {p, (const uint8_t *)p + n};
    struct field f;
    int rc;
    while ((rc = next_field(&rd, &f)) == 0) {
        switch (f.num) {
        case 1:
            if (f.wt != 2 || dec_header(f.data, f.len, &r->revision) < 0)
                return fail(r);
            break;
        case 2: if (f.wt != 0) return fail(r); r->watch_id = (int64_t)f.v; break;
        case 3: if (f.wt != 0) return fail(r); r->created = f.v != 0; break;
        case 4: if (f.wt != 0) return fail(r); r->canceled = f.v != 0; break;
        case 5: if (f.wt != 0) return fail(r); r->compact_revision = (int64_t)f.v; break;
        case 11: {
            if (f.wt != 2)
                return fail(r);
            struct kapi_event ev;
            if (dec_event(f.data, f.len, &ev) < 0)
                return fail(r);
            if ((r->nevents & (r->nevents - 1)) == 0)
                r->events = kapi_xrealloc(r->events,
                                          (r->nevents ? r->nevents * 2 : 1) * sizeof(*r->events));
            r->events[r->nevents++] = ev;
            break;
        }
        default: break;
        }
    }
    return rc < 0 ? fail(r) : 0;
}

void kapi_epb_resp_dispose(struct kapi_epb_resp *r)
{
    for (size_t i = 0; i < r->nkvs; i++)
        kapi_kv_dispose(&r->kvs[i]);
    free(r->kvs);
    kapi_kv_dispose(&r->prev);
    for (size_t i = 0; i < r->nevents; i++) {
        kapi_kv_dispose(&r->events[i].kv);
        kapi_kv_dispose(&r->events[i].prev_kv);
    }
    free(r->events);
    memset(r, 0, sizeof(*r));
}
