/* Fuzzes the etcd v3 response decoders of the etcd3 backend (what an etcd,
 * or anything posing as one, sends back): the first byte picks the message
 * type, the rest is the protobuf body. Decoded results are walked so that
 * every pointer handed out is touched. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "storage/etcd3/etcd3_int.h"

static size_t touch_kv(const struct kapi_kv *kv)
{
    size_t n = kv->key ? strlen(kv->key) : 0;
    if (kv->value)
        n += kv->value->len + (kv->value->data[kv->value->len] == 0);
    return n + (size_t)(kv->create_rev ^ kv->mod_rev ^ kv->version);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct kapi_epb_resp r;
    int rc;
    switch (data[0] % 4) {
    case 0: rc = kapi_epb_decode_range(data + 1, size - 1, &r); break;
    case 1: rc = kapi_epb_decode_txn(data + 1, size - 1, &r); break;
    case 2: rc = kapi_epb_decode_watch(data + 1, size - 1, &r); break;
    default: rc = kapi_epb_decode_header(data + 1, size - 1, &r); break;
    }
    if (rc < 0) {
        /* A failed decode leaves nothing behind. */
        if (r.kvs || r.events || r.nkvs || r.nevents || r.prev.key)
            __builtin_trap();
        return 0;
    }
    volatile size_t sink = 0;
    for (size_t i = 0; i < r.nkvs; i++)
        sink += touch_kv(&r.kvs[i]);
    if (r.has_prev)
        sink += touch_kv(&r.prev);
    for (size_t i = 0; i < r.nevents; i++) {
        const struct kapi_event *e = &r.events[i];
        if (e->type != KAPI_EVENT_PUT && e->type != KAPI_EVENT_DELETE)
            __builtin_trap();
        if ((e->type == KAPI_EVENT_DELETE) != (e->kv.value == NULL))
            __builtin_trap();
        sink += touch_kv(&e->kv) + touch_kv(&e->prev_kv);
    }
    (void)sink;
    kapi_epb_resp_dispose(&r);
    return 0;
}
