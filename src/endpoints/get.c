/* GET of one object, served from the watch cache. */
#include <string.h>

#include "../api/status.h"
#include "endpoints_int.h"

void kapi_handle_get(struct kapi_req *r)
{
    const char *rv = kapi_req_param(r, "resourceVersion");
    /* resourceVersion=0 accepts any cached state; otherwise read at least the
     * latest acknowledged write. */
    if (!rv || strcmp(rv, "0") != 0) {
        if (kapi_rest_sync(r) < 0)
            return;
    }
    struct kapi_cobj *o = kapi_rcache_get(r->kind->rc, kapi_rest_key(r, r->name));
    if (!o) {
        kapi_rest_store_error(r, KAPI_STORE_NOT_FOUND, r->name);
        return;
    }
    if (kapi_sub_is(r, "scale"))
        kapi_respond_value(r, 200, kapi_sub_view(r, kapi_cobj_value(o, r->pool)));
    else
        kapi_respond_cobj(r, 200, o);
    kapi_cobj_unref(o);
}
