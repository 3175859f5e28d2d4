/* auth/bootstrap_token: --enable-bootstrap-token-auth. A bearer token
 * "<id>.<secret>" (6 + 16 characters of [a-z0-9]) is checked against the
 * Secret kube-system/bootstrap-token-<id> of type
 * bootstrap.kubernetes.io/token; the user is system:bootstrap:<id> in
 * system:bootstrappers plus the Secret's auth-extra-groups. */
#ifndef KAPI_AUTH_BOOTSTRAP_TOKEN_H
#define KAPI_AUTH_BOOTSTRAP_TOKEN_H

#include <stdint.h>

#include "../base/base.h"
#include "../codec/value.h"
#include "authn.h"

/* Returns the Secret ns/name as a decoded object (from pool), or NULL. */
typedef struct kapi_value *(*kapi_bootstrap_secret_fn)(void *ctx, struct kapi_pool *pool, const char *ns,
                                                       const char *name);

struct kapi_bootstrap_token {
    kapi_bootstrap_secret_fn get_secret;
    void *ctx;
    int64_t now_unix; /* 0 = the wall clock (tests set it) */
};

/* A kapi_authn_token_auth_fn; ctx is a struct kapi_bootstrap_token (which
 * must outlive the authenticator). Every rejection is "not mine" (0), as
 * upstream: the request then fails as an invalid bearer token. */
int kapi_bootstrap_token_authenticate(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out,
                                      const char **why);

/* A kapi_bootstrap_secret_fn reading the watch cache; ctx is the struct
 * kapi_registry. */
struct kapi_value *kapi_bootstrap_secret_from_registry(void *registry, struct kapi_pool *pool, const char *ns,
                                                       const char *name);

/* RFC 3339 time ("2006-01-02T15:04:05Z07:00", optional fraction) to Unix
 * seconds; -1 when malformed. Shared with the tests. */
int kapi_rfc3339_parse(const char *s, int64_t *out);

#endif
