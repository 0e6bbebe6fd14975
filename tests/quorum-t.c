/*
 * quorum-t: the quorum-replicated store (quorum.h), message by message.
 *
 * With constant delays every timeline is worked out by hand.  The basic
 * layout: N = 3; the write reaches replicas 0 and 1 after 1 ms and replica
 * 2 after 5 ms, every ack takes 1 ms; a read request reaches replicas 0
 * and 1 after 10 ms and replica 2 after 1 ms, every answer takes 1 ms.
 * A write sent at 0 with W = 1 completes at 2 ms (replica 0's ack); a
 * read with R = 1 sent then is answered first by replica 2, which it
 * reaches at 3 ms, before the write does (5 ms): it returns the old
 * version at 4 ms.  Sent at 4.5 ms it reaches replica 2 at 5.5 ms and
 * returns the write.  With R = 2 the second answer (replica 0, 13 ms)
 * carries the write, and the newer of the two wins.  With W = 3 the write
 * completes at 6 ms, when every replica holds it.
 *
 * With random delays: R + W > N never returns a version older than a
 * completed write (the quorums intersect) while R = W = 1 does; replicas
 * converge on the last write however the messages overtake one another;
 * the same seed gives the same results; scenario keys and their errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/stores/quorum.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"

static rg_dist *cst(rg_time t)
{
    return rg_dist_const((double)t, RG_QTY_DURATION);
}

/* The basic layout's delays (owned here, freed by free_dists). */
static rg_dist *d_w_fast, *d_w_slow, *d_1ms, *d_10ms;

static void make_dists(void)
{
    d_w_fast = cst(RG_MS);
    d_w_slow = cst(5 * RG_MS);
    d_1ms = cst(RG_MS);
    d_10ms = cst(10 * RG_MS);
}

static void free_dists(void)
{
    rg_dist_free(d_w_fast);
    rg_dist_free(d_w_slow);
    rg_dist_free(d_1ms);
    rg_dist_free(d_10ms);
}

static rg_quorum_params layout(int64_t r, int64_t w)
{
    rg_quorum_params p = {.n = 3, .r = r, .w = w};
    for (int i = 0; i < 3; i++) {
        p.dw[i] = i == 2 ? d_w_slow : d_w_fast;
        p.da[i] = d_1ms;
        p.dr[i] = i == 2 ? d_1ms : d_10ms;
        p.ds[i] = d_1ms;
    }
    return p;
}

/* What an operation's callback saw. */
typedef struct seen {
    int calls;
    rg_time at;
    rg_quorum_res res;
} seen;

static void record(rg_engine *e, void *ctx, uint64_t tag, const rg_quorum_res *res)
{
    seen *s = ctx;
    (void)tag;
    s->calls++;
    s->at = rg_now(e);
    s->res = *res;
}

/* A read sent at a given time (an event, so it goes out from the engine). */
typedef struct later_read {
    rg_quorum *q;
    seen *s;
} later_read;

static void send_read(rg_engine *e, void *ctx, uint64_t arg)
{
    later_read *l = ctx;
    (void)e;
    (void)arg;
    rg_quorum_read(l->q, 0, record, l->s, 0);
}

/* Writes 42 at 0 and reads at `read_at`; returns what each returned. */
static void write_then_read(int64_t r, int64_t w, rg_time read_at, seen *ws, seen *rs,
                            uint64_t *held2)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    rg_quorum_params p = layout(r, w);
    rg_quorum *q = rg_quorum_new(e, &p, 1, 7, rg_engine_stream(e, "network"));
    memset(ws, 0, sizeof *ws);
    memset(rs, 0, sizeof *rs);
    rg_quorum_write(q, 0, 42, record, ws, 0);
    later_read l = {q, rs};
    rg_at(e, read_at, RG_PRIO_DEFAULT, send_read, &l, 0);
    rg_engine_run(e, RG_TIME_MAX, 0);
    rg_quorum_replica(q, 2, 0, held2);
    rg_quorum_free(q);
    rg_engine_free(e);
}

static void test_by_hand(void)
{
    seen ws, rs;
    uint64_t v2;
    /* R = W = 1, read at completion */
    write_then_read(1, 1, 2 * RG_MS, &ws, &rs, &v2);
    ok(ws.calls == 1 && ws.at == 2 * RG_MS && ws.res.version == 1 && ws.res.value == 42,
       "W=1: the write completes at 2 ms (first ack), once, as v1");
    ok(rs.calls == 1 && rs.at == 4 * RG_MS && rs.res.version == 0 && rs.res.value == 7,
       "R=1: replica 2, reached at 3 ms before the write (5 ms), returns the old value at 4 ms");
    is_int(1, (long long)v2, "replica 2 holds v1 once the write arrived");

    write_then_read(1, 1, 4500 * RG_US, &ws, &rs, &v2);
    ok(rs.at == 6500 * RG_US && rs.res.version == 1 && rs.res.value == 42,
       "R=1: sent at 4.5 ms, it reaches replica 2 at 5.5 ms and returns the write at 6.5 ms");

    write_then_read(2, 1, 2 * RG_MS, &ws, &rs, &v2);
    ok(rs.calls == 1 && rs.at == 13 * RG_MS && rs.res.version == 1 && rs.res.value == 42,
       "R=2: the second answer (replica 0, 13 ms) has the write; the newer of two wins");

    write_then_read(1, 3, 6 * RG_MS, &ws, &rs, &v2);
    ok(ws.at == 6 * RG_MS && rs.at == 8 * RG_MS && rs.res.version == 1,
       "W=3: the write completes at 6 ms, after the slowest replica; a read then sees it");
}

/* Every replica holds what the layout says at a given moment. */
static void test_replica_states(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    rg_quorum_params p = layout(1, 1);
    rg_quorum *q = rg_quorum_new(e, &p, 2, 7, rg_engine_stream(e, "network"));
    seen ws = {0};
    is_int(1, (long long)rg_quorum_write(q, 1, 42, record, &ws, 0), "the first write is v1");
    rg_engine_run(e, 3 * RG_MS, 0);
    uint64_t v[3];
    int64_t x[3];
    for (size_t i = 0; i < 3; i++)
        x[i] = rg_quorum_replica(q, i, 1, &v[i]);
    ok(x[0] == 42 && x[1] == 42 && x[2] == 7 && v[0] == 1 && v[1] == 1 && v[2] == 0,
       "at 3 ms replicas 0 and 1 hold v1 = 42, replica 2 still v0 = 7");
    uint64_t nv;
    ok(rg_quorum_newest(q, 1, &nv) == 42 && nv == 1, "the newest value anywhere is v1");
    ok(rg_quorum_replica(q, 0, 0, &nv) == 7 && nv == 0, "the other key is untouched");
    rg_engine_run(e, RG_TIME_MAX, 0);
    const rg_quorum_stats *st = rg_quorum_stats_get(q);
    ok(st->writes == 1 && st->reads == 0 && st->messages == 6 && st->superseded == 0,
       "stats: one write, 6 messages");
    rg_quorum_free(q);
    rg_engine_free(e);
}

/* ---- random delays ----------------------------------------------------------- */

typedef struct trial {
    rg_quorum *q;
    uint64_t version;
    seen rs;
} trial;

static void read_now(rg_engine *e, void *ctx, uint64_t tag, const rg_quorum_res *res)
{
    trial *t = ctx;
    (void)e;
    (void)tag;
    (void)res;
    rg_quorum_read(t->q, 0, record, &t->rs, 0);
}

/* Stale reads among `trials` write-then-read-at-completion runs. */
static int stale_reads(int64_t n, int64_t r, int64_t w, int trials, uint64_t seed)
{
    rg_err err;
    rg_err_clear(&err);
    rg_dist *d = rg_dist_parse("exp(mean=1ms)", RG_QTY_DURATION, &err);
    rg_dist *dw = rg_dist_parse("exp(mean=10ms)", RG_QTY_DURATION, &err);
    if (d == NULL || dw == NULL)
        bail("%s", err.msg);
    rg_quorum_params p = {.n = n, .r = r, .w = w};
    for (int64_t i = 0; i < n; i++) {
        p.dw[i] = dw;
        p.da[i] = p.dr[i] = p.ds[i] = d;
    }
    int stale = 0;
    for (int k = 0; k < trials; k++) {
        rg_engine *e = rg_engine_new(seed, (uint64_t)k, NULL);
        trial t = {0};
        t.q = rg_quorum_new(e, &p, 1, 0, rg_engine_stream(e, "network"));
        t.version = rg_quorum_write(t.q, 0, 1, read_now, &t, 0);
        rg_engine_run(e, RG_TIME_MAX, 0);
        if (t.rs.calls != 1)
            bail("a read did not return");
        stale += t.rs.res.version < t.version;
        rg_quorum_free(t.q);
        rg_engine_free(e);
    }
    rg_dist_free(d);
    rg_dist_free(dw);
    return stale;
}

static void test_intersection(void)
{
    int s = stale_reads(3, 2, 2, 2000, 11);
    is_int(0, s, "N=3, R=W=2: no read after a completed write is stale (2000 tries)");
    s = stale_reads(5, 3, 3, 1000, 12);
    is_int(0, s, "N=5, R=W=3: none stale either (1000 tries)");
    s = stale_reads(3, 1, 3, 1000, 13);
    is_int(0, s, "N=3, R=1, W=3: none stale");
    s = stale_reads(3, 1, 1, 2000, 14);
    ok(s > 200, "N=3, R=W=1, slow writes: %d of 2000 reads stale (the quorums can miss)", s);
    s = stale_reads(3, 2, 1, 2000, 15);
    ok(s > 0, "N=3, R=2, W=1 (R+W = N): %d of 2000 stale", s);
}

/* Many overlapping writes with random delays: messages overtake one
 * another, older versions are dropped, and every replica ends on the last
 * write. */
static void test_convergence(void)
{
    rg_err err;
    rg_err_clear(&err);
    rg_dist *d = rg_dist_parse("exp(mean=5ms)", RG_QTY_DURATION, &err);
    if (d == NULL)
        bail("%s", err.msg);
    rg_quorum_params p = {.n = 5, .r = 1, .w = 2};
    for (int i = 0; i < 5; i++)
        p.dw[i] = p.da[i] = p.dr[i] = p.ds[i] = d;
    rg_engine *e = rg_engine_new(3, 0, NULL);
    rg_quorum *q = rg_quorum_new(e, &p, 1, 0, rg_engine_stream(e, "network"));
    seen ws[200];
    memset(ws, 0, sizeof ws);
    /* one write per 0.5 ms: far closer than the delays */
    for (int k = 0; k < 200; k++) {
        rg_engine_run(e, k * 500 * RG_US, 0);
        rg_quorum_write(q, 0, 1000 + k, record, &ws[k], 0);
    }
    rg_engine_run(e, RG_TIME_MAX, 0);
    bool all = true, once = true;
    for (size_t i = 0; i < 5; i++) {
        uint64_t v;
        all = all && rg_quorum_replica(q, i, 0, &v) == 1199 && v == 200;
    }
    for (int k = 0; k < 200; k++)
        once = once && ws[k].calls == 1 && ws[k].res.version == (uint64_t)k + 1;
    ok(all, "every replica ends on the last write (v200 = 1199)");
    ok(once, "every write completed exactly once, with its own version");
    const rg_quorum_stats *st = rg_quorum_stats_get(q);
    ok(st->superseded > 0 && st->superseded < 1000,
       "%llu write messages arrived after a newer version and were dropped",
       (unsigned long long)st->superseded);
    rg_quorum_free(q);
    rg_engine_free(e);
    rg_dist_free(d);
}

/* The same seed gives the same answers; another replication others. */
static void test_determinism(void)
{
    int a = stale_reads(3, 1, 1, 300, 99), b = stale_reads(3, 1, 1, 300, 99);
    int c = stale_reads(3, 1, 1, 300, 98);
    ok(a == b, "same seed: the same %d stale reads", a);
    ok(a != c || a == 0, "another seed: %d, not %d", c, a);
}

/* A replication stopped with operations in flight frees them (valgrind). */
static void test_free_in_flight(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    rg_quorum_params p = layout(1, 3);
    rg_quorum *q = rg_quorum_new(e, &p, 1, 0, rg_engine_stream(e, "network"));
    seen ws = {0}, rs = {0};
    rg_quorum_write(q, 0, 1, record, &ws, 0);
    rg_quorum_read(q, 0, record, &rs, 0);
    rg_engine_run(e, 3 * RG_MS, 0);
    ok(ws.calls == 0 && rs.calls == 1, "stopped at 3 ms: the write is still in flight");
    rg_quorum_free(q);
    rg_engine_free(e);
}

/* ---- scenario keys -------------------------------------------------------- */

static int load(const char *text, rg_quorum_cfg *c, char *msg, size_t size)
{
    rg_err e;
    rg_err_clear(&e);
    msg[0] = '\0';
    memset(c, 0, sizeof *c);
    rg_scn *s = rg_scn_load_string("quorum-t.ini", text, &e);
    int rc = s == NULL ? -1 : rg_quorum_load(s, "variant.a", "quorum", c, &e);
    if (rc < 0)
        snprintf(msg, size, "%s", e.msg);
    rg_scn_free(s);
    return rc;
}

static void test_load(void)
{
    char msg[1024];
    rg_quorum_cfg c;
    int rc = load("[quorum]\nn = 5\n[variant.a]\nr = 2\nw = 4\ndelay_w = const(5ms)\n", &c, msg,
                  sizeof msg);
    ok(rc == 0 && c.p.n == 5 && c.p.r == 2 && c.p.w == 4,
       "n from [quorum], r and w from the variant");
    ok(rc == 0 && c.p.dw[4] == c.dw && rg_dist_mean(c.dw) == 5e6 &&
           fabs(rg_dist_mean(c.p.da[0]) - 1e6) < 1e-6,
       "every replica has the variant's delays; the others default to exp(mean=1ms)");
    rg_quorum_cfg_free(&c);
    rc = load("[variant.a]\nr = 4\n", &c, msg, sizeof msg);
    ok(rc < 0 && strstr(msg, "[variant.a] r") != NULL && strstr(msg, "n = 3") != NULL,
       "r > n is refused, naming the key: %s", msg);
    rg_quorum_cfg_free(&c);
    rc = load("[quorum]\nw = 9\n", &c, msg, sizeof msg);
    ok(rc < 0 && strstr(msg, "[quorum] w") != NULL, "w > n in [quorum]: %s", msg);
    rg_quorum_cfg_free(&c);
    rc = load("[quorum]\nn = 17\n", &c, msg, sizeof msg);
    ok(rc < 0 && strstr(msg, "n") != NULL, "n above %d is refused: %s", RG_QUORUM_MAX_N, msg);
    rg_quorum_cfg_free(&c);
}

int main(void)
{
    plan(6 + 5 + 5 + 3 + 2 + 1 + 5);
    make_dists();
    test_by_hand();
    test_replica_states();
    test_intersection();
    test_convergence();
    test_determinism();
    test_free_in_flight();
    test_load();
    free_dists();
    return 0;
}
