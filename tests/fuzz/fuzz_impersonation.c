/* libFuzzer target: impersonation headers (src/auth/impersonate). The input
 * is header lines "Name: value\n"; the parse must stay bounded and
 * consistent: every identity it returns comes with the checks that guard it. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "auth/impersonate.h"
#include "base/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kapi_pool *pool = kapi_pool_new();
    char *text = kapi_pool_strndup(pool, (const char *)data, size);
    struct kapi_http_header h[512];
    size_t n = 0;
    for (char *line = text; line && *line && n < 512;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = 0;
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            h[n++] = (struct kapi_http_header){line, v};
        }
        line = nl ? nl + 1 : NULL;
    }
    struct kapi_impersonation imp;
    int rc = kapi_impersonation_parse(pool, h, n, &imp);
    if (rc == 1) {
        if (!imp.user.name || !imp.user.name[0] || imp.nchecks == 0)
            __builtin_trap();
        /* the first check is always the user (or service account) itself */
        if (strcmp(imp.checks[0].resource, "users") != 0 && strcmp(imp.checks[0].resource, "serviceaccounts") != 0)
            __builtin_trap();
        size_t groups = 0, extras = 0;
        for (size_t i = 0; i < imp.nchecks; i++) {
            groups += strcmp(imp.checks[i].resource, "groups") == 0;
            extras += strcmp(imp.checks[i].resource, "userextras") == 0;
        }
        if (extras != imp.user.nextra)
            __builtin_trap();
        (void)groups;
    } else if (rc == -1 && !imp.error) {
        __builtin_trap();
    }
    kapi_pool_free(pool);
    return 0;
}
