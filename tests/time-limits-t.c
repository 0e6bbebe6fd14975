/*
 * time-limits-t.c: tests of the end of simulated time.  A duration
 * distribution past the ceiling (10 years: a parameter, or the mean it
 * makes) is a parse error naming the value (sim/engine/dist.c); what
 * passes can still add up past RG_TIME_MAX in a long chain of delays, and
 * the engine then stops cleanly instead of asserting
 * (sim/engine/engine.c: rg_after saturates, rg_engine_run returns
 * RG_RUN_END_OF_TIME).
 */
#include <stdlib.h>
#include <string.h>

#include "sim/engine/dist.h"
#include "sim/engine/engine.h"
#include "tests/tap/basic.h"

/* Parses text as a duration distribution; true if that fails with a
 * message containing each of want1 and want2 (NULL: none). */
static bool refused(const char *text, const char *want1, const char *want2)
{
    rg_err e;
    rg_err_clear(&e);
    rg_dist *d = rg_dist_parse(text, RG_QTY_DURATION, &e);
    if (d != NULL) {
        rg_dist_free(d);
        diag("'%s' was accepted", text);
        return false;
    }
    diag("%s", e.msg);
    return e.kind == RG_ERR_INPUT && strstr(e.msg, "at most 10 years") != NULL &&
           (want1 == NULL || strstr(e.msg, want1) != NULL) &&
           (want2 == NULL || strstr(e.msg, want2) != NULL);
}

static bool accepted(const char *text, rg_qty q)
{
    rg_err e;
    rg_err_clear(&e);
    rg_dist *d = rg_dist_parse(text, q, &e);
    if (d == NULL)
        diag("%s", e.msg);
    rg_dist_free(d);
    return d != NULL;
}

static void test_ceiling(void)
{
    ok(refused("const(300000h)", "300000h", NULL), "const(300000h) is refused, naming it");
    ok(refused("300000h", "300000h", NULL), "... and so is the bare 300000h");
    ok(refused("exp(mean=100000h)", "100000h", "mean"), "exp with a mean past 10 years");
    ok(refused("lognormal(mu=1e300, sigma=1)", "mean", "infinite"), "lognormal(mu=1e300, sigma=1)");
    ok(refused("lognormal(median=1ms, sigma=10)", "mean", NULL),
       "a lognormal whose mean is 1e18 s");
    ok(refused("gamma(1e300, 1ms)", "mean", "1e+297s"), "gamma(1e300, 1ms): its mean is named");
    ok(refused("pareto(1ns, 1e-300)", "median", "infinite"), "pareto(1ns, 1e-300)");
    ok(refused("weibull(1ms, 0.001)", "mean", NULL), "a weibull with an infinite mean");
    ok(refused("shift(9e18ns, exp(1ms))", "9e18ns", NULL), "shift(9e18ns, ...) names the offset");
    ok(refused("uniform(0, 100000h)", "max", "100000h"), "a bound past 10 years");
    ok(refused("mix(0.5: exp(1ms), 0.5: const(100000h))", "100000h", NULL),
       "... inside a mixture too");
    ok(refused("normal(0, 100000h)", "sd", NULL), "a standard deviation past 10 years");

    ok(accepted("exp(mean=200h)", RG_QTY_DURATION), "exp(mean=200h) is a valid distribution");
    ok(accepted("const(87000h)", RG_QTY_DURATION), "so is a constant just under 10 years");
    ok(accepted("pareto(1ms, 0.5)", RG_QTY_DURATION),
       "a Pareto of shape 0.5 (infinite mean, median 4 ms) is accepted");
    ok(accepted("lognormal(median=12ms, p99=50ms)", RG_QTY_DURATION), "an ordinary lognormal");
    ok(accepted("gamma(1e300, 1)", RG_QTY_NUMBER), "numbers have no such ceiling");
}

static int fired;

#define YEAR ((rg_time)365 * 24 * 3600 * RG_S)

/* Fires, then schedules itself 100 years later. */
static void every_century(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)ctx;
    (void)arg;
    fired++;
    rg_after(e, 100 * YEAR, RG_PRIO_DEFAULT, every_century, NULL, 0);
}

static void count(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)ctx;
    (void)arg;
    fired++;
}

static void test_engine(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    fired = 0;
    rg_at(e, 0, RG_PRIO_DEFAULT, every_century, NULL, 0);
    rg_at(e, 250 * YEAR, RG_PRIO_DEFAULT, count, NULL, 0);
    rg_runstop st = rg_engine_run(e, RG_TIME_MAX, 0);
    is_int(RG_RUN_END_OF_TIME, st, "a chain of century-long delays ends at the end of time");
    is_int(4, fired, "... after the events before it (0, 100, 200, 250 years)");
    ok(rg_engine_past_end(e) && rg_now(e) == 250 * YEAR,
       "... with the clock at the last event fired");
    st = rg_engine_run(e, RG_TIME_MAX, 0);
    ok(st == RG_RUN_END_OF_TIME && fired == 4, "a later run fires nothing more");
    rg_engine_free(e);

    e = rg_engine_new(1, 0, NULL);
    fired = 0;
    rg_after(e, RG_TIME_MAX, RG_PRIO_DEFAULT, count, NULL, 0);
    st = rg_engine_run(e, RG_TIME_MAX, 0);
    ok(st == RG_RUN_EMPTY && fired == 1 && !rg_engine_past_end(e) && rg_now(e) == RG_TIME_MAX,
       "an event at exactly RG_TIME_MAX still fires");
    rg_engine_free(e);

    /* A run with a limit: the end of time wins over the limit, and an
     * earlier limit still stops the run before it. */
    e = rg_engine_new(1, 0, NULL);
    fired = 0;
    rg_at(e, 10, RG_PRIO_DEFAULT, count, NULL, 0);
    st = rg_engine_run(e, 5, 0);
    ok(st == RG_RUN_UNTIL && fired == 0 && rg_now(e) == 5, "a limit before every event stops there");
    rg_after(e, RG_TIME_MAX - 3, RG_PRIO_DEFAULT, count, NULL, 0); /* 5 + MAX - 3: past the end */
    st = rg_engine_run(e, 1000, 0);
    ok(st == RG_RUN_END_OF_TIME && fired == 1 && rg_now(e) == 10 && rg_engine_past_end(e),
       "the end of time is reported even under a limit, after the events before it");
    st = rg_engine_run(e, RG_TIME_MAX, 3);
    ok(st == RG_RUN_END_OF_TIME && fired == 1, "... and not as the budget");
    rg_engine_free(e);
}

int main(void)
{
    plan(25);
    test_ceiling();
    test_engine();
    return 0;
}
