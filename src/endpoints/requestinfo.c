/* Request info: which API operation an HTTP request is, following the
 * path grammar of kube-apiserver:
 *   /api/v1[/watch]/namespaces/{ns}/{resource}[/{name}[/{subresource}...]]
 *   /apis/{group}/{version}[/watch]/{resource}[/{name}[/{subresource}]]
 * The verb comes from the method, the presence of a name, and ?watch. */
#include <string.h>

#include "endpoints_int.h"

static size_t split_path(struct kapi_pool *pool, const char *path, const char **parts, size_t max)
{
    size_t n = 0;
    while (*path == '/')
        path++;
    /* one copy, cut in place at each '/' */
    char *p = kapi_pool_strdup(pool, path);
    while (*p && n < max) {
        parts[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash) {
            p += strlen(p);
            break;
        }
        *slash = 0;
        p = slash + 1;
    }
    if (*p)
        return max + 1; /* too many segments */
    return n;
}

int kapi_request_info(struct kapi_req *r)
{
    /* Proxy subpaths can be deep: up to 64 segments in all. */
    const char *seg[64];
    size_t n = split_path(r->pool, r->http->path, seg, 64);
    if (n > 64 || n < 3)
        return -1;
    size_t i;
    if (kapi_streq(seg[0], "api")) {
        r->api_prefix = "api";
        r->group = "";
        r->version = seg[1];
        i = 2;
    } else if (kapi_streq(seg[0], "apis")) {
        if (n < 4)
            return -1;
        r->api_prefix = "apis";
        r->group = seg[1];
        r->version = seg[2];
        i = 3;
    } else {
        return -1;
    }
    const char *method = r->http->method;
    bool legacy_watch = false;
    if (i < n && kapi_streq(seg[i], "watch")) {
        legacy_watch = true;
        i++;
    }
    if (i >= n)
        return -1;
    /* namespaces/{ns}/{resource}... with the namespace object itself as
     * the special case /namespaces/{name}[/{sub}]. */
    r->ns = "";
    if (kapi_streq(seg[i], "namespaces") && n - i >= 3 && strcmp(seg[i + 2], "status") != 0 &&
        strcmp(seg[i + 2], "finalize") != 0) {
        r->ns = seg[i + 1];
        i += 2;
        r->resource = seg[i++];
    } else {
        r->resource = seg[i++];
    }
    if (!r->name && i < n)
        r->name = seg[i++];
    if (i < n)
        r->subresource = seg[i++];
    r->nparts = 0;
    while (i < n && r->nparts < KAPI_ARRAY_LEN(r->parts))
        r->parts[r->nparts++] = seg[i++];
    if (r->subresource && r->nparts && !kapi_streq(r->subresource, "proxy"))
        return -1;

    /* verb */
    if (kapi_streq(method, "GET") || kapi_streq(method, "HEAD")) {
        if (legacy_watch) {
            r->verb = "watch";
        } else if (r->name) {
            r->verb = "get";
        } else {
            const char *w = kapi_req_param(r, "watch");
            r->verb = w && kapi_parse_bool(w) == 1 ? "watch" : "list";
        }
    } else if (kapi_streq(method, "POST")) {
        r->verb = "create";
    } else if (kapi_streq(method, "PUT")) {
        r->verb = "update";
    } else if (kapi_streq(method, "PATCH")) {
        r->verb = "patch";
    } else if (kapi_streq(method, "DELETE")) {
        r->verb = r->name ? "delete" : "deletecollection";
    } else {
        r->verb = "unknown";
    }
    /* For the namespace object itself ns is the object; it is cluster-scoped. */
    if (kapi_streq(r->resource, "namespaces"))
        r->ns = "";
    r->is_resource = true;
    return 0;
}
