/* storage/etcd3 internals: the hand-written protobuf codec for the etcd v3
 * messages kapi uses (pb.c) and the small gRPC-over-HTTP/2 client (grpc.c).
 * Only etcd3.c, the tests and the fuzzer include this. */
#ifndef KAPI_STORAGE_ETCD3_INT_H
#define KAPI_STORAGE_ETCD3_INT_H

#include <openssl/ssl.h>

#include "../storage.h"

/* ---- protobuf (pb.c) ---- */

/* Compare.target and Compare.result values from rpc.proto. */
enum { KAPI_EPB_CMP_EQUAL = 0, KAPI_EPB_CMP_GREATER = 1 };
enum { KAPI_EPB_TARGET_CREATE = 1, KAPI_EPB_TARGET_MOD = 2 };
enum kapi_epb_op { KAPI_EPB_PUT, KAPI_EPB_DELETE };

/* One single-key transaction: if (compare) { put or delete, with prev_kv }
 * else { range key }. */
struct kapi_epb_txn {
    const char *key;
    size_t klen;
    int cmp_target, cmp_result;
    int64_t cmp_value;
    enum kapi_epb_op op;
    const void *value;
    size_t vlen;
};

/* Encoders append one gRPC-framed message (5-byte prefix + body) to b. */
void kapi_epb_range(struct kapi_buf *b, const char *key, size_t klen, const char *end, size_t elen,
                    int64_t limit, int64_t rev, bool count_only);
void kapi_epb_txn(struct kapi_buf *b, const struct kapi_epb_txn *t);
void kapi_epb_compact(struct kapi_buf *b, int64_t rev, bool physical);
void kapi_epb_watch_create(struct kapi_buf *b, const char *key, size_t klen, const char *end,
                           size_t elen, int64_t start_rev);

/* A WatchRequest asking for a progress notification on the stream. */
void kapi_epb_watch_progress(struct kapi_buf *b);

/* What any of the decoded responses carries; unused parts stay zero. Keys
 * are etcd keys (heap, NUL-terminated); values are blobs (empty, not NULL,
 * for an empty value; NULL only for a deletion event's kv). */
struct kapi_epb_resp {
    int64_t revision;            /* header.revision */
    bool succeeded;              /* Txn */
    bool more;                   /* Range */
    int64_t count;               /* Range */
    struct kapi_kv *kvs;         /* Range, or the Txn's failure-branch Range */
    size_t nkvs;
    struct kapi_kv prev;         /* Txn success: the put/delete's prev_kv */
    bool has_prev;
    int64_t watch_id;            /* Watch */
    bool created, canceled;
    int64_t compact_revision;
    struct kapi_event *events;
    size_t nevents;
};

/* Decoders of a message body (without the gRPC prefix). Return 0, or -1 for
 * malformed input (r is then disposed and zeroed). */
int kapi_epb_decode_range(const void *p, size_t n, struct kapi_epb_resp *r);
int kapi_epb_decode_txn(const void *p, size_t n, struct kapi_epb_resp *r);
int kapi_epb_decode_header(const void *p, size_t n, struct kapi_epb_resp *r); /* Compact etc. */
int kapi_epb_decode_watch(const void *p, size_t n, struct kapi_epb_resp *r);
void kapi_epb_resp_dispose(struct kapi_epb_resp *r);

/* ---- gRPC client (grpc.c) ---- */

struct kapi_grpc_endpoint {
    bool tls;
    char host[256];     /* without IPv6 brackets */
    char port[16];
    char authority[300];
};

/* Parses "http://h:p", "https://h:p" or "h:p" (https when default_tls). */
int kapi_grpc_endpoint_parse(const char *s, bool default_tls, struct kapi_grpc_endpoint *ep);

struct kapi_grpc_conn;
struct kapi_grpc_call;

/* Connects (TCP, then TLS with ALPN h2 when ep->tls), bounded by timeout_ms,
 * and starts the connection's I/O thread. NULL with err filled on failure. */
struct kapi_grpc_conn *kapi_grpc_dial(const struct kapi_grpc_endpoint *ep, SSL_CTX *tls,
                                      int timeout_ms, int keepalive_ms, char *err, size_t errlen);
/* True while new calls may be started on the connection. */
bool kapi_grpc_usable(struct kapi_grpc_conn *c);
/* True once the I/O thread has finished (kapi_grpc_join will not block). */
bool kapi_grpc_finished(struct kapi_grpc_conn *c);
/* Stops the I/O thread (pending calls end UNAVAILABLE) and waits for it. */
void kapi_grpc_join(struct kapi_grpc_conn *c);
void kapi_grpc_ref(struct kapi_grpc_conn *c);
void kapi_grpc_unref(struct kapi_grpc_conn *c);   /* frees memory only; join first */

/* One request, one response. Returns KAPI_STORE_OK when a gRPC status was
 * received (in *status, with grpc-message in msg), else UNAVAILABLE (the
 * connection broke; *sent says whether the request may have reached the
 * server), TIMEOUT or IO. On status 0 *resp is the message body (free()). */
int kapi_grpc_unary(struct kapi_grpc_conn *c, const char *path, const struct kapi_buf *req,
                    int timeout_ms, int *status, char *msg, size_t msglen, char **resp,
                    size_t *resplen, bool *sent);

/* Server-streaming use of a bidirectional method: sends the one framed
 * request and keeps the stream open. on_msg runs on the I/O thread for each
 * message; on_end exactly once when the stream is over (err != 0 unless the
 * server closed it with status 0), then release(ctx); nothing after that.
 * Returns NULL (and calls nothing) if the connection is not usable. */
struct kapi_grpc_stream_cbs {
    void (*on_msg)(void *ctx, const uint8_t *msg, size_t len);
    void (*on_end)(void *ctx, int err);
    void (*release)(void *ctx);
};
struct kapi_grpc_call *kapi_grpc_stream(struct kapi_grpc_conn *c, const char *path,
                                        const struct kapi_buf *req,
                                        const struct kapi_grpc_stream_cbs *cbs, void *ctx);
/* Sends one more request message on an open stream (a watch's progress
 * request). False when the stream ended or a message is still queued. */
bool kapi_grpc_stream_send(struct kapi_grpc_call *call, const struct kapi_buf *msg);
/* Resets the stream (no-op once it ended); on_end still follows. */
void kapi_grpc_cancel(struct kapi_grpc_call *call);
void kapi_grpc_call_unref(struct kapi_grpc_call *call);

#endif
