/*
 * iter-t.c: iteration variables (iter.h): lists, linear and log ranges
 * with units, the Cartesian product and lockstep, references, --vary,
 * brackets, comments, substitution that keeps line numbers, and the
 * errors a user meets first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/iter.h"
#include "tests/tap/basic.h"

/* Scans one text and plans it; NULL (and the error in msg) on failure. */
static rg_iter *one(const char *text, bool bracket, char *msg, size_t n)
{
    rg_err e;
    rg_err_clear(&e);
    const char *names[1] = {"t.ini"};
    rg_iter *it = rg_iter_scan(&text, names, 1, &e);
    if (it != NULL && rg_iter_plan(it, bracket, &e) < 0) {
        rg_iter_free(it);
        it = NULL;
    }
    snprintf(msg, n, "%s", e.msg);
    return it;
}

static void test_lists_and_ranges(void)
{
    char msg[1100];
    rg_iter *it = one("[a]\nk = ${p=0ms, 1ms, uniform(0, 5ms)}\n", false, msg, sizeof msg);
    ok(it != NULL, "a list with a parenthesised comma: %s", it ? "planned" : msg);
    if (it) {
        is_int(3, (long long)rg_iter_npoints(it), "three points");
        is_string("uniform(0, 5ms)", rg_iter_text(it, 2, 0), "the third item kept whole");
        is_double(0.001, rg_iter_value(it, 1, 0), 1e-15, "1ms is 0.001 s");
        ok(isnan(rg_iter_value(it, 2, 0)), "text that is not a quantity has value NaN");
        char *t = rg_iter_subst(it, 0, 1, NULL);
        is_string("[a]\nk = 1ms\n", t, "point 1's text");
        free(t);
        rg_iter_free(it);
    }
    it = one("x = ${w=10ms..1h:13 log}", false, msg, sizeof msg);
    ok(it && rg_iter_npoints(it) == 13 && rg_iter_is_log(it, 0), "a log range of 13 points");
    if (it) {
        is_string("10ms", rg_iter_text(it, 0, 0), "it starts at 10ms");
        is_string("1h", rg_iter_text(it, 12, 0), "and ends at 1h");
        /* 10 ms x 360000^(6/12) = 6 s */
        is_double(6.0, rg_iter_value(it, 6, 0), 1e-5, "the middle point is the geometric mean");
        rg_iter_free(it);
    }
    it = one("x = ${l=0ms..500ms:11}", false, msg, sizeof msg);
    ok(it && rg_iter_npoints(it) == 11, "a linear range");
    if (it) {
        is_string("50ms", rg_iter_text(it, 1, 0), "steps of 50ms");
        is_double(0.25, rg_iter_value(it, 5, 0), 1e-12, "the middle is 250 ms");
        rg_iter_free(it);
    }
    it = one("x = ${f=1%..50%:2}", false, msg, sizeof msg);
    ok(it && fabs(rg_iter_value(it, 1, 0) - 0.5) < 1e-12, "percent ends: 50%% is 0.5");
    rg_iter_free(it);
}

static void test_product_lockstep_refs(void)
{
    char msg[1100];
    rg_iter *it = one("a = ${x=1, 2, 3}\nb = ${y=10, 20}\nc = ${z=a, b, c ! x}\nd = ${x}\n", false,
                      msg, sizeof msg);
    ok(it != NULL, "product, lockstep and a reference: %s", it ? "planned" : msg);
    if (it == NULL)
        return;
    is_int(6, (long long)rg_iter_npoints(it), "3 x 2 points (z steps with x)");
    ok(!rg_iter_is_axis(it, 2) && rg_iter_is_axis(it, 0), "z is not an axis of its own");
    /* the first defined varies slowest: point 3 is x=2, y=20 */
    is_string("2", rg_iter_text(it, 3, 0), "point 3: x = 2");
    is_string("20", rg_iter_text(it, 3, 1), "point 3: y = 20");
    is_string("b", rg_iter_text(it, 3, 2), "point 3: z steps with x");
    char *t = rg_iter_subst(it, 0, 5, NULL);
    is_string("a = 3\nb = 20\nc = c\nd = 3\n", t, "point 5's text, the reference included");
    free(t);
    rg_err e;
    rg_err_clear(&e);
    ok(rg_iter_vary(it, "y=5..7:3", &e) == 0 && rg_iter_plan(it, false, &e) == 0 &&
           rg_iter_npoints(it) == 9,
       "--vary y=5..7:3 gives 3 x 3 points");
    ok(rg_iter_vary(it, "nope=1,2", &e) < 0 && strstr(e.msg, "no variable 'nope'") &&
           strstr(e.msg, "x, y, z"),
       "--vary of an unknown name lists the variables: %s", e.msg);
    rg_iter_free(it);
}

static void test_brackets_comments_lines(void)
{
    char msg[1100];
    rg_iter *it = one("x = ${m=1.1s..2s}", false, msg, sizeof msg);
    ok(it == NULL && strstr(msg, "give the number of points"),
       "a range without :N is refused for a sweep: %s", msg);
    it = one("x = ${m=1.1s..2s}", true, msg, sizeof msg);
    ok(it && rg_iter_npoints(it) == 2 && rg_iter_lo(it, 0) == 1.1 && rg_iter_hi(it, 0) == 2,
       "and is a bracket for find");
    if (it) {
        double si;
        char *t = rg_iter_format(it, 0, 1.25, &si);
        is_string("1.25s", t, "a value inside the bracket in its units");
        is_double(1.25, si, 0, "read back exactly");
        free(t);
    }
    rg_iter_free(it);
    it = one("; ${not=a, b}\n# ${nor=1}\nk = 1\n", false, msg, sizeof msg);
    ok(it && rg_iter_nvars(it) == 0 && rg_iter_npoints(it) == 1, "comments are not scanned");
    rg_iter_free(it);
    it = one("[s]\n\nk = ${v=1, 2}\n", false, msg, sizeof msg);
    if (it) {
        char *t = rg_iter_subst(it, 0, 0, NULL);
        ok(t && strcmp(t, "[s]\n\nk = 1\n") == 0, "lines keep their numbers");
        free(t);
    }
    rg_iter_free(it);
}

static void test_errors(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"k = ${a=1} ${a=2}", "defined twice"},
        {"k = ${b}", "names no variable"},
        {"k = ${a=1, , 2}", "empty item"},
        {"k = ${a=1..2:0}", "count of points"},
        {"k = ${a=0..5:3 log}", "same sign"},
        {"k = ${a=10..1h:3}", "not the same kind"},
        {"k = ${a=1, 2}\nj = ${b=1, 2, 3 ! a}", "has 3 values but steps with ${a}"},
        {"k = ${a=1 ! b}", "no variable 'b'"},
        {"k = ${a=1", "without its closing"},
        {"k = ${a=${b=1}}", "cannot hold another"},
        {"k = ${1x=3}", "NAME a word"},
        {"k = ${a=}", "no values"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[1100];
        rg_iter *it = one(bad[i].text, false, msg, sizeof msg);
        ok(it == NULL && strstr(msg, bad[i].want) && strstr(msg, "t.ini"),
           "bad expression %zu is refused, naming the file: %s", i, msg);
        rg_iter_free(it);
    }
}

int main(void)
{
    plan(41);
    test_lists_and_ranges();
    test_product_lockstep_refs();
    test_brackets_comments_lines();
    test_errors();
    return 0;
}
