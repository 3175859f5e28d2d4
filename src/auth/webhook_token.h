/* auth/webhook_token: --authentication-token-webhook-config-file. A bearer
 * token nobody else recognised is POSTed as a TokenReview to the server a
 * kubeconfig names; status.authenticated=true makes status.user the user.
 * Answers (yes and no alike) are cached for the cache TTL (default 2m). */
#ifndef KAPI_AUTH_WEBHOOK_TOKEN_H
#define KAPI_AUTH_WEBHOOK_TOKEN_H

#include <stdint.h>

#include "../base/base.h"
#include "authn.h"

#define KAPI_WEBHOOK_TOKEN_DEFAULT_TTL_S 120
#define KAPI_WEBHOOK_TOKEN_TIMEOUT_MS 30000

struct kapi_webhook_token_opts {
    const char *config_file;          /* kubeconfig (or config_data) */
    const char *config_data;
    const char *version;              /* "v1" (default) or "v1beta1" */
    int cache_ttl_s;                  /* <0 = no cache; 0 = the 2m default */
    const char *const *audiences;     /* the API audiences (sent and checked); may be empty */
    size_t naud;
    int timeout_ms;                   /* 0 = 30 s */
    bool allow_http;                  /* tests only */
};

struct kapi_webhook_token;
/* Reads the kubeconfig (current-context, or the only/first cluster and
 * user): server URL, certificate-authority(-data), tls-server-name,
 * client-certificate(-data)/client-key(-data), token. NULL with err when
 * it is unusable or the version is unknown (upstream's message). */
struct kapi_webhook_token *kapi_webhook_token_new(const struct kapi_webhook_token_opts *o, char *err,
                                                  size_t errlen);
void kapi_webhook_token_free(struct kapi_webhook_token *w);
/* A kapi_authn_token_auth_fn (ctx: the struct kapi_webhook_token). */
int kapi_webhook_token_authenticate(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out,
                                    const char **why);
/* How many TokenReviews were sent (tests check the cache with it). */
uint64_t kapi_webhook_token_calls(const struct kapi_webhook_token *w);

#endif
