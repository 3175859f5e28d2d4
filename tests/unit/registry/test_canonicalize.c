/* registry/objectmeta: kapi_meta_canonicalize puts kind, apiVersion and
 * metadata first and metadata's members in ObjectMeta's field order, the
 * other members after them in the order they came. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "registry/objectmeta.h"
#include "vtest.h"

static const char *canon(struct kapi_pool *pool, const char *json)
{
    struct kapi_value *v = parse(pool, json);
    kapi_meta_canonicalize(pool, v);
    return show(pool, v);
}

static void test_order(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    assert_string_equal(canon(pool, "{'data':{'z':'1','a':'2'},'apiVersion':'v1','x':1,"
                                    "'metadata':{'zz':1,'managedFields':[],'labels':{'b':'1','a':'2'},"
                                    "'uid':'u','namespace':'n','name':'a','nn':2},'kind':'ConfigMap'}"),
                        "{'kind':'ConfigMap','apiVersion':'v1','metadata':{'name':'a','namespace':'n','uid':'u',"
                        "'labels':{'b':'1','a':'2'},'managedFields':[],'zz':1,'nn':2},'data':{'z':'1','a':'2'},"
                        "'x':1}");
    /* in order already, and objects of fewer than two members */
    assert_string_equal(canon(pool, "{'kind':'K','apiVersion':'v1','metadata':{'name':'a','generation':2},'b':1,'a':2}"),
                        "{'kind':'K','apiVersion':'v1','metadata':{'name':'a','generation':2},'b':1,'a':2}");
    assert_string_equal(canon(pool, "{'x':1,'metadata':{'name':'a'}}"), "{'metadata':{'name':'a'},'x':1}");
    assert_string_equal(canon(pool, "{}"), "{}");
    /* keys sharing a first letter with a known one */
    assert_string_equal(canon(pool, "{'metadata':{'names':1,'nam':2,'namespace':'n','name':'a','':3}}"),
                        "{'metadata':{'name':'a','namespace':'n','names':1,'nam':2,'':3}}");
    /* more members than the on-stack scratch space holds */
    for (int n = 30; n <= 70; n += 20) {
        struct kapi_buf in, want;
        kapi_buf_init(&in, 0);
        kapi_buf_init(&want, 0);
        kapi_buf_puts(&in, "{");
        kapi_buf_puts(&want, "{'kind':'K','metadata':{'uid':'u'");
        for (int i = 0; i < n; i++) {
            kapi_buf_printf(&in, "'x%d':%d,", i, i);
            kapi_buf_printf(&want, ",'m%d':%d", i, i);
        }
        kapi_buf_puts(&in, "'metadata':{");
        for (int i = 0; i < n; i++)
            kapi_buf_printf(&in, "'m%d':%d,", i, i);
        kapi_buf_puts(&in, "'uid':'u'},'kind':'K'}");
        kapi_buf_puts(&want, "}");
        for (int i = 0; i < n; i++)
            kapi_buf_printf(&want, ",'x%d':%d", i, i);
        kapi_buf_puts(&want, "}");
        assert_string_equal(canon(pool, in.data), want.data);
        kapi_buf_dispose(&in);
        kapi_buf_dispose(&want);
    }
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
