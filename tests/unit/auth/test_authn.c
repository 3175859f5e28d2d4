/* Unit tests for src/auth/authn: token file parsing and request authentication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/authn.h"
#include "base/base.h"

static struct kapi_authn *parse(const char *text, char *err, size_t errlen)
{
    err[0] = 0;
    return kapi_authn_new_from_memory("tokens.csv", text, strlen(text), err, errlen);
}

static struct kapi_authn *parse_ok(const char *text)
{
    char err[512];
    struct kapi_authn *a = parse(text, err, sizeof err);
    if (!a)
        fail_msg("parse failed: %s", err);
    return a;
}

static void parse_fails(const char *text, const char *want1, const char *want2)
{
    char err[512];
    struct kapi_authn *a = parse(text, err, sizeof err);
    if (a)
        fail_msg("parse of %s unexpectedly succeeded", text);
    if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
        fail_msg("error '%s' lacks '%s' / '%s'", err, want1, want2 ? want2 : "");
}

static bool has_group(const struct kapi_user *u, const char *g)
{
    for (size_t i = 0; i < u->ngroups; i++)
        if (!strcmp(u->groups[i], g))
            return true;
    return false;
}

/* Authenticates with a bearer header only and returns the result. */
static enum kapi_authn_result auth_header(struct kapi_authn *a, struct kapi_pool *pool, const char *hdr,
                                          struct kapi_user *u)
{
    return kapi_authn_authenticate(a, pool, NULL, hdr, u);
}

static const char tokens[] =
    "tok-alice,alice,uid-1\n"
    "tok-bob,bob,uid-2,\"dev,ops\"\n"
    "\n"
    "tok-carol,carol,,admins\r\n"
    "\"tok,with,commas\",dave,uid-4,\"a \"\"quoted\"\" group\"\n"
    ",nobody,uid-5\n"
    "tok-anon,system:anonymous,\n"
    "tok-self,eve,uid-6,system:authenticated\n"
    "tok-multi,frank,uid-7,\"line1\nline2\"\n"
    "tok-last,gina,uid-8"; /* no final newline */

static void test_parse_good_file(void **state)
{
    struct kapi_authn *a = parse_ok(tokens);
    /* The empty-token record is skipped. */
    assert_int_equal(kapi_authn_token_count(a), 8);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;

    assert_int_equal(auth_header(a, pool, "Bearer tok-alice", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "alice");
    assert_string_equal(u.uid, "uid-1");
    assert_int_equal(u.ngroups, 1);
    assert_string_equal(u.groups[0], "system:authenticated");

    assert_int_equal(auth_header(a, pool, "Bearer tok-bob", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "bob");
    assert_int_equal(u.ngroups, 3);
    assert_string_equal(u.groups[0], "dev");
    assert_string_equal(u.groups[1], "ops");
    assert_string_equal(u.groups[2], "system:authenticated");

    /* CRLF accepted, empty uid kept empty. */
    assert_int_equal(auth_header(a, pool, "Bearer tok-carol", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "carol");
    assert_string_equal(u.uid, "");
    assert_int_equal(u.ngroups, 2);
    assert_string_equal(u.groups[0], "admins");

    assert_int_equal(auth_header(a, pool, "Bearer tok,with,commas", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "dave");
    assert_string_equal(u.groups[0], "a \"quoted\" group");

    assert_int_equal(auth_header(a, pool, "Bearer tok-multi", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.groups[0], "line1\nline2");

    assert_int_equal(auth_header(a, pool, "Bearer tok-last", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "gina");
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

static void test_authenticated_group_rules(void **state)
{
    struct kapi_authn *a = parse_ok(tokens);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    /* Already present: not added twice. */
    assert_int_equal(auth_header(a, pool, "Bearer tok-self", &u), KAPI_AUTHN_OK);
    assert_int_equal(u.ngroups, 1);
    assert_string_equal(u.groups[0], "system:authenticated");
    /* A token mapped to system:anonymous gets no system:authenticated. */
    assert_int_equal(auth_header(a, pool, "Bearer tok-anon", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "system:anonymous");
    assert_int_equal(u.ngroups, 0);
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

static void test_spaces_are_data(void **state)
{
    /* encoding/csv without TrimLeadingSpace, as upstream reads the file. */
    struct kapi_authn *a = parse_ok(" lead,u1,i1\ntrail ,u2,i2\n");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    /* Header trimming means such tokens can never match: as upstream. */
    assert_int_equal(auth_header(a, pool, "Bearer lead", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(auth_header(a, pool, "Bearer trail", &u), KAPI_AUTHN_INVALID);
    kapi_pool_free(pool);
    kapi_authn_free(a);
    /* A quote after a space is not an opening quote. */
    parse_fails("t,u, \"i\"\n", "bare \" in non-quoted-field", "column 6");
}

static void test_group_field_split_like_upstream(void **state)
{
    /* Empty pieces and spaces are kept, as strings.Split does. */
    struct kapi_authn *a = parse_ok("t,u,i,\"a, b,,\"\nt2,u2,i2,\n");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    assert_int_equal(auth_header(a, pool, "Bearer t", &u), KAPI_AUTHN_OK);
    assert_int_equal(u.ngroups, 5);
    assert_string_equal(u.groups[0], "a");
    assert_string_equal(u.groups[1], " b");
    assert_string_equal(u.groups[2], "");
    assert_string_equal(u.groups[3], "");
    assert_int_equal(auth_header(a, pool, "Bearer t2", &u), KAPI_AUTHN_OK);
    assert_int_equal(u.ngroups, 2);
    assert_string_equal(u.groups[0], "");
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

static void test_duplicate_token_last_wins(void **state)
{
    struct kapi_authn *a = parse_ok("dup,first,1\ndup,second,2\n");
    assert_int_equal(kapi_authn_token_count(a), 1);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    assert_int_equal(auth_header(a, pool, "Bearer dup", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "second");
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

/* The per-thread memo of the last token's place in the table: repeated,
 * near-miss, long and prefix tokens, and several chains alive at once or
 * made one after another (a memo must never answer for another chain). */
static void test_token_memo(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    char long_tok[200], hdr[220];
    memset(long_tok, 'L', sizeof long_tok - 1);
    long_tok[sizeof long_tok - 1] = 0;
    struct kapi_authn *a = parse_ok(kapi_pool_printf(pool, "t0ken,alice,1\n%s,lenny,9\n", long_tok));
    struct kapi_authn *b = parse_ok("other,xavier,2\nt0ken,bob,3\n");
    for (int round = 0; round < 2; round++) {
        assert_int_equal(auth_header(a, pool, "Bearer t0ken", &u), KAPI_AUTHN_OK);
        assert_string_equal(u.name, "alice");
        assert_int_equal(auth_header(a, pool, "Bearer t0ken", &u), KAPI_AUTHN_OK);
        assert_string_equal(u.name, "alice");
        assert_int_equal(auth_header(a, pool, "Bearer t0kem", &u), KAPI_AUTHN_INVALID);
        assert_int_equal(auth_header(a, pool, "Bearer t0ke", &u), KAPI_AUTHN_INVALID);
        assert_int_equal(auth_header(a, pool, "Bearer t0ken\x01", &u), KAPI_AUTHN_INVALID);
        assert_int_equal(auth_header(b, pool, "Bearer t0ken", &u), KAPI_AUTHN_OK);
        assert_string_equal(u.name, "bob");
        assert_int_equal(auth_header(a, pool, "Bearer t0ken", &u), KAPI_AUTHN_OK);
        assert_string_equal(u.name, "alice");
        snprintf(hdr, sizeof hdr, "Bearer %s", long_tok);
        assert_int_equal(auth_header(a, pool, hdr, &u), KAPI_AUTHN_OK);
        assert_string_equal(u.name, "lenny");
        assert_int_equal(auth_header(b, pool, hdr, &u), KAPI_AUTHN_INVALID);
    }
    /* a chain made after another is freed, at the same address or not */
    assert_int_equal(auth_header(b, pool, "Bearer other", &u), KAPI_AUTHN_OK);
    kapi_authn_free(b);
    b = parse_ok("zzzzz,zed,4\nother,olga,5\n");
    assert_int_equal(auth_header(b, pool, "Bearer other", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "olga");
    kapi_authn_free(b);
    b = parse_ok("zzzzz,zed,4\n");
    assert_int_equal(auth_header(b, pool, "Bearer zzzzz", &u), KAPI_AUTHN_OK);
    kapi_authn_free(b);
    b = parse_ok("other,olga,5\n");
    assert_int_equal(auth_header(b, pool, "Bearer zzzzz", &u), KAPI_AUTHN_INVALID);
    kapi_authn_free(b);
    kapi_authn_free(a);
    kapi_pool_free(pool);
}

/* Only the token file's answer is remembered: a token it does not hold
 * goes to the hook (service account tokens) on every request, so a hook
 * that stops accepting it (revoked, expired) is heard at once. */
static int flip_calls;
static int flip_hook(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out)
{
    (void)ctx;
    (void)pool;
    if (strcmp(token, "sa-token") != 0)
        return 0;
    if (flip_calls++ > 0)
        return 0; /* revoked after the first use */
    out->name = "system:serviceaccount:default:x";
    return 1;
}

static void test_token_memo_keeps_hook_live(void **state)
{
    (void)state;
    struct kapi_authn *a = parse_ok("static,stan,1\n");
    kapi_authn_set_token_hook(a, flip_hook, NULL);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    flip_calls = 0;
    assert_int_equal(auth_header(a, pool, "Bearer sa-token", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "system:serviceaccount:default:x");
    assert_int_equal(auth_header(a, pool, "Bearer sa-token", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(flip_calls, 2);
    assert_int_equal(auth_header(a, pool, "Bearer static", &u), KAPI_AUTHN_OK);
    assert_int_equal(auth_header(a, pool, "Bearer static", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "stan");
    assert_int_equal(flip_calls, 2);
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

static void test_parse_errors_name_the_line(void **state)
{
    parse_fails("a,b,c\n\nshort,line\n", "found 2", "line 3");
    parse_fails("onlyone\n", "found 1", "line 1");
    /* A line of spaces is one empty field, as in Go's reader. */
    parse_fails("a,b,c\n   \n", "found 1", "line 2");
    parse_fails("a,b,c\nx,y\"z,w\n", "bare \" in non-quoted-field", "line 2, column 4");
    parse_fails("a,b,c\n\"x\"y,b,c\n", "extraneous or missing \" in quoted-field", "line 2");
    parse_fails("a,b,c\nt,u,\"never closed\n", "extraneous or missing \" in quoted-field", "line 2");
    parse_fails("a,b,c\nt,u,\"two\nlines\"x\n", "record on line 2; parse error on line 3, column 6", NULL);
    {
        char err[256];
        static const char nul[] = "ok,u,i\nt,adm\0in,i\n";
        assert_null(kapi_authn_new_from_memory("n.csv", nul, sizeof nul - 1, err, sizeof err));
        assert_non_null(strstr(err, "NUL byte in column 2 (line 2)"));
    }
    parse_fails("t,u\n", "token file 'tokens.csv' must have at least 3 columns", NULL);
}

static void test_empty_and_blank_files(void **state)
{
    struct kapi_authn *a = parse_ok("");
    assert_int_equal(kapi_authn_token_count(a), 0);
    kapi_authn_free(a);
    a = parse_ok("\n\r\n\n");
    assert_int_equal(kapi_authn_token_count(a), 0);
    kapi_authn_free(a);
}

static void test_file_loading(void **state)
{
    char path[] = "/tmp/kapi-authn-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "filetok,fileuser,fu1,\"g1,g2\"\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char err[512] = "";
    struct kapi_authn *a = kapi_authn_new(path, err, sizeof err);
    assert_non_null(a);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    assert_int_equal(auth_header(a, pool, "Bearer filetok", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "fileuser");
    assert_int_equal(u.ngroups, 3);
    kapi_pool_free(pool);
    kapi_authn_free(a);

    /* Parse errors from a file carry its path. */
    FILE *fp = fopen(path, "w");
    fputs("x,y\n", fp);
    fclose(fp);
    assert_null(kapi_authn_new(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "line 1"));
    unlink(path);

    assert_null(kapi_authn_new("/nonexistent/tokens.csv", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/tokens.csv"));
    assert_non_null(strstr(err, "No such file"));
}

static void test_no_token_file(void **state)
{
    char err[64];
    struct kapi_authn *a = kapi_authn_new(NULL, err, sizeof err);
    assert_non_null(a);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    assert_int_equal(auth_header(a, pool, "Bearer anything", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(auth_header(a, pool, NULL, &u), KAPI_AUTHN_ANONYMOUS);
    kapi_pool_free(pool);
    kapi_authn_free(a);
    kapi_authn_free(NULL);
}

static void test_bearer_header_parsing(void **state)
{
    struct kapi_authn *a = parse_ok(tokens);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    /* Scheme is case-insensitive; surrounding whitespace is trimmed. */
    assert_int_equal(auth_header(a, pool, "bearer tok-alice", &u), KAPI_AUTHN_OK);
    assert_int_equal(auth_header(a, pool, "BEARER tok-alice", &u), KAPI_AUTHN_OK);
    assert_int_equal(auth_header(a, pool, "  Bearer tok-alice \t", &u), KAPI_AUTHN_OK);
    /* Go splits on single spaces and takes the second piece. */
    assert_int_equal(auth_header(a, pool, "Bearer tok-alice trailing words", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "alice");
    /* Unknown or wrong-case token: invalid (401). */
    assert_int_equal(auth_header(a, pool, "Bearer nope", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(auth_header(a, pool, "Bearer TOK-ALICE", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(auth_header(a, pool, "Bearer tok-alic", &u), KAPI_AUTHN_INVALID);
    assert_null(u.name);
    /* Not bearer credentials at all: anonymous, like upstream. */
    const char *anon[] = {"", "   ", "Bearer", "Bearer ", "Bearer  tok-alice", "Basic dXNlcjpwYXNz",
                          "Bearertok-alice", "Bearer\ttok-alice", "Token tok-alice"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(anon); i++) {
        if (auth_header(a, pool, anon[i], &u) != KAPI_AUTHN_ANONYMOUS)
            fail_msg("'%s' should be anonymous", anon[i]);
        assert_string_equal(u.name, "system:anonymous");
        assert_int_equal(u.ngroups, 1);
        assert_string_equal(u.groups[0], "system:unauthenticated");
        assert_string_equal(u.uid, "");
    }
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

static void test_certificate_peer(void **state)
{
    struct kapi_authn *a = parse_ok(tokens);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    const char *orgs[] = {"system:masters", "team-a"};
    struct kapi_http_peer peer = {.has_cert = true, .cn = "kubernetes-admin", .orgs = orgs, .norgs = 2};
    assert_int_equal(kapi_authn_authenticate(a, pool, &peer, NULL, &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "kubernetes-admin");
    assert_string_equal(u.uid, "");
    assert_int_equal(u.ngroups, 3);
    assert_string_equal(u.groups[0], "system:masters");
    assert_string_equal(u.groups[1], "team-a");
    assert_string_equal(u.groups[2], "system:authenticated");

    /* The certificate wins over a token, even an invalid one. */
    assert_int_equal(kapi_authn_authenticate(a, pool, &peer, "Bearer nope", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "kubernetes-admin");
    assert_int_equal(kapi_authn_authenticate(a, pool, &peer, "Bearer tok-bob", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "kubernetes-admin");

    /* No O values: only system:authenticated. */
    struct kapi_http_peer plain = {.has_cert = true, .cn = "node-1"};
    assert_int_equal(kapi_authn_authenticate(a, pool, &plain, NULL, &u), KAPI_AUTHN_OK);
    assert_int_equal(u.ngroups, 1);
    assert_true(has_group(&u, "system:authenticated"));

    /* A certificate without CN identifies nobody: the token decides. */
    struct kapi_http_peer nocn = {.has_cert = true, .cn = "", .orgs = orgs, .norgs = 2};
    assert_int_equal(kapi_authn_authenticate(a, pool, &nocn, "Bearer tok-bob", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "bob");
    assert_int_equal(kapi_authn_authenticate(a, pool, &nocn, NULL, &u), KAPI_AUTHN_ANONYMOUS);

    /* has_cert false: the fields are ignored. */
    struct kapi_http_peer none = {.has_cert = false, .cn = "ghost"};
    assert_int_equal(kapi_authn_authenticate(a, pool, &none, NULL, &u), KAPI_AUTHN_ANONYMOUS);
    assert_string_equal(u.name, "system:anonymous");
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

static int hook_calls;
static int sa_hook(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out)
{
    hook_calls++;
    if (strcmp(token, (const char *)ctx) != 0)
        return 0;
    out->name = "system:serviceaccount:default:builder";
    const char **g = kapi_pool_alloc(pool, 2 * sizeof *g);
    g[0] = "system:serviceaccounts";
    g[1] = "system:serviceaccounts:default";
    out->groups = g;
    out->ngroups = 2;
    return 1;
}

static void test_token_hook(void **state)
{
    struct kapi_authn *a = parse_ok(tokens);
    kapi_authn_set_token_hook(a, sa_hook, "eyJhbGciOi.jwt.sig");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    hook_calls = 0;
    /* The token file is consulted first; the hook is not called. */
    assert_int_equal(auth_header(a, pool, "Bearer tok-alice", &u), KAPI_AUTHN_OK);
    assert_int_equal(hook_calls, 0);
    assert_int_equal(auth_header(a, pool, "Bearer eyJhbGciOi.jwt.sig", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "system:serviceaccount:default:builder");
    assert_string_equal(u.uid, "");
    assert_int_equal(u.ngroups, 3);
    assert_string_equal(u.groups[2], "system:authenticated");
    assert_int_equal(auth_header(a, pool, "Bearer other", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(hook_calls, 2);
    kapi_pool_free(pool);
    kapi_authn_free(a);
}

static void test_many_tokens(void **state)
{
    /* Enough entries to exercise index growth and probing. */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (int i = 0; i < 500; i++)
        kapi_buf_printf(&b, "token-%d,user-%d,uid-%d\n", i, i, i);
    char err[256];
    struct kapi_authn *a = kapi_authn_new_from_memory("big", b.data, b.len, err, sizeof err);
    assert_non_null(a);
    assert_int_equal(kapi_authn_token_count(a), 500);
    struct kapi_pool *pool = kapi_pool_new();
    for (int i = 0; i < 500; i++) {
        char hdr[64], want[32];
        struct kapi_user u;
        snprintf(hdr, sizeof hdr, "Bearer token-%d", i);
        snprintf(want, sizeof want, "user-%d", i);
        assert_int_equal(auth_header(a, pool, hdr, &u), KAPI_AUTHN_OK);
        assert_string_equal(u.name, want);
    }
    struct kapi_user u;
    assert_int_equal(auth_header(a, pool, "Bearer token-500", &u), KAPI_AUTHN_INVALID);
    kapi_pool_free(pool);
    kapi_authn_free(a);
    kapi_buf_dispose(&b);
}

int main(void)
{
    kapi_log_verbosity = -1; /* duplicate/empty-token warnings are expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good_file),
        cmocka_unit_test(test_authenticated_group_rules),
        cmocka_unit_test(test_spaces_are_data),
        cmocka_unit_test(test_group_field_split_like_upstream),
        cmocka_unit_test(test_duplicate_token_last_wins),
        cmocka_unit_test(test_token_memo),
        cmocka_unit_test(test_token_memo_keeps_hook_live),
        cmocka_unit_test(test_parse_errors_name_the_line),
        cmocka_unit_test(test_empty_and_blank_files),
        cmocka_unit_test(test_file_loading),
        cmocka_unit_test(test_no_token_file),
        cmocka_unit_test(test_bearer_header_parsing),
        cmocka_unit_test(test_certificate_peer),
        cmocka_unit_test(test_token_hook),
        cmocka_unit_test(test_many_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
