/* auth/satoken: service-account tokens as kube-apiserver issues and checks
 * them. Signs bound tokens (TokenRequest: RS256 JWTs with the "kubernetes.io"
 * private claims) and legacy secret tokens, verifies both kinds, and renders
 * the OIDC discovery documents. Storage-free: whether the service account and
 * bound objects still exist is asked through a callback. Immutable (and safe
 * to share between threads) once created and configured. */
#ifndef KAPI_AUTH_SATOKEN_H
#define KAPI_AUTH_SATOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"
#include "authn.h"

#define KAPI_SATOKEN_DEFAULT_ISSUER "https://kubernetes.default.svc.cluster.local"
#define KAPI_SATOKEN_LEGACY_ISSUER "kubernetes/serviceaccount"
#define KAPI_SATOKEN_MAX_LEN 16384          /* longer bearer tokens are not ours */
#define KAPI_SATOKEN_DEFAULT_EXPIRATION 3600 /* TokenRequest spec.expirationSeconds default */
#define KAPI_SATOKEN_MIN_EXPIRATION 600
#define KAPI_SATOKEN_MAX_EXPIRATION 4294967296LL /* 2^32 */
#define KAPI_SATOKEN_WARN_ONLY_EXPIRATION 3607   /* kubelet's "extend me" marker */
#define KAPI_SATOKEN_EXTENDED_EXPIRATION (365LL * 24 * 3600)
#define KAPI_SATOKEN_LEEWAY 60 /* seconds of clock skew allowed on exp/nbf/iat */

struct kapi_satoken;

/* Loads keys and fixes the signing issuer. signing_key_file (PEM private
 * RSA key) may be NULL for a verify-only instance. verify_key_files: PEM
 * files holding public keys, private keys or certificates (several blocks per
 * file allowed), as --service-account-key-file; when nverify is 0 the signing
 * key's public half is used. issuer NULL means the default. Returns NULL with
 * a message in err on unreadable or non-RSA keys. */
struct kapi_satoken *kapi_satoken_new(const char *issuer, const char *signing_key_file,
                                      const char *const *verify_key_files, size_t nverify, char *err,
                                      size_t errlen);
/* The same from PEM bytes in memory (tests, fuzzing, keys not on disk). */
struct kapi_satoken *kapi_satoken_new_mem(const char *issuer, const char *signing_pem, size_t signing_len,
                                          const char *const *verify_pems, const size_t *verify_lens,
                                          size_t nverify, char *err, size_t errlen);
void kapi_satoken_free(struct kapi_satoken *t); /* NULL is a no-op */

/* Server flags beyond the keys; all fields optional (zero = upstream default). */
struct kapi_satoken_opts {
    const char *const *extra_issuers; /* further accepted --service-account-issuer values */
    size_t nextra_issuers;
    const char *const *api_audiences; /* --api-audiences; default: all issuers */
    size_t napi_audiences;
    int64_t max_expiration_seconds;   /* --service-account-max-token-expiration; 0 = none */
    bool no_extend_expiration;        /* --service-account-extend-token-expiration=false */
    bool no_legacy;                   /* refuse legacy secret-based tokens */
    const char *jwks_uri;             /* --service-account-jwks-uri */
    const char *external_address;     /* host[:port]: jwks_uri default https://<addr>/openid/v1/jwks */
};
/* Applies opts (call before sharing t) and rebuilds the discovery documents.
 * Returns 0, or -1 with a message in err (e.g. a jwks_uri that is not https). */
int kapi_satoken_configure(struct kapi_satoken *t, const struct kapi_satoken_opts *o, char *err, size_t errlen);

/* The key ID upstream derives: base64url(sha256(PKIX DER of the public key)),
 * unpadded (43 characters). Of the signing key, or "" for a verify-only t. */
const char *kapi_satoken_key_id(const struct kapi_satoken *t);

struct kapi_satoken_claims {
    const char *ns, *sa_name, *sa_uid;         /* the service account (required: ns, sa_name) */
    const char *const *audiences;              /* NULL/0: the API audiences */
    size_t naud;
    int64_t expiration_seconds;                /* 0: 3600; must be 600..2^32 */
    const char *bound_kind;                    /* NULL, "Pod", "Secret" or "Node" */
    const char *bound_name, *bound_uid;
    const char *pod_node_name, *pod_node_uid;  /* Pod-bound only: the pod's node (uid may be NULL) */
};

/* Signs a bound token with upstream's claim layout (sorted keys: aud, exp,
 * iat, iss, jti, kubernetes.io{namespace,node,pod,secret,serviceaccount,
 * warnafter}, nbf, sub). Applies TokenRequest's expiration rules: the range
 * check, the --service-account-max-token-expiration cap and the one-year
 * extension (with warnafter) of 3607-second pod-bound tokens for API
 * audiences. *expires_unix gets status.expirationTimestamp (now + the
 * possibly capped spec.expirationSeconds, not the extended exp). Returns the
 * token from pool, or NULL with a message in err (the expiration messages are
 * upstream's field messages for spec.expirationSeconds). */
const char *kapi_satoken_issue(struct kapi_satoken *t, struct kapi_pool *pool, const struct kapi_satoken_claims *c,
                               int64_t now_unix, int64_t *expires_unix, char *err, size_t errlen);

/* Signs a legacy secret-based token (what the tokens controller puts in a
 * kubernetes.io/service-account-token Secret): iss "kubernetes/serviceaccount",
 * no expiry. Returns the token from pool, or NULL with err. */
const char *kapi_satoken_issue_legacy(struct kapi_satoken *t, struct kapi_pool *pool, const char *ns,
                                      const char *sa_name, const char *sa_uid, const char *secret_name, char *err,
                                      size_t errlen);

/* Asks whether an object still exists and is not being deleted. kind is
 * "ServiceAccount", "Pod", "Secret" or "Node" (ns "" for Node). uid: the UID
 * the token names, compare it with the stored one; NULL for a legacy token's
 * Secret, for which secret_token is set instead and the Secret's data.token
 * must equal it byte for byte. */
typedef bool (*kapi_satoken_exists_fn)(void *ctx, const char *kind, const char *ns, const char *name,
                                       const char *uid, const char *secret_token);

/* What authentication learnt beyond struct kapi_user (strings from pool). */
struct kapi_satoken_info {
    const char *ns, *name, *uid;
    bool legacy;
    const char *secret_name;            /* legacy tokens and Secret-bound tokens */
    const char *pod_name, *pod_uid, *node_name, *node_uid;
    const char *credential_id;          /* "JTI=<jti>" or NULL */
    int64_t warnafter;                  /* 0 when absent; past it the token is stale */
    /* user.Info extra, keys sorted: authentication.kubernetes.io/credential-id,
     * node-name, node-uid, pod-name, pod-uid (each present only when set). */
    const char *extra_keys[5], *extra_values[5];
    size_t nextra;
    const char *error;                  /* why -1 or 1 (upstream's wording where it has one) */
};

/* Authenticates a bearer token. api_audiences (NULL/0: the configured ones)
 * are the audiences the request is for. exists may be NULL to skip lookups.
 * Returns 0 = valid (out: "system:serviceaccount:<ns>:<name>", the SA uid,
 * groups system:serviceaccounts and system:serviceaccounts:<ns>; strings from
 * pool), 1 = not a service-account token of ours (other authenticators may
 * try), -1 = ours but invalid (401). */
int kapi_satoken_authenticate(struct kapi_satoken *t, struct kapi_pool *pool, const char *token,
                              const char *const *api_audiences, size_t naud, int64_t now_unix,
                              kapi_satoken_exists_fn exists, void *ctx, struct kapi_user *out);
/* The same, also filling *info (may be NULL). */
int kapi_satoken_authenticate_ex(struct kapi_satoken *t, struct kapi_pool *pool, const char *token,
                                 const char *const *api_audiences, size_t naud, int64_t now_unix,
                                 kapi_satoken_exists_fn exists, void *ctx, struct kapi_user *out,
                                 struct kapi_satoken_info *info);

/* Glue for kapi_authn_set_token_hook: pass a struct kapi_satoken_hook (which
 * must outlive the authenticator) as ctx. Uses the wall clock and the
 * configured API audiences; returns 1 only for a valid token. */
struct kapi_satoken_hook {
    struct kapi_satoken *t;
    kapi_satoken_exists_fn exists;
    void *exists_ctx;
};
int kapi_satoken_token_hook(void *hook, struct kapi_pool *pool, const char *token, struct kapi_user *out);

/* /.well-known/openid-configuration and /openid/v1/jwks bodies, byte for byte
 * as upstream renders them (serve as application/json and
 * application/jwk-set+json, Cache-Control "public, max-age=3600"). NULL when
 * upstream would not serve them: the issuer is not an https URL without query
 * or fragment. Owned by t. */
const struct kapi_blob *kapi_satoken_openid_config(const struct kapi_satoken *t);
const struct kapi_blob *kapi_satoken_jwks(const struct kapi_satoken *t);

/* A JWS part: unpadded base64url (base/b64.h) read strictly -- no padding,
 * no line breaks, zero leftover bits. Returns the byte count or -1; out
 * needs kapi_b64_decode_size(len) bytes and is NUL-terminated. Encoding
 * is kapi_b64_encode_pool(..., KAPI_B64_URL | KAPI_B64_RAW). */
long kapi_satoken_b64url_decode(const char *s, size_t len, unsigned char *out);

#endif
