/* Unit tests for src/codec/smp.c: every directive and strategy on Pod,
 * Deployment, Service and ControllerRevision shapes, the ordering rules, the
 * upstream error texts/status codes, and deep/huge inputs. Test JSON is
 * written with ' for " to stay readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/smp.h"
#include "schema/schema.h"

static struct kapi_pool *P;

static int setup(void **state)
{
    (void)state;
    P = kapi_pool_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kapi_pool_free(P);
    return 0;
}

static struct kapi_value *J(const char *s)
{
    char *t = kapi_pool_strdup(P, s);
    for (char *q = t; *q; q++)
        if (*q == '\'')
            *q = '"';
    struct kapi_json_error e;
    struct kapi_value *v = kapi_json_parse(P, t, strlen(t), NULL, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", t, e.msg);
    return v;
}

static char *W(const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    char *s = kapi_pool_strndup(P, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return s;
}

static const struct kapi_schema_msg *kind(const char *gv_kind)
{
    const struct kapi_schema_msg *m = NULL;
    if (strcmp(gv_kind, "Pod") == 0 || strcmp(gv_kind, "Service") == 0)
        m = kapi_schema_kind_find("", "v1", gv_kind);
    else
        m = kapi_schema_kind_find("apps", "v1", gv_kind);
    assert_non_null(m);
    return m;
}

/* Applies patch to doc as kind k and compares with want: objects as maps,
 * lists in order. Also checks that the patch value is not modified. */
static void ok(const char *k, const char *doc, const char *patch, const char *want)
{
    struct kapi_value *p = J(patch);
    char *before = W(p);
    struct kapi_smp_error err;
    struct kapi_value *r = kapi_smp_apply(P, kind(k), J(doc), p, &err);
    if (!r)
        fail_msg("smp %s on %s failed: %d %s", patch, doc, err.code, err.msg);
    if (!kapi_value_equal(r, J(want)))
        fail_msg("smp %s on %s:\n got %s\nwant %s", patch, doc, W(r), W(J(want)));
    assert_string_equal(W(p), before);
}

/* Expects a failure with this status, reason (NULL: plain-text panic) and
 * message (NULL: not checked). */
static void bad(const char *k, const char *doc, const char *patch, int code, const char *reason, const char *msg)
{
    struct kapi_smp_error err;
    struct kapi_value *r = kapi_smp_apply(P, kind(k), J(doc), J(patch), &err);
    if (r)
        fail_msg("smp %s on %s succeeded: %s", patch, doc, W(r));
    assert_int_equal(err.code, code);
    if (reason) {
        assert_non_null(err.reason);
        assert_string_equal(err.reason, reason);
    } else {
        assert_null(err.reason);
    }
    if (msg)
        assert_string_equal(err.msg, msg);
}

#define POD(spec) "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':" spec "}"
#define PODM(meta) "{'apiVersion':'v1','kind':'Pod','metadata':" meta "}"
#define CTRS(list) POD("{'containers':" list "}")

static void test_maps(void **state)
{
    (void)state;
    /* recursive merge, null deletes, unmatched null ignored */
    ok("Pod", PODM("{'name':'p','labels':{'a':'1','b':'2'}}"),
       "{'metadata':{'labels':{'b':null,'c':'3','zz':null}}}",
       PODM("{'name':'p','labels':{'a':'1','c':'3'}}"));
    /* a scalar replaced, a new map taken with its nulls dropped */
    ok("Pod", POD("{'restartPolicy':'Always'}"),
       "{'spec':{'restartPolicy':'Never','securityContext':{'runAsUser':null,'fsGroup':1,'x':{'y':null}}}}",
       POD("{'restartPolicy':'Never','securityContext':{'fsGroup':1,'x':{}}}"));
    /* type change replaces */
    ok("Pod", PODM("{'labels':{'a':'1'}}"), "{'metadata':{'labels':'x'}}", PODM("{'labels':'x'}"));
    /* null patch: no change; empty patch: no change */
    struct kapi_smp_error err;
    struct kapi_value *d = J(PODM("{'name':'p'}"));
    assert_ptr_equal(kapi_smp_apply(P, kind("Pod"), d, J("null"), &err), d);
    ok("Pod", PODM("{'name':'p'}"), "{}", PODM("{'name':'p'}"));
    /* map[string]string: plain merge */
    ok("Pod", PODM("{'annotations':{'a':'1'}}"), "{'metadata':{'annotations':{'a':'2','b':'3'}}}",
       PODM("{'annotations':{'a':'2','b':'3'}}"));
    /* map[string]Quantity */
    ok("Pod", CTRS("[{'name':'a','resources':{'limits':{'cpu':'1','memory':'1Gi'}}}]"),
       "{'spec':{'containers':[{'name':'a','resources':{'limits':{'cpu':null,'memory':'2Gi'}}}]}}",
       CTRS("[{'name':'a','resources':{'limits':{'memory':'2Gi'}}}]"));
}

static void test_map_directives(void **state)
{
    (void)state;
    ok("Pod", PODM("{'labels':{'a':'1','b':'2'}}"), "{'metadata':{'labels':{'$patch':'replace','c':'3'}}}",
       PODM("{'labels':{'c':'3'}}"));
    ok("Pod", PODM("{'labels':{'a':'1'}}"), "{'metadata':{'labels':{'$patch':'delete','c':'3'}}}",
       PODM("{'labels':{}}"));
    /* a new key whose value is a directive map is not added */
    ok("Pod", PODM("{'name':'p'}"), "{'metadata':{'labels':{'$patch':'delete'}}}", PODM("{'name':'p'}"));
    /* nested directive maps inside a new value are dropped */
    ok("Pod", POD("{}"), "{'spec':{'securityContext':{'seLinuxOptions':{'$patch':'replace'},'fsGroup':2}}}",
       POD("{'securityContext':{'fsGroup':2}}"));
    /* whole document */
    ok("Pod", PODM("{'name':'p'}"), "{'$patch':'replace','kind':'Pod','metadata':{'name':'q'}}",
       "{'kind':'Pod','metadata':{'name':'q'}}");
    ok("Pod", PODM("{'name':'p'}"), "{'$patch':'delete'}", "{}");
    /* merge is not a map directive; unknown values neither */
    bad("Pod", PODM("{'labels':{'a':'1'}}"), "{'metadata':{'labels':{'$patch':'merge'}}}", 500, "",
        "unknown patch type: merge in map: map[$patch:merge]");
    bad("Pod", PODM("{'labels':{'a':'1'}}"), "{'metadata':{'labels':{'$patch':3,'x':'y'}}}", 500, "",
        "unknown patch type: %!s(int64=3) in map: map[$patch:3 x:y]");
}

static void test_merge_list_by_key(void **state)
{
    (void)state;
    /* existing element merged in place, new one appended */
    ok("Pod", CTRS("[{'name':'a','image':'x'},{'name':'b','image':'y'}]"),
       "{'spec':{'containers':[{'name':'b','image':'z'},{'name':'c','image':'w'}]}}",
       CTRS("[{'name':'a','image':'x'},{'name':'b','image':'z'},{'name':'c','image':'w'}]"));
    /* patch order for patch items, live order for the rest, interleaved */
    ok("Pod", CTRS("[{'name':'a','image':'x'},{'name':'b','image':'y'}]"),
       "{'spec':{'containers':[{'name':'c'},{'name':'a','image':'q'}]}}",
       CTRS("[{'name':'c'},{'name':'a','image':'q'},{'name':'b','image':'y'}]"));
    /* nested keyed lists: ports by containerPort, env by name. A patch item
     * the live list lacks wins every comparison, so it lands first. */
    ok("Pod",
       CTRS("[{'name':'a','ports':[{'containerPort':80},{'containerPort':443}],"
            "'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]}]"),
       "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':8080,'name':'alt'}],"
       "'env':[{'name':'A','$patch':'delete'},{'name':'B','value':null,'valueFrom':{'x':1}}]}]}}",
       CTRS("[{'name':'a','ports':[{'containerPort':8080,'name':'alt'},{'containerPort':80},{'containerPort':443}],"
            "'env':[{'name':'B','valueFrom':{'x':1}}]}]"));
    /* merge key values compare with their Go types: 80 and 80.0 differ */
    ok("Pod", CTRS("[{'name':'a','ports':[{'containerPort':80}]}]"),
       "{'spec':{'containers':[{'name':'a','ports':[{'containerPort':80.0,'protocol':'UDP'}]}]}}",
       CTRS("[{'name':'a','ports':[{'containerPort':80.0,'protocol':'UDP'},{'containerPort':80}]}]"));
    /* Service ports merge by port */
    ok("Service", "{'kind':'Service','spec':{'ports':[{'port':80,'name':'http'},{'port':443,'name':'https'}]}}",
       "{'spec':{'ports':[{'port':443,'targetPort':8443}]}}",
       "{'kind':'Service','spec':{'ports':[{'port':80,'name':'http'},{'port':443,'name':'https','targetPort':8443}]}}");
    /* Deployment: template containers and volumes */
    ok("Deployment",
       "{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'1'}],"
       "'volumes':[{'name':'v','emptyDir':{}},{'name':'w','emptyDir':{}}]}}}}",
       "{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'2'}],"
       "'volumes':[{'name':'v','$patch':'delete'}]}}}}",
       "{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'2'}],'volumes':[{'name':'w','emptyDir':{}}]}}}}");
    /* new elements keep their nulls and directives, as upstream appends them verbatim */
    ok("Pod", CTRS("[]"), "{'spec':{'containers':[{'name':'n','image':null}]}}",
       CTRS("[{'name':'n','image':null}]"));
    /* duplicates in the patch merge into the element appended first */
    ok("Pod", CTRS("[]"), "{'spec':{'containers':[{'name':'n','image':'i'},{'name':'n','tty':true}]}}",
       CTRS("[{'name':'n','image':'i','tty':true}]"));
}

static void test_list_directives(void **state)
{
    (void)state;
    ok("Pod", CTRS("[{'name':'a'},{'name':'b'}]"),
       "{'spec':{'containers':[{'name':'z','image':'i'},{'$patch':'replace'}]}}",
       CTRS("[{'name':'z','image':'i'}]"));
    ok("Pod", CTRS("[{'name':'a'},{'name':'b'}]"), "{'spec':{'containers':[{'name':'a','$patch':'delete'}]}}",
       CTRS("[{'name':'b'}]"));
    /* delete of something absent is fine */
    ok("Pod", CTRS("[{'name':'a'}]"), "{'spec':{'containers':[{'name':'q','$patch':'delete'}]}}",
       CTRS("[{'name':'a'}]"));
    bad("Pod", CTRS("[{'name':'a'}]"), "{'spec':{'containers':[{'$patch':'merge'}]}}", 500, "",
        "merging lists cannot yet be specified in the patch");
    bad("Pod", CTRS("[{'name':'a'}]"), "{'spec':{'containers':[{'name':'a','$patch':'frob'}]}}", 500, "",
        "unknown patch type: frob in map: map[$patch:frob name:a]");
    bad("Pod", CTRS("[{'name':'a'}]"), "{'spec':{'containers':[{'$patch':'delete'}]}}", 500, "",
        "map: map[$patch:delete] does not contain declared merge key: name");
    bad("Pod", CTRS("[{'name':'a'}]"), "{'spec':{'containers':[{'image':'x'}]}}", 500, "",
        "map: map[image:x] does not contain declared merge key: name");
}

static void test_replace_lists(void **state)
{
    (void)state;
    /* no patch strategy: the list is replaced, verbatim */
    ok("Pod", POD("{'tolerations':[{'key':'a'},{'key':'b'}]}"),
       "{'spec':{'tolerations':[{'key':'c','value':null}]}}", POD("{'tolerations':[{'key':'c','value':null}]}"));
    ok("Pod", CTRS("[{'name':'a','args':['x','y']}]"), "{'spec':{'containers':[{'name':'a','args':['z']}]}}",
       CTRS("[{'name':'a','args':['z']}]"));
}

static void test_primitive_lists(void **state)
{
    (void)state;
    /* union with upstream's dedup and ordering: patch items first where
     * they are not in the live list */
    ok("Pod", PODM("{'finalizers':['a','b']}"), "{'metadata':{'finalizers':['c','a']}}",
       PODM("{'finalizers':['c','a','b']}"));
    ok("Pod", PODM("{'finalizers':['a','b']}"), "{'metadata':{'finalizers':['b','c']}}",
       PODM("{'finalizers':['a','b','c']}"));
    ok("Pod", PODM("{'finalizers':['a','b','c']}"), "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b','x']}}",
       PODM("{'finalizers':['a','c']}"));
    /* a deletion list for a missing field does nothing; null drops the field */
    ok("Pod", PODM("{'name':'p'}"), "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b']}}", PODM("{'name':'p'}"));
    ok("Pod", PODM("{'finalizers':['a']}"), "{'metadata':{'$deleteFromPrimitiveList/finalizers':null}}", PODM("{}"));
    /* deletion lists work whatever the strategy (args has none) */
    ok("Pod", CTRS("[{'name':'a','args':['x','y']}]"),
       "{'spec':{'containers':[{'name':'a','$deleteFromPrimitiveList/args':['x']}]}}",
       CTRS("[{'name':'a','args':['y']}]"));
    bad("Pod", PODM("{'finalizers':['a']}"), "{'metadata':{'$deleteFromPrimitiveListfinalizers':['a']}}", 400,
        "BadRequest", "invalid patch format of primitive list");
    /* mixed element types */
    bad("Pod", PODM("{'finalizers':['a']}"), "{'metadata':{'finalizers':[1]}}", 500, "",
        "list element types are not identical: [[a] [1]]");
    /* lists of lists: 422 with upstream's generic message */
    bad("Pod", PODM("{'finalizers':[]}"), "{'metadata':{'finalizers':[['a']]}}", 422, "Invalid",
        "the server rejected our request due to an error in our request");
    /* a null first element: upstream dereferences a nil type and panics */
    bad("Pod", PODM("{'finalizers':[]}"), "{'metadata':{'finalizers':[null]}}", 500, NULL, NULL);
}

static void test_set_element_order(void **state)
{
    (void)state;
    ok("Pod", PODM("{'finalizers':['a','b']}"), "{'metadata':{'$setElementOrder/finalizers':['b','a']}}",
       PODM("{'finalizers':['b','a']}"));
    ok("Pod", CTRS("[{'name':'a'},{'name':'b'},{'name':'c'}]"),
       "{'spec':{'$setElementOrder/containers':[{'name':'c'},{'name':'a'},{'name':'b'}],"
       "'containers':[{'name':'a','image':'new'}]}}",
       CTRS("[{'name':'c'},{'name':'a','image':'new'},{'name':'b'}]"));
    /* server-only elements go before the first ordered item that followed
     * them in the live list */
    ok("Pod", CTRS("[{'name':'a'},{'name':'s'},{'name':'b'}]"),
       "{'spec':{'$setElementOrder/containers':[{'name':'b'},{'name':'a'}]}}",
       CTRS("[{'name':'s'},{'name':'b'},{'name':'a'}]"));
    ok("Pod", CTRS("[{'name':'1'},{'name':'2'},{'name':'9'},{'name':'3'},{'name':'4'}]"),
       "{'spec':{'$setElementOrder/containers':[{'name':'2'},{'name':'1'},{'name':'4'},{'name':'3'}]}}",
       CTRS("[{'name':'2'},{'name':'1'},{'name':'9'},{'name':'4'},{'name':'3'}]"));
    /* duplicates in the live list stay together, in set order */
    ok("Pod", PODM("{'finalizers':['1','2','3','2','4']}"),
       "{'metadata':{'$setElementOrder/finalizers':['2','1','4','3','2']}}",
       PODM("{'finalizers':['2','2','1','4','3']}"));
    /* add one, delete one, with setElementOrder (kubectl apply) */
    ok("Pod", CTRS("[{'name':'1','x':'a'},{'name':'3'},{'name':'2'}]"),
       "{'spec':{'$setElementOrder/containers':[{'name':'4'},{'name':'2'},{'name':'1'}],"
       "'containers':[{'name':'4','v':'4'},{'name':'3','$patch':'delete'}]}}",
       CTRS("[{'name':'4','v':'4'},{'name':'2'},{'name':'1','x':'a'}]"));
    /* kubectl apply shape: delete b, add d. Upstream's in-place slice
     * shifting makes d land after the server-only s. */
    ok("Pod", CTRS("[{'name':'a'},{'name':'b'},{'name':'s'}]"),
       "{'spec':{'$setElementOrder/containers':[{'name':'a'},{'name':'d'}],"
       "'containers':[{'name':'b','$patch':'delete'},{'name':'d','image':'d'}]}}",
       CTRS("[{'name':'a'},{'name':'s'},{'name':'d','image':'d'}]"));
    /* a list added by the patch, directive elements dropped */
    ok("Pod", POD("{}"),
       "{'spec':{'$setElementOrder/containers':[{'name':'b'},{'name':'a'}],"
       "'containers':[{'name':'b'},{'name':'a'},{'name':'x','$patch':'delete'}]}}",
       POD("{'containers':[{'name':'b'},{'name':'a'}]}"));
    /* neither side has the list: nothing happens */
    ok("Pod", POD("{}"), "{'spec':{'$setElementOrder/containers':[{'name':'b'}]}}", POD("{}"));
    bad("Pod", CTRS("[{'name':'a'}]"),
        "{'spec':{'$setElementOrder/containers':[{'name':'a'}],'containers':[{'name':'b','image':'x'}]}}", 500, "",
        "The order in patch list:\n[map[image:x name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n");
    bad("Pod", CTRS("[{'name':'a'}]"), "{'spec':{'$setElementOrder/containers':'a'}}", 500, "",
        "expected a []interface {}, but received a string");
    bad("Pod", CTRS("[{'name':'a'}]"), "{'spec':{'$setElementOrderX':[]}}", 400, "BadRequest",
        "invalid patch format of setElementOrder list");
    bad("Pod", POD("{}"), "{'spec':{'$setElementOrder/nosuch':[]}}", 500, "",
        "unable to find api field in struct PodSpec for the json field \"nosuch\"");
    /* an empty live list and no patch list: no element type to find */
    bad("Pod", PODM("{'finalizers':[]}"), "{'metadata':{'$setElementOrder/finalizers':['a']}}", 500, "",
        "no elements in any of the given slices");
}

static void test_retain_keys(void **state)
{
    (void)state;
    const char *dep = "{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}";
    ok("Deployment", dep, "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}",
       "{'spec':{'strategy':{'type':'Recreate'}}}");
    /* null values and directives need not be listed */
    ok("Deployment", dep,
       "{'spec':{'strategy':{'$retainKeys':['type','rollingUpdate'],'type':'RollingUpdate',"
       "'rollingUpdate':{'maxSurge':2},'zz':null}}}",
       "{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':2}}}}");
    bad("Deployment", dep, "{'spec':{'strategy':{'$retainKeys':['type'],'rollingUpdate':{}}}}", 400, "BadRequest",
        "invalid patch format of retainKeys");
    bad("Deployment", dep, "{'spec':{'strategy':{'$retainKeys':'type'}}}", 400, "BadRequest",
        "invalid patch format of retainKeys");
    bad("Deployment", dep, "{'spec':{'strategy':{'$retainKeys':[{}]}}}", 500, NULL, NULL);
    /* on a volume (merge,retainKeys): switch the volume source */
    ok("Pod", POD("{'volumes':[{'name':'v','emptyDir':{}}]}"),
       "{'spec':{'volumes':[{'name':'v','$retainKeys':['name','hostPath'],'hostPath':{'path':'/x'}}]}}",
       POD("{'volumes':[{'name':'v','hostPath':{'path':'/x'}}]}"));
}

static void test_untyped(void **state)
{
    (void)state;
    /* RawExtension: upstream cannot look fields up in it */
    const char *cr = "{'kind':'ControllerRevision','data':{'a':{'b':1},'s':1},'revision':1}";
    ok("ControllerRevision", cr, "{'data':{'s':2,'n':{'x':null}}}",
       "{'kind':'ControllerRevision','data':{'a':{'b':1},'s':2,'n':{}},'revision':1}");
    bad("ControllerRevision", cr, "{'data':{'a':{'c':2}}}", 500, "",
        "unable to find api field in struct RawExtension for the json field \"a\"");
    /* a stored field our schema does not know merges as plain JSON */
    ok("Pod", POD("{'zzz':{'a':1,'l':[1]}}"), "{'spec':{'zzz':{'b':2,'l':[2]}}}", POD("{'zzz':{'a':1,'b':2,'l':[2]}}"));
    /* the body must be an object */
    bad("Pod", PODM("{}"), "[1]", 400, "BadRequest",
        "json: cannot unmarshal array into Go value of type map[string]interface {}");
    bad("Pod", PODM("{}"), "\"s\"", 400, "BadRequest",
        "json: cannot unmarshal string into Go value of type map[string]interface {}");
    /* unknown $-keys are ordinary keys to SMP (the decoder drops them) */
    ok("Pod", PODM("{'name':'p'}"), "{'metadata':{'$frob':1}}", PODM("{'name':'p','$frob':1}"));
}

/* Deeply nested documents must not exhaust the stack. */
static void test_deep(void **state)
{
    (void)state;
    int n = 9990;
    struct kapi_buf d, p;
    kapi_buf_init(&d, 0);
    kapi_buf_init(&p, 0);
    kapi_buf_puts(&d, "{\"kind\":\"Pod\",\"spec\":{\"zzz\":");
    kapi_buf_puts(&p, "{\"spec\":{\"zzz\":");
    for (int i = 0; i < n; i++) {
        kapi_buf_puts(&d, "{\"a\":");
        kapi_buf_puts(&p, "{\"a\":");
    }
    kapi_buf_puts(&d, "1");
    kapi_buf_puts(&p, "{\"x\":null,\"y\":[{\"$patch\":\"delete\"}]}");
    for (int i = 0; i < n; i++) {
        kapi_buf_puts(&d, "}");
        kapi_buf_puts(&p, "}");
    }
    kapi_buf_puts(&d, "}}");
    kapi_buf_puts(&p, "}}");
    struct kapi_json_error je;
    struct kapi_value *dv = kapi_json_parse(P, d.data, d.len, NULL, &je);
    struct kapi_value *pv = kapi_json_parse(P, p.data, p.len, NULL, &je);
    assert_non_null(dv);
    assert_non_null(pv);
    struct kapi_smp_error err;
    struct kapi_value *r = kapi_smp_apply(P, kind("Pod"), dv, pv, &err);
    assert_non_null(r);
    const struct kapi_value *v = kapi_value_path(r, "spec", "zzz", NULL);
    for (int i = 0; i < n; i++)
        v = kapi_obj_get(v, "a");
    assert_int_equal(v->type, KAPI_V_OBJECT);
    assert_null(kapi_obj_get(v, "x"));
    assert_int_equal(kapi_obj_get(v, "y")->u.arr.len, 0);
    /* a deep new value (null pruning and directive removal recurse) */
    r = kapi_smp_apply(P, kind("Pod"), J(PODM("{}")), pv, &err);
    assert_non_null(r);
    kapi_buf_dispose(&d);
    kapi_buf_dispose(&p);
}

/* Quadratic merges of huge lists stop at the work budget. */
static void test_work_limit(void **state)
{
    (void)state;
    struct kapi_buf d, p;
    kapi_buf_init(&d, 0);
    kapi_buf_init(&p, 0);
    kapi_buf_puts(&d, "{\"metadata\":{\"finalizers\":[");
    kapi_buf_puts(&p, "{\"metadata\":{\"finalizers\":[");
    for (int i = 0; i < 40000; i++) {
        kapi_buf_printf(&d, "%s\"d%d\"", i ? "," : "", i);
        kapi_buf_printf(&p, "%s\"p%d\"", i ? "," : "", i);
    }
    kapi_buf_puts(&d, "]}}");
    kapi_buf_puts(&p, "]}}");
    struct kapi_json_error je;
    struct kapi_value *dv = kapi_json_parse(P, d.data, d.len, NULL, &je);
    struct kapi_value *pv = kapi_json_parse(P, p.data, p.len, NULL, &je);
    struct kapi_smp_error err;
    assert_null(kapi_smp_apply(P, kind("Pod"), dv, pv, &err));
    assert_int_equal(err.code, 504);
    assert_string_equal(err.reason, "Timeout");
    kapi_buf_dispose(&d);
    kapi_buf_dispose(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_directives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_list_by_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_directives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_primitive_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_element_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retain_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untyped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_work_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
