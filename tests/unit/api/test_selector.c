/* Unit tests for src/api/selector: label and field selectors, with
 * expectations taken from upstream's behaviour (labels/selector_test.go,
 * fields/selector_test.go) and its exact error texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/selector.h"
#include "codec/json.h"
#include "codec/value.h"

static struct kapi_pool *pool;

static int setup(void **state)
{
    pool = kapi_pool_new();
    return 0;
}

static int teardown(void **state)
{
    kapi_pool_free(pool);
    return 0;
}

/* Labels from "k=v" pairs, NULL-terminated. */
static struct kapi_value *labels(const char *first, ...)
{
    struct kapi_value *obj = kapi_value_object(pool);
    va_list ap;
    va_start(ap, first);
    for (const char *kv = first; kv; kv = va_arg(ap, const char *)) {
        const char *eq = strchr(kv, '=');
        kapi_obj_set(pool, obj, kapi_pool_strndup(pool, kv, (size_t)(eq - kv)), kapi_value_str(pool, eq + 1));
    }
    va_end(ap);
    return obj;
}

static struct kapi_label_selector *lparse(const char *s, const char **err)
{
    return kapi_label_selector_parse(pool, s, strlen(s), err);
}

static void expect_label_error(const char *sel, const char *want)
{
    const char *err = NULL;
    struct kapi_label_selector *ls = lparse(sel, &err);
    if (ls || !err || strcmp(err, want) != 0)
        fail_msg("selector '%s': got %s\n  want: %s", sel, err ? err : "(no error)", want);
}

static bool lmatch(const char *sel, const struct kapi_value *l)
{
    const char *err = NULL;
    struct kapi_label_selector *ls = lparse(sel, &err);
    if (!ls)
        fail_msg("selector '%s' did not parse: %s", sel, err);
    return kapi_label_selector_matches(ls, l);
}

static void test_label_roundtrip(void **state)
{
    /* Upstream: parsing and printing gives the input minus spaces. */
    static const char *const good[] = {"x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ",
                                       "!x", "x>1", "x>1,z<5", "x==a", "notin=in"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(good); i++) {
        const char *err = NULL;
        struct kapi_label_selector *ls = lparse(good[i], &err);
        assert_non_null(ls);
        assert_null(err);
        char want[64];
        size_t k = 0;
        for (const char *p = good[i]; *p; p++)
            if (*p != ' ')
                want[k++] = *p;
        want[k] = '\0';
        assert_string_equal(kapi_label_selector_string(pool, ls), want);
    }
    /* Deterministic: requirements are ordered by key. */
    assert_string_equal(kapi_label_selector_string(pool, lparse("x=a,a=x", NULL)), "a=x,x=a");
    assert_string_equal(kapi_label_selector_string(pool, lparse("x notin (def, abc),bar,z in (),w", NULL)),
                        "bar,w,x notin (abc,def),z in ()");
    assert_string_equal(kapi_label_selector_string(pool, lparse("x in (b,a,b,)", NULL)), "x in (,a,b)");
}

static void test_label_structure(void **state)
{
    struct kapi_label_selector *ls = lparse("\rx", NULL);
    assert_non_null(ls);
    assert_int_equal(ls->nreqs, 1);
    assert_int_equal(ls->reqs[0].op, KAPI_LABEL_EXISTS);

    ls = lparse("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)", NULL);
    assert_non_null(ls);
    assert_string_equal(ls->reqs[0].key, "0.1.2.domain/99");
    assert_int_equal(ls->reqs[0].op, KAPI_LABEL_NOT_IN);
    assert_int_equal(ls->reqs[0].nvalues, 2);
    assert_string_equal(ls->reqs[0].values[0], "10.10.100.1");
    assert_string_equal(ls->reqs[0].values[1], "tick.tack.clock");

    ls = lparse("foo  in\t (abc)", NULL);
    assert_non_null(ls);
    assert_int_equal(ls->reqs[0].op, KAPI_LABEL_IN);

    ls = lparse("x notin\n (abc)", NULL);
    assert_non_null(ls);
    ls = lparse("x notin ( )", NULL);
    assert_non_null(ls);
    assert_int_equal(ls->reqs[0].nvalues, 1);
    assert_string_equal(ls->reqs[0].values[0], "");

    ls = lparse("x notin (, a)", NULL);
    assert_non_null(ls);
    assert_int_equal(ls->reqs[0].nvalues, 2);
    assert_string_equal(ls->reqs[0].values[0], "");
    assert_string_equal(ls->reqs[0].values[1], "a");

    /* "in" and "notin" are ordinary words inside a value list. */
    ls = lparse("a in (x,y,notin, z,in)", NULL);
    assert_non_null(ls);
    assert_int_equal(ls->reqs[0].nvalues, 5);
    assert_string_equal(ls->reqs[0].values[0], "in");
    assert_string_equal(ls->reqs[0].values[1], "notin");

    ls = lparse("a ", NULL);
    assert_non_null(ls);
    assert_int_equal(ls->reqs[0].op, KAPI_LABEL_EXISTS);

    ls = lparse("x=a,y!=b,z in (h,i,j)", NULL);
    assert_non_null(ls);
    assert_int_equal(ls->nreqs, 3);
    assert_int_equal(ls->reqs[1].op, KAPI_LABEL_NOT_EQUALS);
    assert_int_equal(ls->reqs[2].nvalues, 3);

    ls = lparse("this-is-another-dns.domain.com/key-with-dash in (so,what)", NULL);
    assert_non_null(ls);

    assert_true(kapi_label_selector_empty(lparse("", NULL)));
    assert_true(kapi_label_selector_empty(lparse("  ", NULL)));
    assert_true(kapi_label_selector_empty(NULL));
    assert_false(kapi_label_selector_empty(lparse("a", NULL)));
}

static void test_label_errors(void **state)
{
    expect_label_error("x==a==b", "found '==', expected: ',' or 'end of string'");
    expect_label_error("!x=a", "found '=', expected: ',' or 'end of string'");
    expect_label_error("x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
                              "operators, the value must be an integer");
    expect_label_error("x,,y", "found ',', expected: identifier after ','");
    expect_label_error(",x,y", "found ',', expected: !, identifier, or 'end of string'");
    expect_label_error("x nott in (y)",
                       "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt");
    expect_label_error("env IN (a)", "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt");
    expect_label_error("a in (xyz),", "found '', expected: identifier after ','");
    expect_label_error("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'");
    expect_label_error("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'");
    expect_label_error("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier");
    expect_label_error("a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
    expect_label_error("(", "found '(', expected: !, identifier, or 'end of string'");
    expect_label_error("x in y", "unable to parse requirement: found 'y' expected: '('");
    expect_label_error("x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier");
    expect_label_error("x=(", "unable to parse requirement: found '(', expected: identifier");
    expect_label_error("!", "unable to parse requirement: found '', expected: identifier");
    expect_label_error("!!x", "unable to parse requirement: found '!', expected: identifier");
    expect_label_error(
        "a:", "unable to parse requirement: <nil>: Invalid value: \"a:\": name part must consist of alphanumeric "
              "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
              "or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    expect_label_error(
        "x=a||y=b",
        "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": a valid label must be an empty string "
        "or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    /* Two problems with one value are aggregated in brackets. */
    expect_label_error(
        "x>a%",
        "unable to parse requirement: [values[0]: Invalid value: \"a%\": for 'Gt', 'Lt' operators, the value must "
        "be an integer, values[0][x]: Invalid value: \"a%\": a valid label must be an empty string or consist of "
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]");
    /* Values are checked in sorted order; the index is the sorted one. */
    char sel[200], want[400];
    char v64[65];
    memset(v64, 'v', 64);
    v64[64] = '\0';
    snprintf(sel, sizeof sel, "k in (a,%s)", v64);
    snprintf(want, sizeof want,
             "unable to parse requirement: values[1][k]: Invalid value: \"%s\": must be no more than 63 characters",
             v64);
    expect_label_error(sel, want);
    snprintf(sel, sizeof sel, "%s", v64);
    snprintf(want, sizeof want,
             "unable to parse requirement: <nil>: Invalid value: \"%s\": name part must be no more than 63 characters",
             v64);
    expect_label_error(sel, want);
    expect_label_error("a/b/c=d",
                       "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist "
                       "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                       "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
                       "(e.g. 'example.com/MyName')");
    /* Quoting in messages follows Go's %q. */
    expect_label_error("k=\"x\"", "unable to parse requirement: values[0][k]: Invalid value: \"\\\"x\\\"\": a valid "
                                  "label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                                  "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                                  "'my_value',  or '12345', regex used for validation is "
                                  "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}

static void test_label_nul_byte(void **state)
{
    /* A NUL where a token starts ends the input; inside a word it splits
     * it; right after a symbol it is swallowed by the symbol scan. */
    const char *err = NULL;
    struct kapi_label_selector *ls = kapi_label_selector_parse(pool, "a, \0b", 5, &err);
    assert_null(ls);
    assert_string_equal(err, "found '', expected: identifier after ','");
    ls = kapi_label_selector_parse(pool, "a,\0b", 4, &err);
    assert_non_null(ls);
    assert_int_equal(ls->nreqs, 2);
    ls = kapi_label_selector_parse(pool, "a\0", 2, &err);
    assert_non_null(ls);
    assert_int_equal(ls->nreqs, 1);
    ls = kapi_label_selector_parse(pool, "a\0b", 3, &err);
    assert_null(ls);
    assert_string_equal(err, "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
}

static void test_label_matches(void **state)
{
    assert_true(lmatch("", labels("x=y", NULL)));
    assert_true(lmatch("x=y", labels("x=y", NULL)));
    assert_true(lmatch("x=y,z=w", labels("x=y", "z=w", NULL)));
    assert_true(lmatch("x!=y,z!=w", labels("x=z", "z=a", NULL)));
    assert_true(lmatch("notin=in", labels("notin=in", NULL)));
    assert_true(lmatch("x", labels("x=z", NULL)));
    assert_true(lmatch("!x", labels("y=z", NULL)));
    assert_true(lmatch("x>1", labels("x=2", NULL)));
    assert_true(lmatch("x<1", labels("x=0", NULL)));
    assert_false(lmatch("x=z", labels(NULL, NULL)));
    assert_false(lmatch("x=y", labels("x=z", NULL)));
    assert_false(lmatch("x=y,z=w", labels("x=w", "z=w", NULL)));
    assert_false(lmatch("x!=y,z!=w", labels("x=z", "z=w", NULL)));
    assert_false(lmatch("x", labels("y=z", NULL)));
    assert_false(lmatch("!x", labels("x=z", NULL)));
    assert_false(lmatch("x>1", labels("x=0", NULL)));
    assert_false(lmatch("x<1", labels("x=2", NULL)));
    assert_false(lmatch("z>1", labels("z=v2", NULL)));
    assert_false(lmatch("z>1", labels(NULL, NULL)));
    assert_true(lmatch("x<5", labels("x=-4", NULL)));
    assert_false(lmatch("x>5", labels("x=+4", NULL)));
    assert_false(lmatch("x>5", labels("x=99999999999999999999", NULL)));

    struct kapi_value *set = labels("foo=bar", "baz=blah", NULL);
    assert_true(lmatch("foo=bar", set));
    assert_true(lmatch("baz=blah", set));
    assert_true(lmatch("foo=bar,baz=blah", set));
    assert_false(lmatch("foo=blah", set));
    assert_false(lmatch("baz=bar", set));
    assert_false(lmatch("foo=bar,foobar=bar,baz=blah", set));

    struct kapi_value *y_empty = labels("y=", NULL);
    assert_true(lmatch("x notin (),y", y_empty));
    assert_true(lmatch("!x,y", y_empty));
    assert_false(lmatch("x notin (),!y", y_empty));
    assert_false(lmatch("x in ()", labels("y=baz", NULL)));
    assert_true(lmatch("x in (foo),y notin (alpha)", labels("x=foo", "y=baz", NULL)));
    assert_false(lmatch("x in (foo),y in (alpha)", labels("x=foo", "y=baz", NULL)));
    assert_true(lmatch("y=", y_empty));
    assert_true(lmatch("x in (a,b)", labels("x=b", NULL)));

    /* No labels at all (NULL or not an object): only negative requirements hold. */
    assert_true(lmatch("!a,b!=c,d notin (e)", NULL));
    assert_false(lmatch("a", NULL));
    assert_true(lmatch("", kapi_value_str(pool, "junk")));
}

static void test_label_exact(void **state)
{
    const char *v = NULL;
    assert_true(kapi_label_selector_exact(lparse("a=b,c in (d)", NULL), "a", &v));
    assert_string_equal(v, "b");
    assert_true(kapi_label_selector_exact(lparse("a=b,c in (d)", NULL), "c", &v));
    assert_string_equal(v, "d");
    assert_false(kapi_label_selector_exact(lparse("c in (d,e)", NULL), "c", &v));
    assert_false(kapi_label_selector_exact(lparse("c!=d", NULL), "c", &v));
    assert_false(kapi_label_selector_exact(lparse("c=d", NULL), "x", &v));
}

/* ---- Field selectors. */

static const char *pod_field(void *ctx, const char *field)
{
    const char *const *kv = ctx;
    for (; *kv; kv += 2)
        if (strcmp(kv[0], field) == 0)
            return kv[1];
    return NULL;
}

static struct kapi_field_selector *fparse(const char *s, const char **err)
{
    return kapi_field_selector_parse(pool, s, strlen(s), err);
}

static bool fmatch(const char *sel, const char *const *fields)
{
    const char *err = NULL;
    struct kapi_field_selector *fs = fparse(sel, &err);
    if (!fs)
        fail_msg("field selector '%s' did not parse: %s", sel, err);
    return kapi_field_selector_matches(fs, pod_field, (void *)fields);
}

static void test_field_parse(void **state)
{
    static const char *const good[][2] = {
        {"x=a,y=b,z=c", "x=a,y=b,z=c"}, {"", ""},   {"x!=a,y=b", "x!=a,y=b"}, {"x=", "x="},
        {"x=,z=", "x=,z="},             {"x==a", "x=a"}, {"z=c,x=a", "x=a,z=c"}, {",x=a,,", "x=a"},
        {"x=a\\,b", "x=a\\,b"},         {"x=a\\=b", "x=a\\=b"}, {"x=a\\\\b", "x=a\\\\b"},
        {"=", ""},                      {"x=a=b\\=", NULL},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(good); i++) {
        const char *err = NULL;
        struct kapi_field_selector *fs = fparse(good[i][0], &err);
        if (!good[i][1]) {
            assert_null(fs);
            continue;
        }
        if (!fs)
            fail_msg("'%s': %s", good[i][0], err);
        assert_string_equal(kapi_field_selector_string(pool, fs), good[i][1]);
    }

    struct kapi_field_selector *fs = fparse("metadata.name=a\\,b\\=c\\\\d,status.phase!=Running", NULL);
    assert_non_null(fs);
    assert_int_equal(fs->nterms, 2);
    assert_string_equal(fs->terms[0].field, "metadata.name");
    assert_int_equal(fs->terms[0].op, KAPI_FIELD_EQUALS);
    assert_string_equal(fs->terms[0].value, "a,b=c\\d");
    assert_string_equal(fs->terms[1].field, "status.phase");
    assert_int_equal(fs->terms[1].op, KAPI_FIELD_NOT_EQUALS);
    assert_string_equal(fs->terms[1].value, "Running");

    /* The first operator wins; "!=" is preferred over "=" at a position. */
    fs = fparse("a=!b", NULL);
    assert_non_null(fs);
    assert_string_equal(fs->terms[0].value, "!b");
    fs = fparse("a!=b", NULL);
    assert_non_null(fs);
    assert_int_equal(fs->terms[0].op, KAPI_FIELD_NOT_EQUALS);

    const char *v = NULL;
    fs = fparse("a!=x,b=y,a=z", NULL);
    assert_true(kapi_field_selector_exact(fs, "a", &v));
    assert_string_equal(v, "z");
    assert_false(kapi_field_selector_exact(fs, "c", &v));
    assert_true(kapi_field_selector_empty(fparse("", NULL)));
    assert_true(kapi_field_selector_empty(fparse(",,", NULL)));
    assert_false(kapi_field_selector_empty(fs));
}

static void expect_field_error(const char *sel, const char *want)
{
    const char *err = NULL;
    struct kapi_field_selector *fs = fparse(sel, &err);
    if (fs || !err || strcmp(err, want) != 0)
        fail_msg("field selector '%s': got %s\n  want: %s", sel, err ? err : "(no error)", want);
}

static void test_field_errors(void **state)
{
    expect_field_error("x=a||y=b", "invalid field selector: unescaped character in value: 61");
    expect_field_error("x", "invalid selector: 'x'; can't understand 'x'");
    expect_field_error("b=c,a", "invalid selector: 'b=c,a'; can't understand 'a'");
    expect_field_error("x=a\\b", "invalid field selector: invalid escape sequence: \\b");
    expect_field_error("x=a\\", "invalid field selector: invalid escape sequence: \\");
    expect_field_error("x=a\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9");
    expect_field_error("x=a=b", "invalid field selector: unescaped character in value: 61");
    /* An escaped comma keeps the term together, so the '=' after it is bare. */
    expect_field_error("x=a\\,y=b", "invalid field selector: unescaped character in value: 61");
}

static void test_field_matches(void **state)
{
    static const char *const pod[] = {"metadata.name", "web", "status.phase", "Running", "spec.nodeName", "", NULL};
    assert_true(fmatch("", pod));
    assert_true(fmatch("metadata.name=web", pod));
    assert_true(fmatch("metadata.name==web,status.phase=Running", pod));
    assert_false(fmatch("metadata.name=db", pod));
    assert_true(fmatch("status.phase!=Pending", pod));
    assert_false(fmatch("status.phase!=Running", pod));
    /* A missing field reads as "". */
    assert_true(fmatch("spec.nodeName=", pod));
    assert_true(fmatch("metadata.namespace=", pod));
    assert_false(fmatch("metadata.namespace!=", pod));
    assert_true(fmatch("metadata.namespace!=x", pod));
    static const char *const odd[] = {"a", "x,y=z\\", NULL};
    assert_true(fmatch("a=x\\,y\\=z\\\\", odd));
}

/* metav1.LabelSelector objects, as LabelSelectorAsSelector converts them. */
static struct kapi_label_selector *obj_sel(const char *json, const char **err)
{
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(pool, json, strlen(json), NULL, &jerr);
    assert_non_null(v);
    return kapi_label_selector_from_object(pool, v, err);
}

static void test_label_from_object(void **state)
{
    const char *err = "unset";
    /* absent: nothing (NULL without an error); {}: everything */
    assert_null(kapi_label_selector_from_object(pool, NULL, &err));
    assert_null(err);
    struct kapi_label_selector *s = obj_sel("{}", &err);
    assert_non_null(s);
    assert_true(kapi_label_selector_empty(s));
    assert_true(kapi_label_selector_matches(s, labels("a=b", NULL)));
    s = obj_sel("{\"matchLabels\":{\"z\":\"1\",\"a\":\"b\"},"
                "\"matchExpressions\":[{\"key\":\"t\",\"operator\":\"In\",\"values\":[\"y\",\"x\"]},"
                "{\"key\":\"gone\",\"operator\":\"DoesNotExist\"},{\"key\":\"n\",\"operator\":\"NotIn\",\"values\":[\"q\"]},"
                "{\"key\":\"e\",\"operator\":\"Exists\"}]}", &err);
    assert_non_null(s);
    assert_string_equal(kapi_label_selector_string(pool, s), "a=b,e,!gone,n notin (q),t in (x,y),z=1");
    assert_true(kapi_label_selector_matches(s, labels("a=b", "z=1", "t=x", "e=", NULL)));
    assert_false(kapi_label_selector_matches(s, labels("a=b", "z=1", "t=x", "e=", "gone=1", NULL)));
    assert_false(kapi_label_selector_matches(s, labels("a=b", "z=1", "t=w", "e=", NULL)));
    assert_false(kapi_label_selector_matches(s, labels("a=b", "z=1", "t=x", "e=", "n=q", NULL)));
    assert_false(kapi_label_selector_matches(s, labels("a=b", "z=1", "t=x", NULL)));
    /* errors upstream's conversion reports */
    assert_null(obj_sel("{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}", &err));
    assert_string_equal(err, "\"Gt\" is not a valid label selector operator");
    assert_null(obj_sel("{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[]}]}", &err));
    assert_string_equal(err, "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty");
    assert_null(obj_sel("{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"Exists\",\"values\":[\"a\"]}]}", &err));
    assert_string_equal(err, "values: Invalid value: []string{\"a\"}: values set must be empty for exists and does not exist");
    assert_null(obj_sel("{\"matchLabels\":{\"bad key\":\"v\"}}", &err));
    assert_non_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_label_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_nul_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_matches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_from_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_matches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
