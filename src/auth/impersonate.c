/* Implementation of auth/impersonate.h. */
#include "impersonate.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define EXTRA_PREFIX "Impersonate-Extra-"
#define SA_PREFIX "system:serviceaccount:"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* An extra's key from the header name: percent-decoded and lower-cased, as
 * upstream unescapes it (a bad escape keeps the text as sent). */
static const char *extra_key(struct kapi_pool *p, const char *raw)
{
    size_t n = strlen(raw);
    char *out = kapi_pool_alloc(p, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '%' && i + 2 < n + 0 && hexval(raw[i + 1]) >= 0 && hexval(raw[i + 2]) >= 0) {
            out[j++] = (char)(hexval(raw[i + 1]) * 16 + hexval(raw[i + 2]));
            i += 2;
        } else {
            out[j++] = (char)tolower((unsigned char)raw[i]);
        }
    }
    out[j] = 0;
    return out;
}

int kapi_impersonation_parse(struct kapi_pool *p, const struct kapi_http_header *h, size_t nh,
                             struct kapi_impersonation *out)
{
    memset(out, 0, sizeof(*out));
    const char *as_user = NULL, *as_uid = NULL;
    size_t ngroups = 0, nextra = 0;
    for (size_t i = 0; i < nh; i++) {
        /* every name below starts with "Impersonate-": one test for the rest */
        if (!h[i].name || !h[i].value || (h[i].name[0] | 0x20) != 'i')
            continue;
        if (strcasecmp(h[i].name, "Impersonate-User") == 0 && !as_user)
            as_user = h[i].value;
        else if (strcasecmp(h[i].name, "Impersonate-Uid") == 0 && !as_uid)
            as_uid = h[i].value;
        else if (strcasecmp(h[i].name, "Impersonate-Group") == 0)
            ngroups++;
        else if (strncasecmp(h[i].name, EXTRA_PREFIX, strlen(EXTRA_PREFIX)) == 0 && h[i].name[strlen(EXTRA_PREFIX)])
            nextra++;
    }
    if (!as_user && !ngroups && !as_uid && !nextra)
        return 0;
    if (!as_user || !*as_user) {
        out->error = "Internal error occurred: requested impersonation of groups or uid without a user";
        if (!as_uid && !ngroups)
            out->error = "Internal error occurred: requested impersonation of extra fields without a user";
        return -1;
    }
    if (ngroups > KAPI_IMPERSONATION_MAX || nextra > KAPI_IMPERSONATION_MAX) {
        out->error = "Internal error occurred: too many impersonation headers";
        return -1;
    }
    struct kapi_user *u = &out->user;
    u->name = as_user;
    u->uid = as_uid ? as_uid : "";
    const char **groups = kapi_pool_alloc(p, (ngroups + 4) * sizeof(*groups));
    out->checks = kapi_pool_alloc(p, (ngroups + nextra + 4) * sizeof(*out->checks));
    size_t ng = 0, nc = 0;
    size_t sl = strlen(SA_PREFIX);
    const char *colon = strncmp(as_user, SA_PREFIX, sl) == 0 ? strchr(as_user + sl, ':') : NULL;
    if (colon) {
        const char *ns = kapi_pool_strndup(p, as_user + sl, (size_t)(colon - as_user - sl));
        out->checks[nc++] = (struct kapi_impersonation_check){"", "serviceaccounts", "", ns, colon + 1};
        if (!ngroups) {
            groups[ng++] = "system:serviceaccounts";
            groups[ng++] = kapi_pool_printf(p, "system:serviceaccounts:%s", ns);
        }
    } else {
        out->checks[nc++] = (struct kapi_impersonation_check){"", "users", "", "", as_user};
    }
    const char **ek = nextra ? kapi_pool_alloc(p, nextra * sizeof(*ek)) : NULL;
    const char **ev = nextra ? kapi_pool_alloc(p, nextra * sizeof(*ev)) : NULL;
    size_t ne = 0;
    for (size_t i = 0; i < nh; i++) {
        if (!h[i].name || !h[i].value)
            continue;
        if (strcasecmp(h[i].name, "Impersonate-Group") == 0) {
            groups[ng++] = h[i].value;
            out->checks[nc++] = (struct kapi_impersonation_check){"", "groups", "", "", h[i].value};
        } else if (strncasecmp(h[i].name, EXTRA_PREFIX, strlen(EXTRA_PREFIX)) == 0 &&
                   h[i].name[strlen(EXTRA_PREFIX)]) {
            const char *key = extra_key(p, h[i].name + strlen(EXTRA_PREFIX));
            ek[ne] = key;
            ev[ne++] = h[i].value;
            out->checks[nc++] = (struct kapi_impersonation_check){"authentication.k8s.io", "userextras", key,
                                                                  "", h[i].value};
        }
    }
    if (as_uid)
        out->checks[nc++] = (struct kapi_impersonation_check){"authentication.k8s.io", "uids", "", "", as_uid};
    /* like an authenticated request: system:authenticated joins the groups */
    bool has_auth = false;
    for (size_t i = 0; i < ng; i++)
        has_auth |= strcmp(groups[i], "system:authenticated") == 0 || strcmp(groups[i], "system:unauthenticated") == 0;
    if (!has_auth && strcmp(as_user, "system:anonymous") != 0)
        groups[ng++] = "system:authenticated";
    u->groups = groups;
    u->ngroups = ng;
    u->extra_keys = ek;
    u->extra_values = ev;
    u->nextra = ne;
    out->nchecks = nc;
    return 1;
}
