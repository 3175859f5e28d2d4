/* Unit tests for the create fast path of src/apply's Update (ssa.c,
 * ssa_changed_set in typed.c): for creates it must give the same object,
 * managedFields bytes included, as the whole manager chain. Checked over
 * hand-written objects and every v1.33 fixture object under
 * ../shared/k8s-api/v1.33/testdata (skipped when absent), with and without
 * client-sent managedFields, reset fields, subresources, managers, times,
 * built-in and untyped/CRD types. Test JSON is written with ' for ". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiext/schema.h"
#include "apply/ssa.h"
#include "apply/ssa_int.h"
#include "codec/json.h"
#include "schema/schema.h"

static char *W(struct kapi_pool *pool, const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_true(kapi_json_write(&b, v) >= 0);
    char *s = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

static struct kapi_value *J(struct kapi_pool *pool, const char *s)
{
    char *t = kapi_pool_strdup(pool, s);
    for (char *q = t; *q; q++)
        if (*q == '\'')
            *q = '"';
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, t, strlen(t), NULL, &err);
    assert_non_null(v);
    return v;
}

static const char *const R_STATUS[] = {"status", NULL};
static const char *const R_SPEC[] = {"spec", "metadata.labels", NULL};
static const char *const R_META[] = {"metadata", NULL};
static const char *const R_DEEP[] = {"spec.template.spec", "metadata.annotations", "data", NULL};
static const char *const *const RESETS[] = {NULL, R_STATUS, R_SPEC, R_META, R_DEEP};
static const char *const MANAGERS[] = {"kubectl-create", "", "a\"b\\c"};
static const char *const SUBS[] = {"", "status"};
static const char *const NOWS[] = {"2024-05-01T10:00:00Z", NULL};

static size_t runs, fast_owned;

/* Runs both paths over copies of obj with every option combination and
 * compares the objects' JSON bytes and the results. */
static void check_one(const struct kapi_value *obj, struct kapi_ssa_type t, const char *api_version, const char *what)
{
    for (size_t r = 0; r < KAPI_ARRAY_LEN(RESETS); r++)
        for (size_t mi = 0; mi < KAPI_ARRAY_LEN(MANAGERS); mi++)
            for (size_t si = 0; si < KAPI_ARRAY_LEN(SUBS); si++)
                for (size_t ni = 0; ni < KAPI_ARRAY_LEN(NOWS); ni++) {
                    /* the full product for the first reset list, one
                     * rotating combination for the others */
                    if (r && (mi + si + ni) % 3 != r % 3)
                        continue;
                    struct kapi_pool *pool = kapi_pool_new();
                    struct kapi_ssa_opts opts = {RESETS[r]};
                    struct kapi_value *a = kapi_value_clone(pool, obj), *b = kapi_value_clone(pool, obj);
                    const char *ea = NULL, *eb = NULL;
                    int ra = kapi_ssa_update_ex(pool, t, api_version, NULL, a, MANAGERS[mi], SUBS[si], NOWS[ni],
                                                &opts, &ea);
                    int rb = ssa_update_general(pool, t, api_version, NULL, b, MANAGERS[mi], SUBS[si], NOWS[ni],
                                                &opts, &eb);
                    const char *wa = W(pool, a), *wb = W(pool, b);
                    if (ra != rb || strcmp(wa, wb) != 0 || (ea == NULL) != (eb == NULL)) {
                        printf("MISMATCH %s reset=%zu manager=%zu sub=%zu now=%zu:\n fast: %s\n full: %s\n", what, r,
                               mi, si, ni, wa, wb);
                        fail();
                    }
                    runs++;
                    if (kapi_value_path(a, "metadata", "managedFields", NULL))
                        fast_owned++;
                    kapi_pool_free(pool);
                }
}

/* The object as sent (client managedFields, if any), without them, and
 * with them reset. */
static void check_variants(const struct kapi_value *obj, struct kapi_ssa_type t, const char *api_version,
                           const char *what)
{
    struct kapi_pool *pool = kapi_pool_new();
    check_one(obj, t, api_version, what);
    struct kapi_value *md = kapi_obj_get(obj, "metadata");
    if (md && md->type == KAPI_V_OBJECT && kapi_obj_get(md, "managedFields")) {
        struct kapi_value *o = kapi_value_clone(pool, obj);
        kapi_obj_del(kapi_obj_get(o, "metadata"), "managedFields");
        check_one(o, t, api_version, what);
        o = kapi_value_clone(pool, obj);
        kapi_obj_set(pool, kapi_obj_get(o, "metadata"), "managedFields", kapi_value_array(pool));
        check_one(o, t, api_version, what);
    }
    kapi_pool_free(pool);
}

static void test_handwritten(void **state)
{
    (void)state;
    static const struct {
        const char *group, *version, *kind, *json;
    } cases[] = {
        {"", "v1", "ConfigMap", "{'metadata':{'name':'c-1-2'},'data':{'k':'v'}}"},
        {"", "v1", "ConfigMap",
         "{'kind':'ConfigMap','apiVersion':'v1','metadata':{'name':'c','namespace':'default','uid':'u',"
         "'creationTimestamp':'2024-05-01T10:00:00Z','resourceVersion':'1','generation':3,'labels':{'a':'b'}},"
         "'data':{'k':'v','j':''},'binaryData':{},'immutable':false}"},
        {"", "v1", "ConfigMap", "{'metadata':{'name':'x'}}"},
        {"", "v1", "ConfigMap", "{}"},
        {"", "v1", "ConfigMap", "{'metadata':{'name':{'x':1},'selfLink':[1],'clusterName':null},'kind':{'a':1}}"},
        {"", "v1", "ConfigMap", "{'metadata':null,'apiVersion':null,'data':null}"},
        {"apps", "v1", "Deployment",
         "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'nginx','namespace':'default',"
         "'labels':{'app':'nginx'},'annotations':{}},'spec':{'replicas':2,'selector':{'matchLabels':{'app':"
         "'nginx'}},'template':{'metadata':{'labels':{'app':'nginx'},'creationTimestamp':null},'spec':{"
         "'containers':[{'name':'nginx','image':'nginx:1.25','ports':[{'containerPort':80},{'containerPort':80,"
         "'protocol':'UDP'},{'containerPort':80}],'env':[]},{'name':'nginx','image':'dup'}]}},'strategy':{}},"
         "'status':{'replicas':1}}"},
        {"", "v1", "Pod",
         "{'metadata':{'name':'p','finalizers':['b','a','b'],'ownerReferences':[{'uid':'1','name':'x',"
         "'kind':'K','apiVersion':'v1'}]},'spec':{'containers':null,'tolerations':[{'key':'k'},{'key':'k'}],"
         "'nodeSelector':{'a':'b'}},'status':{}}"},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(cases); i++) {
        struct kapi_pool *pool = kapi_pool_new();
        const struct kapi_schema_msg *m = kapi_schema_kind_find(cases[i].group, cases[i].version, cases[i].kind);
        assert_non_null(m);
        const char *av = cases[i].group[0] ? kapi_pool_printf(pool, "%s/%s", cases[i].group, cases[i].version)
                                           : cases[i].version;
        struct kapi_value *obj = J(pool, cases[i].json);
        check_variants(obj, kapi_ssa_type_builtin(m), av, cases[i].json);
        check_variants(obj, kapi_ssa_type_crd(NULL), av, cases[i].json);
        check_variants(obj, kapi_ssa_type_builtin(m), "", cases[i].json);
        kapi_pool_free(pool);
    }
    /* a CRD schema: list map with a defaulted key, an atomic map */
    struct kapi_pool *pool = kapi_pool_new();
    char *cerr = NULL;
    struct kapi_crd_schema *s = kapi_crd_schema_compile(
        J(pool, "{'type':'object','properties':{'spec':{'type':'object','properties':{'ports':{'type':'array',"
                "'x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':['port','proto'],'items':{'type':"
                "'object','properties':{'port':{'type':'integer'},'proto':{'type':'string','default':'TCP'},"
                "'name':{'type':'string'}}}},'sel':{'type':'object','x-kubernetes-map-type':'atomic',"
                "'additionalProperties':{'type':'string'}}}},'status':{'type':'object',"
                "'x-kubernetes-preserve-unknown-fields':true}}}"),
        &cerr);
    assert_non_null(s);
    check_variants(J(pool, "{'apiVersion':'ex.com/v1','kind':'W','metadata':{'name':'w','labels':{'a':'b'}},"
                           "'spec':{'ports':[{'port':80,'name':'http'},{'port':80,'proto':'TCP'}],'sel':{'a':'b'}},"
                           "'status':{'x':[1,2],'y':{'z':{}}}}"),
                   kapi_ssa_type_crd(s), "ex.com/v1", "crd");
    kapi_crd_schema_free(s);
    /* client-sent managedFields that decode: the general path, both ways */
    check_variants(J(pool, "{'metadata':{'name':'c','managedFields':[{'manager':'m','operation':'Update',"
                           "'apiVersion':'v1','fieldsType':'FieldsV1','fieldsV1':{'f:data':{'f:a':{}}}}]},"
                           "'data':{'a':'1','b':'2'}}"),
                   kapi_ssa_type_builtin(kapi_schema_kind_find("", "v1", "ConfigMap")), "v1", "client mf");
    kapi_pool_free(pool);
    assert_true(fast_owned > 0);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    *len = got;
    return buf;
}

static void test_fixtures(void **state)
{
    (void)state;
    static const char *cands[] = {"../shared/k8s-api/v1.33/testdata", "/work/shared/k8s-api/v1.33/testdata"};
    const char *dir = NULL;
    DIR *d = NULL;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(cands) && !d; i++)
        if ((d = opendir(cands[i])))
            dir = cands[i];
    if (!d) {
        printf("SKIPPED: ../shared absent (k8s-api/v1.33/testdata); create fast path not checked on fixtures\n");
        return;
    }
    size_t objects = 0, before = runs;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(nl - 5), de->d_name);
        char *k = strrchr(name, '.');
        if (!k)
            continue;
        *k++ = 0;
        char *ver = strrchr(name, '.');
        if (!ver)
            continue;
        *ver++ = 0;
        const char *group = strcmp(name, "core") == 0 ? "" : name;
        const struct kapi_schema_msg *m = kapi_schema_kind_find(group, ver, k);
        if (!m)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        size_t len = 0;
        char *data = read_all(path, &len);
        assert_non_null(data);
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error err;
        struct kapi_value *v = kapi_json_parse(pool, data, len, NULL, &err);
        assert_non_null(v);
        const char *av = group[0] ? kapi_pool_printf(pool, "%s/%s", group, ver) : ver;
        check_variants(v, kapi_ssa_type_builtin(m), av, de->d_name);
        check_variants(v, kapi_ssa_type_crd(NULL), av, de->d_name);
        objects++;
        kapi_pool_free(pool);
        free(data);
    }
    closedir(d);
    printf("create fast path: %zu fixture objects, %zu runs byte-identical to the full chain\n", objects,
           runs - before);
    assert_true(objects > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handwritten),
        cmocka_unit_test(test_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
