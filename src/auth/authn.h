/* auth/authn: who is making a request. Combines, in upstream's order, the
 * verified x509 client certificate (CN = user, O = groups), bearer tokens
 * (the static --token-auth-file CSV, then an optional hook such as the
 * service-account token verifier) and the anonymous fallback. The
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
