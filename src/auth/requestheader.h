/* auth/requestheader: front-proxy authentication (--requestheader-*). A
 * request whose client certificate chains to the request-header CA (and
 * whose CN is an allowed name, when names are given) is the user its
 * headers name: the first non-empty username header, the first non-empty
 * UID header, every value of the group headers, and extra from headers
 * starting with an extra prefix. */
#ifndef KAPI_AUTH_REQUESTHEADER_H
#define KAPI_AUTH_REQUESTHEADER_H

#include "../base/base.h"
#include "../http/http.h"
#include "authn.h"

struct kapi_requestheader_opts {
    const char *client_ca_file;         /* --requestheader-client-ca-file (or ca_pem) */
    const char *ca_pem;
    size_t ca_len;
    const char *const *allowed_names;   /* --requestheader-allowed-names; none = any CN */
    size_t nallowed;
    const char *const *username_headers;/* --requestheader-username-headers */
    size_t nusername;
    const char *const *uid_headers;     /* --requestheader-uid-headers */
    size_t nuid;
    const char *const *group_headers;   /* --requestheader-group-headers */
    size_t ngroup;
    const char *const *extra_prefixes;  /* --requestheader-extra-headers-prefix */
    size_t nextra;
};

struct kapi_requestheader;
/* Returns NULL with err when the CA cannot be loaded. Lists are copied
 * (header names trimmed, empty ones dropped). */
struct kapi_requestheader *kapi_requestheader_new(const struct kapi_requestheader_opts *o, char *err,
                                                  size_t errlen);
void kapi_requestheader_free(struct kapi_requestheader *rh);
/* A kapi_authn_request_fn: ctx is the struct kapi_requestheader. 0 when
 * there is no client certificate or no username header; -1 when the
 * certificate does not verify or its CN is not allowed. */
int kapi_requestheader_authenticate(void *ctx, struct kapi_pool *pool, const struct kapi_http_peer *peer,
                                    struct kapi_user *out, const char **why);
/* The same with the headers given directly (tests). */
int kapi_requestheader_authenticate_headers(struct kapi_requestheader *rh, struct kapi_pool *pool,
                                            const struct kapi_http_peer *peer,
                                            const struct kapi_http_header *headers, size_t nheaders,
                                            struct kapi_user *out, const char **why);

#endif
