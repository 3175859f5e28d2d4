/* Unit tests for src/codec/patch.c: RFC 6902 / RFC 7386 appendix examples,
 * the json-patch v4 quirks kube-apiserver exposes, limits and error mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/patch.h"

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
    struct kapi_json_error e;
    struct kapi_value *v = kapi_json_parse(P, s, strlen(s), NULL, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", s, e.msg);
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

/* Applies a JSON patch and compares the compact output byte for byte; also
 * checks the patch value was left untouched. */
static void jp_ok(const char *doc, const char *patch, const char *want)
{
    struct kapi_patch_error err;
    struct kapi_value *p = J(patch);
    char *before = W(p);
    struct kapi_value *r = kapi_json_patch_apply(P, J(doc), p, &err);
    if (!r)
        fail_msg("patch %s on %s failed: %d %s / %s", patch, doc, err.code, err.msg, err.detail);
    assert_string_equal(W(r), want);
    assert_string_equal(W(p), before);
}

/* Expects a failure with the given status; detail (when given) must appear
 * in err.detail. 422s must carry upstream's fixed message. */
static void jp_fail(const char *doc, const char *patch, int code, const char *detail)
{
    struct kapi_patch_error err;
    struct kapi_value *r = kapi_json_patch_apply(P, J(doc), J(patch), &err);
    if (r)
        fail_msg("patch %s on %s succeeded: %s", patch, doc, W(r));
    if (err.code != code)
        fail_msg("patch %s on %s: code %d (%s / %s), want %d", patch, doc, err.code, err.msg, err.detail, code);
    if (detail && !strstr(err.detail, detail))
        fail_msg("patch %s on %s: detail \"%s\" lacks \"%s\"", patch, doc, err.detail, detail);
    if (code == 422) {
        assert_string_equal(err.msg, KAPI_PATCH_MSG_INVALID);
        assert_string_equal(err.reason, "Invalid");
    }
}

static void mp_ok(const char *doc, const char *patch, const char *want)
{
    struct kapi_patch_error err;
    struct kapi_value *p = J(patch);
    char *before = W(p);
    struct kapi_value *r = kapi_merge_patch_apply(P, J(doc), p, &err);
    if (!r)
        fail_msg("merge %s on %s failed: %d %s", patch, doc, err.code, err.msg);
    assert_string_equal(W(r), want);
    assert_string_equal(W(p), before);
}

/* --------------------------------------------------- RFC 6902 appendix A */

static void test_rfc6902_examples(void **state)
{
    (void)state;
    /* A.1 - A.5 */
    jp_ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
          "{\"foo\":\"bar\",\"baz\":\"qux\"}");
    jp_ok("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
          "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
    jp_ok("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}");
    jp_ok("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
          "{\"foo\":[\"bar\",\"baz\"]}");
    jp_ok("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
          "{\"baz\":\"boo\",\"foo\":\"bar\"}");
    /* A.6, A.7: move */
    jp_ok("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
          "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
          "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
    jp_ok("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}", "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
          "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
    /* A.8, A.9: test */
    jp_ok("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
          "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
          "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
    jp_fail("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", 422,
            "testing value /baz failed: test failed");
    /* A.10 nested member, A.11 unknown members ignored */
    jp_ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
          "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
    jp_ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
          "{\"foo\":\"bar\",\"baz\":\"qux\"}");
    /* A.12 nonexistent target */
    jp_fail("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", 422,
            "add operation does not apply: doc is missing path: \"/baz/bat\": missing value");
    /* A.13: a repeated "op" keeps the last one, as Go's map does: remove. */
    jp_fail("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]", 422,
            "Unable to remove nonexistent key: baz");
    /* A.14 escape order, A.15 string vs number */
    jp_ok("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", "{\"/\":9,\"~1\":10}");
    jp_fail("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", 422, "test failed");
    /* A.16 add an array value */
    jp_ok("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
          "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
}

/* ------------------------------------------------------------- pointers */

static void test_pointer_escapes(void **state)
{
    (void)state;
    jp_ok("{\"a/b\":1}", "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":2}]", "{\"a/b\":2}");
    jp_ok("{\"m~n\":1}", "[{\"op\":\"remove\",\"path\":\"/m~0n\"}]", "{}");
    jp_ok("{}", "[{\"op\":\"add\",\"path\":\"/~01\",\"value\":true}]", "{\"~1\":true}");
    /* "/" names the empty key; unknown escapes stay literal. */
    jp_ok("{}", "[{\"op\":\"add\",\"path\":\"/\",\"value\":0}]", "{\"\":0}");
    jp_ok("{}", "[{\"op\":\"add\",\"path\":\"/~2\",\"value\":0}]", "{\"~2\":0}");
    /* Escapes in intermediate tokens too. */
    jp_ok("{\"x/y\":{\"~\":[]}}", "[{\"op\":\"add\",\"path\":\"/x~1y/~0/0\",\"value\":1}]", "{\"x/y\":{\"~\":[1]}}");
    /* Keys holding NUL bytes are addressable. */
    jp_ok("{\"a\\u0000b\":1}", "[{\"op\":\"replace\",\"path\":\"/a\\u0000b\",\"value\":2}]", "{\"a\\u0000b\":2}");
    /* v4 ignores whatever precedes the first '/', and needs one. */
    jp_ok("{\"b\":1}", "[{\"op\":\"replace\",\"path\":\"zzz/b\",\"value\":2}]", "{\"b\":2}");
    jp_fail("{\"b\":1}", "[{\"op\":\"remove\",\"path\":\"b\"}]", 422, "doc is missing path: \"b\"");
    /* Walking through a scalar or a null fails. */
    jp_fail("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", 422, "doc is missing path");
    jp_fail("{\"a\":null}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", 422, "doc is missing path");
}

static void test_array_indices(void **state)
{
    (void)state;
    const char *d = "{\"a\":[0,1,2]}";
    jp_ok(d, "[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":9}]", "{\"a\":[0,1,2,9]}");
    jp_ok(d, "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":9}]", "{\"a\":[0,1,2,9]}");
    jp_ok(d, "[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":9}]", "{\"a\":[9,0,1,2]}");
    jp_fail(d, "[{\"op\":\"add\",\"path\":\"/a/4\",\"value\":9}]", 422,
            "error in add for path: '/a/4': Unable to access invalid index: 4: invalid index referenced");
    jp_fail(d, "[{\"op\":\"add\",\"path\":\"/a/x\",\"value\":9}]", 422,
            "value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax");
    /* strconv.Atoi accepts signs and leading zeros; negatives count from
     * the end (for add, from one past the end). */
    jp_ok(d, "[{\"op\":\"replace\",\"path\":\"/a/+1\",\"value\":9}]", "{\"a\":[0,9,2]}");
    jp_ok(d, "[{\"op\":\"replace\",\"path\":\"/a/002\",\"value\":9}]", "{\"a\":[0,1,9]}");
    jp_ok(d, "[{\"op\":\"remove\",\"path\":\"/a/-1\"}]", "{\"a\":[0,1]}");
    jp_ok(d, "[{\"op\":\"remove\",\"path\":\"/a/-3\"}]", "{\"a\":[1,2]}");
    jp_fail(d, "[{\"op\":\"remove\",\"path\":\"/a/-4\"}]", 422, "Unable to access invalid index: -4");
    jp_ok(d, "[{\"op\":\"add\",\"path\":\"/a/-1\",\"value\":9}]", "{\"a\":[0,1,2,9]}");
    jp_ok(d, "[{\"op\":\"add\",\"path\":\"/a/-4\",\"value\":9}]", "{\"a\":[9,0,1,2]}");
    jp_fail(d, "[{\"op\":\"add\",\"path\":\"/a/-5\",\"value\":9}]", 422, "Unable to access invalid index: -5");
    jp_fail(d, "[{\"op\":\"remove\",\"path\":\"/a/3\"}]", 422,
            "error in remove for path: '/a/3': Unable to access invalid index: 3");
    jp_fail(d, "[{\"op\":\"remove\",\"path\":\"/a/-\"}]", 422, "parsing \"-\": invalid syntax");
    jp_fail(d, "[{\"op\":\"replace\",\"path\":\"/a/3\",\"value\":1}]", 422,
            "replace operation does not apply: doc is missing key: /a/3");
    jp_fail(d, "[{\"op\":\"remove\",\"path\":\"/a/99999999999999999999\"}]", 422, "value out of range");
    jp_fail(d, "[{\"op\":\"remove\",\"path\":\"/a/\"}]", 422, "invalid syntax");
    /* Traversal through an index. */
    jp_ok("[{\"x\":[]}]", "[{\"op\":\"add\",\"path\":\"/0/x/0\",\"value\":1}]", "[{\"x\":[1]}]");
    jp_fail("[{\"x\":[]}]", "[{\"op\":\"add\",\"path\":\"/1/x/0\",\"value\":1}]", 422, "doc is missing path");
}

/* -------------------------------------------------------- v4 behaviour */

static void test_v4_quirks(void **state)
{
    (void)state;
    /* replace of a missing object key adds it (v4 cannot tell it apart). */
    jp_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":2}]", "{\"a\":1,\"b\":2}");
    /* add to an existing key replaces in place. */
    jp_ok("{\"a\":1,\"b\":2}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":3}]", "{\"a\":3,\"b\":2}");
    /* A missing "value" is null for add and replace. */
    jp_ok("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\"}]", "{\"a\":1,\"b\":null}");
    jp_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\"}]", "{\"a\":null}");
    /* copy from a missing key copies null. */
    jp_ok("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/zz\",\"path\":\"/b\"}]", "{\"a\":1,\"b\":null}");
    /* remove of a null-valued key works; of a missing key fails. */
    jp_ok("{\"a\":null,\"b\":1}", "[{\"op\":\"remove\",\"path\":\"/a\"}]", "{\"b\":1}");
    jp_fail("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", 422,
            "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value");
    /* The root: only replace and test may name it. */
    jp_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]", "{\"b\":2}");
    jp_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]");
    jp_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":5}]", "{\"a\":1}");
    jp_ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":null}]", "{\"a\":1}");
    jp_fail("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{}}]", 422, "doc is missing path: \"\"");
    jp_fail("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", 422, "doc is missing path");
    jp_fail("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/b\"}]", 422, "doc is missing from path");
    jp_ok("{\"a\":[1,{\"b\":2}]}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":[1,{\"b\":2}]}}]",
          "{\"a\":[1,{\"b\":2}]}");
    jp_fail("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":2}}]", 422, "testing value  failed");
    /* Missing or mistyped fields. */
    jp_fail("{}", "[{\"op\":\"add\",\"value\":1}]", 422, "add operation failed to decode path: missing value");
    jp_fail("{}", "[{\"op\":\"replace\",\"path\":null,\"value\":1}]", 422,
            "replace operation failed to decode path: operation missing path field: missing value");
    jp_fail("{}", "[{\"op\":\"replace\",\"path\":5,\"value\":1}]", 422,
            "json: cannot unmarshal number into Go value of type string");
    jp_fail("{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]", 422,
            "move operation failed to decode from: operation, missing from field: missing value");
    jp_fail("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/a\"}]", 422, "copy operation failed to decode path");
    jp_fail("{}", "[{\"op\":\"bogus\",\"path\":\"/a\"}]", 422, "Unexpected kind: bogus");
    jp_fail("{}", "[{\"path\":\"/a\"}]", 422, "Unexpected kind: unknown");
    jp_fail("{}", "[{\"op\":1,\"path\":\"/a\"}]", 422, "Unexpected kind: unknown");
    jp_fail("{}", "[null]", 422, "Unexpected kind: unknown");
    jp_fail("{}", "[{\"op\":\"ADD\",\"path\":\"/a\",\"value\":1}]", 422, "Unexpected kind: ADD");
    /* Operations before a failing one do not matter: the result is NULL. */
    jp_fail("{}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":1},{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]",
            422, "testing value /a failed");
    /* A document that is no container. */
    jp_fail("\"s\"", "[]", 422, "cannot unmarshal string into Go value of type jsonpatch.partialDoc");
}

static void test_move_copy(void **state)
{
    (void)state;
    jp_ok("{\"a\":{\"b\":1},\"c\":{}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c/d\"}]",
          "{\"a\":{\"b\":1},\"c\":{\"d\":{\"b\":1}}}");
    /* The copy is deep: changing it leaves the source alone. */
    jp_ok("{\"a\":{\"b\":1}}",
          "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},{\"op\":\"replace\",\"path\":\"/c/b\",\"value\":2}]",
          "{\"a\":{\"b\":1},\"c\":{\"b\":2}}");
    /* Copy into its own subtree is fine; move into it cannot resolve. */
    jp_ok("{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/c\"}]",
          "{\"a\":{\"b\":1,\"c\":{\"b\":1}}}");
    jp_fail("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]", 422,
            "move operation does not apply: doc is missing destination path: /a/c");
    jp_fail("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/b\"}]", 422,
            "error in move for path: 'x': Unable to remove nonexistent key: x");
    jp_ok("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", "{\"a\":1}");
    jp_ok("{\"a\":[1,2,3]}", "[{\"op\":\"move\",\"from\":\"/a/0\",\"path\":\"/a/-\"}]", "{\"a\":[2,3,1]}");
    jp_ok("{\"a\":[1,2,3],\"b\":{}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b/a\"}]",
          "{\"b\":{\"a\":[1,2,3]}}");
    jp_fail("{\"a\":[1]}", "[{\"op\":\"copy\",\"from\":\"/a/5\",\"path\":\"/b\"}]", 422,
            "error in copy for from: '/a/5': Unable to access invalid index: 5");
    /* The moved node is not shared: editing the new place later is safe. */
    jp_ok("{\"a\":{\"x\":1}}",
          "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"},{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b/c\"},"
          "{\"op\":\"add\",\"path\":\"/b/c/y\",\"value\":2}]",
          "{\"b\":{\"x\":1,\"c\":{\"x\":1,\"y\":2}}}");
}

static void test_test_op(void **state)
{
    (void)state;
    const char *d = "{\"i\":1,\"f\":1.5,\"s\":\"x\",\"n\":null,\"o\":{\"a\":1,\"b\":[true,\"z\"]},\"arr\":[1,null]}";
    jp_ok(d, "[{\"op\":\"test\",\"path\":\"/i\",\"value\":1}]", W(J(d)));
    jp_ok(d, "[{\"op\":\"test\",\"path\":\"/f\",\"value\":1.5}]", W(J(d)));
    /* The text differs, so v4 says no: integers never equal floats. */
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/i\",\"value\":1.0}]", 422, "test failed");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/i\",\"value\":\"1\"}]", 422, "test failed");
    /* Objects compare as sets of members. */
    jp_ok(d, "[{\"op\":\"test\",\"path\":\"/o\",\"value\":{\"b\":[true,\"z\"],\"a\":1}}]", W(J(d)));
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/o\",\"value\":{\"a\":1}}]", 422, "test failed");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/o\",\"value\":{\"a\":1,\"c\":[true,\"z\"]}}]", 422, "test failed");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/o/b\",\"value\":[\"z\",true]}]", 422, "test failed");
    /* Null and missing members pass a null test. */
    jp_ok(d, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":null},{\"op\":\"test\",\"path\":\"/nope\",\"value\":null}]",
          W(J(d)));
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":0}]", 422, "test failed");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/s\",\"value\":null}]", 422, "test failed");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/s\"}]", 422, "test failed");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/arr/5\",\"value\":1}]", 422, "error in test for path: '/arr/5'");
    /* Where v4 dereferences nil, upstream panics: a plain-text 500. */
    struct kapi_patch_error err;
    assert_null(kapi_json_patch_apply(P, J(d), J("[{\"op\":\"test\",\"path\":\"/n\"}]"), &err));
    assert_int_equal(err.code, 500);
    assert_null(err.reason);
    assert_string_equal(err.msg, "This request caused apiserver to panic. Look in the logs for details.");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"\"}]", 500, NULL);
    jp_fail(d, "[{\"op\":\"replace\",\"path\":\"\"}]", 500, NULL);
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/arr\",\"value\":[1,null]}]", 500, NULL);
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/arr\",\"value\":[1,2]}]", 500, NULL);
    /* ...unless an earlier element already differs. */
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/arr\",\"value\":[2,null]}]", 422, "test failed");
    jp_fail(d, "[{\"op\":\"test\",\"path\":\"/arr\",\"value\":[1]}]", 422, "test failed");

    /* A big object goes through the sorted comparison. */
    char *a = malloc(64 * 1024), *b = malloc(64 * 1024);
    size_t al = 0, bl = 0;
    al += (size_t)sprintf(a + al, "{\"m\":{");
    bl += (size_t)sprintf(b + bl, "[{\"op\":\"test\",\"path\":\"/m\",\"value\":{");
    for (int i = 0; i < 500; i++) {
        al += (size_t)sprintf(a + al, "%s\"k%d\":%d", i ? "," : "", i, i);
        bl += (size_t)sprintf(b + bl, "%s\"k%d\":%d", i ? "," : "", 499 - i, 499 - i);
    }
    sprintf(a + al, "}}");
    sprintf(b + bl, "}}]");
    struct kapi_value *r = kapi_json_patch_apply(P, J(a), J(b), &err);
    assert_non_null(r);
    char *last = strstr(b, "\"k0\":0");
    last[5] = '1'; /* k0 now 1: must fail */
    assert_null(kapi_json_patch_apply(P, J(a), J(b), &err));
    assert_int_equal(err.code, 422);
    free(a);
    free(b);
}

/* ------------------------------------------------- decoding and limits */

static void test_decode_errors(void **state)
{
    (void)state;
    struct kapi_patch_error err;
    assert_null(kapi_json_patch_apply(P, J("{}"), J("{\"op\":\"add\"}"), &err));
    assert_int_equal(err.code, 400);
    assert_string_equal(err.reason, "BadRequest");
    assert_string_equal(err.msg, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    assert_null(kapi_json_patch_apply(P, J("{}"), J("\"x\""), &err));
    assert_string_equal(err.msg, "json: cannot unmarshal string into Go value of type jsonpatch.Patch");
    assert_null(kapi_json_patch_apply(P, J("{}"), J("[{\"op\":\"test\",\"path\":\"/a\"},1]"), &err));
    assert_int_equal(err.code, 400);
    assert_string_equal(err.msg, "json: cannot unmarshal number into Go value of type jsonpatch.Operation");
    assert_null(kapi_json_patch_apply(P, J("{}"), J("[[]]"), &err));
    assert_string_equal(err.msg, "json: cannot unmarshal array into Go value of type jsonpatch.Operation");
    assert_null(kapi_json_patch_apply(P, J("{}"), J("[true]"), &err));
    assert_string_equal(err.msg, "json: cannot unmarshal bool into Go value of type jsonpatch.Operation");
    /* null decodes to an empty patch; so does []. */
    jp_ok("{\"a\":1}", "null", "{\"a\":1}");
    jp_ok("{\"a\":1}", "[]", "{\"a\":1}");
}

static struct kapi_value *ops(size_t n)
{
    struct kapi_value *p = kapi_value_array(P);
    for (size_t i = 0; i < n; i++) {
        struct kapi_value *op = kapi_value_object(P);
        kapi_obj_set(P, op, "op", kapi_value_str(P, "add"));
        kapi_obj_set(P, op, "path", kapi_value_str(P, "/a/-"));
        kapi_obj_set(P, op, "value", kapi_value_int(P, (int64_t)i));
        kapi_arr_push(P, p, op);
    }
    return p;
}

static void test_op_limit(void **state)
{
    (void)state;
    struct kapi_patch_error err;
    struct kapi_value *r = kapi_json_patch_apply(P, J("{\"a\":[]}"), ops(KAPI_JSONPATCH_MAX_OPS), &err);
    assert_non_null(r);
    assert_int_equal(kapi_obj_get(r, "a")->u.arr.len, 10000);
    assert_int_equal(kapi_obj_get(r, "a")->u.arr.items[9999]->u.i, 9999);

    assert_null(kapi_json_patch_apply(P, J("{\"a\":[]}"), ops(KAPI_JSONPATCH_MAX_OPS + 1), &err));
    assert_int_equal(err.code, 413);
    assert_string_equal(err.reason, "RequestEntityTooLarge");
    assert_string_equal(err.msg,
                        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001");
    /* A decode error wins over the count. */
    struct kapi_value *p = ops(KAPI_JSONPATCH_MAX_OPS + 1);
    kapi_arr_push(P, p, kapi_value_int(P, 1));
    assert_null(kapi_json_patch_apply(P, J("{\"a\":[]}"), p, &err));
    assert_int_equal(err.code, 400);
}

static struct kapi_value *doc_with_string(size_t len)
{
    char *s = malloc(len);
    memset(s, 'x', len);
    struct kapi_value *d = kapi_value_object(P);
    kapi_obj_set(P, d, "a", kapi_value_strn(P, s, len));
    free(s);
    return d;
}

static struct kapi_value *copies(size_t n)
{
    struct kapi_value *p = kapi_value_array(P);
    for (size_t i = 0; i < n; i++) {
        struct kapi_value *op = kapi_value_object(P);
        kapi_obj_set(P, op, "op", kapi_value_str(P, "copy"));
        kapi_obj_set(P, op, "from", kapi_value_str(P, "/a"));
        char path[32];
        snprintf(path, sizeof(path), "/c%zu", i);
        kapi_obj_set(P, op, "path", kapi_value_str(P, path));
        kapi_arr_push(P, p, op);
    }
    return p;
}

static void test_copy_limit(void **state)
{
    (void)state;
    struct kapi_patch_error err;
    /* Each copy of a 1 MiB string costs its JSON form: 1048578 bytes. */
    assert_non_null(kapi_json_patch_apply(P, doc_with_string(1 << 20), copies(2), &err));
    assert_null(kapi_json_patch_apply(P, doc_with_string(1 << 20), copies(3), &err));
    assert_int_equal(err.code, 422);
    assert_string_equal(err.msg, KAPI_PATCH_MSG_INVALID);
    assert_string_equal(err.detail, "Unable to complete the copy, the accumulated size increase of copy is "
                                    "3145734, exceeding the limit 3145728");
    /* Exactly at the limit is allowed: 3 * (1048574 + 2) == 3145728. */
    assert_non_null(kapi_json_patch_apply(P, doc_with_string(1048574), copies(3), &err));
    assert_null(kapi_json_patch_apply(P, doc_with_string(1048574), copies(4), &err));
    assert_int_equal(err.code, 422);
    /* The count uses Go's escaping: '<' is written \u003c, six bytes. */
    char *lt = malloc(524288);
    memset(lt, '<', 524288);
    struct kapi_value *d = kapi_value_object(P);
    kapi_obj_set(P, d, "a", kapi_value_strn(P, lt, 524288)); /* 6 * 524288 + 2 = 3145730 */
    assert_null(kapi_json_patch_apply(P, d, copies(1), &err));
    assert_string_equal(err.detail, "Unable to complete the copy, the accumulated size increase of copy is "
                                    "3145730, exceeding the limit 3145728");
    d = kapi_value_object(P);
    kapi_obj_set(P, d, "a", kapi_value_strn(P, lt, 524287));
    assert_non_null(kapi_json_patch_apply(P, d, copies(1), &err));
    free(lt);
    /* Nulls cost nothing, as v4 copies a nil node. */
    d = kapi_value_object(P);
    kapi_obj_set(P, d, "a", kapi_value_null(P));
    assert_non_null(kapi_json_patch_apply(P, d, copies(KAPI_JSONPATCH_MAX_OPS), &err));
}

/* A deep string of nested arrays: "[[...]]" with n levels. */
static char *nested(size_t n, const char *prefix, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + 2 * n + sl + 1);
    memcpy(s, prefix, pl);
    memset(s + pl, '[', n);
    memset(s + pl + n, ']', n);
    memcpy(s + pl + 2 * n, suffix, sl + 1);
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    struct kapi_patch_error err;
    /* A patch can carry at most 9998 levels under its array and op object;
     * root (1) + /b (1) + 9998 = 10000: allowed. */
    char *ok = nested(9998, "[{\"op\":\"add\",\"path\":\"/b\",\"value\":{}},"
                            "{\"op\":\"add\",\"path\":\"/b/c\",\"value\":", "}]");
    struct kapi_value *r = kapi_json_patch_apply(P, J("{}"), J(ok), &err);
    assert_non_null(r);
    /* Test on the deep value works without recursion trouble. */
    char *t = nested(9998, "[{\"op\":\"test\",\"path\":\"/b/c\",\"value\":", "}]");
    assert_non_null(kapi_json_patch_apply(P, r, J(t), &err));
    /* One more level through a longer path exceeds the limit. */
    char *deep = nested(9998, "[{\"op\":\"add\",\"path\":\"/b\",\"value\":{}},"
                              "{\"op\":\"add\",\"path\":\"/b/c\",\"value\":{}},"
                              "{\"op\":\"add\",\"path\":\"/b/c/d\",\"value\":", "}]");
    assert_null(kapi_json_patch_apply(P, J("{}"), J(deep), &err));
    assert_int_equal(err.code, 422);
    assert_string_equal(err.detail, "json: exceeded max depth");
    free(ok);
    free(t);
    free(deep);
}

/* ------------------------------------------------------- merge patch */

static void test_rfc7386_examples(void **state)
{
    (void)state;
    mp_ok("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    mp_ok("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    mp_ok("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    mp_ok("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    mp_ok("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    mp_ok("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    mp_ok("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
    mp_ok("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    mp_ok("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    mp_ok("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    mp_ok("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    mp_ok("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    mp_ok("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
    /* RFC 7386 lets null and scalars replace the whole document; v4 (and so
     * kube-apiserver) answers 400 "Invalid JSON Patch" instead. */
    struct kapi_patch_error err;
    assert_null(kapi_merge_patch_apply(P, J("{\"a\":\"foo\"}"), J("null"), &err));
    assert_int_equal(err.code, 400);
    assert_string_equal(err.reason, "BadRequest");
    assert_string_equal(err.msg, "Invalid JSON Patch");
    assert_null(kapi_merge_patch_apply(P, J("{\"a\":\"foo\"}"), J("\"bar\""), &err));
    assert_int_equal(err.code, 400);
    assert_null(kapi_merge_patch_apply(P, J("{\"a\":\"foo\"}"), J("5"), &err));
    assert_string_equal(err.msg, "Invalid JSON Patch");
    assert_null(kapi_merge_patch_apply(P, J("null"), J("null"), &err));
    assert_int_equal(err.code, 500);
    assert_string_equal(err.reason, "");
    assert_string_equal(err.msg, "Invalid JSON Document");
}

static void test_merge_v4(void **state)
{
    (void)state;
    /* Existing members keep their place; new ones follow in patch order. */
    mp_ok("{\"a\":1,\"b\":2,\"c\":3}", "{\"z\":0,\"b\":null,\"a\":9,\"y\":{\"q\":null,\"r\":1}}",
          "{\"a\":9,\"c\":3,\"z\":0,\"y\":{\"r\":1}}");
    /* Null over a null or missing member: nothing to delete. */
    mp_ok("{\"a\":null}", "{\"a\":null,\"b\":null}", "{}");
    /* Inserted values are pruned inside arrays too, but null elements stay. */
    mp_ok("{\"a\":\"s\"}", "{\"a\":[{\"k\":null,\"v\":1},null]}", "{\"a\":[{\"v\":1},null]}");
    mp_ok("{}", "{\"a\":[[{\"k\":null}]]}", "{\"a\":[[{}]]}");
    /* A non-object over an object is taken as is, nulls and all. */
    mp_ok("{\"a\":{\"x\":1}}", "{\"a\":[{\"k\":null}]}", "{\"a\":[{\"k\":null}]}");
    /* Over a null member the value is pruned like a new one. */
    mp_ok("{\"a\":null}", "{\"a\":{\"k\":null,\"j\":2}}", "{\"a\":{\"j\":2}}");
    /* Deep merge. */
    mp_ok("{\"m\":{\"l\":{\"a\":\"1\",\"b\":\"2\"},\"n\":\"x\"},\"s\":{}}",
          "{\"m\":{\"l\":{\"b\":null,\"c\":\"3\"}},\"s\":{\"r\":2}}",
          "{\"m\":{\"l\":{\"a\":\"1\",\"c\":\"3\"},\"n\":\"x\"},\"s\":{\"r\":2}}");
    /* An array patch on an object doc yields the pruned array. */
    mp_ok("{\"a\":1}", "[{\"x\":null},null]", "[{},null]");
    mp_ok("{\"a\":1}", "{}", "{\"a\":1}");
    /* Result values are copies: editing them leaves the patch alone. */
    struct kapi_patch_error err;
    struct kapi_value *p = J("{\"a\":{\"b\":[1]}}");
    struct kapi_value *r = kapi_merge_patch_apply(P, J("{}"), p, &err);
    assert_non_null(r);
    kapi_arr_push(P, kapi_value_path(r, "a", "b", NULL), kapi_value_int(P, 2));
    kapi_obj_set(P, kapi_obj_get(r, "a"), "c", kapi_value_int(P, 3));
    assert_string_equal(W(p), "{\"a\":{\"b\":[1]}}");
}

static void test_merge_large_and_deep(void **state)
{
    (void)state;
    struct kapi_patch_error err;
    /* 3000 existing keys, patch touching every other one plus 1000 new. */
    struct kapi_value *d = kapi_value_object(P), *p = kapi_value_object(P);
    char k[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        kapi_obj_set(P, d, k, kapi_value_int(P, i));
    }
    for (int i = 0; i < 4000; i += 2) {
        snprintf(k, sizeof(k), "k%d", i);
        kapi_obj_set(P, p, k, i % 4 ? kapi_value_null(P) : kapi_value_int(P, -i));
    }
    struct kapi_value *r = kapi_merge_patch_apply(P, d, p, &err);
    assert_non_null(r);
    /* kept odd 1500, even%4 750 replaced, even%4==2 (750) deleted, new: 3000..3998 step 2 = 500, of which
     * 250 are nulls. */
    assert_int_equal(r->u.obj.len, 1500 + 750 + 250);
    assert_int_equal(kapi_obj_get(r, "k4")->u.i, -4);
    assert_null(kapi_obj_get(r, "k6"));
    assert_int_equal(kapi_obj_get(r, "k7")->u.i, 7);
    assert_int_equal(kapi_obj_get(r, "k3000")->u.i, -3000);
    assert_null(kapi_obj_get(r, "k3002"));
    assert_string_equal(r->u.obj.members[0].key, "k0");
    assert_string_equal(r->u.obj.members[1].key, "k1");
    assert_string_equal(r->u.obj.members[2].key, "k3");

    /* 10000-deep objects on both sides merge without C recursion. */
    size_t n = KAPI_JSON_MAX_DEPTH;
    char *a = malloc(6 * n + 16), *b = malloc(6 * n + 32);
    size_t al = 0, bl = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        memcpy(a + al, "{\"x\":", 5);
        al += 5;
        memcpy(b + bl, "{\"x\":", 5);
        bl += 5;
    }
    al += (size_t)sprintf(a + al, "{\"v\":1}");
    bl += (size_t)sprintf(b + bl, "{\"v\":null,\"w\":2}");
    memset(a + al, '}', n - 1);
    a[al + n - 1] = 0;
    memset(b + bl, '}', n - 1);
    b[bl + n - 1] = 0;
    r = kapi_merge_patch_apply(P, J(a), J(b), &err);
    assert_non_null(r);
    const struct kapi_value *cur = r;
    for (size_t i = 0; i + 1 < n; i++)
        cur = kapi_obj_get(cur, "x");
    assert_int_equal(cur->u.obj.len, 1);
    assert_int_equal(kapi_obj_get(cur, "w")->u.i, 2);
    /* And into an empty doc: the whole deep patch is cloned and pruned. */
    r = kapi_merge_patch_apply(P, J("{}"), J(b), &err);
    assert_non_null(r);
    free(a);
    free(b);
}

static void test_strict_decode(void **state)
{
    (void)state;
    struct kapi_patch_error err;
    assert_int_equal(kapi_json_patch_check_strict(J("null"), &err), 0);
    assert_int_equal(kapi_json_patch_check_strict(J("[null,{\"op\":\"add\",\"path\":\"/a\",\"from\":null,\"x\":1}]"), &err), 0);
    assert_int_equal(kapi_json_patch_check_strict(J("{}"), &err), -1);
    assert_int_equal(err.code, 400);
    assert_string_equal(err.reason, "BadRequest");
    assert_string_equal(err.msg, "error decoding patch: json: cannot unmarshal object into Go value of type "
                                 "[]handlers.jsonPatchOp");
    assert_int_equal(kapi_json_patch_check_strict(J("[{\"op\":\"add\"},\"s\"]"), &err), -1);
    assert_string_equal(err.msg, "error decoding patch: json: cannot unmarshal string into Go value of type "
                                 "handlers.jsonPatchOp");
    assert_int_equal(kapi_json_patch_check_strict(J("[{\"op\":\"add\",\"path\":[]}]"), &err), -1);
    assert_string_equal(err.msg, "error decoding patch: json: cannot unmarshal array into Go struct field "
                                 "jsonPatchOp.path of type string");
    assert_int_equal(kapi_json_patch_check_strict(J("[{\"op\":1}]"), &err), -1);
    assert_string_equal(err.msg, "error decoding patch: json: cannot unmarshal number into Go struct field "
                                 "jsonPatchOp.op of type string");
    /* Field matching is case-sensitive: "OP" is merely unknown. */
    assert_int_equal(kapi_json_patch_check_strict(J("[{\"OP\":1,\"value\":{}}]"), &err), 0);

    assert_int_equal(kapi_merge_patch_check_strict(J("{\"a\":null}"), &err), 0);
    assert_int_equal(kapi_merge_patch_check_strict(J("null"), &err), 0);
    assert_int_equal(kapi_merge_patch_check_strict(J("[1]"), &err), -1);
    assert_int_equal(err.code, 400);
    assert_string_equal(err.msg, "error decoding patch: json: cannot unmarshal array into Go value of type "
                                 "map[string]interface {}");
    assert_int_equal(kapi_merge_patch_check_strict(J("true"), &err), -1);
    assert_string_equal(err.msg, "error decoding patch: json: cannot unmarshal bool into Go value of type "
                                 "map[string]interface {}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rfc6902_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pointer_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_array_indices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v4_quirks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_test_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rfc7386_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_v4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_large_and_deep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_decode, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
