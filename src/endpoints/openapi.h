/* endpoints/openapi: the OpenAPI v3 documents (/openapi/v3 index and one
 * document per group/version), built once from the resource table: every
 * resource path with its operations, x-kubernetes-action,
 * x-kubernetes-group-version-kind and query parameters (what kubectl reads to
 * decide that the server validates fields itself). Type schemas come with
 * the generated schema tables. */
#ifndef KAPI_OPENAPI_H
#define KAPI_OPENAPI_H

#include "../base/base.h"

struct kapi_openapi;
struct kapi_api_extra;
/* Builds every document; extra (may be NULL) adds custom resource groups,
 * read only during the call. */
struct kapi_openapi *kapi_openapi_new(const struct kapi_api_extra *extra);
void kapi_openapi_free(struct kapi_openapi *o);

struct kapi_openapi_reply {
    int status;                 /* 200, 304, 404 */
    struct kapi_blob *body;     /* borrowed */
    const char *etag;           /* quoted */
    bool immutable;             /* ?hash= matched: cache for a long time */
};
/* 0 when path is neither /openapi/v2 nor under /openapi/v3. protobuf asks
 * for the gnostic protobuf form of /openapi/v2. */
int kapi_openapi_serve(const struct kapi_openapi *o, const char *path, const char *query_hash,
                       const char *if_none_match, bool protobuf, struct kapi_openapi_reply *out);

#endif
