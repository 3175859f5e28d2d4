/* api/continue: the opaque "continue" token of chunked LIST, in upstream's
 * format so tokens are interchangeable with kube-apiserver's: unpadded
 * URL-safe base64 of {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key
 * after the listed prefix>"}. Decoding applies upstream's checks and error
 * texts ("continue key is not valid: ..."). */
#ifndef KAPI_API_CONTINUE_H
#define KAPI_API_CONTINUE_H

#include "../base/base.h"

#define KAPI_CONTINUE_VERSION "meta.k8s.io/v1"

/* Token for resuming at start (relative to the listed prefix, e.g.
 * "ns/name") at revision rv. Allocated from pool. */
char *kapi_continue_encode(struct kapi_pool *pool, int64_t rv, const char *start);
/* Same for start[0..start_len), which may hold NUL bytes. */
char *kapi_continue_encode_n(struct kapi_pool *pool, int64_t rv, const char *start, size_t start_len);
/* Same from a full key: key must begin with key_prefix and be longer than
 * it; otherwise returns NULL and sets *err to upstream's message. */
char *kapi_continue_encode_key(struct kapi_pool *pool, const char *key, size_t key_len, const char *key_prefix,
                               int64_t rv, const char **err);

/* Decodes a NUL-terminated token. Returns 0 with *rv and *start (relative
 * start key, cleaned, from pool) set, or -1 with *err set to upstream's
 * message ("continue key is not valid: ..."). *rv is never 0; a negative
 * rv asks for an inconsistent continuation at the latest revision (upstream
 * issues such tokens after compaction). */
int kapi_continue_decode(struct kapi_pool *pool, const char *token, int64_t *rv, const char **start,
                         const char **err);

struct kapi_continue {
    int64_t rv;
    const char *start; /* relative start key, cleaned ("a/b"), may be "" */
    size_t start_len;
    const char *key;   /* key_prefix + start */
    size_t key_len;
};

/* The full form: token[0..len), joins the start onto key_prefix (NULL =
 * ""), keeps lengths. Same checks and errors as kapi_continue_decode. */
int kapi_continue_decode_key(struct kapi_pool *pool, const char *token, size_t len, const char *key_prefix,
                             struct kapi_continue *out, const char **err);

#endif
