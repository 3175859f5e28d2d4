/* http: an HTTPS/1.1 server. TLS (OpenSSL) with optional client
 * certificates, keep-alive, Content-Length and chunked request bodies with a
 * hard size limit, plain and chunked (streaming) responses, timeouts for slow
 * and idle clients, graceful stop. Knows nothing about Kubernetes: it hands
 * each parsed request to one handler function. */
#ifndef KAPI_HTTP_H
#define KAPI_HTTP_H

#include "../base/base.h"

struct kapi_http_header {
    const char *name;   /* as received; compare case-insensitively */
    const char *value;  /* leading/trailing whitespace trimmed */
};

/* Why a request reached the handler in a degraded state. The handler must
 * still answer (the server closes the connection after it). */
enum kapi_http_req_error {
    KAPI_HTTP_OK = 0,
    KAPI_HTTP_BODY_TOO_LARGE, /* body longer than cfg.max_body; body is NULL */
};

/* The peer's verified TLS client certificate, if it sent one that chains to
 * the client CA. Absent when no certificate was sent. */
struct kapi_http_request;
struct kapi_http_peer {
    bool has_cert;
    const char *cn;           /* subject CommonName */
    const char **orgs;        /* subject O= values, in order */
    size_t norgs;
    /* The leaf certificate (DER) and the intermediates the client sent after
     * it (their DER encodings back to back), for authenticators that check
     * the chain against a CA of their own (front-proxy request headers). */
    const unsigned char *cert_der;
    size_t cert_der_len;
    const unsigned char *chain_der;
    size_t chain_der_len;
    /* The request this peer arrived with (set by the server for each
     * request; NULL elsewhere): lets authenticators read its headers. */
    const struct kapi_http_request *request;
};

/* Fills peer's identity (CN, O values, leaf DER) from a verified
 * certificate (an OpenSSL X509); kapi_http_peer_clear releases it all. */
struct x509_st;
void kapi_http_peer_fill(struct kapi_http_peer *peer, struct x509_st *x);
void kapi_http_peer_clear(struct kapi_http_peer *peer);

struct kapi_http_request {
    struct kapi_pool *pool;   /* lives until the response is complete */
    const char *method;       /* "GET", ... */
    const char *target;       /* raw request-target, e.g. "/api/v1/pods?limit=5" */
    const char *path;         /* target before '?', percent-decoded */
    const char *raw_path;     /* target before '?', as sent */
    const char *query;        /* after '?', raw (not decoded); "" when none */
    struct kapi_http_header *headers;
    size_t nheaders;
    const char *body;         /* NUL-terminated copy; NULL when no body */
    size_t body_len;
    enum kapi_http_req_error error;
    struct kapi_http_peer peer;
    const char *remote_addr;  /* "127.0.0.1:53211" */
    void *conn;               /* opaque, for the response functions */
};

/* First header with this name (case-insensitive), or NULL. */
const char *kapi_http_header(const struct kapi_http_request *req, const char *name);

/* Writes a complete response with Content-Length. hdrs may be NULL. The
 * server adds Date, Content-Length and keep-alive handling (and
 * Connection: close when it will close). Call exactly once per request,
 * unless streaming. Returns 0, or -1 if the client went away. */
int kapi_http_respond(struct kapi_http_request *req, int status, const struct kapi_http_header *hdrs,
                      size_t nhdrs, const void *body, size_t len);

/* Streaming (Transfer-Encoding: chunked): begin once, write any number of
 * chunks (each is sent and flushed at once), then end. write returns -1 once
 * the client is gone; the handler should then stop and call end. */
int kapi_http_stream_begin(struct kapi_http_request *req, int status, const struct kapi_http_header *hdrs,
                           size_t nhdrs);
int kapi_http_stream_write(struct kapi_http_request *req, const void *data, size_t len);
void kapi_http_stream_end(struct kapi_http_request *req);
/* True when the client has closed its side or the server is stopping
 * (cheap: a non-blocking poll). Long-running handlers check it. */
bool kapi_http_client_gone(struct kapi_http_request *req);

/* Taking over the connection, for a handler that switches protocols (a
 * 101 answer to an Upgrade request, relayed from a backend). hijack writes
 * head[0..len) as given: the caller builds the status line and every header
 * (no Date, no framing are added). The request then counts as answered, and
 * the connection is closed when the handler returns: it never goes back to
 * the keep-alive pool. From then on the handler moves bytes itself:
 * raw_read never blocks and returns >0 bytes (first any the client sent
 * along with its request), 0 at the end of the stream, KAPI_HTTP_RAW_AGAIN
 * when nothing is there (poll raw_fd for POLLIN unless raw_pending), -1 on an
 * error or once the server is stopping. raw_write never blocks either: it
 * returns the bytes written (all of them), KAPI_HTTP_RAW_AGAIN (poll raw_fd
 * for POLLOUT, then call again with the same buffer and length, as OpenSSL
 * requires), or -1. Handler thread only. */
#define KAPI_HTTP_RAW_AGAIN (-2)
int kapi_http_hijack(struct kapi_http_request *req, const void *head, size_t len);
int kapi_http_raw_fd(struct kapi_http_request *req);
bool kapi_http_raw_pending(struct kapi_http_request *req);
long kapi_http_raw_read(struct kapi_http_request *req, void *buf, size_t n);
long kapi_http_raw_write(struct kapi_http_request *req, const void *buf, size_t n);

typedef void (*kapi_http_handler_fn)(void *ctx, struct kapi_http_request *req);

struct kapi_http_config {
    const char *bind_address;  /* "127.0.0.1", "0.0.0.0", "::" */
    int port;                  /* 0 = ephemeral; see kapi_http_server_port */
    const char *cert_file;     /* PEM serving certificate (chain) */
    const char *key_file;      /* PEM private key */
    const char *client_ca_file;/* PEM CA for client certificates; NULL = none asked */
    const char *extra_client_ca_file; /* further PEM CAs client certificates may chain to (the
                                         front-proxy --requestheader-client-ca-file); needs client_ca_file */
    size_t max_header_bytes;   /* request line + headers; default 1 MiB -> 431 */
    size_t max_body;           /* default 3 MiB -> KAPI_HTTP_BODY_TOO_LARGE */
    int header_timeout_ms;     /* time to receive a full request head; default 60000 */
    int body_timeout_ms;       /* time to receive a body; default 60000 */
    int idle_timeout_ms;       /* keep-alive idle; default 90000 */
    int max_connections;       /* default 10000; further accepts are closed at once */
};

struct kapi_http_server;

/* Creates the listener and TLS context and starts serving with handler on
 * its own threads. Returns NULL with a message in err (size errlen) on
 * failure (bad cert, port in use). */
struct kapi_http_server *kapi_http_server_start(const struct kapi_http_config *cfg, kapi_http_handler_fn handler,
                                                void *ctx, char *err, size_t errlen);
int kapi_http_server_port(const struct kapi_http_server *srv);
/* Stops accepting, lets in-flight requests finish for up to grace_ms, marks
 * streams gone so long-running handlers end, closes idle connections, then
 * frees the server. */
void kapi_http_server_stop(struct kapi_http_server *srv, int grace_ms);

#endif
