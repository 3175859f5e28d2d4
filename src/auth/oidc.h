/* auth/oidc: OpenID Connect ID tokens (--oidc-*). Discovery
 * (<issuer>/.well-known/openid-configuration -> jwks_uri) runs in the
 * background and is retried every 10 s until it succeeds; until then tokens
 * for this issuer fail ("oidc: authenticator not initialized"). The JWKS is
 * fetched on first use and again whenever a signature does not verify with
 * the keys at hand (a rotated key). Tokens whose unverified "iss" is not
 * the issuer are left to other authenticators. */
#ifndef KAPI_AUTH_OIDC_H
#define KAPI_AUTH_OIDC_H

#include <stdint.h>

#include "../base/base.h"
#include "authn.h"

struct kapi_oidc_opts {
    const char *issuer_url;                /* --oidc-issuer-url (https) */
    const char *client_id;                 /* --oidc-client-id: the required audience */
    const char *username_claim;            /* --oidc-username-claim, default "sub" */
    const char *username_prefix;           /* --oidc-username-prefix; NULL or "" = unset ("-" = none) */
    const char *groups_claim;              /* --oidc-groups-claim; NULL = no groups */
    const char *groups_prefix;             /* --oidc-groups-prefix */
    const char *ca_file;                   /* --oidc-ca-file; NULL (and no ca_pem) = system roots */
    const char *ca_pem;
    const char *const *required_claims;    /* --oidc-required-claim "key=value" entries */
    size_t nrequired;
    const char *const *signing_algs;       /* --oidc-signing-algs, default RS256 */
    size_t nalgs;
    int retry_ms;                          /* discovery retry interval; 0 = 10 s */
    int64_t now_unix;                      /* tests: fixed clock; 0 = wall clock */
    bool allow_http;                       /* tests only */
};

struct kapi_oidc;
/* Validates the options (upstream's messages) and starts discovery. */
struct kapi_oidc *kapi_oidc_new(const struct kapi_oidc_opts *o, char *err, size_t errlen);
void kapi_oidc_free(struct kapi_oidc *o); /* stops the discovery thread */
/* Whether discovery has succeeded. */
bool kapi_oidc_ready(struct kapi_oidc *o);
/* Waits up to timeout_ms for discovery; true when ready. */
bool kapi_oidc_wait_ready(struct kapi_oidc *o, int timeout_ms);
/* A kapi_authn_token_auth_fn (ctx: the struct kapi_oidc). */
int kapi_oidc_authenticate(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out,
                           const char **why);
/* How many times the JWKS was fetched (tests). */
uint64_t kapi_oidc_jwks_fetches(const struct kapi_oidc *o);

#endif
