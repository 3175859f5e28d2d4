/* Prints what `kubectl api-resources` lists for kapi's resource table, as
 * tab-separated NAME, SHORTNAMES, APIVERSION, NAMESPACED, KIND under a header
 * line: kubectl's rows (top-level resources, each group/name once from the
 * group's preferred version onwards) in its order (group, then name).
 * Build and run from the repo root:
 *   cc -std=c11 -Isrc -o /tmp/gen-api-resources tools/gen-api-resources.c \
 *      src/registry/resources.c && /tmp/gen-api-resources \
 *      > tests/e2e/data/api-resources-1.33.txt */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/resources.h"

struct row {
    const struct kapi_resource *r;
};

static int cmp(const void *pa, const void *pb)
{
    const struct kapi_resource *a = ((const struct row *)pa)->r, *b = ((const struct row *)pb)->r;
    int c = strcmp(a->group, b->group);
    return c ? c : strcmp(a->name, b->name);
}

int main(void)
{
    size_t n, m = 0;
    const struct kapi_resource *all = kapi_resources_all(&n);
    struct row *rows = calloc(n, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        const struct kapi_resource *r = &all[i];
        if (kapi_resource_is_sub(r))
            continue;
        int dup = 0;
        for (size_t j = 0; j < m; j++)
            dup |= strcmp(rows[j].r->group, r->group) == 0 && strcmp(rows[j].r->name, r->name) == 0;
        if (!dup)
            rows[m++].r = r;
    }
    qsort(rows, m, sizeof(*rows), cmp);
    printf("NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND\n");
    for (size_t i = 0; i < m; i++) {
        const struct kapi_resource *r = rows[i].r;
        printf("%s\t", r->name);
        for (const char *const *s = r->short_names; *s; s++)
            printf("%s%s", s == r->short_names ? "" : ",", *s);
        if (r->group[0])
            printf("\t%s/%s", r->group, r->version);
        else
            printf("\t%s", r->version);
        printf("\t%s\t%s\n", r->namespaced ? "true" : "false", r->kind);
    }
    free(rows);
    return 0;
}
