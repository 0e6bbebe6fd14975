/*
 * backoff.c: retry policies and the retry state machine (see backoff.h).
 *
 * An op is in one of three states: attempting (the application holds the
 * current attempt and owes one rg_bo_op_result), waiting (a backoff timer
 * is pending) or ended (outcome != PENDING).  The next attempt always
 * starts from a timer event, even after a zero wait, so an application that
 * answers inside its attempt callback never recurses.
 */
#include "models/mech/backoff.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/mech/mparam.h"

void rg_bo_default(rg_bo_policy *p)
{
    p->mode = RG_BO_WINDOW;
    p->jitter = RG_BO_JIT_FULL;
    p->base = 390625; /* 25/64 ms: expo(6) = 25 ms exactly */
    p->mult = 2.0;
    p->cap = 2 * RG_S;
    p->window = 60 * RG_S;
    p->max_attempts = 0;
    p->overload_wait = 2 * RG_S;
    p->legacy_retries = 5;
}

static const char *const jitter_names[] = {"none", "full", "equal", "decorrelated", NULL};
static const char *const mode_names[] = {"window", "legacy", NULL};

const char *rg_bo_jitter_name(rg_bo_jitter j)
{
    return jitter_names[j];
}
const char *rg_bo_mode_name(rg_bo_mode m)
{
    return mode_names[m];
}

int rg_bo_load(rg_scn *s, const char *var, const char *shared, const rg_bo_policy *def,
               rg_bo_policy *p, rg_err *e)
{
    rg_bo_policy d;
    if (def == NULL) {
        rg_bo_default(&d);
        def = &d;
    }
    /* The defaults as text, so that the resolved scenario shows them. */
    char base[RG_TIME_STRLEN], cap[RG_TIME_STRLEN], win[RG_TIME_STRLEN], ow[RG_TIME_STRLEN];
    char mult[32], maxa[32], lr[32];
    rg_time_format(def->base, base);
    rg_time_format(def->cap, cap);
    rg_time_format(def->window, win);
    rg_time_format(def->overload_wait, ow);
    snprintf(mult, sizeof mult, "%.17g", def->mult);
    snprintf(maxa, sizeof maxa, "%lld", (long long)def->max_attempts);
    snprintf(lr, sizeof lr, "%lld", (long long)def->legacy_retries);
    int mode, jit;
    if (mp_enum(s, var, shared, "policy", mode_names[def->mode], mode_names, &mode, e) < 0 ||
        mp_enum(s, var, shared, "jitter", jitter_names[def->jitter], jitter_names, &jit, e) < 0 ||
        mp_dur(s, var, shared, "base", base, &p->base, e) < 0 ||
        mp_real(s, var, shared, "multiplier", mult, 1, 100, &p->mult, e) < 0 ||
        mp_dur(s, var, shared, "cap", cap, &p->cap, e) < 0 ||
        mp_dur(s, var, shared, "window", win, &p->window, e) < 0 ||
        mp_int(s, var, shared, "max_attempts", maxa, 0, INT64_C(1000000000), &p->max_attempts, e) <
            0 ||
        mp_dur(s, var, shared, "overload_wait", ow, &p->overload_wait, e) < 0 ||
        mp_int(s, var, shared, "legacy_retries", lr, 0, INT64_C(1000000000), &p->legacy_retries,
               e) < 0)
        return -1;
    p->mode = (rg_bo_mode)mode;
    p->jitter = (rg_bo_jitter)jit;
    const char *sec = var && rg_scn_has(s, var, "base") ? var : shared;
    if (p->base <= 0)
        return rg_scn_err(s, sec, "base", e, "must be > 0");
    sec = var && rg_scn_has(s, var, "cap") ? var : shared;
    if (p->cap < p->base)
        return rg_scn_err(s, sec, "cap", e, "must be >= base");
    return 0;
}

rg_time rg_bo_expo(const rg_bo_policy *p, int64_t n)
{
    /* In doubles: mult^n overflows to inf for large n, and min() then
     * returns the cap, which is what a long-running retry should see. */
    double x = (double)p->base * pow(p->mult, (double)n);
    if (!(x < (double)p->cap))
        return p->cap;
    return (rg_time)llround(x);
}

rg_time rg_bo_delay(const rg_bo_policy *p, int64_t n, rg_time prev, double u)
{
    double x;
    switch (p->jitter) {
    case RG_BO_JIT_NONE: return rg_bo_expo(p, n);
    case RG_BO_JIT_FULL: x = u * (double)rg_bo_expo(p, n); break;
    case RG_BO_JIT_EQUAL: {
        double v = (double)rg_bo_expo(p, n);
        x = v / 2 + u * v / 2;
        break;
    }
    case RG_BO_JIT_DECORR:
    default: {
        /* AWS: sleep = min(cap, random_between(base, sleep * 3)).  A prev
         * below base (a caller's zero) is read as base. */
        double b = (double)p->base, hi = 3.0 * (double)(prev > p->base ? prev : p->base);
        x = b + u * (hi - b);
        break;
    }
    }
    if (!(x < (double)p->cap))
        return p->cap;
    return (rg_time)llround(x);
}

const char *rg_bo_res_name(rg_bo_res r)
{
    switch (r) {
    case RG_BO_OK: return "ok";
    case RG_BO_TRANSIENT: return "conflict (transient)";
    case RG_BO_PERMANENT: return "rejected (permanent)";
    case RG_BO_OVERLOADED: return "overloaded";
    }
    return "?";
}

const char *rg_bo_out_name(rg_bo_out o)
{
    switch (o) {
    case RG_BO_PENDING: return "pending";
    case RG_BO_LANDED: return "landed";
    case RG_BO_REJECTED: return "rejected permanently";
    case RG_BO_LOUD: return "failed loudly";
    case RG_BO_SILENT: return "dropped silently";
    }
    return "?";
}

/* ---- the state machine -------------------------------------------------- */

struct rg_bo_op {
    rg_engine *e;
    const rg_bo_policy *p;
    gsl_rng *rng;
    rg_bo_attempt_fn at;
    rg_bo_done_fn done;
    void *ctx;
    FILE *trace;
    char *label;
    int64_t attempts; /* started */
    int64_t failures; /* rejections so far */
    int64_t transient, permanent, overloaded;
    rg_time prev; /* previous wait (decorrelated jitter) */
    rg_time started, finished, waited;
    rg_bo_out out;
    bool attempting, begun;
    rg_evh timer;
};

rg_bo_op *rg_bo_op_new(rg_engine *e, const rg_bo_policy *p, gsl_rng *jitter, rg_bo_attempt_fn at,
                       rg_bo_done_fn done, void *ctx)
{
    rg_bo_op *op = rg_xcalloc(1, sizeof *op);
    op->e = e;
    op->p = p;
    op->rng = jitter;
    op->at = at;
    op->done = done;
    op->ctx = ctx;
    op->prev = p->base;
    op->out = RG_BO_PENDING;
    return op;
}

void rg_bo_op_free(rg_bo_op *op)
{
    if (op == NULL)
        return;
    /* A write abandoned mid-wait (the replication's horizon) must not fire
     * into freed memory if the engine runs on. */
    rg_cancel(op->e, op->timer);
    free(op->label);
    free(op);
}

void rg_bo_op_trace(rg_bo_op *op, FILE *f, const char *label)
{
    op->trace = f;
    free(op->label);
    op->label = rg_xstrdup(label ? label : "write");
}

static void tr(const rg_bo_op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr(const rg_bo_op *op, const char *fmt, ...)
{
    if (op->trace == NULL)
        return;
    va_list ap;
    rg_trace(op->e, op->trace, "%s: ", op->label);
    va_start(ap, fmt);
    vfprintf(op->trace, fmt, ap);
    va_end(ap);
    fputc('\n', op->trace);
}

static void begin(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_bo_op *op = ctx;
    op->attempts++;
    op->attempting = true;
    tr(op, "attempt %lld", (long long)op->attempts);
    op->at(op, op->ctx, op->attempts);
}

void rg_bo_op_start(rg_bo_op *op)
{
    RG_ENGINE_ASSERT(op->e, !op->begun);
    op->begun = true;
    op->started = rg_now(op->e);
    begin(op->e, op, 0);
}

static void end(rg_bo_op *op, rg_bo_out out)
{
    op->out = out;
    op->finished = rg_now(op->e);
    op->done(op, op->ctx, out);
}

void rg_bo_op_result(rg_bo_op *op, rg_bo_res r)
{
    const rg_bo_policy *p = op->p;
    RG_ENGINE_ASSERT(op->e, op->attempting && op->out == RG_BO_PENDING);
    op->attempting = false;
    rg_time now = rg_now(op->e), took = now - op->started;
    if (r == RG_BO_OK) {
        tr(op, "attempt %lld: landed (after %lld attempt%s, %.3f ms)", (long long)op->attempts,
           (long long)op->attempts, op->attempts == 1 ? "" : "s", rg_time_ms(took));
        end(op, RG_BO_LANDED);
        return;
    }
    op->failures++;
    op->transient += r == RG_BO_TRANSIENT;
    op->permanent += r == RG_BO_PERMANENT;
    op->overloaded += r == RG_BO_OVERLOADED;
    tr(op, "attempt %lld: %s", (long long)op->attempts, rg_bo_res_name(r));
    if (p->mode == RG_BO_WINDOW && r == RG_BO_PERMANENT) {
        tr(op, "REJECTED PERMANENTLY: not retried (observable, counted)");
        end(op, RG_BO_REJECTED);
        return;
    }
    if (p->mode == RG_BO_LEGACY && op->failures > p->legacy_retries) {
        /* The old path's budget is spent: it stops and tells no one. */
        tr(op,
           "DROPPED SILENTLY: legacy budget of %lld retr%s spent after %lld attempts; "
           "no error surfaced",
           (long long)p->legacy_retries, p->legacy_retries == 1 ? "y" : "ies",
           (long long)op->attempts);
        end(op, RG_BO_SILENT);
        return;
    }
    double u = p->jitter == RG_BO_JIT_NONE ? 0.0 : gsl_rng_uniform(op->rng);
    rg_time wait = rg_bo_delay(p, op->failures, op->prev, u);
    op->prev = wait;
    /* Only the window policy classifies: the legacy path knew no overload. */
    if (p->mode == RG_BO_WINDOW && r == RG_BO_OVERLOADED && wait < p->overload_wait)
        wait = p->overload_wait;
    if (p->mode == RG_BO_WINDOW) {
        /* The next attempt must start strictly inside the window; if it
         * cannot, fail now rather than sleep towards a certain failure.
         * A zero window thus fails the first rejection. */
        bool limit = p->max_attempts > 0 && op->attempts >= p->max_attempts;
        if (limit || took + wait >= p->window) {
            if (limit)
                tr(op, "FAILED LOUDLY: attempt limit %lld reached after %.3f ms (terminal error)",
                   (long long)p->max_attempts, rg_time_ms(took));
            else
                tr(op,
                   "FAILED LOUDLY: retry window of %.3f ms spent (next attempt at %.3f ms) "
                   "after %lld attempt%s (terminal error)",
                   rg_time_ms(p->window), rg_time_ms(took + wait), (long long)op->attempts,
                   op->attempts == 1 ? "" : "s");
            end(op, RG_BO_LOUD);
            return;
        }
    }
    tr(op, "backoff %.3f ms (jitter %s, retry %lld)", rg_time_ms(wait),
       rg_bo_jitter_name(p->jitter), (long long)op->failures);
    op->waited += wait;
    op->timer = rg_after(op->e, wait, RG_PRIO_DEFAULT, begin, op, 0);
}

rg_bo_out rg_bo_op_outcome(const rg_bo_op *op)
{
    return op->out;
}
int64_t rg_bo_op_attempts(const rg_bo_op *op)
{
    return op->attempts;
}
rg_time rg_bo_op_started(const rg_bo_op *op)
{
    return op->started;
}
rg_time rg_bo_op_finished(const rg_bo_op *op)
{
    return op->finished;
}
rg_time rg_bo_op_waited(const rg_bo_op *op)
{
    return op->waited;
}

void rg_bo_tally_add(rg_bo_tally *t, const rg_bo_op *op)
{
    t->writes++;
    t->attempts += op->attempts;
    t->landed += op->out == RG_BO_LANDED;
    t->rejected += op->out == RG_BO_REJECTED;
    t->loud += op->out == RG_BO_LOUD;
    t->silent += op->out == RG_BO_SILENT;
    t->transient += op->transient;
    t->permanent += op->permanent;
    t->overloaded += op->overloaded;
}
