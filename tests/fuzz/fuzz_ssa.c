/* Fuzzes src/apply. Input: a selector byte, then live JSON, NUL, config
 * JSON, NUL, managedFields JSON. The selector picks the type (apps/v1
 * Deployment or an untyped custom resource) and force. The live object gets
 * the managedFields, then is applied to and updated. Checks that results
 * serialize, conflicts carry messages, and inputs are never modified. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiext/schema.h"
#include "apply/ssa.h"
#include "codec/json.h"
#include "schema/schema.h"

static void write_or_die(struct kapi_buf *b, const struct kapi_value *v)
{
    kapi_buf_init(b, 0);
    if (kapi_json_write(b, v) != 0)
        abort();
}

static void check(const struct kapi_value *v)
{
    struct kapi_buf b;
    write_or_die(&b, v);
    kapi_buf_dispose(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct kapi_schema_msg *dep;
    if (!dep && !(dep = kapi_schema_kind_find("apps", "v1", "Deployment")))
        abort();
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    const char *parts[3] = {"{}", "{}", "null"};
    size_t lens[3] = {2, 2, 4};
    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < 3 && p <= end; i++) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        size_t l = nul ? (size_t)(nul - p) : (size_t)(end - p);
        parts[i] = (const char *)p;
        lens[i] = l;
        if (!nul)
            break;
        p = nul + 1;
    }
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error je;
    struct kapi_json_opts jo = {.max_depth = 512};
    struct kapi_value *live = kapi_json_parse(pool, parts[0], lens[0], &jo, &je);
    struct kapi_value *cfg = kapi_json_parse(pool, parts[1], lens[1], &jo, &je);
    struct kapi_value *mf = kapi_json_parse(pool, parts[2], lens[2], &jo, &je);
    if (live && cfg && live->type == KAPI_V_OBJECT) {
        struct kapi_ssa_type t = (sel & 1) ? kapi_ssa_type_crd(NULL) : kapi_ssa_type_builtin(dep);
        const char *av = (sel & 1) ? "ex.com/v1" : "apps/v1";
        if (mf)
            kapi_obj_set(pool, kapi_obj_ensure_obj(pool, live, "metadata"), "managedFields", mf);
        if (cfg->type == KAPI_V_OBJECT && (sel & 4))
            kapi_obj_set(pool, cfg, "apiVersion", kapi_value_str(pool, av));
        struct kapi_buf lb, cb, la, ca;
        write_or_die(&lb, live);
        write_or_die(&cb, cfg);
        struct kapi_ssa_result r;
        const char *sub = (sel & 8) ? "status" : "";
        int rc = kapi_ssa_apply(pool, t, av, (sel & 16) ? NULL : live, cfg, "fuzz", (sel & 2) != 0, sub,
                                "2024-01-01T00:00:00Z", &r);
        if (rc == 0) {
            if (r.nconflicts) {
                if (r.obj || !r.message || r.status != 409)
                    abort();
                for (size_t i = 0; i < r.nconflicts; i++)
                    if (!r.conflicts[i].field || !r.conflicts[i].manager)
                        abort();
            } else {
                if (!r.obj)
                    abort();
                check(r.obj);
            }
        } else if (!r.error || !r.status) {
            abort();
        }
        write_or_die(&la, live);
        write_or_die(&ca, cfg);
        if (lb.len != la.len || memcmp(lb.data, la.data, lb.len) || cb.len != ca.len ||
            memcmp(cb.data, ca.data, cb.len))
            abort();
        kapi_buf_dispose(&lb);
        kapi_buf_dispose(&cb);
        kapi_buf_dispose(&la);
        kapi_buf_dispose(&ca);
        /* an update from live to config (or the apply result) */
        struct kapi_value *n = kapi_value_clone(pool, (rc == 0 && r.obj) ? r.obj : cfg);
        const char *err = NULL;
        kapi_ssa_update(pool, t, av, (sel & 32) ? NULL : live, n, (sel & 64) ? "" : "upd", sub,
                        "2024-01-01T00:00:01Z", &err);
        check(n);
    }
    kapi_pool_free(pool);
    return 0;
}
