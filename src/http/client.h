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
    bool allow_http;            /* permit http:// (tests only; the API proxies use it for http backends) */
    bool insecure_skip_verify;  /* no certificate or name check (kubelets without --kubelet-certificate-authority) */
    bool forward;               /* proxying: the caller's headers go as given (Content-Type, User-Agent,
                                   Accept, ...: nothing is added); only Host, Content-Length,
                                   Transfer-Encoding and the hop-by-hop headers are refused */
    const char *upgrade;        /* kapi_http_client_open only: send "Connection: Upgrade" and
                                   "Upgrade: <this>" and accept a 101 answer */
    int head_timeout_ms;        /* kapi_http_client_open only: wait for the response head this long
                                   after the request went out (0: what is left of timeout_ms) */
};

struct kapi_http_client_resp {
    int status;                 /* HTTP status; 3xx is returned as is, never followed */
    char *body;                 /* NUL-terminated (never NULL after success); free with dispose */
    size_t body_len;
    char *content_type;         /* Content-Type value, or NULL when absent */
    char *location;             /* Location value, or NULL (so callers can report redirects) */
    struct kapi_http_header *headers; /* every header of the final head (streaming parser only) */
    size_t nheaders;
    char err[512];              /* transport error, Go-style: Post "https://x/y": context deadline exceeded */
};

/* The error text of a failed request as Go's url.Error prints it:
 * method "Get" and the URL quoted, then msg. */
void kapi_http_client_format_error(char *out, size_t outlen, const char *method, const char *url, const char *msg);

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

/* The parser as kapi_http_client_open runs it: a 101 answer is final and
 * what follows it comes back as the body, the final head's headers are kept
 * in headers/nheaders, and the body has no cap. For the fuzzer and tests. */
int kapi_http_client_parse_stream_pieces(const char *data, size_t len, size_t step,
                                         struct kapi_http_client_resp *out);

/* ---- streaming: a response read as it arrives, or a connection taken over
 * after 101 Switching Protocols ----
 *
 * kapi_http_client_open connects (under timeout_ms), sends the request and
 * reads the response head (under head_timeout_ms). It returns NULL with the
 * error in err as Go's transport words it, without the url.Error prefix
 * ("dial tcp 10.0.0.5:10250: connect: connection refused"; see
 * kapi_http_client_format_error). Any status is a success, redirects are not followed.
 * The caller's thread must have SIGPIPE blocked (the server's threads do). */
#define KAPI_HTTP_CLIENT_AGAIN (-2) /* nothing arrived in time / would block */
#define KAPI_HTTP_CLIENT_ERR (-1)   /* see kapi_http_client_stream_error */
struct kapi_http_client_stream;
struct kapi_http_client_stream *kapi_http_client_open(const struct kapi_http_client_req *req, char *err,
                                                      size_t errlen);
int kapi_http_client_stream_status(const struct kapi_http_client_stream *s);
/* The response's headers, as received (valid until close). */
const struct kapi_http_header *kapi_http_client_stream_headers(const struct kapi_http_client_stream *s, size_t *n);
/* Decoded body bytes (Content-Length, chunked or up to EOF): >0 bytes, 0 at
 * the end of the body, KAPI_HTTP_CLIENT_AGAIN when nothing came within
 * timeout_ms (0: do not wait), KAPI_HTTP_CLIENT_ERR on a broken connection
 * or framing. Not for upgraded connections. */
long kapi_http_client_stream_read(struct kapi_http_client_stream *s, void *buf, size_t n, int timeout_ms);
/* After a 101: the raw connection. raw_read never blocks: >0 bytes (those
 * that came right after the head first), 0 at the end, AGAIN when nothing is
 * there (poll stream_fd for POLLIN, unless raw_pending), ERR. raw_write
 * never blocks either: bytes written (>0; over plain TCP possibly fewer than
 * n), AGAIN (poll for POLLOUT, then call again with the same buffer and
 * length, as OpenSSL requires), ERR. */
int kapi_http_client_stream_fd(const struct kapi_http_client_stream *s);
bool kapi_http_client_stream_raw_pending(const struct kapi_http_client_stream *s);
long kapi_http_client_stream_raw_read(struct kapi_http_client_stream *s, void *buf, size_t n);
long kapi_http_client_stream_raw_write(struct kapi_http_client_stream *s, const void *buf, size_t n);
const char *kapi_http_client_stream_error(const struct kapi_http_client_stream *s);
/* Closes the connection (no close_notify: the caller may be cutting a
 * stream short) and frees s. NULL is fine. */
void kapi_http_client_stream_close(struct kapi_http_client_stream *s);

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
