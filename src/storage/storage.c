/* Backend-independent parts of src/storage/storage.h. */
#include "storage.h"

#include <stdlib.h>
#include <string.h>

const char *kapi_store_strerror(int err)
{
    switch (err) {
    case KAPI_STORE_OK: return "ok";
    case KAPI_STORE_NOT_FOUND: return "key not found";
    case KAPI_STORE_EXISTS: return "key exists";
    case KAPI_STORE_CONFLICT: return "revision conflict";
    case KAPI_STORE_COMPACTED: return "required revision has been compacted";
    case KAPI_STORE_FUTURE_REV: return "required revision is a future revision";
    case KAPI_STORE_UNAVAILABLE: return "storage unavailable";
    case KAPI_STORE_TIMEOUT: return "storage timeout";
    case KAPI_STORE_IO: return "storage i/o error";
    }
    return "unknown storage error";
}

void kapi_kv_dispose(struct kapi_kv *kv)
{
    if (!kv)
        return;
    free(kv->key);
    kapi_blob_unref(kv->value);
    memset(kv, 0, sizeof(*kv));
}

void kapi_kv_copy(struct kapi_kv *dst, const struct kapi_kv *src)
{
    *dst = *src;
    dst->key = src->key ? kapi_xstrdup(src->key) : NULL;
    dst->value = kapi_blob_ref(src->value);
}

void kapi_write_result_dispose(struct kapi_write_result *r)
{
    kapi_kv_dispose(&r->prev);
    kapi_kv_dispose(&r->current);
}

char *kapi_store_prefix_end(const char *prefix)
{
    size_t n = strlen(prefix);
    char *end = kapi_xstrdup(prefix);
    while (n > 0) {
        unsigned char c = (unsigned char)end[n - 1];
        if (c < 0xff) {
            end[n - 1] = (char)(c + 1);
            end[n] = 0;
            return end;
        }
        n--;
    }
    end[0] = 0; /* whole key space */
    return end;
}
