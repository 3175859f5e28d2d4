/* auth/impersonate: reading the impersonation headers (Impersonate-User,
 * Impersonate-Group, Impersonate-Uid, Impersonate-Extra-<key>) into the
 * user a request asks to act as and the list of "impersonate" permissions
 * the caller needs for it, as upstream's impersonation filter does. The
 * authorization checks themselves are the caller's (endpoints/handler.c). */
#ifndef KAPI_AUTH_IMPERSONATE_H
#define KAPI_AUTH_IMPERSONATE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "../http/http.h"
#include "authn.h"

/* One thing the caller must be allowed to impersonate: verb "impersonate"
 * on group/resource ns/name (users, groups, serviceaccounts, uids,
 * userextras/<key>). */
struct kapi_impersonation_check {
    const char *group, *resource, *subresource, *ns, *name; /* subresource: an extra's key */
};

struct kapi_impersonation {
    struct kapi_user user;                  /* the identity to act as */
    struct kapi_impersonation_check *checks;
    size_t nchecks;
    const char *error;                      /* set with -1: the 500 message */
};

/* 0 when no impersonation header is present; 1 with *out filled; -1 with
 * out->error (pool strings) for a request upstream refuses (groups, uid or
 * extras without a user). Bounded: at most KAPI_IMPERSONATION_MAX values. */
#define KAPI_IMPERSONATION_MAX 256
int kapi_impersonation_parse(struct kapi_pool *pool, const struct kapi_http_header *headers, size_t nheaders,
                             struct kapi_impersonation *out);

#endif
