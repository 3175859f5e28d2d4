/* /healthz, /livez, /readyz (with ?verbose, ?exclude= and /<check>) and
 * /version, the paths every user may read. */
#include <string.h>

#include "../codec/json.h"
#include "../storage/storage.h"
#include "endpoints_int.h"

struct check {
    const char *name;
    bool (*fn)(struct kapi_apiserver *s);
    bool ready_only;
};

static bool ok(struct kapi_apiserver *s) { (void)s; return true; }

static bool store_ok(struct kapi_apiserver *s)
{
    int64_t cur, compacted;
    return s->store->ops->revisions(s->store, &cur, &compacted) == 0;
}

static bool started(struct kapi_apiserver *s) { return atomic_load(&s->ready); }
static bool not_shutting_down(struct kapi_apiserver *s) { return !atomic_load(&s->shutting_down); }

static const struct check checks[] = {
    {"ping", ok, false},
    {"log", ok, false},
    {"etcd", store_ok, false},
    {"etcd-readiness", store_ok, true},
    {"informer-sync", started, true},
    {"poststarthook/start-apiserver-admission-initializer", ok, false},
    {"poststarthook/generic-apiserver-start-informers", started, false},
    {"poststarthook/bootstrap-controller", started, false},
    {"shutdown", not_shutting_down, true},
};

static bool excluded(struct kapi_req *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, "exclude") == 0 && strcmp(r->params[i].value, name) == 0)
            return true;
    return false;
}

static void text(struct kapi_req *r, int code, const char *body, size_t len)
{
    struct kapi_http_header h[] = {{"X-Content-Type-Options", "nosniff"}};
    kapi_respond_raw(r, code, "text/plain; charset=utf-8", body, len, h, 1);
}

bool kapi_handle_health(struct kapi_req *r)
{
    const char *path = r->http->path;
    const char *endpoint = NULL;
    static const char *const endpoints[] = {"healthz", "livez", "readyz"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(endpoints); i++) {
        size_t n = strlen(endpoints[i]);
        if (path[0] == '/' && strncmp(path + 1, endpoints[i], n) == 0 && (path[n + 1] == 0 || path[n + 1] == '/'))
            endpoint = endpoints[i];
    }
    if (!endpoint)
        return false;
    /* /livez and /healthz run the liveness checks; /readyz adds the rest. */
    bool ready_set = strcmp(endpoint, "readyz") == 0;
    bool is_livez = !ready_set;
    const char *sub = path + 1 + strlen(endpoint);
    if (*sub == '/' && sub[1]) {
        const char *name = sub + 1;
        for (size_t i = 0; i < KAPI_ARRAY_LEN(checks); i++) {
            if (strcmp(checks[i].name, name) != 0 || (checks[i].ready_only && is_livez))
                continue;
            if (checks[i].fn(r->srv))
                text(r, 200, "ok", 2);
            else {
                const char *msg = kapi_pool_printf(r->pool, "internal server error: %s check failed\n", name);
                text(r, 500, msg, strlen(msg));
            }
            return true;
        }
        text(r, 404, "404 page not found\n", 19);
        return true;
    }
    const char *verbose = kapi_req_param(r, "verbose");
    bool v = verbose != NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    bool all_ok = true;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(checks); i++) {
        if (checks[i].ready_only && !ready_set)
            continue;
        if (excluded(r, checks[i].name)) {
            kapi_buf_printf(&b, "[+]%s excluded: ok\n", checks[i].name);
            continue;
        }
        bool good = checks[i].fn(r->srv);
        all_ok &= good;
        if (good)
            kapi_buf_printf(&b, "[+]%s ok\n", checks[i].name);
        else
            kapi_buf_printf(&b, "[-]%s failed: reason withheld\n", checks[i].name);
    }
    if (all_ok) {
        if (v) {
            kapi_buf_printf(&b, "%s check passed\n", endpoint);
            text(r, 200, b.data, b.len);
        } else {
            text(r, 200, "ok", 2);
        }
    } else {
        kapi_buf_printf(&b, "%s check failed\n", endpoint);
        text(r, 500, b.data, b.len);
    }
    kapi_buf_dispose(&b);
    return true;
}

void kapi_handle_version(struct kapi_req *r)
{
    static const char body[] =
        "{\n"
        "  \"major\": \"1\",\n"
        "  \"minor\": \"33\",\n"
        "  \"emulationMajor\": \"1\",\n"
        "  \"emulationMinor\": \"33\",\n"
        "  \"minCompatibilityMajor\": \"1\",\n"
        "  \"minCompatibilityMinor\": \"32\",\n"
        "  \"gitVersion\": \"v1.33.0+kapi\",\n"
        "  \"gitCommit\": \"0000000000000000000000000000000000000000\",\n"
        "  \"gitTreeState\": \"clean\",\n"
        "  \"buildDate\": \"" KAPI_BUILD_DATE "\",\n"
        "  \"goVersion\": \"none (kapi is written in C)\",\n"
        "  \"compiler\": \"cc\",\n"
        "  \"platform\": \"linux/amd64\"\n"
        "}";
    kapi_respond_raw(r, 200, "application/json", body, sizeof(body) - 1, NULL, 0);
}
