/* endpoints/discovery: the discovery documents (/api, /apis, /apis/<g>, /api/v1,
 * /apis/<g>/<v>, aggregated apidiscovery.k8s.io/v2 for /api and /apis), built
 * once from registry/resources as the exact bytes kube-apiserver v1.33 sends and
 * served from memory with upstream's negotiation, ETag and 304. Immutable after
 * build: any number of threads may serve from one instance. */
#ifndef KAPI_DISCOVERY_H
#define KAPI_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "../registry/resources.h"

struct kapi_discovery_opts {
    /* host:port advertised in /api's serverAddressByClientCIDRs (the
     * --advertise-address and secure port). NULL sends null there. */
    const char *server_address;
    /* Also negotiate apidiscovery.k8s.io/v2beta1. Off in 1.33 by default
     * (feature gate AggregatedDiscoveryRemoveBetaType=true); on is what
     * --feature-gates=AggregatedDiscoveryRemoveBetaType=false gives. */
    bool serve_v2beta1;
    /* Custom resource groups to list after the built-in ones (NULL: none).
     * Must outlive the discovery built from it. */
    const struct kapi_api_extra *extra;
};

struct kapi_discovery;

/* Builds every document. Never fails (allocation failure aborts). */
struct kapi_discovery *kapi_discovery_new(const struct kapi_discovery_opts *opts);
void kapi_discovery_free(struct kapi_discovery *d); /* NULL is a no-op */

#define KAPI_DISCOVERY_CT_JSON "application/json"
#define KAPI_DISCOVERY_CT_AGG_V2 "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
#define KAPI_DISCOVERY_CT_AGG_V2BETA1 \
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

struct kapi_discovery_reply {
    int status;                /* 200, 304 or 406 */
    struct kapi_blob *body;    /* borrowed, lives as long as d; empty for 304 */
    const char *content_type;  /* NULL for 304 */
    const char *etag;          /* quoted ETag header value, or NULL */
    const char *cache_control; /* "public" with an ETag, else NULL */
    bool vary_accept;          /* send "Vary: Accept" */
};

/* Answers a GET for path (a query string is ignored) with the given Accept and
 * If-None-Match header values (either may be NULL). Returns the HTTP status
 * (200, 304, 406) with out filled, or 0 when path is not a discovery path (the
 * caller goes on routing, and answers 404 for unknown groups/versions). */
int kapi_discovery_serve(const struct kapi_discovery *d, const char *path, const char *accept,
                         const char *if_none_match, struct kapi_discovery_reply *out);

#endif
