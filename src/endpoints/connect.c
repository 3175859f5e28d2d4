/* The connect subresources kube-apiserver serves by proxying: pods/log,
 * pods/exec, pods/attach and pods/portforward go to the kubelet of the
 * pod's node; pods/proxy, services/proxy and nodes/proxy go to a pod, a
 * service endpoint or a node. Locations are worked out as upstream's
 * registries do (LogLocation, streamLocation, PortForwardLocation, the three
 * ResourceLocation functions), with their error Statuses. Bodies are
 * streamed as they arrive, and an Upgrade request that the backend answers
 * with 101 becomes a byte splice between the two connections. See
 * docs/internals/connect.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../api/status.h"
#include "../http/client.h"
#include "../registry/printers.h"
#include "endpoints_int.h"

#define KUBELET_DEFAULT_PORT 10250
#define PROXY_DIAL_TIMEOUT_MS 30000  /* upstream's proxy transport dialer */
#define HEAD_TIMEOUT_MS 60000        /* a backend's answer to our request */
#define MAX_ERROR_BODY 50000         /* upstream's maxReadLength for error bodies */
#define SPLICE_BUF 16384

/* ---- small helpers ---- */

/* A non-API error: upstream's ErrorToAPIStatus turns it into a 500 Status
 * with no reason and the error text as message. */
static void respond_plain_error(struct kapi_req *r, const char *msg)
{
    kapi_respond_status(r, kapi_status_new(r->pool, 500, NULL, msg));
}

static void bad_request(struct kapi_req *r, const char *msg)
{
    kapi_respond_status(r, kapi_status_bad_request(r->pool, msg));
}

/* The stored object, or NULL with the 404 Status sent. */
static struct kapi_value *get_object(struct kapi_req *r, const char *resource, const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(r->srv->registry, "", "v1", resource);
    if (!k || !k->rc) {
        respond_plain_error(r, "resource not served");
        return NULL;
    }
    struct kapi_cobj *o = kapi_rcache_get(k->rc, kapi_registry_key(r->pool, k, ns, name));
    if (!o) {
        kapi_respond_status(r, kapi_status_not_found(r->pool, "", resource, name));
        return NULL;
    }
    struct kapi_value *v = kapi_cobj_value(o, r->pool);
    kapi_cobj_unref(o);
    return v;
}

/* Go's url.QueryEscape. */
static void query_escape(struct kapi_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~')
            kapi_buf_putc(b, (char)c);
        else if (c == ' ')
            kapi_buf_putc(b, '+');
        else
            kapi_buf_printf(b, "%%%02X", c);
    }
}

/* Go's url.URL path escaping (EscapedPath): '/' and the sub-delimiters a
 * path may hold stay, everything else outside the unreserved set is escaped. */
static void path_escape(struct kapi_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.~/$&+,:;=@!*'()", c))
            kapi_buf_putc(b, (char)c);
        else
            kapi_buf_printf(b, "%%%02X", c);
    }
}

/* Go's path.Clean of a rooted path (p starts with '/'). */
static char *path_clean(struct kapi_pool *pool, const char *p)
{
    size_t n = strlen(p);
    char *out = kapi_pool_alloc(pool, n + 2);
    size_t o = 0;
    out[o++] = '/';
    const char *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 1 && s[0] == '.') {
            /* skip */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (o > 1) {
                o--; /* drop the slash before the last element, then the element */
                while (o > 1 && out[o - 1] != '/')
                    o--;
                if (o > 1)
                    o--;
                else
                    o = 1;
            }
        } else {
            if (o > 1)
                out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s += len;
    }
    out[o] = 0;
    return out;
}

/* net.JoinHostPort. */
static const char *join_host_port(struct kapi_pool *pool, const char *host, const char *port)
{
    if (strchr(host, ':'))
        return kapi_pool_printf(pool, "[%s]:%s", host, port);
    return kapi_pool_printf(pool, "%s:%s", host, port);
}

/* Go's net.IP.IsGlobalUnicast for an address literal; false when s is not one. */
static bool global_unicast(const char *s)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, s, a) == 1) {
        if (a[0] == 127 || a[0] >= 224 || (a[0] == 169 && a[1] == 254))
            return false; /* loopback, multicast and 255.255.255.255, link-local */
        return a[0] || a[1] || a[2] || a[3];
    }
    if (inet_pton(AF_INET6, s, a) == 1) {
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, v4mapped, 12) == 0) {
            char v4[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, a + 12, v4, sizeof(v4));
            return global_unicast(v4);
        }
        if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
            return false; /* multicast, link-local */
        static const unsigned char zero[16], one[16] = {[15] = 1};
        return memcmp(a, zero, 16) != 0 && memcmp(a, one, 16) != 0;
    }
    return false;
}

/* utilnet.SplitSchemeNamePort: "name", "name:port" or "scheme:name:port",
 * scheme "", "http" or "https". */
static bool split_scheme_name_port(struct kapi_pool *pool, const char *id, const char **scheme, const char **name,
                                   const char **port)
{
    *scheme = *name = *port = "";
    const char *parts[3];
    size_t lens[3], n = 0;
    const char *p = id;
    for (;;) {
        const char *c = strchr(p, ':');
        if (n == 3)
            return false;
        parts[n] = p;
        lens[n] = c ? (size_t)(c - p) : strlen(p);
        n++;
        if (!c)
            break;
        p = c + 1;
    }
    if (n == 1) {
        *name = kapi_pool_strndup(pool, parts[0], lens[0]);
    } else if (n == 2) {
        *name = kapi_pool_strndup(pool, parts[0], lens[0]);
        *port = kapi_pool_strndup(pool, parts[1], lens[1]);
    } else {
        *scheme = kapi_pool_strndup(pool, parts[0], lens[0]);
        *name = kapi_pool_strndup(pool, parts[1], lens[1]);
        *port = kapi_pool_strndup(pool, parts[2], lens[2]);
    }
    return **name && (!**scheme || strcmp(*scheme, "http") == 0 || strcmp(*scheme, "https") == 0);
}

/* ---- kubelet connection info (NodeConnectionInfoGetter) ---- */

struct kubelet_loc {
    const char *host;
    const char *port;
};

/* 0, or -1 with a Status sent. */
static int kubelet_location(struct kapi_req *r, const char *node_name, struct kubelet_loc *loc)
{
    struct kapi_value *node = get_object(r, "nodes", "", node_name);
    if (!node)
        return -1;
    const struct kapi_kubelet_config *kc = r->srv->kubelet;
    struct kapi_value *addrs = kapi_value_path(node, "status", "addresses", NULL);
    size_t naddrs = addrs && addrs->type == KAPI_V_ARRAY ? addrs->u.arr.len : 0;
    loc->host = NULL;
    for (size_t t = 0; kc && t < kc->npreferred && !loc->host; t++)
        for (size_t i = 0; i < naddrs && !loc->host; i++) {
            const char *type = kapi_obj_get_str(addrs->u.arr.items[i], "type");
            if (type && strcmp(type, kc->preferred[t]) == 0)
                loc->host = kapi_obj_get_str(addrs->u.arr.items[i], "address");
        }
    if (!loc->host) {
        /* NoMatchError prints the addresses as Go's %v of []NodeAddress. */
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_puts(&b, "no preferred addresses found; known addresses: [");
        for (size_t i = 0; i < naddrs; i++) {
            const char *type = kapi_obj_get_str(addrs->u.arr.items[i], "type");
            const char *a = kapi_obj_get_str(addrs->u.arr.items[i], "address");
            kapi_buf_printf(&b, "%s{%s %s}", i ? " " : "", type ? type : "", a ? a : "");
        }
        kapi_buf_puts(&b, "]");
        respond_plain_error(r, kapi_pool_strndup(r->pool, b.data, b.len));
        kapi_buf_dispose(&b);
        return -1;
    }
    struct kapi_value *pv = kapi_value_path(node, "status", "daemonEndpoints", "kubeletEndpoint", "Port", NULL);
    int64_t port = pv && pv->type == KAPI_V_INT ? pv->u.i : 0;
    if (port <= 0)
        port = KUBELET_DEFAULT_PORT;
    loc->port = kapi_pool_printf(r->pool, "%lld", (long long)port);
    return 0;
}

/* The client request for the kubelet: its CA (none: not verified, as
 * upstream without --kubelet-certificate-authority) and our identity. */
static void kubelet_tls(const struct kapi_req *r, struct kapi_http_client_req *cr, bool skip_verify)
{
    const struct kapi_kubelet_config *kc = r->srv->kubelet;
    cr->ca_pem = kc ? kc->ca_pem : NULL;
    cr->client_cert_pem = kc ? kc->client_cert_pem : NULL;
    cr->client_key_pem = kc ? kc->client_key_pem : NULL;
    cr->insecure_skip_verify = skip_verify || !cr->ca_pem;
    cr->timeout_ms = kc && kc->timeout_ms > 0 ? kc->timeout_ms : 5000;
    cr->head_timeout_ms = HEAD_TIMEOUT_MS;
}

/* ---- pods: container choice (validateContainer) ---- */

static void visit_names(struct kapi_value *spec, const char *field, const char **names, size_t *n, size_t max)
{
    struct kapi_value *a = kapi_obj_get(spec, field);
    for (size_t i = 0; a && a->type == KAPI_V_ARRAY && i < a->u.arr.len && *n < max; i++) {
        const char *nm = kapi_obj_get_str(a->u.arr.items[i], "name");
        if (nm)
            names[(*n)++] = nm;
    }
}

/* The container to use, or NULL with a 400 sent. */
static const char *choose_container(struct kapi_req *r, struct kapi_value *pod, const char *name, const char *container)
{
    struct kapi_value *spec = kapi_obj_get(pod, "spec");
    const char *names[512];
    size_t n = 0;
    /* podutil.VisitContainers order: init containers, containers, ephemeral containers */
    visit_names(spec, "initContainers", names, &n, 512);
    visit_names(spec, "containers", names, &n, 512);
    visit_names(spec, "ephemeralContainers", names, &n, 512);
    if (container && *container) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], container) == 0)
                return container;
        bad_request(r, kapi_pool_printf(r->pool, "container %s is not valid for pod %s", container, name));
        return NULL;
    }
    struct kapi_value *cs = kapi_obj_get(spec, "containers");
    size_t nc = cs && cs->type == KAPI_V_ARRAY ? cs->u.arr.len : 0;
    if (nc == 1) {
        const char *only = kapi_obj_get_str(cs->u.arr.items[0], "name");
        return only ? only : "";
    }
    if (nc == 0) {
        bad_request(r, kapi_pool_printf(r->pool, "a container name must be specified for pod %s", name));
        return NULL;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_printf(&b, "a container name must be specified for pod %s, choose one of: [", name);
    for (size_t i = 0; i < n; i++)
        kapi_buf_printf(&b, "%s%s", i ? " " : "", names[i]);
    kapi_buf_puts(&b, "]");
    bad_request(r, kapi_pool_strndup(r->pool, b.data, b.len));
    kapi_buf_dispose(&b);
    return NULL;
}

/* ---- query parameters, decoded as upstream's parameter codec does ---- */

/* Convert_Slice_string_To_bool: only "0" and "false" (any case) are false. */
static bool param_bool(const struct kapi_req *r, const char *name)
{
    const char *v = kapi_req_param(r, name);
    return v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

/* strconv.ParseInt(v, 10, 64). 0 absent, 1 set, -1 with a 400 sent. */
static int param_int(struct kapi_req *r, const char *name, int64_t *out)
{
    const char *v = kapi_req_param(r, name);
    if (!v)
        return 0;
    const char *p = v;
    if (*p == '+' || *p == '-')
        p++;
    bool ok = *p != 0;
    for (const char *q = p; *q && ok; q++)
        ok = *q >= '0' && *q <= '9';
    if (ok) {
        errno = 0;
        char *end;
        long long x = strtoll(v, &end, 10);
        if (errno == ERANGE) {
            bad_request(r, kapi_pool_printf(r->pool, "strconv.ParseInt: parsing %s: value out of range",
                                             kapi_go_quote(r->pool, v, strlen(v))));
            return -1;
        }
        *out = x;
        return 1;
    }
    bad_request(r, kapi_pool_printf(r->pool, "strconv.ParseInt: parsing %s: invalid syntax",
                                     kapi_go_quote(r->pool, v, strlen(v))));
    return -1;
}

/* time.Parse(time.RFC3339, v)'s error, for a value that does not parse:
 * the layout element where it stopped and the rest of the value. */
static const char *rfc3339_error(struct kapi_pool *pool, const char *v)
{
    static const struct {
        const char *elem;
        int digits; /* 0: literal */
    } layout[] = {{"2006", 4}, {"-", 0}, {"01", 2}, {"-", 0}, {"02", 2}, {"T", 0},
                  {"15", 2},   {":", 0}, {"04", 2}, {":", 0}, {"05", 2}};
    const char *p = v;
    const char *elem = "Z07:00";
    bool failed = false;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(layout) && !failed; i++) {
        if (layout[i].digits) {
            int k = 0;
            while (k < layout[i].digits && p[k] >= '0' && p[k] <= '9')
                k++;
            if (k < layout[i].digits) {
                elem = layout[i].elem;
                failed = true;
            } else {
                p += k;
            }
        } else if (*p != layout[i].elem[0]) {
            elem = layout[i].elem;
            failed = true;
        } else {
            p++;
        }
    }
    if (!failed && *p == '.') { /* fractional seconds are accepted after 05 */
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (!failed && (*p == 'Z' || *p == '+' || *p == '-'))
        return kapi_pool_printf(pool, "parsing time %s: extra text: %s", kapi_go_quote(pool, v, strlen(v)),
                                kapi_go_quote(pool, p, strlen(p)));
    return kapi_pool_printf(pool, "parsing time %s as \"2006-01-02T15:04:05Z07:00\": cannot parse %s as %s",
                            kapi_go_quote(pool, v, strlen(v)), kapi_go_quote(pool, p, strlen(p)),
                            kapi_go_quote(pool, elem, strlen(elem)));
}

/* ---- streaming a backend's body back ---- */

/* The headers upstream's filters put on every answer: Audit-Id, and
 * Cache-Control unless the backend set one. hdrs must have room for 2 more. */
static size_t add_filter_headers(struct kapi_req *r, struct kapi_http_header *hdrs, size_t n)
{
    bool cc = false;
    for (size_t i = 0; i < n; i++)
        cc |= strcasecmp(hdrs[i].name, "Cache-Control") == 0;
    hdrs[n++] = (struct kapi_http_header){"Audit-Id", kapi_req_audit_id(r)};
    if (!cc)
        hdrs[n++] = (struct kapi_http_header){"Cache-Control", "no-cache, private"};
    return n;
}

/* Relays the open stream s's body to the client as a chunked response,
 * each piece sent as it arrives, until the body ends or the client goes. */
static void relay_body(struct kapi_req *r, struct kapi_http_client_stream *s, int status,
                       const struct kapi_http_header *hdrs, size_t nhdrs)
{
    kapi_audit_response_started(r, status);
    if (kapi_http_stream_begin(r->http, status, hdrs, nhdrs) < 0)
        return;
    char *buf = kapi_xmalloc(SPLICE_BUF);
    int64_t next_check = kapi_now_ms() + 500;
    for (;;) {
        long n = kapi_http_client_stream_read(s, buf, SPLICE_BUF, 500);
        /* A client that left, or a server stopping, ends the stream even
         * while the backend keeps sending. */
        if (n == KAPI_HTTP_CLIENT_AGAIN || kapi_now_ms() >= next_check) {
            next_check = kapi_now_ms() + 500;
            if (kapi_http_client_gone(r->http))
                break;
        }
        if (n == KAPI_HTTP_CLIENT_AGAIN)
            continue;
        if (n <= 0) {
            if (n < 0)
                kapi_log(1, "connect: backend stream for %s broke: %s", r->http->target,
                         kapi_http_client_stream_error(s));
            break;
        }
        if (kapi_http_stream_write(r->http, buf, (size_t)n) < 0)
            break;
    }
    free(buf);
    kapi_http_stream_end(r->http);
}

/* Reads at most max bytes of the body (error texts, small bodies); the
 * length in *len when len is not NULL. */
static char *read_some_len(struct kapi_req *r, struct kapi_http_client_stream *s, size_t max, size_t *len)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    char tmp[4096];
    int64_t deadline = kapi_now_ms() + 10000;
    while (b.len < max && kapi_now_ms() < deadline) {
        size_t want = max - b.len < sizeof(tmp) ? max - b.len : sizeof(tmp);
        long n = kapi_http_client_stream_read(s, tmp, want, 1000);
        if (n == KAPI_HTTP_CLIENT_AGAIN)
            continue;
        if (n <= 0)
            break;
        kapi_buf_append(&b, tmp, (size_t)n);
    }
    char *out = kapi_pool_strndup(r->pool, b.data ? b.data : "", b.len);
    if (len)
        *len = b.len;
    kapi_buf_dispose(&b);
    return out;
}

static char *read_some(struct kapi_req *r, struct kapi_http_client_stream *s, size_t max)
{
    return read_some_len(r, s, max, NULL);
}

static const char *stream_header(struct kapi_http_client_stream *s, const char *name)
{
    size_t n;
    const struct kapi_http_header *h = kapi_http_client_stream_headers(s, &n);
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

/* ---- pods/log ---- */

/* NewGenericServerResponse(code, "", pods/log, name, body): the status an
 * error answer of the kubelet becomes (GenericHttpResponseChecker). */
static struct kapi_status *generic_server_response(struct kapi_req *r, int code, const char *name, const char *body)
{
    const char *reason = NULL;
    const char *msg = kapi_pool_printf(r->pool, "the server responded with the status code %d but did not return more information", code);
    switch (code) {
    case 409: reason = "Conflict"; msg = "the server reported a conflict"; break;
    case 404: reason = "NotFound"; msg = "the server could not find the requested resource"; break;
    case 400: reason = "BadRequest"; msg = "the server rejected our request for an unknown reason"; break;
    case 401: reason = "Unauthorized"; msg = "the server has asked for the client to provide credentials"; break;
    case 403: reason = "Forbidden"; msg = body; break;
    case 405: reason = "MethodNotAllowed"; msg = "the server does not allow this method on the requested resource"; break;
    case 422: reason = "Invalid"; msg = "the server rejected our request due to an error in our request"; break;
    case 504: reason = "Timeout"; msg = "the server was unable to return a response in the time allotted, but may still be processing the request"; break;
    case 429: reason = "TooManyRequests"; msg = "the server has received too many requests and has asked us to try again later"; break;
    default:
        if (code >= 500) {
            reason = "InternalError";
            msg = kapi_pool_printf(r->pool, "an error on the server (%s) has prevented the request from succeeding",
                                   kapi_go_quote(r->pool, body, strlen(body)));
        }
    }
    struct kapi_status *st = kapi_status_new(r->pool, code, reason,
                                             kapi_pool_printf(r->pool, "%s ( pods/log %s)", msg, name));
    st->has_details = true;
    st->kind = "pods/log";
    st->name = name;
    return st;
}

static bool is_redirect(int code) { return code == 301 || code == 302 || code == 303 || code == 307 || code == 308; }

static void handle_log(struct kapi_req *r)
{
    struct kapi_pool *p = r->pool;
    const char *name = r->name;
    /* PodLogOptions from the query, decoded in field order. */
    const char *container = kapi_req_param(r, "container");
    bool follow = param_bool(r, "follow"), previous = param_bool(r, "previous");
    int64_t since_s = 0, tail = 0, limit = 0;
    int has_since = param_int(r, "sinceSeconds", &since_s);
    if (has_since < 0)
        return;
    const char *since_time = kapi_req_param(r, "sinceTime");
    int64_t since_unix = 0;
    if (since_time && *since_time && strcmp(since_time, "null") != 0 && !kapi_printer_parse_time(since_time, &since_unix)) {
        bad_request(r, rfc3339_error(p, since_time));
        return;
    }
    bool timestamps = param_bool(r, "timestamps");
    int has_tail = param_int(r, "tailLines", &tail);
    if (has_tail < 0)
        return;
    int has_limit = param_int(r, "limitBytes", &limit);
    if (has_limit < 0)
        return;
    bool skip_verify = param_bool(r, "insecureSkipTLSVerifyBackend");

    /* ValidatePodLogOptions */
    struct kapi_field_errors errs = {0};
    if (has_tail && tail < 0)
        kapi_ferr_invalid_int(p, &errs, "tailLines", tail, "must be greater than or equal to 0");
    if (has_limit && limit < 1)
        kapi_ferr_invalid_int(p, &errs, "limitBytes", limit, "must be greater than 0");
    if (has_since && since_time)
        kapi_ferr_forbidden(p, &errs, "", "at most one of `sinceTime` or `sinceSeconds` may be specified");
    else if (has_since && since_s < 1)
        kapi_ferr_invalid_int(p, &errs, "sinceSeconds", since_s, "must be greater than 0");
    if (errs.len) {
        kapi_respond_status(r, kapi_status_invalid(p, "", "PodLogOptions", name, &errs));
        return;
    }

    if (kapi_rest_sync(r) < 0)
        return;
    struct kapi_value *pod = get_object(r, "pods", r->ns, name);
    if (!pod)
        return;
    container = choose_container(r, pod, name, container);
    if (!container)
        return;
    const char *node = kapi_value_cstr(kapi_value_path(pod, "spec", "nodeName", NULL));
    if (!node || !*node) {
        /* No node: upstream's streamer has no location and answers 204. */
        kapi_respond_raw(r, 204, NULL, NULL, 0, NULL, 0);
        return;
    }
    struct kubelet_loc loc;
    if (kubelet_location(r, node, &loc) < 0)
        return;

    /* url.Values.Encode: keys sorted. */
    struct kapi_buf u;
    kapi_buf_init(&u, 0);
    kapi_buf_printf(&u, "https://%s/containerLogs/", join_host_port(p, loc.host, loc.port));
    path_escape(&u, kapi_pool_printf(p, "%s/%s/%s", r->ns, name, container));
    char sep = '?';
    if (follow) {
        kapi_buf_printf(&u, "%cfollow=true", sep);
        sep = '&';
    }
    if (has_limit) {
        kapi_buf_printf(&u, "%climitBytes=%lld", sep, (long long)limit);
        sep = '&';
    }
    if (previous) {
        kapi_buf_printf(&u, "%cprevious=true", sep);
        sep = '&';
    }
    if (has_since) {
        kapi_buf_printf(&u, "%csinceSeconds=%lld", sep, (long long)since_s);
        sep = '&';
    }
    if (since_time) {
        /* "" and "null" decode to the zero time, which Go prints as year 1 */
        char ts[21] = "0001-01-01T00:00:00Z";
        if (*since_time && strcmp(since_time, "null") != 0)
            kapi_time_rfc3339(since_unix, ts);
        kapi_buf_printf(&u, "%csinceTime=", sep);
        query_escape(&u, ts);
        sep = '&';
    }
    if (has_tail) {
        kapi_buf_printf(&u, "%ctailLines=%lld", sep, (long long)tail);
        sep = '&';
    }
    if (timestamps)
        kapi_buf_printf(&u, "%ctimestamps=true", sep);
    const char *url = kapi_pool_strndup(p, u.data, u.len);
    kapi_buf_dispose(&u);

    struct kapi_http_client_req cr = {.url = url, .method = "GET"};
    kubelet_tls(r, &cr, skip_verify);
    char err[512];
    struct kapi_http_client_stream *s = kapi_http_client_open(&cr, err, sizeof(err));
    if (!s) {
        char msg[700];
        kapi_http_client_format_error(msg, sizeof(msg), "GET", url, err);
        respond_plain_error(r, msg);
        return;
    }
    int code = kapi_http_client_stream_status(s);
    if (is_redirect(code) && stream_header(s, "Location")) {
        char msg[700];
        kapi_http_client_format_error(msg, sizeof(msg), "GET", url, "redirects forbidden");
        respond_plain_error(r, msg);
    } else if (code < 200 || code > 206) {
        const char *body = read_some(r, s, MAX_ERROR_BODY);
        if (code == 500)
            kapi_respond_status(r, kapi_status_internal(p, body));
        else if (code == 400)
            bad_request(r, body);
        else
            kapi_respond_status(r, generic_server_response(r, code, name, body));
    } else {
        struct kapi_http_header h[3] = {{"Content-Type", "text/plain"}};
        relay_body(r, s, 200, h, add_filter_headers(r, h, 1));
    }
    kapi_http_client_stream_close(s);
}

/* ---- proxying and upgrades (UpgradeAwareHandler) ---- */

static bool hop_by_hop(const char *name)
{
    static const char *const hop[] = {"connection", "proxy-connection", "keep-alive", "proxy-authenticate",
                                      "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(hop); i++)
        if (strcasecmp(name, hop[i]) == 0)
            return true;
    return false;
}

/* Whether the Connection header lists token (comma-separated, any case). */
static bool header_has_token(const char *v, const char *token)
{
    size_t tl = strlen(token);
    while (v && *v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        size_t n = strcspn(v, ",");
        size_t m = n;
        while (m && (v[m - 1] == ' ' || v[m - 1] == '\t'))
            m--;
        if (m == tl && strncasecmp(v, token, tl) == 0)
            return true;
        v += n;
    }
    return false;
}

static bool is_upgrade_request(const struct kapi_http_request *h)
{
    for (size_t i = 0; i < h->nheaders; i++)
        if (strcasecmp(h->headers[i].name, "Connection") == 0 && header_has_token(h->headers[i].value, "upgrade"))
            return true;
    return false;
}

/* Credentials the filters consumed never reach a backend (upstream's
 * authentication and impersonation filters delete them). */
static bool consumed_header(const char *name)
{
    /* Host and Content-Length are the client's own to set, and Expect was
     * answered here (the body is already read). */
    return strcasecmp(name, "Authorization") == 0 || strncasecmp(name, "Impersonate-", 12) == 0 ||
           strcasecmp(name, "Host") == 0 || strcasecmp(name, "Content-Length") == 0 ||
           strcasecmp(name, "Expect") == 0;
}

/* The client's headers for the backend, plus X-Forwarded-For and, when
 * forwarded_uri is set, X-Forwarded-Uri. Hop-by-hop headers and those
 * named in Connection are dropped. */
static struct kapi_http_header *forward_headers(struct kapi_req *r, const char *forwarded_uri, size_t *n)
{
    const struct kapi_http_request *h = r->http;
    const char *conn = kapi_http_header(h, "Connection");
    struct kapi_http_header *out = kapi_pool_alloc(r->pool, (h->nheaders + 3) * sizeof(*out));
    size_t k = 0;
    const char *xff = NULL;
    for (size_t i = 0; i < h->nheaders; i++) {
        const char *nm = h->headers[i].name;
        if (hop_by_hop(nm) || consumed_header(nm) || (conn && header_has_token(conn, nm)) ||
            strcasecmp(nm, "X-Forwarded-Uri") == 0)
            continue;
        if (strcasecmp(nm, "X-Forwarded-For") == 0) {
            xff = xff ? kapi_pool_printf(r->pool, "%s, %s", xff, h->headers[i].value) : h->headers[i].value;
            continue;
        }
        out[k++] = h->headers[i];
    }
    const char *ra = h->remote_addr ? h->remote_addr : "";
    const char *colon = strrchr(ra, ':');
    const char *ip = colon ? kapi_pool_strndup(r->pool, ra, (size_t)(colon - ra)) : ra;
    if (ip[0] == '[' && ip[strlen(ip) - 1] == ']')
        ip = kapi_pool_strndup(r->pool, ip + 1, strlen(ip) - 2);
    out[k++] = (struct kapi_http_header){"X-Forwarded-For", xff ? kapi_pool_printf(r->pool, "%s, %s", xff, ip) : ip};
    if (forwarded_uri)
        out[k++] = (struct kapi_http_header){"X-Forwarded-Uri", forwarded_uri};
    *n = k;
    return out;
}

/* One direction of a splice: a buffer read from one side and not yet
 * written to the other. OpenSSL wants a write that would block retried with
 * the same buffer and length, so a pending buffer is never touched. */
struct pipe_buf {
    char data[SPLICE_BUF];
    size_t len, off;
};

/* Moves bytes both ways between the client (hijacked) and the backend until
 * either side closes or fails, or the server stops. */
static void splice(struct kapi_req *r, struct kapi_http_client_stream *s)
{
    struct pipe_buf *up = kapi_xcalloc(1, sizeof(*up)), *down = kapi_xcalloc(1, sizeof(*down));
    bool done = false;
    int64_t flush_deadline = 0;
    while (!done || (down->len && kapi_now_ms() < flush_deadline)) {
        bool progress = false, want_client_in = false, want_client_out = false, want_be_in = false,
             want_be_out = false;
        /* client -> backend */
        if (!done && !up->len) {
            long n = kapi_http_raw_read(r->http, up->data, sizeof(up->data));
            if (n > 0) {
                up->len = (size_t)n;
                up->off = 0;
                progress = true;
            } else if (n == KAPI_HTTP_RAW_AGAIN) {
                want_client_in = true;
            } else {
                done = true; /* the client went: nothing more to deliver to it */
                down->len = 0;
            }
        }
        if (!done && up->len) {
            long w = kapi_http_client_stream_raw_write(s, up->data + up->off, up->len - up->off);
            if (w > 0) {
                up->off += (size_t)w;
                if (up->off == up->len)
                    up->len = up->off = 0;
                progress = true;
            } else if (w == KAPI_HTTP_CLIENT_AGAIN) {
                want_be_out = true;
            } else {
                done = true;
            }
        }
        /* backend -> client */
        if (!done && !down->len) {
            long n = kapi_http_client_stream_raw_read(s, down->data, sizeof(down->data));
            if (n > 0) {
                down->len = (size_t)n;
                down->off = 0;
                progress = true;
            } else if (n == KAPI_HTTP_CLIENT_AGAIN) {
                want_be_in = true;
            } else {
                done = true; /* the backend closed: what it sent still goes out */
                flush_deadline = kapi_now_ms() + 5000;
            }
        }
        if (down->len) {
            long w = kapi_http_raw_write(r->http, down->data + down->off, down->len - down->off);
            if (w > 0) {
                down->off += (size_t)w;
                if (down->off == down->len)
                    down->len = down->off = 0;
                progress = true;
            } else if (w == KAPI_HTTP_RAW_AGAIN) {
                want_client_out = true;
            } else {
                break;
            }
        }
        if (progress || (done && !down->len))
            continue;
        if ((want_client_in && kapi_http_raw_pending(r->http)) ||
            (want_be_in && kapi_http_client_stream_raw_pending(s)))
            continue;
        struct pollfd pf[2] = {{.fd = kapi_http_raw_fd(r->http)}, {.fd = kapi_http_client_stream_fd(s)}};
        pf[0].events = (short)((want_client_in ? POLLIN : 0) | (want_client_out ? POLLOUT : 0));
        pf[1].events = (short)((want_be_in ? POLLIN : 0) | (want_be_out ? POLLOUT : 0));
        /* A second's wake-up lets a raw_read notice the server stopping. */
        if (poll(pf, 2, 1000) < 0 && errno != EINTR)
            break;
    }
    free(up);
    free(down);
}

/* The response head of a 101 as the backend sent it (status, headers). */
static void relay_switching(struct kapi_req *r, struct kapi_http_client_stream *s)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "HTTP/1.1 101 Switching Protocols\r\n");
    size_t n;
    const struct kapi_http_header *h = kapi_http_client_stream_headers(s, &n);
    for (size_t i = 0; i < n; i++)
        kapi_buf_printf(&b, "%s: %s\r\n", h[i].name, h[i].value);
    kapi_buf_puts(&b, "\r\n");
    kapi_audit_response_started(r, 101);
    int rc = kapi_http_hijack(r->http, b.data, b.len);
    kapi_buf_dispose(&b);
    if (rc == 0)
        splice(r, s);
}

/* Response headers a proxy passes on: not the hop-by-hop ones or the
 * framing (ours is new), not CORS (upstream's corsRemovingTransport), and
 * a Location on the backend itself rewritten to go through the proxy. */
static struct kapi_http_header *response_headers(struct kapi_req *r, struct kapi_http_client_stream *s,
                                                 const char *backend_authority, const char *prepend, size_t *nout)
{
    size_t n;
    const struct kapi_http_header *h = kapi_http_client_stream_headers(s, &n);
    const char *conn = stream_header(s, "Connection");
    struct kapi_http_header *out = kapi_pool_alloc(r->pool, (n + 4) * sizeof(*out)); /* room for 3 more */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *nm = h[i].name;
        if (hop_by_hop(nm) || strcasecmp(nm, "Content-Length") == 0 || (conn && header_has_token(conn, nm)) ||
            strcasecmp(nm, "Access-Control-Allow-Credentials") == 0 ||
            strcasecmp(nm, "Access-Control-Allow-Headers") == 0 ||
            strcasecmp(nm, "Access-Control-Allow-Methods") == 0 ||
            strcasecmp(nm, "Access-Control-Allow-Origin") == 0)
            continue;
        struct kapi_http_header hh = h[i];
        if (prepend && strcasecmp(nm, "Location") == 0) {
            /* Only an absolute path on the backend (or with no host) is
             * rewritten; other hosts and relative references pass. */
            const char *v = hh.value;
            const char *path = NULL;
            if (v[0] == '/' && v[1] != '/') {
                path = v;
            } else {
                const char *sch = strstr(v, "://");
                if (sch) {
                    const char *auth = sch + 3;
                    size_t alen = strcspn(auth, "/?#");
                    if (alen == strlen(backend_authority) && strncmp(auth, backend_authority, alen) == 0 &&
                        auth[alen] == '/')
                        path = auth + alen;
                }
            }
            if (path && strncmp(path, prepend, strlen(prepend)) != 0)
                hh.value = kapi_pool_printf(r->pool, "%s%s", prepend, path);
            else if (path)
                hh.value = path;
        }
        out[k++] = hh;
    }
    *nout = k;
    return out;
}

/* Sends the request to url with the client's method, headers and body.
 * An Upgrade request that gets a 101 is spliced; anything else is relayed.
 * upgrade_required: exec/attach/portforward accept nothing else.
 * prepend: the proxy path prefix for X-Forwarded-Uri and Location
 * rewriting (NULL for the kubelet streaming calls, which do not wrap the
 * transport). dial_error: how a failed connection is reported. */
struct proxy_target {
    const char *url;
    const char *authority;        /* host:port, for Location rewriting */
    bool kubelet_tls;             /* our client certificate and --kubelet-certificate-authority */
    bool upgrade_required;
    const char *prepend;
    const char *forwarded_uri;
};

static void proxy_to(struct kapi_req *r, const struct proxy_target *t)
{
    bool upgrade = is_upgrade_request(r->http);
    if (t->upgrade_required && !upgrade) {
        bad_request(r, "Upgrade request required");
        return;
    }
    size_t nh;
    struct kapi_http_header *hdrs = forward_headers(r, t->forwarded_uri, &nh);
    struct kapi_http_client_req cr = {.url = t->url, .method = r->http->method, .headers = hdrs, .nheaders = nh,
                                      .forward = true, .allow_http = true,
                                      .body = r->http->body, .body_len = r->http->body ? r->http->body_len : 0};
    if (t->kubelet_tls) {
        kubelet_tls(r, &cr, false);
    } else {
        cr.insecure_skip_verify = true; /* upstream's proxy transport: pods and services by IP */
        cr.timeout_ms = PROXY_DIAL_TIMEOUT_MS;
        cr.head_timeout_ms = HEAD_TIMEOUT_MS;
    }
    if (upgrade) {
        const char *up = kapi_http_header(r->http, "Upgrade");
        cr.upgrade = up && *up ? up : "websocket";
    }
    char err[512];
    struct kapi_http_client_stream *s = kapi_http_client_open(&cr, err, sizeof(err));
    if (!s) {
        if (upgrade)
            respond_plain_error(r, kapi_pool_printf(r->pool, "error dialing backend: %s", err));
        else if (t->prepend)
            kapi_respond_status(r, kapi_status_service_unavailable(
                                       r->pool, kapi_pool_printf(r->pool, "error trying to reach service: %s", err)));
        else
            respond_plain_error(r, err);
        return;
    }
    int code = kapi_http_client_stream_status(s);
    if (code == 101) {
        relay_switching(r, s);
        kapi_http_client_stream_close(s);
        return;
    }
    size_t nrh;
    struct kapi_http_header *rh = response_headers(r, s, t->authority, t->prepend, &nrh);
    nrh = add_filter_headers(r, rh, nrh);
    if (upgrade) /* a refused upgrade: the answer goes back and the connection closes */
        rh[nrh++] = (struct kapi_http_header){"Connection", "close"};
    const char *cl = stream_header(s, "Content-Length");
    bool bodyless = code < 200 || code == 204 || code == 304 || strcmp(r->http->method, "HEAD") == 0;
    if (bodyless || (cl && strtoull(cl, NULL, 10) <= 65536)) {
        /* Small or empty: one response with Content-Length. */
        size_t blen = 0;
        const char *body = bodyless ? "" : read_some_len(r, s, 65536, &blen);
        kapi_audit_response_started(r, code);
        kapi_http_respond(r->http, code, rh, nrh, body, blen);
    } else {
        relay_body(r, s, code, rh, nrh);
    }
    kapi_http_client_stream_close(s);
}

/* ---- pods/exec, pods/attach, pods/portforward ---- */

static void handle_stream(struct kapi_req *r, const char *what)
{
    struct kapi_pool *p = r->pool;
    const char *name = r->name;
    bool portforward = strcmp(what, "portForward") == 0;
    const char *container = portforward ? NULL : kapi_req_param(r, "container");
    /* PortForwardOptions.ports: every value split at commas, each part a
     * 16-bit unsigned number (Convert_Slice_string_To_Slice_int32). */
    struct kapi_buf ports;
    kapi_buf_init(&ports, 0);
    for (size_t i = 0; portforward && i < r->nparams; i++) {
        if (strcmp(r->params[i].name, "ports") != 0)
            continue;
        const char *v = r->params[i].value;
        for (;;) {
            size_t n = strcspn(v, ",");
            const char *part = kapi_pool_strndup(p, v, n);
            bool digits = n > 0;
            unsigned long long x = 0;
            for (size_t k = 0; k < n && digits; k++) {
                digits = part[k] >= '0' && part[k] <= '9';
                if (digits && x <= 0xffffffffull)
                    x = x * 10 + (unsigned long long)(part[k] - '0');
            }
            if (!digits || x > 65535) {
                kapi_buf_dispose(&ports);
                bad_request(r, kapi_pool_printf(p, "cannot convert to []int32: strconv.ParseUint: parsing %s: %s",
                                                kapi_go_quote(p, part, n),
                                                digits ? "value out of range" : "invalid syntax"));
                return;
            }
            kapi_buf_printf(&ports, "%s%llu", ports.len ? "," : "", x);
            if (!v[n])
                break;
            v += n + 1;
        }
    }
    if (kapi_rest_sync(r) < 0) {
        kapi_buf_dispose(&ports);
        return;
    }
    struct kapi_value *pod = get_object(r, "pods", r->ns, name);
    if (!pod || (!portforward && !(container = choose_container(r, pod, name, container)))) {
        kapi_buf_dispose(&ports);
        return;
    }
    const char *node = kapi_value_cstr(kapi_value_path(pod, "spec", "nodeName", NULL));
    if (!node || !*node) {
        kapi_buf_dispose(&ports);
        bad_request(r, kapi_pool_printf(p, "pod %s does not have a host assigned", name));
        return;
    }
    struct kubelet_loc loc;
    if (kubelet_location(r, node, &loc) < 0) {
        kapi_buf_dispose(&ports);
        return;
    }
    struct kapi_buf u;
    kapi_buf_init(&u, 0);
    kapi_buf_printf(&u, "https://%s/%s/", join_host_port(p, loc.host, loc.port), what);
    if (portforward)
        path_escape(&u, kapi_pool_printf(p, "%s/%s", r->ns, name));
    else
        path_escape(&u, kapi_pool_printf(p, "%s/%s/%s", r->ns, name, container));
    /* streamParams, then url.Values.Encode (keys sorted) */
    char sep = '?';
    if (portforward) {
        if (ports.len) {
            kapi_buf_puts(&u, "?port=");
            char *pl = kapi_pool_strndup(p, ports.data, ports.len);
            query_escape(&u, pl);
        }
    } else {
        for (size_t i = 0; strcmp(what, "exec") == 0 && i < r->nparams; i++)
            if (strcmp(r->params[i].name, "command") == 0) {
                kapi_buf_printf(&u, "%ccommand=", sep);
                query_escape(&u, r->params[i].value);
                sep = '&';
            }
        if (param_bool(r, "stderr")) {
            kapi_buf_printf(&u, "%cerror=1", sep);
            sep = '&';
        }
        if (param_bool(r, "stdin")) {
            kapi_buf_printf(&u, "%cinput=1", sep);
            sep = '&';
        }
        if (param_bool(r, "stdout")) {
            kapi_buf_printf(&u, "%coutput=1", sep);
            sep = '&';
        }
        if (param_bool(r, "tty"))
            kapi_buf_printf(&u, "%ctty=1", sep);
    }
    kapi_buf_dispose(&ports);
    struct proxy_target t = {.url = kapi_pool_strndup(p, u.data, u.len), .kubelet_tls = true, .upgrade_required = true};
    kapi_buf_dispose(&u);
    proxy_to(r, &t);
}

/* ---- pods/proxy, services/proxy, nodes/proxy ---- */

/* The path after ".../{name}/proxy" as upstream's getRequestOptions builds
 * it ("" or "/..."; a trailing slash kept), or NULL when the path does not
 * have the expected shape. */
static const char *proxy_subpath(struct kapi_req *r, const char **prefix_out)
{
    const char *prefix = r->ns[0] ? kapi_pool_printf(r->pool, "/api/%s/namespaces/%s/%s/%s/proxy", r->version, r->ns,
                                                     r->resource, r->name)
                                   : kapi_pool_printf(r->pool, "/api/%s/%s/%s/proxy", r->version, r->resource, r->name);
    *prefix_out = prefix;
    size_t n = strlen(prefix);
    const char *path = r->http->path;
    if (strncmp(path, prefix, n) != 0 || (path[n] && path[n] != '/'))
        return NULL;
    return path + n;
}

static void handle_proxy(struct kapi_req *r)
{
    struct kapi_pool *p = r->pool;
    const char *prefix;
    const char *sub = proxy_subpath(r, &prefix);
    if (!sub) {
        bad_request(r, "invalid proxy path");
        return;
    }
    const char *scheme, *name, *port;
    bool valid = split_scheme_name_port(p, r->name, &scheme, &name, &port);
    const char *host = NULL;
    bool kubelet = false;
    if (kapi_rest_sync(r) < 0)
        return;

    if (strcmp(r->resource, "pods") == 0) {
        if (!valid) {
            bad_request(r, kapi_pool_printf(p, "invalid pod request %s", kapi_go_quote(p, r->name, strlen(r->name))));
            return;
        }
        struct kapi_value *pod = get_object(r, "pods", r->ns, name);
        if (!pod)
            return;
        if (!*port) {
            struct kapi_value *cs = kapi_value_path(pod, "spec", "containers", NULL);
            for (size_t i = 0; cs && cs->type == KAPI_V_ARRAY && i < cs->u.arr.len && !*port; i++) {
                struct kapi_value *ports = kapi_obj_get(cs->u.arr.items[i], "ports");
                if (ports && ports->type == KAPI_V_ARRAY && ports->u.arr.len) {
                    struct kapi_value *cp = kapi_obj_get(ports->u.arr.items[0], "containerPort");
                    port = kapi_pool_printf(p, "%lld", cp && cp->type == KAPI_V_INT ? (long long)cp->u.i : 0LL);
                }
            }
        }
        struct kapi_value *ips = kapi_value_path(pod, "status", "podIPs", NULL);
        const char *ip = ips && ips->type == KAPI_V_ARRAY && ips->u.arr.len ? kapi_obj_get_str(ips->u.arr.items[0], "ip")
                                                                             : NULL;
        if (!ip || !global_unicast(ip)) {
            bad_request(r, "address not allowed");
            return;
        }
        host = ip;
    } else if (strcmp(r->resource, "services") == 0) {
        if (!valid) {
            bad_request(r, kapi_pool_printf(p, "invalid service request %s", kapi_go_quote(p, r->name, strlen(r->name))));
            return;
        }
        char *end;
        errno = 0;
        long long pnum = *port ? strtoll(port, &end, 10) : 0;
        if (*port && !*end && !errno) {
            /* a port number names the service port it is */
            struct kapi_value *svc = get_object(r, "services", r->ns, name);
            if (!svc)
                return;
            struct kapi_value *sp = kapi_value_path(svc, "spec", "ports", NULL);
            bool found = false;
            for (size_t i = 0; sp && sp->type == KAPI_V_ARRAY && i < sp->u.arr.len && !found; i++) {
                struct kapi_value *pv = kapi_obj_get(sp->u.arr.items[i], "port");
                if (pv && pv->type == KAPI_V_INT && pv->u.i == pnum) {
                    const char *pn = kapi_obj_get_str(sp->u.arr.items[i], "name");
                    port = pn ? pn : "";
                    found = true;
                }
            }
            if (!found) {
                kapi_respond_status(r, kapi_status_service_unavailable(
                                           p, kapi_pool_printf(p, "no service port %lld found for service %s", pnum,
                                                               kapi_go_quote(p, name, strlen(name)))));
                return;
            }
        }
        struct kapi_value *eps = get_object(r, "endpoints", r->ns, name);
        if (!eps)
            return;
        struct kapi_value *subsets = kapi_obj_get(eps, "subsets");
        size_t nss = subsets && subsets->type == KAPI_V_ARRAY ? subsets->u.arr.len : 0;
        if (!nss) {
            kapi_respond_status(r, kapi_status_service_unavailable(
                                       p, kapi_pool_printf(p, "no endpoints available for service %s",
                                                           kapi_go_quote(p, name, strlen(name)))));
            return;
        }
        /* A random subset to start from, a random address in it; an
         * address counts when it names a pod of this namespace that has
         * that IP (isValidAddress). */
        size_t seed = (size_t)rand();
        for (size_t si = 0; si < nss && !host; si++) {
            struct kapi_value *ss = subsets->u.arr.items[(seed + si) % nss];
            struct kapi_value *addrs = kapi_obj_get(ss, "addresses");
            struct kapi_value *sports = kapi_obj_get(ss, "ports");
            size_t na = addrs && addrs->type == KAPI_V_ARRAY ? addrs->u.arr.len : 0;
            if (!na)
                continue;
            for (size_t pi = 0; sports && sports->type == KAPI_V_ARRAY && pi < sports->u.arr.len && !host; pi++) {
                const char *pn = kapi_obj_get_str(sports->u.arr.items[pi], "name");
                if (strcmp(pn ? pn : "", port) != 0)
                    continue;
                struct kapi_value *epport = kapi_obj_get(sports->u.arr.items[pi], "port");
                size_t aseed = (size_t)rand();
                for (size_t ai = 0; ai < na && !host; ai++) {
                    struct kapi_value *a = addrs->u.arr.items[(aseed + ai) % na];
                    const char *aip = kapi_obj_get_str(a, "ip");
                    struct kapi_value *tref = kapi_obj_get(a, "targetRef");
                    const char *tns = kapi_obj_get_str(tref, "namespace");
                    const char *tname = kapi_obj_get_str(tref, "name");
                    if (!aip || !tref || !tns || strcmp(tns, r->ns) != 0 || !tname)
                        continue;
                    const struct kapi_kind *pk = kapi_registry_find(r->srv->registry, "", "v1", "pods");
                    struct kapi_cobj *po = kapi_rcache_get(pk->rc, kapi_registry_key(p, pk, r->ns, tname));
                    if (!po)
                        continue;
                    struct kapi_value *pod = kapi_cobj_value(po, p);
                    kapi_cobj_unref(po);
                    struct kapi_value *ips = kapi_value_path(pod, "status", "podIPs", NULL);
                    for (size_t k = 0; ips && ips->type == KAPI_V_ARRAY && k < ips->u.arr.len && !host; k++) {
                        const char *pip = kapi_obj_get_str(ips->u.arr.items[k], "ip");
                        if (pip && strcmp(pip, aip) == 0) {
                            host = aip;
                            port = kapi_pool_printf(p, "%lld", epport && epport->type == KAPI_V_INT ? (long long)epport->u.i : 0LL);
                        }
                    }
                }
            }
        }
        if (!host) {
            kapi_respond_status(r, kapi_status_service_unavailable(
                                       p, kapi_pool_printf(p, "no endpoints available for service %s",
                                                           kapi_go_quote(p, r->name, strlen(r->name)))));
            return;
        }
    } else { /* nodes */
        if (!valid) {
            bad_request(r, kapi_pool_printf(p, "invalid node request %s", kapi_go_quote(p, r->name, strlen(r->name))));
            return;
        }
        struct kubelet_loc loc;
        if (kubelet_location(r, name, &loc) < 0)
            return;
        /* isProxyableHostname: every address the name resolves to must be
         * global unicast. */
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int gai = getaddrinfo(loc.host, NULL, &hints, &res);
        if (gai != 0 || !res) {
            bad_request(r, gai == 0 ? "no addresses for hostname"
                                    : kapi_pool_printf(p, "lookup %s: no such host", loc.host));
            if (res)
                freeaddrinfo(res);
            return;
        }
        bool ok = true;
        for (struct addrinfo *ai = res; ai && ok; ai = ai->ai_next) {
            char txt[INET6_ADDRSTRLEN] = "";
            if (ai->ai_family == AF_INET)
                inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, txt, sizeof(txt));
            else if (ai->ai_family == AF_INET6)
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, txt, sizeof(txt));
            ok = global_unicast(txt);
        }
        freeaddrinfo(res);
        if (!ok) {
            bad_request(r, "address not allowed");
            return;
        }
        host = loc.host;
        if (!*port || strcmp(port, loc.port) == 0) {
            kubelet = true;
            scheme = "https";
            port = loc.port;
        }
    }

    /* JoinPreservingTrailingSlash(location path, subpath), then a trailing
     * slash of the request kept; an empty path redirects to ".../proxy/". */
    const char *lpath = *sub ? path_clean(p, sub) : "";
    if (*sub && sub[strlen(sub) - 1] == '/' && strcmp(lpath, "/") != 0)
        lpath = kapi_pool_printf(p, "%s/", lpath);
    if (!*lpath && (strcmp(r->http->method, "GET") == 0 || strcmp(r->http->method, "HEAD") == 0) &&
        !is_upgrade_request(r->http)) {
        const char *q = r->http->query && *r->http->query ? kapi_pool_printf(p, "?%s", r->http->query) : "";
        struct kapi_http_header loc = {"Location", kapi_pool_printf(p, "%s/%s", r->http->path, q)};
        kapi_respond_raw(r, 301, NULL, NULL, 0, &loc, 1);
        return;
    }
    const char *authority = *port ? join_host_port(p, host, port)
                                  : (strchr(host, ':') ? kapi_pool_printf(p, "[%s]", host) : host);
    struct kapi_buf u;
    kapi_buf_init(&u, 0);
    kapi_buf_printf(&u, "%s://%s", *scheme ? scheme : "http", authority);
    path_escape(&u, lpath);
    if (r->http->query && *r->http->query)
        kapi_buf_printf(&u, "?%s", r->http->query);
    struct kapi_buf fu;
    kapi_buf_init(&fu, 0);
    path_escape(&fu, kapi_pool_printf(p, "%s%s", prefix, lpath));
    struct proxy_target t = {.url = kapi_pool_strndup(p, u.data, u.len), .authority = authority,
                             .kubelet_tls = kubelet, .prepend = prefix,
                             .forwarded_uri = kapi_pool_strndup(p, fu.data, fu.len)};
    kapi_buf_dispose(&u);
    kapi_buf_dispose(&fu);
    proxy_to(r, &t);
}

bool kapi_is_connect(const struct kapi_req *r)
{
    if (r->group[0] || !r->subresource || !r->name)
        return false;
    if (strcmp(r->resource, "pods") == 0)
        return strcmp(r->subresource, "log") == 0 || strcmp(r->subresource, "exec") == 0 ||
               strcmp(r->subresource, "attach") == 0 || strcmp(r->subresource, "portforward") == 0 ||
               strcmp(r->subresource, "proxy") == 0;
    return (strcmp(r->resource, "services") == 0 || strcmp(r->resource, "nodes") == 0) &&
           strcmp(r->subresource, "proxy") == 0;
}

void kapi_handle_connect(struct kapi_req *r)
{
    const char *sub = r->subresource;
    if (strcmp(sub, "log") == 0)
        handle_log(r);
    else if (strcmp(sub, "exec") == 0)
        handle_stream(r, "exec");
    else if (strcmp(sub, "attach") == 0)
        handle_stream(r, "attach");
    else if (strcmp(sub, "portforward") == 0)
        handle_stream(r, "portForward");
    else
        handle_proxy(r);
}
