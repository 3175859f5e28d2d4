/* Unit tests for src/base/goregex: Go's syntax rules and error texts, Go's
 * matching semantics where PCRE2's defaults differ, and the bounds that
 * keep hostile patterns cheap. Expected errors are what Go's regexp.Compile
 * returns for the same pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/goregex.h"

static int match(const char *pat, const char *s)
{
    char *err = NULL;
    struct kapi_goregex *re = kapi_goregex_compile(pat, strlen(pat), &err);
    if (!re) {
        fprintf(stderr, "compile %s: %s\n", pat, err);
        free(err);
        return -2;
    }
    int m = kapi_goregex_match(re, s, strlen(s));
    kapi_goregex_free(re);
    return m;
}

static void refused(const char *pat, const char *want)
{
    char *err = NULL;
    struct kapi_goregex *re = kapi_goregex_compile(pat, strlen(pat), &err);
    if (re) {
        kapi_goregex_free(re);
        fail_msg("%s compiled, want %s", pat, want);
    }
    assert_non_null(err);
    assert_string_equal(err, want);
    free(err);
}

static void test_matching(void **state)
{
    (void)state;
    assert_int_equal(match("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "my-name"), 1);
    assert_int_equal(match("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "-bad"), 0);
    assert_int_equal(match("\\d+", "abc123"), 1); /* unanchored: a search */
    assert_int_equal(match("^\\d{3}$", "1234"), 0);
    assert_int_equal(match("^a{2,3}$", "aaa"), 1);
    assert_int_equal(match("^a{2,3}$", "aaaa"), 0);
    assert_int_equal(match("(?i)^abc$", "ABC"), 1);
    assert_int_equal(match("^a+?$", "aaa"), 1);
    assert_int_equal(match("\\bfoo\\b", "a foo b"), 1);
    assert_int_equal(match("\\bfoo\\b", "afoo b"), 0);
    assert_int_equal(match("^(?P<name>x)+$", "xx"), 1);
    assert_int_equal(match("^(?<n>x)(?<1a>y)$", "xy"), 1);
    assert_int_equal(match("^\\x41\\x{42}\\101\\0$", "ABA"), 0);
    assert_int_equal(match("^\\x41\\x{42}\\101$", "ABA"), 1);
    assert_int_equal(match("^[\\x41-\\x43]+$", "ABC"), 1);
    assert_int_equal(match("^\\pL+$", "h\xc3\xa9llo"), 1);
    assert_int_equal(match("^\\p{Greek}$", "\xce\xb1"), 1);
    assert_int_equal(match("^[[:alpha:]]+$", "abc"), 1);
    assert_int_equal(match("^[[:^digit:]]$", "a"), 1);
    assert_int_equal(match("^[]a]+$", "]a"), 1);
    assert_int_equal(match("^\\Qa.b\\E$", "a.b"), 1);
    assert_int_equal(match("^\\Qa.b\\E$", "axb"), 0);
    assert_int_equal(match("^[a[]+$", "[a"), 1);
    /* Braces that are not a repetition in Go's grammar are literals. */
    assert_int_equal(match("^x{,3}$", "x{,3}"), 1);
    assert_int_equal(match("^a{01}$", "a{01}"), 1);
    assert_int_equal(match("^a{$", "a{"), 1);
    assert_int_equal(match("", ""), 1);
    assert_int_equal(match("^$", ""), 1);
    assert_int_equal(match("^$", "x"), 0);
    assert_int_equal(match("a|", "zzz"), 1);
    assert_int_equal(match("^(ab|cd)+$", "abcdab"), 1);
    assert_int_equal(match("^(ab|cd)+$", "abcda"), 0);
    assert_int_equal(match("^a{2,}$", "a"), 0);
    assert_int_equal(match("^a{2,}$", "aaaaa"), 1);
    assert_int_equal(match("^(a{2}){2}$", "aaaa"), 1);
    assert_int_equal(match("^(a{2}){2}$", "aaa"), 0);
    assert_int_equal(match("^x\\By$", "xy"), 1);
    assert_int_equal(match("^x\\By$", "x y"), 0);
    assert_int_equal(match("\\Aab\\z", "ab"), 1);
    assert_int_equal(match("\\Aab\\z", "ab\n"), 0);
}

/* Flags apply to the end of their group, or inside (?flags:...). */
static void test_flags(void **state)
{
    (void)state;
    assert_int_equal(match("^(?i:a)b$", "Ab"), 1);
    assert_int_equal(match("^(?i:a)b$", "AB"), 0);
    assert_int_equal(match("^(a(?i)b)c$", "aBc"), 1);
    assert_int_equal(match("^(a(?i)b)c$", "aBC"), 0);
    assert_int_equal(match("^(?i)\\x{e9}$", "\xc3\x89"), 1); /* é folds to É */
    assert_int_equal(match("^(?i)[a-c]+$", "AbC"), 1);
    assert_int_equal(match("^(?i)k$", "\xe2\x84\xaa"), 1); /* KELVIN SIGN folds to k, as in Go */
    assert_int_equal(match("^(?i-i:a)$", "A"), 0);
    assert_int_equal(match("(?s:a.)b", "a\nb"), 1);
    assert_int_equal(match("(?s:a).b", "a\nb"), 0);
    assert_int_equal(match("(?m)a$\n^b", "a\nb"), 1);
    assert_int_equal(match("^[^a]$", "\n"), 1);
}

/* Where PCRE2's defaults differ from Go, Go wins. */
static void test_go_semantics(void **state)
{
    (void)state;
    assert_int_equal(match("a$", "a\n"), 0); /* $ is the end of the text */
    assert_int_equal(match("(?m)^b$", "a\nb"), 1);
    assert_int_equal(match("^a.c$", "a\nc"), 0);
    assert_int_equal(match("(?s)^a.c$", "a\nc"), 1);
    assert_int_equal(match("^\\s$", "\v"), 0); /* Go's \s has no vertical tab */
    assert_int_equal(match("^[\\s]$", "\v"), 0);
    assert_int_equal(match("^\\S$", "\v"), 1);
    assert_int_equal(match("^[\\S]$", "\v"), 1);
    assert_int_equal(match("^[^\\S]$", " "), 1);
    assert_int_equal(match("^\\s$", "\t"), 1);
    assert_int_equal(match("^\\v$", "\v"), 1); /* \v is the character, not a class */
    assert_int_equal(match("^\\v$", "\n"), 0);
    assert_int_equal(match("^\\d$", "\xd9\xa3"), 0); /* ASCII digits only */
    /* Invalid UTF-8 in the subject is no error. */
    assert_int_equal(match("^.*$", "a\xff"), 1);
}

static void test_go_errors(void **state)
{
    (void)state;
    refused("a**", "error parsing regexp: invalid nested repetition operator: `**`");
    refused("a+++", "error parsing regexp: invalid nested repetition operator: `++`");
    refused("a*?*", "error parsing regexp: invalid nested repetition operator: `*?*`");
    refused("a{2}{3}", "error parsing regexp: invalid nested repetition operator: `{2}{3}`");
    refused("(a*)\\1", "error parsing regexp: invalid escape sequence: `\\1`");
    refused("\\8", "error parsing regexp: invalid escape sequence: `\\8`");
    refused("a\\e", "error parsing regexp: invalid escape sequence: `\\e`");
    refused("a\\Z", "error parsing regexp: invalid escape sequence: `\\Z`");
    refused("\\C", "error parsing regexp: invalid escape sequence: `\\C`");
    refused("\\xZZ", "error parsing regexp: invalid escape sequence: `\\xZZ`");
    refused("\\x{zz}", "error parsing regexp: invalid escape sequence: `\\x{z`");
    refused("\\x{110000}", "error parsing regexp: invalid escape sequence: `\\x{110000`");
    refused("[\\b]", "error parsing regexp: invalid escape sequence: `\\b`");
    refused("x\\", "error parsing regexp: trailing backslash at end of expression: ``");
    refused("a{1001}", "error parsing regexp: invalid repeat count: `{1001}`");
    refused("a{2,1}", "error parsing regexp: invalid repeat count: `{2,1}`");
    refused("a{123456789}", "error parsing regexp: invalid repeat count: `{123456789}`");
    refused("(a{100}){11}", "error parsing regexp: invalid repeat count: `{11}`");
    refused("((a{10}b){10}){11}", "error parsing regexp: invalid repeat count: `{11}`");
    refused("*a", "error parsing regexp: missing argument to repetition operator: `*`");
    refused("(+)", "error parsing regexp: missing argument to repetition operator: `+`");
    refused("a|?", "error parsing regexp: missing argument to repetition operator: `?`");
    refused("a|{2}", "error parsing regexp: missing argument to repetition operator: `{2}`");
    refused("(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`");
    refused("(?!a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`");
    refused("(?>a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?>`");
    refused("(?P=x)", "error parsing regexp: invalid or unsupported Perl syntax: `(?P`");
    refused("(?i-)x", "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`");
    refused("(?<=a)b", "error parsing regexp: invalid named capture: `(?<=a)b`");
    refused("(?P<>x)", "error parsing regexp: invalid named capture: `(?P<>`");
    refused("(?P<a-b>x)", "error parsing regexp: invalid named capture: `(?P<a-b>`");
    refused("(a", "error parsing regexp: missing closing ): `(a`");
    refused("a)", "error parsing regexp: unexpected ): `a)`");
    refused("[a", "error parsing regexp: missing closing ]: `[a`");
    refused("x[]", "error parsing regexp: missing closing ]: `[]`");
    refused("[z-a]", "error parsing regexp: invalid character class range: `z-a`");
    refused("[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`");
    refused("a\\p", "error parsing regexp: invalid character class range: `\\p`");
    refused("a\xff", "error parsing regexp: invalid UTF-8: `\xff`");
    refused("a\xed\xa0\x80", "error parsing regexp: invalid UTF-8: `\xed\xa0\x80`");
}

/* Patterns that make backtracking or expanding engines (glibc's regcomp
 * among them) blow up in time or memory are cheap here: they are refused
 * by Go's rules or matched without backtracking. */
static void test_hostile(void **state)
{
    (void)state;
    char subject[5003];
    memset(subject, 'a', 5000);
    strcpy(subject + 5000, "b!");
    assert_int_equal(match("^(a+)+$", subject), 0);
    assert_int_equal(match("^(a|aa)*$", subject), 0);
    assert_int_equal(match("^(a*)*b!$", subject), 1);
    assert_int_equal(match("^((a+)+)+$", subject), 0);
    assert_int_equal(match("^(a{0,4}){0,250}$", "aaaaaaaaaa"), 1);
    /* Long subjects with repeated groups need no backtracking stack. */
    size_t long_len = 1 << 20;
    char *longs = malloc(long_len + 2);
    memset(longs, 'a', long_len);
    longs[long_len] = 0;
    assert_int_equal(match("^(a)*$", longs), 1);
    assert_int_equal(match("^(a|b)*$", longs), 1);
    assert_int_equal(match("^(a|aa)+$", longs), 1);
    longs[long_len] = '!';
    longs[long_len + 1] = 0;
    assert_int_equal(match("^(a|aa)+$", longs), 0);
    free(longs);
    refused("(a{0,4}){0,1000}", "error parsing regexp: invalid repeat count: `{0,1000}`");
    char big[400];
    strcpy(big, "^a");
    for (int i = 0; i < 300; i++)
        strcat(big, "+");
    refused(big, "error parsing regexp: invalid nested repetition operator: `++`");
    /* Deep nesting stops at Go's limit without recursion. */
    size_t n = 2 * 1100 + 1;
    char *deep = malloc(n + 1);
    for (size_t i = 0; i < 1100; i++) {
        deep[i] = '(';
        deep[1100 + 1 + i] = ')';
    }
    deep[1100] = 'a';
    deep[n] = 0;
    char *err = NULL;
    assert_null(kapi_goregex_compile(deep, n, &err));
    assert_string_equal(err + strlen(err) - 1, "`");
    assert_non_null(strstr(err, "expression nests too deeply"));
    free(err);
    free(deep);
    /* A pattern whose compiled form would be huge is refused, not built. */
    assert_int_equal(match("^(a{0,1000})$", "aaa"), 1);
    char wide[2000], want[2100];
    wide[0] = 0;
    for (int i = 0; i < 140; i++)
        strcat(wide, "((xy){1000})");
    snprintf(want, sizeof(want), "error parsing regexp: expression too large: `%s`", wide);
    refused(wide, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_go_semantics),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_go_errors),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
