/* storage/etcd3: the etcd v3 backend behind src/storage/storage.h. Speaks
 * native gRPC (HTTP/2 via nghttp2, over plain TCP or TLS with ALPN h2) to one
 * of several etcd endpoints, failing over to the next when a connection
 * breaks. Each kapi watch is one gRPC Watch stream, delivered on its own
 * thread. Design and key mapping: docs/internals/etcd.md. */
#ifndef KAPI_STORAGE_ETCD3_H
#define KAPI_STORAGE_ETCD3_H

#include "../storage.h"

struct kapi_etcd3_opts {
    const char *const *endpoints; /* "https://127.0.0.1:2379", "http://host:port", "[::1]:2379" */
    size_t nendpoints;
    const char *prefix;           /* --etcd-prefix; NULL or "" = "/registry" */
    const char *cafile, *certfile, *keyfile; /* TLS to etcd, all optional */
    int dial_timeout_ms;          /* <= 0: 5000 */
    int request_timeout_ms;       /* <= 0: 10000 */
};

/* Validates the options and prepares the store; it connects lazily, so an
 * etcd that is down now is not an error (operations then fail with
 * KAPI_STORE_UNAVAILABLE until one endpoint answers). Returns NULL with a
 * message in err (if errlen > 0) for bad endpoints or unusable TLS files.
 * Release with kapi_store_close. */
struct kapi_store *kapi_etcd3_open(const struct kapi_etcd3_opts *o, char *err, size_t errlen);

#endif
