/* auth/authn: who is making a request. Combines, in upstream's order, the
 * front proxy's request headers, the verified x509 client certificate (CN =
 * user, O = groups), bearer tokens (the static --token-auth-file CSV, an
 * optional hook such as the service-account token verifier, then bootstrap
 * tokens, OIDC and the webhook) and the anonymous fallback. See
 * docs/internals/authn.md. The
 * authenticator is immutable after creation and safe to share by threads. */
#ifndef KAPI_AUTH_AUTHN_H
#define KAPI_AUTH_AUTHN_H

#include <stddef.h>

#include "../base/base.h"
#include "../http/http.h"

struct kapi_user {
    const char *name;
    const char *uid;     /* "" when none */
    const char **groups;
    size_t ngroups;
    /* user.Info extra as (key, value) pairs, one pair per value, grouped by
     * key in first-seen order; nextra 0 when none (front proxy, webhook). */
    const char **extra_keys;
    const char **extra_values;
    size_t nextra;
};

#define KAPI_USER_ANONYMOUS "system:anonymous"
#define KAPI_GROUP_AUTHENTICATED "system:authenticated"
#define KAPI_GROUP_UNAUTHENTICATED "system:unauthenticated"

struct kapi_authn;

/* Loads the static token CSV (token,user,uid[,"group1,group2"]) when
 * token_auth_file is non-NULL. Returns NULL with a message in err when the
 * file cannot be read or parsed (the message names the line). */
struct kapi_authn *kapi_authn_new(const char *token_auth_file, char *err, size_t errlen);
/* The same from bytes in memory; name is only used in messages. Exposed for
 * tests and the fuzzer. data need not be NUL-terminated. */
struct kapi_authn *kapi_authn_new_from_memory(const char *name, const char *data, size_t len, char *err,
                                              size_t errlen);
void kapi_authn_free(struct kapi_authn *a); /* NULL is a no-op */
size_t kapi_authn_token_count(const struct kapi_authn *a);

/* An extra token authenticator consulted after the token file: returns 1 and
 * fills *out (strings from pool) when it recognises token, 0 otherwise. */
typedef int (*kapi_authn_token_fn)(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out);
/* Installs the hook; call before the authenticator is shared. */
void kapi_authn_set_token_hook(struct kapi_authn *a, kapi_authn_token_fn fn, void *ctx);

/* The rest of upstream's chain (pkg/kubeapiserver/authenticator): a request
 * authenticator consulted before the client certificate (the front proxy's
 * request headers), and token authenticators consulted after the token
 * file and the hook, in the order added (bootstrap tokens, OIDC, webhook).
 * Both return 1 = authenticated (*out filled, strings from pool), 0 = not
 * mine, -1 = failed (*why: a message for the log, may be left NULL). As in
 * upstream's union, a failure does not stop later authenticators: the
 * request is rejected only when none succeeds. Install before sharing. */
typedef int (*kapi_authn_request_fn)(void *ctx, struct kapi_pool *pool, const struct kapi_http_peer *peer,
                                     struct kapi_user *out, const char **why);
typedef int (*kapi_authn_token_auth_fn)(void *ctx, struct kapi_pool *pool, const char *token,
                                        struct kapi_user *out, const char **why);
void kapi_authn_set_request_authenticator(struct kapi_authn *a, kapi_authn_request_fn fn, void *ctx);
/* Returns 0, or -1 when the chain is full (8 authenticators). */
int kapi_authn_add_token_authenticator(struct kapi_authn *a, const char *name, kapi_authn_token_auth_fn fn,
                                       void *ctx);
/* --anonymous-auth (default true). With false, a request that no
 * authenticator recognises is INVALID (401) instead of system:anonymous. */
void kapi_authn_set_anonymous(struct kapi_authn *a, bool allow);
/* Makes the x509 authenticator verify the peer's chain against this CA
 * itself (needed once the TLS layer also trusts another CA, the front
 * proxy's). A certificate that does not chain to it is a failure. Returns 0,
 * or -1 with err when the file has no certificate. */
int kapi_authn_set_client_ca(struct kapi_authn *a, const char *ca_file, char *err, size_t errlen);

/* A set of trusted CA certificates for verifying client certificate chains
 * (x509 and the front proxy). Immutable once loaded; safe to share. */
struct kapi_x509_pool;
struct kapi_x509_pool *kapi_x509_pool_load(const char *file, char *err, size_t errlen);
struct kapi_x509_pool *kapi_x509_pool_from_pem(const char *pem, size_t len, char *err, size_t errlen);
void kapi_x509_pool_free(struct kapi_x509_pool *p);
/* Verifies peer's leaf (with the intermediates it sent) against the pool for
 * client authentication, at the current time. Returns 0, or -1 with err
 * (Go's wording: "x509: certificate signed by unknown authority", ...). */
int kapi_x509_pool_verify_peer(const struct kapi_x509_pool *p, const struct kapi_http_peer *peer, char *err,
                               size_t errlen);

enum kapi_authn_result { KAPI_AUTHN_OK = 0, KAPI_AUTHN_ANONYMOUS = 1, KAPI_AUTHN_INVALID = -1 };

/* Authenticates one request. peer may be NULL; authorization is the first
 * Authorization header or NULL. Strings in *out come from pool (or are static).
 * OK: a certificate with a CN, or a known bearer token; "system:authenticated"
 * is appended to the groups unless the user is system:anonymous or already
 * has it or system:unauthenticated. ANONYMOUS: no usable credentials (also an
 * Authorization header with another scheme, or "Bearer" with an empty token,
 * as upstream) -> system:anonymous / system:unauthenticated. INVALID: a bearer
 * token nobody recognises -> the caller answers 401. */
enum kapi_authn_result kapi_authn_authenticate(struct kapi_authn *a, struct kapi_pool *pool,
                                               const struct kapi_http_peer *peer, const char *authorization,
                                               struct kapi_user *out);

#endif
