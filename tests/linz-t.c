/*
 * linz-t: the stock counter's linearizability checker (linz.h) on
 * hand-made histories, each with its verdict worked out by hand: OKs that
 * fit and that oversell, sold-out answers that are and are not explainable,
 * INFO operations that must take effect, that must not, and that cannot
 * (invoked after the answer they would explain), FAILs dropped, the size
 * limit; then the default search against the exhaustive one and against a
 * closed form on random histories, and the default search's step count on
 * long histories (at most one step per operation).
 *
 * The closed form (used only here, as an oracle): with K OKs and initial
 * S, a history is linearizable iff K <= S and, if any EMPTY exists, some
 * instant T has every OK invoked by T, S - K INFOs invoked by T (they take
 * effect), and every EMPTY completing at or after T: the counter reaches 0
 * at T, all OKs before, all EMPTYs after.
 */
#include <stdio.h>
#include <stdlib.h>

#include "models/mech/linz.h"
#include "tests/tap/basic.h"

#define OK(a, b)                                                                                   \
    {                                                                                              \
        (a), (b), RG_LINZ_OK                                                                       \
    }
#define EMPTY(a, b)                                                                                \
    {                                                                                              \
        (a), (b), RG_LINZ_EMPTY                                                                    \
    }
#define INFO(a)                                                                                    \
    {                                                                                              \
        (a), 0, RG_LINZ_INFO                                                                       \
    }
#define FAIL(a, b)                                                                                 \
    {                                                                                              \
        (a), (b), RG_LINZ_FAIL                                                                     \
    }
#define N(x) (sizeof(x) / sizeof(x)[0])

static const rg_linz_opts exhaustive = {0, 0, true};

/* Both searches give `want` on ops. */
static void check(const char *what, const rg_linz_op *ops, size_t n, int64_t s, int want)
{
    is_int(want, rg_linz_counter(ops, n, s, NULL, NULL), "%s", what);
    is_int(want, rg_linz_counter(ops, n, s, &exhaustive, NULL), "%s (exhaustive)", what);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The closed form above. */
static int oracle(const rg_linz_op *ops, size_t n, int64_t s)
{
    int64_t k = 0, tlo = INT64_MIN, thi = INT64_MAX, info[64];
    size_t ni = 0;
    bool empty = false;
    for (size_t i = 0; i < n; i++) {
        switch (ops[i].type) {
        case RG_LINZ_OK:
            k++;
            tlo = ops[i].call > tlo ? ops[i].call : tlo;
            break;
        case RG_LINZ_EMPTY:
            empty = true;
            thi = ops[i].ret < thi ? ops[i].ret : thi;
            break;
        case RG_LINZ_INFO: info[ni++] = ops[i].call; break;
        default: break;
        }
    }
    if (k > s)
        return 0;
    if (!empty)
        return 1;
    size_t m = (size_t)(s - k);
    if (m > ni)
        return 0;
    qsort(info, ni, sizeof *info, cmp_i64);
    if (m > 0 && info[m - 1] > tlo)
        tlo = info[m - 1];
    return tlo <= thi;
}

/* A history drawn from a real counter: random linearisation points, each
 * operation's interval around its point, some made INFO (and some INFOs
 * that never took effect added). */
static size_t from_execution(rg_linz_op *ops, size_t n, int64_t s, unsigned *seed)
{
    int64_t pts[64];
    for (size_t i = 0; i < n; i++)
        pts[i] = rand_r(seed) % 40;
    qsort(pts, n, sizeof *pts, cmp_i64);
    int64_t c = s;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        rg_linz_op *o = &ops[m++];
        o->call = pts[i] - rand_r(seed) % 8;
        o->ret = pts[i] + rand_r(seed) % 8;
        o->type = c > 0 ? RG_LINZ_OK : RG_LINZ_EMPTY;
        c -= c > 0;
        if (rand_r(seed) % 5 == 0)
            o->type = RG_LINZ_INFO;
        if (rand_r(seed) % 7 == 0)
            ops[m++] = (rg_linz_op){rand_r(seed) % 40, 0, RG_LINZ_INFO};
    }
    return m;
}

/* Any mix of types and intervals. */
static size_t at_random(rg_linz_op *ops, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++) {
        ops[i].call = rand_r(seed) % 20;
        ops[i].ret = ops[i].call + rand_r(seed) % 10;
        ops[i].type = (rg_linz_type)(rand_r(seed) % 4);
    }
    return n;
}

int main(void)
{
    plan(2 * 15 + 10);

    check("no operations", NULL, 0, 5, 1);
    rg_linz_op two_ok[] = {OK(0, 10), OK(5, 15), EMPTY(20, 30)};
    check("2 units: two OKs, then sold out", two_ok, N(two_ok), 2, 1);
    rg_linz_op oversell[] = {OK(0, 10), OK(0, 10), OK(0, 10)};
    check("2 units: three OKs oversell", oversell, N(oversell), 2, 0);
    rg_linz_op ok_after_empty[] = {OK(0, 10), EMPTY(11, 12), OK(13, 14)};
    check("2 units: an OK invoked after a sold-out answer", ok_after_empty, N(ok_after_empty), 2,
          0);
    rg_linz_op unit_left[] = {OK(0, 10), EMPTY(20, 30)};
    check("2 units: sold out with a unit left, nothing to explain it", unit_left, N(unit_left), 2,
          0);
    rg_linz_op info_must[] = {OK(0, 10), INFO(0), EMPTY(20, 30)};
    check("2 units: an INFO must take effect to explain sold out", info_must, N(info_must), 2, 1);
    rg_linz_op info_late[] = {OK(0, 10), INFO(31), EMPTY(20, 30)};
    check("2 units: an INFO invoked after the sold-out answer explains nothing", info_late,
          N(info_late), 2, 0);
    rg_linz_op info_mustnot[] = {INFO(0), OK(5, 10)};
    check("1 unit: an INFO must not take effect before the OK", info_mustnot, N(info_mustnot), 1,
          1);
    rg_linz_op infos_mustnot[] = {INFO(0), INFO(1), INFO(2), OK(5, 10), OK(6, 12), EMPTY(20, 21)};
    check("2 units: three INFOs, none may take effect", infos_mustnot, N(infos_mustnot), 2, 1);
    rg_linz_op overlap[] = {OK(0, 10), EMPTY(5, 8)};
    check("1 unit: a sold-out answer overlapping the OK", overlap, N(overlap), 1, 1);
    rg_linz_op empty_first[] = {EMPTY(0, 3), OK(5, 10)};
    check("1 unit: sold out, then an OK", empty_first, N(empty_first), 1, 0);
    rg_linz_op fails[] = {OK(0, 10), FAIL(0, 1), FAIL(2, 3), FAIL(50, 60)};
    check("1 unit: FAILs are dropped", fails, N(fails), 1, 1);
    rg_linz_op twice[] = {OK(0, 10), OK(0, 10)};
    check("1 unit: two concurrent OKs", twice, N(twice), 1, 0);
    rg_linz_op zero[] = {EMPTY(0, 1), INFO(0), EMPTY(2, 3)};
    check("no stock: sold out, an INFO, sold out", zero, N(zero), 0, 1);
    rg_linz_op tie[] = {OK(0, 10), EMPTY(10, 12)};
    check("1 unit: sold out invoked the instant the OK completed", tie, N(tie), 1, 1);

    /* The size limit: 19 concurrent OKs and an EMPTY on 20 units is not
     * linearizable (the counter never reaches 0); the exhaustive search
     * visits every subset of the OKs (2^19 states) to know it. */
    rg_linz_op wide[20];
    for (size_t i = 0; i < 19; i++)
        wide[i] = (rg_linz_op)OK(0, 100);
    wide[19] = (rg_linz_op)EMPTY(0, 50);
    rg_linz_stats st;
    is_int(RG_LINZ_NO, rg_linz_counter(wide, 20, 20, NULL, &st), "19 OKs, sold out, 20 units: no");
    ok(st.steps <= 20, "... in %llu steps (at most one per operation)",
       (unsigned long long)st.steps);
    rg_linz_opts cap = {10000, 0, true};
    is_int(RG_LINZ_TOO_LARGE, rg_linz_counter(wide, 20, 20, &cap, &st),
           "exhaustive, capped at 10000 steps: too large");
    rg_linz_opts small = {0, 4096, true};
    is_int(RG_LINZ_TOO_LARGE, rg_linz_counter(wide, 20, 20, &small, NULL),
           "exhaustive, memo capped at 4 kB: too large");
    rg_linz_opts few = {5, 0, false};
    is_int(RG_LINZ_TOO_LARGE, rg_linz_counter(wide, 20, 20, &few, NULL),
           "default, capped at 5 steps: too large");

    /* Random histories: the three answers agree. */
    unsigned seed = 12;
    int agree = 1, yes = 0, no = 0, memo = 0;
    for (int r = 0; r < 20000; r++) {
        rg_linz_op h[64];
        int64_t s = rand_r(&seed) % 5;
        size_t n = r % 2 ? from_execution(h, 1 + (size_t)(rand_r(&seed) % 9), s, &seed)
                         : at_random(h, 1 + (size_t)(rand_r(&seed) % 10), &seed);
        int a = rg_linz_counter(h, n, s, NULL, NULL);
        int b = rg_linz_counter(h, n, s, &exhaustive, &st);
        int c = oracle(h, n, s);
        memo += st.memo_hits > 0;
        if ((a != b || a != c) && agree) {
            agree = 0;
            diag("history %d (stock %lld): default %d, exhaustive %d, closed form %d", r,
                 (long long)s, a, b, c);
            for (size_t i = 0; i < n; i++)
                diag("  type %d [%lld, %lld]", h[i].type, (long long)h[i].call,
                     (long long)h[i].ret);
        }
        yes += c == 1;
        no += c == 0;
    }
    ok(agree, "20000 random histories: default, exhaustive and closed form agree");
    ok(yes > 2000 && no > 2000, "... linearizable %d, not %d", yes, no);
    ok(memo > 100, "... the exhaustive search's memo table was hit in %d", memo);

    /* Long histories from a real counter: one step per operation. */
    static rg_linz_op big[4000];
    int64_t c = 1500;
    for (size_t i = 0; i < 4000; i++) {
        /* point i, interval [i - 50, i + 50]; every 10th times out */
        big[i] = (rg_linz_op){(int64_t)i - 50, (int64_t)i + 50, c > 0 ? RG_LINZ_OK : RG_LINZ_EMPTY};
        c -= c > 0;
        if (i % 10 == 3)
            big[i].type = RG_LINZ_INFO;
    }
    is_int(RG_LINZ_YES, rg_linz_counter(big, 4000, 1500, NULL, &st),
           "4000 operations from a real counter: linearizable");
    ok(st.steps <= 4000, "... in %llu steps", (unsigned long long)st.steps);
    return 0;
}
