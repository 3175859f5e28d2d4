/* api/selector: label and field selector parsing and matching. */
#include "selector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* ---- Label selector lexer. It tokenises the whole input up front and the
 * parser then walks the tokens with one token of lookahead, because the
 * error texts name the token found where upstream's parser looked. */

enum tok {
    TOK_ERROR,
    TOK_EOS,
    TOK_CLOSE_PAR,
    TOK_COMMA,
    TOK_NOT,
    TOK_DOUBLE_EQUALS,
    TOK_EQUALS,
    TOK_GT,
    TOK_IDENT,
    TOK_IN,
    TOK_LT,
    TOK_NOT_EQUALS,
    TOK_NOT_IN,
    TOK_OPEN_PAR,
};

struct token {
    enum tok tok;
    const char *lit;
};

struct lexer {
    const char *s;
    size_t len, pos;
};

/* Returns the next byte, or -1 at the end (without moving). An embedded NUL
 * byte is consumed but otherwise acts like the end, as in upstream's lexer. */
static int lex_read(struct lexer *l)
{
    if (l->pos < l->len)
        return (unsigned char)l->s[l->pos++];
    return -1;
}

static bool is_ws(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static bool is_special(int c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static enum tok symbol_token(const char *s, size_t n)
{
    static const struct {
        const char *text;
        enum tok tok;
    } table[] = {
        {")", TOK_CLOSE_PAR}, {",", TOK_COMMA}, {"!", TOK_NOT},     {"==", TOK_DOUBLE_EQUALS},
        {"=", TOK_EQUALS},    {">", TOK_GT},    {"<", TOK_LT},      {"!=", TOK_NOT_EQUALS},
        {"(", TOK_OPEN_PAR},  {"in", TOK_IN},   {"notin", TOK_NOT_IN},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(table); i++)
        if (strlen(table[i].text) == n && memcmp(table[i].text, s, n) == 0)
            return table[i].tok;
    return TOK_ERROR;
}

static struct token lex_next(struct kapi_pool *pool, struct lexer *l)
{
    int c = lex_read(l);
    while (is_ws(c))
        c = lex_read(l);
    if (c <= 0)
        return (struct token){TOK_EOS, ""};
    l->pos--;
    size_t start = l->pos;
    if (is_special(c)) {
        /* Longest run of symbol bytes that still spells an operator. */
        enum tok last = TOK_ERROR;
        size_t last_len = 0;
        for (;;) {
            int ch = lex_read(l);
            if (ch <= 0)
                break;
            if (!is_special(ch)) {
                l->pos--;
                break;
            }
            enum tok t = symbol_token(l->s + start, l->pos - start);
            if (t != TOK_ERROR) {
                last = t;
                last_len = l->pos - start;
            } else if (last != TOK_ERROR) {
                l->pos--;
                break;
            }
        }
        if (last == TOK_ERROR)
            return (struct token){TOK_ERROR,
                                  kapi_pool_printf(pool, "error expected: keyword found '%s'",
                                                   kapi_pool_strndup(pool, l->s + start, l->pos - start))};
        return (struct token){last, kapi_pool_strndup(pool, l->s + start, last_len)};
    }
    size_t end;
    for (;;) {
        int ch = lex_read(l);
        if (ch <= 0) {
            end = ch == 0 ? l->pos - 1 : l->pos;
            break;
        }
        if (is_special(ch) || is_ws(ch)) {
            l->pos--;
            end = l->pos;
            break;
        }
    }
    const char *lit = kapi_pool_strndup(pool, l->s + start, end - start);
    enum tok t = symbol_token(lit, end - start);
    return (struct token){t == TOK_IN || t == TOK_NOT_IN ? t : TOK_IDENT, lit};
}

/* ---- Label selector parser. */

struct parser {
    struct kapi_pool *pool;
    struct token *items;
    size_t n, pos;
    const char *err;
};

enum ctx { CTX_KEY_AND_OP, CTX_VALUES };

static struct token p_peek(struct parser *p, enum ctx ctx)
{
    struct token t = p->items[p->pos];
    /* "in" and "notin" are plain words wherever a value (or key) may stand. */
    if (ctx == CTX_VALUES && (t.tok == TOK_IN || t.tok == TOK_NOT_IN))
        t.tok = TOK_IDENT;
    return t;
}

static struct token p_take(struct parser *p, enum ctx ctx)
{
    struct token t = p_peek(p, ctx);
    if (p->pos + 1 < p->n)
        p->pos++;
    return t;
}

static bool p_fail(struct parser *p, const char *fmt, const char *lit)
{
    p->err = kapi_pool_printf(p->pool, fmt, lit);
    return false;
}

/* A set of strings kept as a list, sorted and de-duplicated at the end. */
struct strset {
    const char **items;
    size_t len, cap;
};

static void set_add(struct kapi_pool *pool, struct strset *s, const char *v)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        const char **items = kapi_pool_alloc(pool, cap * sizeof(*items));
        if (s->len)
            memcpy(items, s->items, s->len * sizeof(*items));
        s->items = items;
        s->cap = cap;
    }
    s->items[s->len++] = v;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void set_finish(struct strset *s)
{
    if (s->len < 2)
        return;
    qsort(s->items, s->len, sizeof(*s->items), cmp_cstr);
    size_t k = 1;
    for (size_t i = 1; i < s->len; i++)
        if (strcmp(s->items[i], s->items[k - 1]) != 0)
            s->items[k++] = s->items[i];
    s->len = k;
}

static const char *join_msgs(struct kapi_pool *pool, const char **msgs, size_t n)
{
    const char *out = msgs[0];
    for (size_t i = 1; i < n; i++)
        out = kapi_pool_printf(pool, "%s; %s", out, msgs[i]);
    return out;
}

/* strconv.ParseInt(s, 10, 64) succeeds. */
static bool parse_int64(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end)
        return false;
    *out = v;
    return true;
}

/* Upstream's NewRequirement checks for what the parser can produce: Gt/Lt
 * values must be integers, every value must be a valid label value. */
static bool new_requirement(struct parser *p, struct kapi_label_req *r)
{
    struct kapi_field_errors errs = {0};
    const char *msgs[KAPI_NAME_MSGS_MAX];
    if (r->op == KAPI_LABEL_GT || r->op == KAPI_LABEL_LT) {
        for (size_t i = 0; i < r->nvalues; i++) {
            int64_t v;
            if (!parse_int64(r->values[i], &v))
                kapi_ferr_invalid(p->pool, &errs, kapi_pool_printf(p->pool, "values[%zu]", i), r->values[i],
                                  "for 'Gt', 'Lt' operators, the value must be an integer");
        }
    }
    for (size_t i = 0; i < r->nvalues; i++) {
        size_t n = kapi_is_label_value(r->values[i], msgs);
        if (n)
            kapi_ferr_invalid(p->pool, &errs, kapi_pool_printf(p->pool, "values[%zu][%s]", i, r->key),
                              r->values[i], join_msgs(p->pool, msgs, n));
    }
    if (errs.len) {
        p->err = kapi_field_errors_aggregate(p->pool, &errs);
        return false;
    }
    return true;
}

static bool parse_values(struct parser *p, struct strset *set)
{
    struct token t = p_take(p, CTX_VALUES);
    if (t.tok != TOK_OPEN_PAR)
        return p_fail(p, "found '%s' expected: '('", t.lit);
    struct token la = p_peek(p, CTX_VALUES);
    if (la.tok == TOK_CLOSE_PAR) {
        p_take(p, CTX_VALUES);
        set_add(p->pool, set, "");
        return true;
    }
    if (la.tok != TOK_IDENT && la.tok != TOK_COMMA)
        return p_fail(p, "found '%s', expected: ',', ')' or identifier", la.lit);
    for (;;) {
        t = p_take(p, CTX_VALUES);
        if (t.tok == TOK_IDENT) {
            set_add(p->pool, set, t.lit);
            struct token t2 = p_peek(p, CTX_VALUES);
            if (t2.tok == TOK_COMMA)
                continue;
            if (t2.tok == TOK_CLOSE_PAR)
                break;
            return p_fail(p, "found '%s', expected: ',' or ')'", t2.lit);
        } else if (t.tok == TOK_COMMA) {
            /* Empty members: "(,a)", "(a,)", "(a,,b)" all contain "". */
            if (set->len == 0)
                set_add(p->pool, set, "");
            struct token t2 = p_peek(p, CTX_VALUES);
            if (t2.tok == TOK_CLOSE_PAR) {
                set_add(p->pool, set, "");
                break;
            }
            if (t2.tok == TOK_COMMA) {
                p_take(p, CTX_VALUES);
                set_add(p->pool, set, "");
            }
        } else {
            return p_fail(p, "found '%s', expected: ',', or identifier", t.lit);
        }
    }
    t = p_take(p, CTX_VALUES);
    if (t.tok != TOK_CLOSE_PAR)
        return p_fail(p, "found '%s', expected: ')'", la.lit);
    return true;
}

static bool parse_requirement(struct parser *p, struct kapi_label_req *r)
{
    bool not_exists = false;
    struct token t = p_take(p, CTX_VALUES);
    if (t.tok == TOK_NOT) {
        not_exists = true;
        t = p_take(p, CTX_VALUES);
    }
    if (t.tok != TOK_IDENT)
        return p_fail(p, "found '%s', expected: identifier", t.lit);
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t nm = kapi_is_qualified_name(t.lit, msgs);
    if (nm) {
        struct kapi_field_errors errs = {0};
        kapi_ferr_invalid(p->pool, &errs, NULL, t.lit, join_msgs(p->pool, msgs, nm));
        p->err = kapi_field_error_string(p->pool, &errs.items[0]);
        return false;
    }
    r->key = t.lit;
    r->values = NULL;
    r->nvalues = 0;
    struct token la = p_peek(p, CTX_VALUES);
    if (not_exists) {
        r->op = KAPI_LABEL_NOT_EXISTS;
        return true;
    }
    if (la.tok == TOK_EOS || la.tok == TOK_COMMA) {
        r->op = KAPI_LABEL_EXISTS;
        return true;
    }

    t = p_take(p, CTX_KEY_AND_OP);
    switch (t.tok) {
    case TOK_IN: r->op = KAPI_LABEL_IN; break;
    case TOK_NOT_IN: r->op = KAPI_LABEL_NOT_IN; break;
    case TOK_EQUALS: r->op = KAPI_LABEL_EQUALS; break;
    case TOK_DOUBLE_EQUALS: r->op = KAPI_LABEL_DOUBLE_EQUALS; break;
    case TOK_NOT_EQUALS: r->op = KAPI_LABEL_NOT_EQUALS; break;
    case TOK_GT: r->op = KAPI_LABEL_GT; break;
    case TOK_LT: r->op = KAPI_LABEL_LT; break;
    default:
        return p_fail(p, "found '%s', expected: in, notin, =, ==, !=, gt, lt", t.lit);
    }
    struct strset set = {0};
    if (r->op == KAPI_LABEL_IN || r->op == KAPI_LABEL_NOT_IN) {
        if (!parse_values(p, &set))
            return false;
    } else {
        la = p_peek(p, CTX_VALUES);
        if (la.tok == TOK_EOS || la.tok == TOK_COMMA) {
            set_add(p->pool, &set, "");
        } else {
            t = p_take(p, CTX_VALUES);
            if (t.tok != TOK_IDENT)
                return p_fail(p, "found '%s', expected: identifier", t.lit);
            set_add(p->pool, &set, t.lit);
        }
    }
    set_finish(&set);
    r->values = set.items;
    r->nvalues = set.len;
    return new_requirement(p, r);
}

struct kapi_label_selector *kapi_label_selector_parse(struct kapi_pool *pool, const char *s, size_t len,
                                                      const char **err)
{
    struct parser p = {.pool = pool};
    struct lexer l = {.s = s ? s : "", .len = s ? len : 0};
    size_t cap = 8;
    p.items = kapi_pool_alloc(pool, cap * sizeof(*p.items));
    for (;;) {
        struct token t = lex_next(pool, &l);
        if (p.n == cap) {
            struct token *items = kapi_pool_alloc(pool, 2 * cap * sizeof(*items));
            memcpy(items, p.items, cap * sizeof(*items));
            p.items = items;
            cap *= 2;
        }
        p.items[p.n++] = t;
        if (t.tok == TOK_EOS)
            break;
    }

    struct kapi_label_selector *sel = kapi_pool_calloc(pool, sizeof(*sel));
    size_t rcap = 0;
    for (;;) {
        struct token la = p_peek(&p, CTX_VALUES);
        if (la.tok == TOK_EOS)
            break;
        if (la.tok != TOK_IDENT && la.tok != TOK_NOT) {
            p_fail(&p, "found '%s', expected: !, identifier, or 'end of string'", la.lit);
            goto fail;
        }
        if (sel->nreqs == rcap) {
            rcap = rcap ? rcap * 2 : 4;
            struct kapi_label_req *reqs = kapi_pool_alloc(pool, rcap * sizeof(*reqs));
            if (sel->nreqs)
                memcpy(reqs, sel->reqs, sel->nreqs * sizeof(*reqs));
            sel->reqs = reqs;
        }
        if (!parse_requirement(&p, &sel->reqs[sel->nreqs])) {
            p.err = kapi_pool_printf(pool, "unable to parse requirement: %s", p.err);
            goto fail;
        }
        sel->nreqs++;
        struct token t = p_take(&p, CTX_VALUES);
        if (t.tok == TOK_EOS)
            break;
        if (t.tok != TOK_COMMA) {
            p_fail(&p, "found '%s', expected: ',' or 'end of string'", t.lit);
            goto fail;
        }
        struct token t2 = p_peek(&p, CTX_VALUES);
        if (t2.tok != TOK_IDENT && t2.tok != TOK_NOT) {
            p_fail(&p, "found '%s', expected: identifier after ','", t2.lit);
            goto fail;
        }
    }
    /* Stable insertion sort by key, so equal keys keep their written order. */
    for (size_t i = 1; i < sel->nreqs; i++) {
        struct kapi_label_req r = sel->reqs[i];
        size_t j = i;
        while (j > 0 && strcmp(sel->reqs[j - 1].key, r.key) > 0) {
            sel->reqs[j] = sel->reqs[j - 1];
            j--;
        }
        sel->reqs[j] = r;
    }
    if (err)
        *err = NULL;
    return sel;
fail:
    if (err)
        *err = p.err;
    return NULL;
}

/* One requirement of a metav1.LabelSelector, checked as upstream's
 * NewRequirement checks it (key, value count for the operator, values). */
static bool object_requirement(struct parser *p, struct kapi_label_req *r, const char *key,
                               enum kapi_label_op op, const struct kapi_value *vals)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t nm = kapi_is_qualified_name(key, msgs);
    if (nm) {
        struct kapi_field_errors errs = {0};
        kapi_ferr_invalid(p->pool, &errs, "key", key, join_msgs(p->pool, msgs, nm));
        p->err = kapi_field_errors_aggregate(p->pool, &errs);
        return false;
    }
    struct strset set = {0};
    for (size_t i = 0; vals && vals->type == KAPI_V_ARRAY && i < vals->u.arr.len; i++) {
        const char *v = kapi_value_cstr(vals->u.arr.items[i]);
        set_add(p->pool, &set, v ? v : "");
    }
    const char *bad = NULL;
    if ((op == KAPI_LABEL_IN || op == KAPI_LABEL_NOT_IN) && set.len == 0)
        bad = "for 'in', 'notin' operators, values set can't be empty";
    else if (op == KAPI_LABEL_EQUALS && set.len != 1)
        bad = "exact-match compatibility requires one single value";
    else if ((op == KAPI_LABEL_EXISTS || op == KAPI_LABEL_NOT_EXISTS) && set.len != 0)
        bad = "values set must be empty for exists and does not exist";
    if (bad) {
        /* field.Invalid prints the []string with Go's %#v */
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_buf_puts(&b, "[]string{");
        for (size_t i = 0; i < set.len; i++) {
            if (i)
                kapi_buf_puts(&b, ", ");
            kapi_go_quote_buf(&b, set.items[i], strlen(set.items[i]));
        }
        kapi_buf_putc(&b, '}');
        p->err = kapi_pool_printf(p->pool, "values: Invalid value: %.*s: %s", (int)b.len, b.data, bad);
        kapi_buf_dispose(&b);
        return false;
    }
    set_finish(&set);
    *r = (struct kapi_label_req){.key = key, .op = op, .values = set.items, .nvalues = set.len};
    return new_requirement(p, r);
}

struct kapi_label_selector *kapi_label_selector_from_object(struct kapi_pool *pool, const struct kapi_value *sel,
                                                            const char **err)
{
    if (err)
        *err = NULL;
    if (!sel || sel->type != KAPI_V_OBJECT)
        return NULL;
    const struct kapi_value *ml = kapi_obj_get(sel, "matchLabels");
    const struct kapi_value *me = kapi_obj_get(sel, "matchExpressions");
    size_t nml = ml && ml->type == KAPI_V_OBJECT ? ml->u.obj.len : 0;
    size_t nme = me && me->type == KAPI_V_ARRAY ? me->u.arr.len : 0;
    struct kapi_label_selector *out = kapi_pool_calloc(pool, sizeof(*out));
    out->reqs = kapi_pool_calloc(pool, (nml + nme ? nml + nme : 1) * sizeof(*out->reqs));
    struct parser p = {.pool = pool};
    for (size_t i = 0; i < nml; i++) {
        const char *v = kapi_value_cstr(ml->u.obj.members[i].val);
        struct kapi_value one = {.type = KAPI_V_ARRAY};
        struct kapi_value *item = kapi_value_str(pool, v ? v : "");
        one.u.arr.items = &item;
        one.u.arr.len = 1;
        if (!object_requirement(&p, &out->reqs[out->nreqs], ml->u.obj.members[i].key, KAPI_LABEL_EQUALS, &one))
            goto fail;
        out->nreqs++;
    }
    for (size_t i = 0; i < nme; i++) {
        const struct kapi_value *e = me->u.arr.items[i];
        const char *key = kapi_obj_get_str(e, "key"), *op = kapi_obj_get_str(e, "operator");
        enum kapi_label_op o;
        if (op && strcmp(op, "In") == 0)
            o = KAPI_LABEL_IN;
        else if (op && strcmp(op, "NotIn") == 0)
            o = KAPI_LABEL_NOT_IN;
        else if (op && strcmp(op, "Exists") == 0)
            o = KAPI_LABEL_EXISTS;
        else if (op && strcmp(op, "DoesNotExist") == 0)
            o = KAPI_LABEL_NOT_EXISTS;
        else {
            p.err = kapi_pool_printf(pool, "%s is not a valid label selector operator",
                                     kapi_go_quote(pool, op ? op : "", op ? strlen(op) : 0));
            goto fail;
        }
        if (!object_requirement(&p, &out->reqs[out->nreqs], key ? key : "", o, kapi_obj_get(e, "values")))
            goto fail;
        out->nreqs++;
    }
    /* sorted by key as labels.NewSelector().Add keeps them */
    for (size_t i = 1; i < out->nreqs; i++) {
        struct kapi_label_req r = out->reqs[i];
        size_t j = i;
        while (j > 0 && strcmp(out->reqs[j - 1].key, r.key) > 0) {
            out->reqs[j] = out->reqs[j - 1];
            j--;
        }
        out->reqs[j] = r;
    }
    return out;
fail:
    if (err)
        *err = p.err;
    return NULL;
}

static bool req_has_value(const struct kapi_label_req *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return true;
    return false;
}

static bool req_matches(const struct kapi_label_req *r, const struct kapi_value *labels)
{
    const struct kapi_value *lv =
        labels && labels->type == KAPI_V_OBJECT ? kapi_obj_get(labels, r->key) : NULL;
    const char *v = lv ? kapi_value_cstr(lv) : NULL;
    bool has = lv != NULL;
    if (has && !v)
        v = "";
    switch (r->op) {
    case KAPI_LABEL_IN:
    case KAPI_LABEL_EQUALS:
    case KAPI_LABEL_DOUBLE_EQUALS:
        return has && req_has_value(r, v);
    case KAPI_LABEL_NOT_IN:
    case KAPI_LABEL_NOT_EQUALS:
        return !has || !req_has_value(r, v);
    case KAPI_LABEL_EXISTS:
        return has;
    case KAPI_LABEL_NOT_EXISTS:
        return !has;
    case KAPI_LABEL_GT:
    case KAPI_LABEL_LT: {
        int64_t have, want;
        if (!has || r->nvalues != 1 || !parse_int64(v, &have) || !parse_int64(r->values[0], &want))
            return false;
        return r->op == KAPI_LABEL_GT ? have > want : have < want;
    }
    }
    return false;
}

bool kapi_label_selector_matches(const struct kapi_label_selector *sel, const struct kapi_value *labels)
{
    if (!sel)
        return true;
    for (size_t i = 0; i < sel->nreqs; i++)
        if (!req_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

bool kapi_label_selector_empty(const struct kapi_label_selector *sel)
{
    return !sel || sel->nreqs == 0;
}

char *kapi_label_selector_string(struct kapi_pool *pool, const struct kapi_label_selector *sel)
{
    static const char *const op_text[] = {
        [KAPI_LABEL_IN] = " in ",   [KAPI_LABEL_NOT_IN] = " notin ", [KAPI_LABEL_EQUALS] = "=",
        [KAPI_LABEL_DOUBLE_EQUALS] = "==", [KAPI_LABEL_NOT_EQUALS] = "!=", [KAPI_LABEL_EXISTS] = "",
        [KAPI_LABEL_NOT_EXISTS] = "", [KAPI_LABEL_GT] = ">", [KAPI_LABEL_LT] = "<",
    };
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; sel && i < sel->nreqs; i++) {
        const struct kapi_label_req *r = &sel->reqs[i];
        if (i)
            kapi_buf_putc(&b, ',');
        if (r->op == KAPI_LABEL_NOT_EXISTS)
            kapi_buf_putc(&b, '!');
        kapi_buf_puts(&b, r->key);
        if (r->op == KAPI_LABEL_EXISTS || r->op == KAPI_LABEL_NOT_EXISTS)
            continue;
        kapi_buf_puts(&b, op_text[r->op]);
        bool set = r->op == KAPI_LABEL_IN || r->op == KAPI_LABEL_NOT_IN;
        if (set)
            kapi_buf_putc(&b, '(');
        for (size_t j = 0; j < r->nvalues; j++) {
            if (j)
                kapi_buf_putc(&b, ',');
            kapi_buf_puts(&b, r->values[j]);
        }
        if (set)
            kapi_buf_putc(&b, ')');
    }
    char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

bool kapi_label_selector_exact(const struct kapi_label_selector *sel, const char *key, const char **value)
{
    for (size_t i = 0; sel && i < sel->nreqs; i++) {
        const struct kapi_label_req *r = &sel->reqs[i];
        if (strcmp(r->key, key) != 0)
            continue;
        if ((r->op == KAPI_LABEL_EQUALS || r->op == KAPI_LABEL_DOUBLE_EQUALS || r->op == KAPI_LABEL_IN) &&
            r->nvalues == 1) {
            if (value)
                *value = r->values[0];
            return true;
        }
        return false;
    }
    return false;
}

/* ---- Field selectors. */

struct span {
    const char *s;
    size_t n;
};

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

static void put_utf8(struct kapi_buf *b, long r)
{
    char tmp[4];
    if (r < 0x80) {
        tmp[0] = (char)r;
        kapi_buf_append(b, tmp, 1);
    } else if (r < 0x800) {
        tmp[0] = (char)(0xC0 | (r >> 6)), tmp[1] = (char)(0x80 | (r & 0x3F));
        kapi_buf_append(b, tmp, 2);
    } else if (r < 0x10000) {
        tmp[0] = (char)(0xE0 | (r >> 12)), tmp[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (r & 0x3F));
        kapi_buf_append(b, tmp, 3);
    } else {
        tmp[0] = (char)(0xF0 | (r >> 18)), tmp[1] = (char)(0x80 | ((r >> 12) & 0x3F));
        tmp[2] = (char)(0x80 | ((r >> 6) & 0x3F)), tmp[3] = (char)(0x80 | (r & 0x3F));
        kapi_buf_append(b, tmp, 4);
    }
}

/* Go's range-over-string decoding: invalid bytes come out as U+FFFD. */
static size_t decode_rune(const unsigned char *s, size_t n, long *r)
{
    unsigned char c = s[0];
    size_t need;
    long min, v;
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    *r = 0xFFFD;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2, min = 0x80, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3, min = 0x800, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4, min = 0x10000, v = c & 0x07;
    else
        return 1;
    if (n < need)
        return 1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    *r = v;
    return need;
}

/* Upstream's UnescapeValue: "\\", "\," and "\=" are the only escapes, and a
 * bare ',' or '=' is an error. */
static bool unescape_value(struct kapi_pool *pool, const char *s, size_t n, struct kapi_field_term *t,
                           const char **err)
{
    bool special = false;
    for (size_t i = 0; i < n && !special; i++)
        special = s[i] == '\\' || s[i] == ',' || s[i] == '=';
    if (!special) {
        t->value = kapi_pool_strndup(pool, s, n);
        t->value_len = n;
        return true;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    bool in_slash = false;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        long r;
        size_t w = decode_rune(u + i, n - i, &r);
        i += w;
        if (in_slash) {
            if (r != '\\' && r != ',' && r != '=') {
                struct kapi_buf e;
                kapi_buf_init(&e, 0);
                kapi_buf_puts(&e, "invalid field selector: invalid escape sequence: \\");
                put_utf8(&e, r);
                *err = kapi_pool_strndup(pool, e.data, e.len);
                kapi_buf_dispose(&e);
                kapi_buf_dispose(&b);
                return false;
            }
            put_utf8(&b, r);
            in_slash = false;
            continue;
        }
        if (r == '\\') {
            in_slash = true;
        } else if (r == ',' || r == '=') {
            /* Go prints the rune with %v, i.e. as its number. */
            *err = kapi_pool_printf(pool, "invalid field selector: unescaped character in value: %ld", r);
            kapi_buf_dispose(&b);
            return false;
        } else {
            put_utf8(&b, r);
        }
    }
    if (in_slash) {
        *err = kapi_pool_strdup(pool, "invalid field selector: invalid escape sequence: \\");
        kapi_buf_dispose(&b);
        return false;
    }
    t->value = kapi_pool_strndup(pool, b.data, b.len);
    t->value_len = b.len;
    kapi_buf_dispose(&b);
    return true;
}

static const char *cant_understand(struct kapi_pool *pool, const char *s, size_t len, struct span part)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "invalid selector: '");
    kapi_buf_append(&b, s, len);
    kapi_buf_puts(&b, "'; can't understand '");
    kapi_buf_append(&b, part.s, part.n);
    kapi_buf_puts(&b, "'");
    const char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

struct kapi_field_selector *kapi_field_selector_parse(struct kapi_pool *pool, const char *s, size_t len,
                                                      const char **err)
{
    struct kapi_field_selector *sel = kapi_pool_calloc(pool, sizeof(*sel));
    if (err)
        *err = NULL;
    if (!s || len == 0)
        return sel;

    /* Split on commas that are not backslash-escaped. */
    size_t nparts = 1;
    for (size_t i = 0; i < len; i++)
        nparts += s[i] == ',';
    struct span *parts = kapi_pool_alloc(pool, nparts * sizeof(*parts));
    size_t np = 0, start = 0;
    bool in_slash = false;
    for (size_t i = 0; i < len; i++) {
        if (in_slash)
            in_slash = false;
        else if (s[i] == '\\')
            in_slash = true;
        else if (s[i] == ',') {
            parts[np++] = (struct span){s + start, i - start};
            start = i + 1;
        }
    }
    parts[np++] = (struct span){s + start, len - start};
    qsort(parts, np, sizeof(*parts), cmp_span);

    sel->terms = kapi_pool_alloc(pool, np * sizeof(*sel->terms));
    for (size_t i = 0; i < np; i++) {
        struct span part = parts[i];
        if (part.n == 0)
            continue;
        size_t at = part.n, oplen = 0;
        enum kapi_field_op op = KAPI_FIELD_EQUALS;
        for (size_t j = 0; j < part.n && at == part.n; j++) {
            size_t rest = part.n - j;
            if (rest >= 2 && part.s[j] == '!' && part.s[j + 1] == '=')
                at = j, oplen = 2, op = KAPI_FIELD_NOT_EQUALS;
            else if (rest >= 2 && part.s[j] == '=' && part.s[j + 1] == '=')
                at = j, oplen = 2;
            else if (part.s[j] == '=')
                at = j, oplen = 1;
        }
        if (at == part.n) {
            if (err)
                *err = cant_understand(pool, s, len, part);
            return NULL;
        }
        struct kapi_field_term *t = &sel->terms[sel->nterms];
        const char *uerr = NULL;
        if (!unescape_value(pool, part.s + at + oplen, part.n - at - oplen, t, &uerr)) {
            if (err)
                *err = uerr;
            return NULL;
        }
        /* An empty field with an empty value selects everything upstream. */
        if (at == 0 && t->value_len == 0)
            continue;
        t->field = kapi_pool_strndup(pool, part.s, at);
        t->op = op;
        sel->nterms++;
    }
    return sel;
}

bool kapi_field_selector_matches(const struct kapi_field_selector *sel, kapi_field_get_fn get, void *ctx)
{
    for (size_t i = 0; sel && i < sel->nterms; i++) {
        const struct kapi_field_term *t = &sel->terms[i];
        const char *v = get ? get(ctx, t->field) : NULL;
        if (!v)
            v = "";
        bool eq = strlen(v) == t->value_len && memcmp(v, t->value, t->value_len) == 0;
        if (eq != (t->op == KAPI_FIELD_EQUALS))
            return false;
    }
    return true;
}

bool kapi_field_selector_empty(const struct kapi_field_selector *sel)
{
    return !sel || sel->nterms == 0;
}

char *kapi_field_selector_string(struct kapi_pool *pool, const struct kapi_field_selector *sel)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; sel && i < sel->nterms; i++) {
        const struct kapi_field_term *t = &sel->terms[i];
        if (i)
            kapi_buf_putc(&b, ',');
        kapi_buf_puts(&b, t->field);
        kapi_buf_puts(&b, t->op == KAPI_FIELD_EQUALS ? "=" : "!=");
        for (size_t j = 0; j < t->value_len; j++) {
            char c = t->value[j];
            if (c == '\\' || c == ',' || c == '=')
                kapi_buf_putc(&b, '\\');
            kapi_buf_putc(&b, c);
        }
    }
    char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

bool kapi_field_selector_exact(const struct kapi_field_selector *sel, const char *field, const char **value)
{
    for (size_t i = 0; sel && i < sel->nterms; i++) {
        const struct kapi_field_term *t = &sel->terms[i];
        if (t->op == KAPI_FIELD_EQUALS && strcmp(t->field, field) == 0) {
            if (value)
                *value = t->value;
            return true;
        }
    }
    return false;
}
