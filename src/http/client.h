/* http client: a small, bounded, blocking HTTPS/1.1 client for calling
 * webhooks (CRD conversion now; admission and token review later). One
 * request per connection (no pooling), TLS 1.2+ with certificate and
 * host/IP verification, a single deadline for the whole exchange, capped
 * response head and body, and redirects never followed. Thread-safe: any
 * number of threads may call kapi_http_client_do at once. */
#ifndef KAPI_HTTP_CLIENT_H
#define KAPI_HTTP_CLIENT_H

#include "../base/base.h"
#include "http.h"

#define KAPI_HTTP_CLIENT_DEFAULT_TIMEOUT_MS 30000
#define KAPI_HTTP_CLIENT_DEFAULT_MAX_RESPONSE ((size_t)3 << 20)
#define KAPI_HTTP_CLIENT_MAX_HEAD ((size_t)64 << 10) /* status line + headers */

struct kapi_http_client_req {
    const char *url;            /* https://host[:port][/path][?query]; IPv6 as [::1]. A #fragment is
                                   dropped; user info is refused. http:// only with allow_http. */
    const char *method;         /* default "POST" */
    const char *content_type;   /* default "application/json"; sent only with a body */
    const void *body;
    size_t body_len;            /* Content-Length is always sent for POST/PUT/PATCH */
    const struct kapi_http_header *headers; /* extra request headers (e.g. Authorization); */
    size_t nheaders;                        /* Host, Content-Length, Connection, ... are refused */
    const char *user_agent;     /* default "kapi" */
    const char *ca_pem;         /* PEM CA bundle to trust; NULL = the system roots */
    size_t ca_len;              /* 0 = strlen(ca_pem) */
    const char *client_cert_pem;/* optional client certificate (chain) and key, PEM */
    const char *client_key_pem;
    const char *server_name;    /* name (or IP) to verify and send as SNI; default the URL host.
                                   For a service reference upstream verifies "<svc>.<ns>.svc". */
    int timeout_ms;             /* whole exchange (resolve, connect, TLS, write, read); 0 = 30 s */
    size_t max_response;        /* cap on response body bytes; 0 = 3 MiB; past it -> error */
    bool allow_http;            /* permit http:// (tests only) */
};

struct kapi_http_client_resp {
    int status;                 /* HTTP status; 3xx is returned as is, never followed */
    char *body;                 /* NUL-terminated (never NULL after success); free with dispose */
    size_t body_len;
    char *content_type;         /* Content-Type value, or NULL when absent */
    char *location;             /* Location value, or NULL (so callers can report redirects) */
    char err[512];              /* transport error, Go-style: Post "https://x/y": context deadline exceeded */
};

/* Performs one request. Returns 0 when a complete response arrived (any HTTP
 * status), -1 on a transport, TLS or framing error with resp->err set (and
 * status 0). resp is always initialised; dispose it in both cases. */
int kapi_http_client_do(const struct kapi_http_client_req *req, struct kapi_http_client_resp *resp);
void kapi_http_client_resp_dispose(struct kapi_http_client_resp *resp);

/* Parses a complete response data[0..len), where the end of data is the end
 * of the connection. Informational (1xx) responses are skipped. max_body 0
 * means the 3 MiB default. Returns 0 and fills status, body, content_type
 * and location, or -1 with out->err (no "Post ..." prefix). Dispose out in
 * both cases. For the fuzzer and the tests. */
int kapi_http_client_parse_response(const char *data, size_t len, size_t max_body,
                                    struct kapi_http_client_resp *out);

/* The same, with the bytes fed to the incremental parser step bytes at a
 * time (0 = all at once), as reads from a connection would deliver them. */
int kapi_http_client_parse_response_pieces(const char *data, size_t len, size_t max_body, size_t step,
                                           struct kapi_http_client_resp *out);

/* The parts of a request URL, as kapi_http_client_do sees them. */
struct kapi_http_client_url {
    bool https;
    char host[256];     /* without brackets for IPv6 */
    bool host_is_ip;
    char port[6];       /* decimal; 443 / 80 when absent */
    char authority[270];/* host[:port] exactly as for the Host header (IPv6 bracketed) */
    char target[4096];  /* origin-form path and query ("/" when empty) */
};
/* Returns 0, or -1 with a message in err (errlen). For the tests. */
int kapi_http_client_parse_url(const char *url, struct kapi_http_client_url *out, char *err, size_t errlen);

/* Frees the cached TLS contexts (for leak checkers at exit). Not to be
 * called while requests are running. */
void kapi_http_client_cleanup(void);

#endif
