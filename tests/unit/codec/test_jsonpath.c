/* Unit tests for src/codec/jsonpath.c: every syntax element of client-go's
 * jsonpath dialect on an unstructured object, missing keys, filters on
 * strings, numbers and booleans (with upstream's Go-typed comparisons),
 * slices and negative indexes, range blocks, parse errors with upstream's
 * wording, the CRD column check, and the evaluation bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "codec/json.h"
#include "codec/jsonpath.h"

static const char *DOC =
    "{\"kind\":\"Widget\","
    "\"metadata\":{\"name\":\"w1\",\"labels\":{\"app\":\"web\",\"k8s.io/x\":\"y\"},"
    "\"annotations\":{\"a.b\":\"dot\"}},"
    "\"spec\":{\"replicas\":3,\"ratio\":1.5,\"enabled\":true,\"nothing\":null,\"empty\":[],"
    "\"items\":[{\"name\":\"a\",\"n\":1,\"f\":0.5},{\"name\":\"b\",\"n\":2,\"f\":1.5},{\"name\":\"c\",\"n\":3}],"
    "\"nums\":[0,1,2,3,4,5],"
    "\"flags\":[{\"on\":true,\"id\":1},{\"on\":false,\"id\":2}]},"
    "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
    "{\"type\":\"Synced\",\"status\":\"False\"}]}}";

enum mode { M_AUTO, M_COLUMN, M_TEMPLATE, M_FIRST };

/* Compiles and evaluates; the results as compact JSON joined by "|", or
 * "PARSE: msg" / "ERR: msg". Returned string is heap; caller frees. */
static char *run(enum mode m, const char *tmpl, const char *doc)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error jerr;
    struct kapi_value *root = kapi_json_parse(pool, doc, strlen(doc), NULL, &jerr);
    if (!root)
        fail_msg("bad test document: %s", jerr.msg);
    char *perr = NULL;
    struct kapi_jsonpath *p = m == M_COLUMN || m == M_FIRST ? kapi_jsonpath_compile_column(tmpl, &perr)
                              : m == M_TEMPLATE            ? kapi_jsonpath_compile_template(tmpl, &perr)
                                                           : kapi_jsonpath_compile(tmpl, &perr);
    char *res;
    if (!p) {
        assert_non_null(perr);
        res = kapi_xasprintf("PARSE: %s", perr);
        free(perr);
        kapi_pool_free(pool);
        return res;
    }
    assert_null(perr);
    const struct kapi_value **out = NULL;
    char *eerr = NULL;
    long n = m == M_FIRST ? kapi_jsonpath_eval_first(pool, p, root, &out, &eerr)
                          : kapi_jsonpath_eval(pool, p, root, &out, &eerr);
    /* Results must outlive the compiled path (literals are copied out). */
    kapi_jsonpath_free(p);
    if (n < 0) {
        assert_non_null(eerr);
        res = kapi_xasprintf("ERR: %s", eerr);
        kapi_pool_free(pool);
        return res;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (long i = 0; i < n; i++) {
        if (i)
            kapi_buf_putc(&b, '|');
        assert_non_null(out[i]);
        assert_int_equal(kapi_json_write(&b, out[i]), 0);
    }
    res = kapi_buf_steal(&b, NULL);
    kapi_pool_free(pool);
    return res;
}

static void check_mode(enum mode m, const char *tmpl, const char *doc, const char *want)
{
    char *got = run(m, tmpl, doc);
    if (strcmp(got, want) != 0) {
        print_error("template <%s>: got <%s>, want <%s>\n", tmpl, got, want);
        free(got);
        fail();
    }
    free(got);
}

#define CHECK(tmpl, want) check_mode(M_AUTO, tmpl, DOC, want)
#define CHECK_COL(tmpl, want) check_mode(M_COLUMN, tmpl, DOC, want)
#define CHECK_TPL(tmpl, want) check_mode(M_TEMPLATE, tmpl, DOC, want)
#define CHECK_FIRST(tmpl, want) check_mode(M_FIRST, tmpl, DOC, want)

static void test_fields(void **state)
{
    (void)state;
    CHECK(".spec.replicas", "3");
    CHECK("{.spec.replicas}", "3");
    CHECK("{$.kind}", "\"Widget\"");
    CHECK("{@.kind}", "\"Widget\"");
    CHECK(".spec.ratio", "1.5");
    CHECK(".spec.enabled", "true");
    CHECK(".metadata.labels", "{\"app\":\"web\",\"k8s.io/x\":\"y\"}");
    CHECK(".metadata.labels.app", "\"web\"");
    /* Escaped dots inside a key. */
    CHECK(".metadata.labels.k8s\\.io/x", "\"y\"");
    CHECK(".metadata.annotations.a\\.b", "\"dot\"");
    /* A null member is a result; a field under it is not. */
    CHECK(".spec.nothing", "null");
    CHECK(".spec.nothing.x", "");
    /* "{}" is the object itself; "." asks for the empty key. */
    CHECK_TPL("{}", "{\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\",\"labels\":{\"app\":\"web\",\"k8s.io/x\":\"y\"},"
                    "\"annotations\":{\"a.b\":\"dot\"}},\"spec\":{\"replicas\":3,\"ratio\":1.5,\"enabled\":true,"
                    "\"nothing\":null,\"empty\":[],\"items\":[{\"name\":\"a\",\"n\":1,\"f\":0.5},{\"name\":\"b\","
                    "\"n\":2,\"f\":1.5},{\"name\":\"c\",\"n\":3}],\"nums\":[0,1,2,3,4,5],\"flags\":[{\"on\":true,"
                    "\"id\":1},{\"on\":false,\"id\":2}]},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
                    "\"True\"},{\"type\":\"Synced\",\"status\":\"False\"}]}}");
    CHECK(".", "");
    /* Fields of non-objects are no result, not an error. */
    CHECK(".kind.x", "");
    CHECK(".spec.nums.x", "");
}

static void test_missing(void **state)
{
    (void)state;
    CHECK(".spec.missing", "");
    CHECK(".spec.missing.deeper.still", "");
    CHECK(".nope[0]", "");
    CHECK(".nope[*].x", "");
    CHECK(".nope[?(@.x==1)]", "");
    CHECK(".spec.nothing[0]", "");
    CHECK(".spec.empty[*]", "");
}

static void test_arrays(void **state)
{
    (void)state;
    CHECK(".spec.items[0].name", "\"a\"");
    CHECK(".spec.items[2].name", "\"c\"");
    CHECK(".spec.items[-1].name", "\"c\"");
    CHECK(".spec.items[-3].name", "\"a\"");
    CHECK(".spec.items[*].name", "\"a\"|\"b\"|\"c\"");
    CHECK(".spec.items.*.name", "\"a\"|\"b\"|\"c\"");
    CHECK(".spec.nums[1:3]", "1|2");
    CHECK(".spec.nums[:2]", "0|1");
    CHECK(".spec.nums[4:]", "4|5");
    CHECK(".spec.nums[:]", "0|1|2|3|4|5");
    CHECK(".spec.nums[::2]", "0|2|4");
    CHECK(".spec.nums[1:6:2]", "1|3|5");
    CHECK(".spec.nums[0:6:4]", "0|4");
    CHECK(".spec.nums[-2:]", "4|5");
    CHECK(".spec.nums[:-4]", "0|1");
    CHECK(".spec.nums[-3:-1]", "3|4");
    /* "[]" is "[0]" (the end index follows from an absent start). */
    CHECK(".spec.nums[]", "0");
    /* Zero elements asked for: no error, no result. */
    CHECK(".spec.nums[2:2]", "");
    CHECK(".spec.empty[0:0]", "");
    CHECK(".spec.nums[10]", "ERR: array index out of bounds: index 10, length 6");
    CHECK(".spec.nums[-7]", "ERR: array index out of bounds: index -1, length 6");
    CHECK(".spec.nums[0:10]", "ERR: array index out of bounds: index 9, length 6");
    CHECK(".spec.nums[4:2]", "ERR: starting index 4 is greater than ending index 2");
    CHECK(".spec.nums[0:3:0]", "ERR: step must be > 0");
    CHECK(".spec.nums[0:3:-1]", "ERR: step must be > 0");
    CHECK(".spec.empty[0]", "ERR: array index out of bounds: index 0, length 0");
    CHECK(".spec.empty[-1]", "ERR: array index out of bounds: index -1, length 0");
    CHECK(".kind[0]", "ERR: string is not array or slice");
    CHECK(".spec[0]", "ERR: map[string]interface {} is not array or slice");
    CHECK(".spec.replicas[0]", "ERR: int64 is not array or slice");
    CHECK(".spec.ratio[0]", "ERR: float64 is not array or slice");
    CHECK(".spec.enabled[0]", "ERR: bool is not array or slice");
    CHECK("{1[0]}", "ERR: int is not array or slice");
    CHECK(".spec.nums[9223372036854775807]", "ERR: array index out of bounds: index 9223372036854775807, length 6");
}

static void test_union_and_keys(void **state)
{
    (void)state;
    CHECK(".spec.nums[0,2,-1]", "0|2|5");
    CHECK(".spec.nums[0, 1:3]", "0|1|2");
    CHECK(".spec.items[0]['name','n']", "\"a\"|1");
    CHECK("{['kind','apiVersion']}", "\"Widget\"");
    CHECK(".spec['replicas']", "3");
    CHECK(".metadata.labels['app']", "\"web\"");
    /* A quoted key is a dotted path again: 'a.b' means .a.b. */
    CHECK(".metadata.annotations['a.b']", "");
    CHECK(".metadata.annotations['a\\.b']", "\"dot\"");
    /* Wildcards: object members in document order, string bytes as uint8. */
    CHECK(".metadata.labels.*", "\"web\"|\"y\"");
    CHECK(".metadata.labels[*]", "ERR: map[string]interface {} is not array or slice");
    CHECK(".kind.*", "87|105|100|103|101|116");
    CHECK(".spec.replicas.*", "");
}

static void test_recursive(void **state)
{
    (void)state;
    CHECK("..name", "\"w1\"|\"a\"|\"b\"|\"c\"");
    CHECK("...name", "\"w1\"|\"a\"|\"b\"|\"c\"");
    CHECK("..type", "\"Ready\"|\"Synced\"");
    CHECK(".spec..n", "1|2|3");
    CHECK(".status..status", "\"True\"|\"False\"");
    /* The first value recursive descent yields is the root (a map). */
    CHECK("..[0].name", "ERR: map[string]interface {} is not array or slice");
    CHECK(".metadata..", "{\"name\":\"w1\",\"labels\":{\"app\":\"web\",\"k8s.io/x\":\"y\"},\"annotations\":{\"a.b\":"
                         "\"dot\"}}|\"w1\"|{\"app\":\"web\",\"k8s.io/x\":\"y\"}|\"web\"|\"y\"|{\"a.b\":\"dot\"}|\"dot\"");
    CHECK("..*", "PARSE: unrecognized character in action: U+002A '*'");
    CHECK("....name", "PARSE: invalid multiple recursive descent");
}

static void test_filters(void **state)
{
    (void)state;
    CHECK(".status.conditions[?(@.type==\"Ready\")].status", "\"True\"");
    CHECK(".status.conditions[?(@.type == 'Ready')].status", "\"True\"");
    CHECK(".status.conditions[?(@.type!='Ready')].type", "\"Synced\"");
    CHECK(".status.conditions[?(@.type==\"Nope\")].status", "");
    /* int64 fields compare with int literals. */
    CHECK(".spec.items[?(@.n > 1)].name", "\"b\"|\"c\"");
    CHECK(".spec.items[?(@.n>=2)].name", "\"b\"|\"c\"");
    CHECK(".spec.items[?(@.n<2)].name", "\"a\"");
    CHECK(".spec.items[?(@.n<=1)].name", "\"a\"");
    CHECK(".spec.items[?(@.n==3)].name", "\"c\"");
    CHECK(".spec.items[?(@.n==-3)].name", "");
    /* float64 fields compare with float literals (c has no f: skipped). */
    CHECK(".spec.items[?(@.f > 1.0)].name", "\"b\"");
    CHECK(".spec.items[?(@.f < 0.9)].name", "\"a\"");
    /* ".9" is a field named 9, not a number: no right operand, no match. */
    CHECK(".spec.items[?(@.f < .9)].name", "");
    /* ... and not across Go types. */
    CHECK(".spec.items[?(@.f > 1)].name", "ERR: incompatible types for comparison");
    CHECK(".spec.items[?(@.n == 1.0)].name", "ERR: incompatible types for comparison");
    CHECK(".spec.items[?(@.name == 1)].name", "ERR: incompatible types for comparison");
    CHECK(".spec.items[?(@.name != 1)].name", "ERR: incompatible types for comparison");
    /* Strings order bytewise; both sides may be paths. */
    CHECK(".spec.items[?(@.name < \"b\")].name", "\"a\"");
    CHECK(".spec.items[?(@.name >= 'b')].name", "\"b\"|\"c\"");
    CHECK(".spec.items[?(@.name == @.name)].name", "\"a\"|\"b\"|\"c\"");
    /* Booleans: equality only. */
    CHECK(".spec.flags[?(@.on == true)].id", "1");
    CHECK(".spec.flags[?(@.on != true)].id", "2");
    CHECK(".spec.flags[?(@.on > false)].id", "ERR: invalid type for comparison");
    /* Existence. */
    CHECK(".spec.items[?(@.f)].name", "\"a\"|\"b\"");
    CHECK(".spec.items[?(@.zzz)].name", "");
    /* A byte of a string (uint8) compares with an int. */
    CHECK(".spec.items[?(@.name.* == 98)].name", "\"b\"");
    /* Operators are whatever run of !<>= follows the left operand. */
    CHECK(".spec.items[?(@.n = 1)]", "ERR: unrecognized filter operator =");
    CHECK(".spec.items[?(@.n <> 1)]", "ERR: unrecognized filter operator <>");
    CHECK(".spec.items[?(@.n ==)]", "PARSE: unrecognized character in action: U+003D '='");
    CHECK(".spec.items[?(@.n == foo)]", "ERR: unrecognized identifier foo");
    CHECK(".spec.items[?(@.n == @.*)]", "ERR: can only compare one element at a time");
    /* Filtering a non-array. */
    CHECK(".metadata.labels[?(@.x)]", "ERR: map[app:web k8s.io/x:y] is not array or slice and cannot be filtered");
    CHECK(".spec.nothing[?(@.x)]", "ERR: <nil> is not array or slice and cannot be filtered");
    CHECK(".kind[?(@)]", "ERR: Widget is not array or slice and cannot be filtered");
    CHECK(".spec.ratio[?(@)]", "ERR: 1.5 is not array or slice and cannot be filtered");
    /* An exists filter keeps what its path yields even on an error. */
    CHECK(".spec[?(@.nums[9])].replicas", "ERR: map[empty:[] enabled:true flags:[map[id:1 on:true] map[id:2 on:false]] "
                                          "items:[map[f:0.5 n:1 name:a] map[f:1.5 n:2 name:b] map[n:3 name:c]] "
                                          "nothing:<nil> nums:[0 1 2 3 4 5] ratio:1.5 replicas:3] is not array or "
                                          "slice and cannot be filtered");
    check_mode(M_AUTO, "{.a[?(@.b[5])].c}", "{\"a\":[{\"b\":[1],\"c\":\"kept\"},{\"c\":\"dropped\"}]}", "\"kept\"");
}

static void test_literals_and_text(void **state)
{
    (void)state;
    CHECK("{1}", "1");
    CHECK("{-2}", "-2");
    CHECK("{1.5}", "1.5");
    CHECK("{true}", "true");
    CHECK("{'x'}", "\"x\"");
    CHECK("{\"a\\tb\\x41\\u00e9\"}", "\"a\\tbAé\"");
    CHECK("{'it\\'s'}", "\"it's\"");
    CHECK_TPL("name: {.metadata.name}, n={.spec.replicas}", "\"name: \"|\"w1\"|\", n=\"|3");
    CHECK_TPL("plain", "\"plain\"");
    CHECK_TPL("", "");
    /* The column form wraps whatever it gets. */
    CHECK_COL(".spec.x}{.kind", "\"Widget\"");
    CHECK_FIRST(".spec.x}{.kind", "");
    CHECK_FIRST(".kind}{.spec.replicas", "\"Widget\"");
    CHECK_COL("{.kind}", "PARSE: unrecognized character in action: U+007B '{'");
    CHECK("{.kind foo}", "ERR: unrecognized identifier foo");
    CHECK("{ñ}", "ERR: unrecognized identifier ñ");
}

static void test_range(void **state)
{
    (void)state;
    CHECK_TPL("{range .spec.items[*]}{.name},{end}", "\"a\"|\",\"|\"b\"|\",\"|\"c\"|\",\"");
    CHECK_TPL("{range .spec.items[*]}[{.name}={.n}]{end}!", "\"[\"|\"a\"|\"=\"|1|\"]\"|\"[\"|\"b\"|\"=\"|2|\"]\"|\"[\"|"
                                                           "\"c\"|\"=\"|3|\"]\"|\"!\"");
    CHECK_TPL("{range .spec.empty[*]}{.name}{end}after", "\"after\"");
    CHECK_TPL("{range .status.conditions[*]}{range .*}({@}){end}{end}",
              "\"(\"|\"Ready\"|\")\"|\"(\"|\"True\"|\")\"|\"(\"|\"Synced\"|\")\"|\"(\"|\"False\"|\")\"");
    CHECK_TPL("{end}", "ERR: not in range, nothing to end");
}

static void test_parse_errors(void **state)
{
    (void)state;
    CHECK_TPL("{.a", "PARSE: unclosed action");
    CHECK_TPL("{\n}", "PARSE: unclosed action");
    CHECK(".a[0", "PARSE: unterminated array");
    CHECK(".a['b", "PARSE: unterminated array");
    CHECK(".a[x]", "PARSE: invalid array index x");
    CHECK(".a[1:x]", "PARSE: invalid array index 1:x");
    CHECK(".a[1:2:3:4]", "PARSE: invalid array index 1:2:3:4");
    CHECK(".a[-]", "PARSE: array index - is not a number");
    CHECK(".a[1:-]", "PARSE: array index - is not a number");
    CHECK(".a[99999999999999999999]", "PARSE: array index 99999999999999999999 is not a number");
    CHECK(".a[0,x]", "PARSE: invalid array index x");
    CHECK(".a[?(@.b == 1]", "PARSE: unterminated filter");
    CHECK(".a[?(@.b == 1)x", "PARSE: unclosed array expect ]");
    CHECK(".a[?(@.b == \"x)]", "PARSE: unterminated filter");
    CHECK("{\"abc}", "PARSE: unterminated quoted string");
    CHECK("{'a\\qb'}", "PARSE: unquote string 'a\\qb' error invalid syntax");
    CHECK("{\"\\'\"}", "PARSE: unquote string \"\\'\" error invalid syntax");
    CHECK("{#}", "PARSE: unrecognized character in action: U+0023 '#'");
    CHECK("{.a\t}", "PARSE: unrecognized character in action: U+0009");
    CHECK("{€}", "PARSE: unrecognized character in action: U+20AC '€'");
    CHECK("{\xff}", "PARSE: unrecognized character in action: U+FFFD '\xef\xbf\xbd'");
    CHECK("{1.2.3}", "PARSE: cannot parse number 1.2.3");
    CHECK("{+}", "PARSE: cannot parse number +");

    char *big = kapi_xmalloc(5000);
    memset(big, 'a', 4999);
    big[0] = '.';
    big[4999] = 0;
    char *err = NULL;
    assert_null(kapi_jsonpath_compile(big, &err));
    assert_string_equal(err, "jsonpath template is longer than 4096 bytes");
    free(err);
    big[4096] = 0;
    struct kapi_jsonpath *p = kapi_jsonpath_compile(big, &err);
    assert_non_null(p);
    kapi_jsonpath_free(p);
    /* Many nodes: ".a.a.a..." within the length limit is still fine. */
    for (size_t i = 0; i < 4096; i += 2) {
        big[i] = '.';
        big[i + 1] = 'a';
    }
    big[4096] = 0;
    p = kapi_jsonpath_compile(big, &err);
    assert_non_null(p);
    kapi_jsonpath_free(p);
    free(big);
    kapi_jsonpath_free(NULL);
}

static void test_check_column(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    assert_string_equal(kapi_jsonpath_check_column(pool, ""), "");
    assert_string_equal(kapi_jsonpath_check_column(pool, "spec.x"), "must be a simple json path starting with .");
    assert_string_equal(kapi_jsonpath_check_column(pool, "{.spec.x}"), "must be a simple json path starting with .");
    assert_string_equal(kapi_jsonpath_check_column(pool, "$.spec"), "must be a simple json path starting with .");
    assert_null(kapi_jsonpath_check_column(pool, "."));
    assert_null(kapi_jsonpath_check_column(pool, ".spec.replicas"));
    assert_null(kapi_jsonpath_check_column(pool, ".status.conditions[?(@.type==\"Ready\")].status"));
    /* Accepted by validation though it does not parse (upstream too). */
    assert_null(kapi_jsonpath_check_column(pool, ".spec["));
    char *err = NULL;
    assert_null(kapi_jsonpath_compile_column(".spec[", &err));
    assert_string_equal(err, "unterminated array");
    free(err);
    kapi_pool_free(pool);
}

static char *nested_doc(size_t depth)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t i = 0; i < depth; i++)
        kapi_buf_puts(&b, "{\"a\":");
    kapi_buf_puts(&b, "1");
    for (size_t i = 0; i < depth; i++)
        kapi_buf_putc(&b, '}');
    return kapi_buf_steal(&b, NULL);
}

static long count_results(const char *tmpl, const char *doc, char **errout)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error jerr;
    struct kapi_value *root = kapi_json_parse(pool, doc, strlen(doc), NULL, &jerr);
    assert_non_null(root);
    char *perr = NULL;
    struct kapi_jsonpath *p = kapi_jsonpath_compile(tmpl, &perr);
    if (!p)
        fail_msg("compile of <%.60s...> failed: %s", tmpl, perr);
    const struct kapi_value **out;
    char *err = NULL;
    long n = kapi_jsonpath_eval(pool, p, root, &out, &err);
    *errout = err ? kapi_xstrdup(err) : NULL;
    kapi_jsonpath_free(p);
    kapi_pool_free(pool);
    return n;
}

static void test_bounds(void **state)
{
    (void)state;
    /* Recursive descent over a 9000-deep document: iterative, complete. */
    char *doc = nested_doc(9000);
    char *err;
    assert_int_equal(count_results("..a", doc, &err), 9000);
    free(doc);

    /* More than 100000 values is an error, not an unbounded list. */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"x\":[");
    for (int i = 0; i < 100001; i++)
        kapi_buf_puts(&b, i ? ",0" : "0");
    kapi_buf_puts(&b, "]}");
    char *big = kapi_buf_steal(&b, NULL);
    assert_int_equal(count_results(".x[0:100000]", big, &err), 100000);
    assert_int_equal(count_results(".x[*]", big, &err), -1);
    assert_string_equal(err, "jsonpath evaluation yields more than 100000 values");
    free(err);
    free(big);

    /* Work is bounded too: 500 filter passes over 100000 elements. */
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"x\":[");
    for (int i = 0; i < 100000; i++)
        kapi_buf_puts(&b, i ? ",{}" : "{}");
    kapi_buf_puts(&b, "]}");
    big = kapi_buf_steal(&b, NULL);
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, ".x[0:0"); /* a leading "[?(" would be one filter, not a union */
    for (int i = 0; i < 500; i++)
        kapi_buf_puts(&b, ",?(@.q)");
    kapi_buf_puts(&b, "]");
    char *tmpl = kapi_buf_steal(&b, NULL);
    assert_int_equal(count_results(tmpl, big, &err), -1);
    assert_string_equal(err, "jsonpath evaluation exceeds 20000000 steps");
    free(err);
    free(tmpl);
    free(big);

    /* A string of 200000 bytes has too many bytes to iterate. */
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"s\":\"");
    for (int i = 0; i < 200000; i++)
        kapi_buf_putc(&b, 'x');
    kapi_buf_puts(&b, "\"}");
    big = kapi_buf_steal(&b, NULL);
    assert_int_equal(count_results(".s.*", big, &err), -1);
    free(err);
    assert_int_equal(count_results("..s", big, &err), 1);
    free(big);

    /* Range blocks nested past the bound. */
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"a\":");
    for (int i = 0; i < 70; i++)
        kapi_buf_puts(&b, "[{\"a\":");
    kapi_buf_puts(&b, "1");
    for (int i = 0; i < 70; i++)
        kapi_buf_puts(&b, "}]");
    kapi_buf_puts(&b, "}");
    doc = kapi_buf_steal(&b, NULL);
    kapi_buf_init(&b, 0);
    for (int i = 0; i < 70; i++)
        kapi_buf_puts(&b, "{range .a[*]}");
    tmpl = kapi_buf_steal(&b, NULL);
    assert_int_equal(count_results(tmpl, doc, &err), -1);
    assert_string_equal(err, "jsonpath range blocks nest deeper than 64");
    free(err);
    free(tmpl);
    free(doc);
}

static void test_null_root(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_jsonpath *p = kapi_jsonpath_compile(".a", NULL);
    assert_non_null(p);
    const struct kapi_value **out;
    char *err;
    assert_int_equal(kapi_jsonpath_eval(pool, p, NULL, &out, &err), 0);
    assert_int_equal(kapi_jsonpath_eval(pool, NULL, NULL, &out, &err), -1);
    kapi_jsonpath_free(p);
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_union_and_keys),
        cmocka_unit_test(test_recursive),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_literals_and_text),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_check_column),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_null_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
