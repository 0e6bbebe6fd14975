/*
 * pbs.c: probabilistically bounded staleness (see pbs.h).
 *
 * One replication: at time 0 the coordinator writes version 1 of the key;
 * when W replicas have acknowledged it (time t_c), it schedules one read
 * at t_c + Δ for every Δ of the list, each read on its own: reads do not
 * repair replicas, so they cannot influence one another.  The checker
 * compares the version each read returned with the version written.
 *
 * Streams: "network" for every message delay (quorum.h draws an
 * operation's delays when it is issued, so the variants of a replication
 * draw the same uniforms in the same order: common random numbers even
 * when their distributions differ).
 *
 * The metric table depends on the scenario (one fresh_Δ per delay): it is
 * made by load and owned by the configuration; the declaration (cfg NULL)
 * holds only the metrics every pbs scenario has.
 */
#include "models/pbs/pbs.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/mech/mparam.h"
#include "models/stores/quorum.h"
#include "sim/engine/stats.h"
#include "sim/run/resultset.h"

/* Most delays a scenario may list (one metric each). */
#define MAX_DELAYS 32

typedef struct pvariant {
    char *name;
    rg_quorum_cfg qc;
    /* per delay: the published probability (NAN: none) and half its last
     * digit, the rounding of the figure as printed */
    double pub[MAX_DELAYS], pub_round[MAX_DELAYS];
    int pub_dec[MAX_DELAYS]; /* decimals of the figure as a percentage */
} pvariant;

typedef struct pcfg {
    rg_time delay[MAX_DELAYS];
    size_t ndelays;
    rg_metric *met; /* ndelays fresh_Δ, then the fixed ones; names owned */
    size_t nmet;
    pvariant *var;
    size_t nvar;
} pcfg;

/* The metrics after the fresh_Δ ones. */
enum { F_WRITE_LAT, F_READ_LAT, F_EVENTS, F_SIM_END, F_COUNT };
static const rg_metric fixed[F_COUNT] = {
    [F_WRITE_LAT] = {"write_latency", RG_MF_REAL, "s",
                     "time from sending the write to its W-th acknowledgement",
                     RG_MF_SHOW | RG_MF_MS},
    [F_READ_LAT] =
        {"read_latency", RG_MF_REAL, "s",
         "mean time from sending a read to its R-th answer, over the replication's reads",
         RG_MF_SHOW | RG_MF_MS},
    [F_EVENTS] = RG_METRIC_EVENTS,
    [F_SIM_END] = RG_METRIC_SIM_END("simulated time when the last message arrived"),
};

/* ---- configuration ------------------------------------------------------ */

static void pcfg_free(void *p)
{
    pcfg *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nvar; i++) {
        free(c->var[i].name);
        rg_quorum_cfg_free(&c->var[i].qc);
    }
    free(c->var);
    for (size_t m = 0; m < c->ndelays && c->met != NULL; m++) {
        free((char *)c->met[m].name);
        free((char *)c->met[m].desc);
    }
    free(c->met);
    free(c);
}

/* The [start, end) span of s without blanks at either end. */
static void trim(const char **start, const char **end)
{
    while (*start < *end && isspace((unsigned char)**start))
        (*start)++;
    while (*end > *start && isspace((unsigned char)(*end)[-1]))
        (*end)--;
}

/* Parses the duration in [a, b) into *t; fills msg on error. */
static int parse_delay(const char *a, const char *b, rg_time *t, rg_err *sub)
{
    char buf[64];
    if ((size_t)(b - a) >= sizeof buf)
        return rg_err_set(sub, RG_ERR_INPUT, "'%.*s' is too long for a duration", (int)(b - a), a);
    memcpy(buf, a, (size_t)(b - a));
    buf[b - a] = '\0';
    return rg_time_parse(buf, false, t, sub);
}

/* [pbs] delays: a comma-separated list of increasing durations. */
static int load_delays(rg_scn *s, pcfg *c, rg_err *e)
{
    const char *text;
    if (rg_scn_str(s, "pbs", "delays", "0ms, 1ms, 5ms, 10ms, 65ms", &text, e) < 0)
        return -1;
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *a = p, *b = end;
        trim(&a, &b);
        rg_err sub;
        rg_err_clear(&sub);
        rg_time t;
        if (a == b)
            return rg_scn_err(s, "pbs", "delays", e, "an empty entry in the list");
        if (parse_delay(a, b, &t, &sub) < 0)
            return rg_scn_err(s, "pbs", "delays", e, "%s", sub.msg);
        if (c->ndelays == MAX_DELAYS)
            return rg_scn_err(s, "pbs", "delays", e, "more than %d delays", MAX_DELAYS);
        if (c->ndelays > 0 && t <= c->delay[c->ndelays - 1])
            return rg_scn_err(s, "pbs", "delays", e,
                              "'%.*s': list the delays once each, in increasing order",
                              (int)(b - a), a);
        c->delay[c->ndelays++] = t;
        p = *end == ',' ? end + 1 : end;
    }
    if (c->ndelays == 0)
        return rg_scn_err(s, "pbs", "delays", e, "list at least one delay (e.g. 0ms, 1ms)");
    return 0;
}

/* A delay as text, with a unit even when 0 ("0ms", "1.5ms", "250us");
 * returns buf (RG_TIME_STRLEN bytes). */
static char *delay_text(rg_time t, char *buf)
{
    if (t == 0)
        return strcpy(buf, "0ms");
    return rg_time_format(t, buf);
}

/* A delay as it appears in metric names: "0ms", "1_5ms", "250us". */
static char *delay_name(rg_time t, char *buf)
{
    delay_text(t, buf);
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '.')
            *p = '_';
    return buf;
}

static void make_metrics(pcfg *c)
{
    c->nmet = c->ndelays + F_COUNT;
    c->met = rg_xcalloc(c->nmet, sizeof *c->met);
    for (size_t k = 0; k < c->ndelays; k++) {
        char d[RG_TIME_STRLEN], txt[RG_TIME_STRLEN];
        c->met[k] = (rg_metric){rg_xasprintf("fresh_%s", delay_name(c->delay[k], d)),
                                RG_MF_INT,
                                "1",
                                rg_xasprintf("a read sent %s after the write completed "
                                             "returned it or newer (1/0)",
                                             delay_text(c->delay[k], txt)),
                                RG_MF_SHOW | RG_MF_PROB,
                                RG_ROLE_NONE};
    }
    memcpy(c->met + c->ndelays, fixed, sizeof fixed);
}

/* `published = 0ms: 94%, 1ms: 99.9%`: figures for some of the delays, as
 * percentages (with %) or probabilities. */
static int load_published(rg_scn *s, const char *sec, const pcfg *c, pvariant *v, rg_err *e)
{
    const char *text;
    for (size_t k = 0; k < MAX_DELAYS; k++)
        v->pub[k] = v->pub_round[k] = NAN;
    if (rg_scn_str(s, sec, "published", "", &text, e) < 0)
        return -1;
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *a = p, *b = end;
        trim(&a, &b);
        if (a == b && *end == '\0')
            break; /* nothing, or a trailing comma */
        if (a == b)
            return rg_scn_err(s, sec, "published", e, "an empty entry in the list");
        const char *colon = memchr(a, ':', (size_t)(b - a));
        if (colon == NULL)
            return rg_scn_err(s, sec, "published", e, "'%.*s': expected DELAY: PERCENT%%",
                              (int)(b - a), a);
        const char *da = a, *db = colon, *pa = colon + 1, *pb = b;
        trim(&da, &db);
        trim(&pa, &pb);
        rg_err sub;
        rg_err_clear(&sub);
        rg_time t;
        if (parse_delay(da, db, &t, &sub) < 0)
            return rg_scn_err(s, sec, "published", e, "%s", sub.msg);
        size_t k = 0;
        while (k < c->ndelays && c->delay[k] != t)
            k++;
        if (k == c->ndelays)
            return rg_scn_err(s, sec, "published", e, "'%.*s' is not one of [pbs] delays",
                              (int)(db - da), da);
        if (!isnan(v->pub[k]))
            return rg_scn_err(s, sec, "published", e, "'%.*s' is given twice", (int)(db - da), da);
        bool pct = pb > pa && pb[-1] == '%';
        double x;
        if (rg_qty_parse(pa, (size_t)(pb - pa - pct), RG_QTY_NUMBER, &x, &sub) < 0 || x < 0 ||
            x > (pct ? 100 : 1))
            return rg_scn_err(s, sec, "published", e,
                              "'%.*s': expected a probability (0..1) "
                              "or a percentage (0..100%%)",
                              (int)(pb - pa), pa);
        /* the figure's rounding: half a unit of its last digit */
        const char *dot = memchr(pa, '.', (size_t)(pb - pa - pct));
        int decimals = dot ? (int)(pb - pct - dot - 1) : 0;
        double scale = pct ? 0.01 : 1;
        v->pub[k] = x * scale;
        v->pub_round[k] = 0.5 * pow(10, -decimals) * scale;
        v->pub_dec[k] = pct ? decimals : decimals > 2 ? decimals - 2 : 0;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* An mp_variant_fn; ctx is the pcfg (for the delays). */
static int load_variant(rg_scn *s, const char *sec, void *var, void *ctx, rg_err *e)
{
    pvariant *v = var;
    v->name = rg_xstrdup(sec + strlen("variant."));
    if (rg_quorum_load(s, sec, "pbs", &v->qc, e) < 0)
        return -1;
    return load_published(s, sec, ctx, v, e);
}

static int pload(rg_scn *s, void **out, rg_err *e)
{
    pcfg *c = rg_xcalloc(1, sizeof *c);
    if (load_delays(s, c, e) < 0)
        goto fail;
    void *var = NULL;
    int rc = mp_variants(s, sizeof *c->var, load_variant, c,
                         "a pbs experiment compares at least one quorum configuration", &var,
                         &c->nvar, e);
    c->var = var;
    if (rc < 0)
        goto fail;
    make_metrics(c);
    *out = c;
    return 0;
fail:
    pcfg_free(c);
    return -1;
}

static size_t pnvar(const void *p)
{
    return ((const pcfg *)p)->nvar;
}
static const char *pvarname(const void *p, size_t v)
{
    return ((const pcfg *)p)->var[v].name;
}

static const rg_metric *pmet(const void *p, size_t *n)
{
    const pcfg *c = p;
    *n = c ? c->nmet : F_COUNT;
    return c ? c->met : fixed;
}

/* ---- one replication ------------------------------------------------------ */

typedef struct prep {
    const pcfg *c;
    rg_quorum *q;
    FILE *trace;
    uint64_t version; /* the version written */
    rg_time completed;
    bool written;
    int64_t fresh[MAX_DELAYS];
    size_t reads;
    double read_sum; /* s */
} prep;

static void on_read(rg_engine *e, void *ctx, uint64_t k, const rg_quorum_res *res)
{
    prep *r = ctx;
    char d[RG_TIME_STRLEN];
    r->fresh[k] = res->version >= r->version;
    r->reads++;
    r->read_sum += rg_time_sec(rg_now(e) - res->issued);
    rg_trace(e, r->trace, "pbs: the read sent %s after the write completed returns v%llu: %s\n",
             delay_text(r->c->delay[k], d), (unsigned long long)res->version,
             r->fresh[k] ? "fresh" : "STALE");
}

static void send_read(rg_engine *e, void *ctx, uint64_t k)
{
    prep *r = ctx;
    (void)e;
    rg_quorum_read(r->q, 0, on_read, r, k);
}

static void on_written(rg_engine *e, void *ctx, uint64_t tag, const rg_quorum_res *res)
{
    prep *r = ctx;
    (void)tag;
    (void)res;
    r->written = true;
    r->completed = rg_now(e);
    for (size_t k = 0; k < r->c->ndelays; k++)
        rg_after(e, r->c->delay[k], RG_PRIO_DEFAULT, send_read, r, k);
}

static void prun(const void *p, size_t v, uint64_t seed, uint64_t rep, rg_repout *out, FILE *trace)
{
    const pcfg *c = p;
    rg_engine *e = rg_rep_begin(out, seed, rep);
    prep r = {.c = c, .trace = trace};
    for (size_t k = 0; k < c->ndelays; k++)
        r.fresh[k] = -1;
    r.q = rg_quorum_new(e, &c->var[v].qc.p, 1, 0, rg_engine_stream(e, "network"));
    rg_quorum_set_trace(r.q, trace);
    r.version = rg_quorum_write(r.q, 0, 1, on_written, &r, 0);
    rg_rep_run(out, e, RG_TIME_MAX);
    rg_mval *row = rg_repout_row(out);
    for (size_t k = 0; k < c->ndelays; k++) {
        /* every read returns once the engine ran dry; only the event
         * budget stops it earlier, and then the replication fails */
        RG_ENGINE_ASSERT(e, r.fresh[k] >= 0 || rg_repout_error(out) != NULL);
        row[k].i = r.fresh[k] > 0;
    }
    row[c->ndelays + F_WRITE_LAT].d = r.written ? rg_time_sec(r.completed) : NAN;
    row[c->ndelays + F_READ_LAT].d = r.reads ? r.read_sum / (double)r.reads : NAN;
    rg_quorum_free(r.q);
    rg_rep_end(out, e);
}

/* ---- simulated vs. published ---------------------------------------------- */

/* Wilson's 95 % interval for a proportion p of n.  The console table's
 * Student t interval of 0/1 values has zero width when every replication
 * agrees, which a figure like 99.9 % makes likely; Wilson's does not. */
static void wilson(double p, double n, double *lo, double *hi)
{
    const double z = 1.959963984540054;
    double z2n = z * z / n;
    double mid = (p + z2n / 2) / (1 + z2n);
    double half = z * sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n);
    *lo = fmax(0, mid - half);
    *hi = fmin(1, mid + half);
}

static void pextra(const void *p, const rg_results *r, FILE *f)
{
    const pcfg *c = p;
    if (r->reps_done < 2)
        return;
    fprintf(f, "\nP(a read sent delay after the write completed sees it), simulated vs. published "
               "(Bailis et al., VLDB 2012):\n");
    fprintf(f, "%-16s %8s %10s %20s %12s  %s\n", "variant", "delay", "sim (%)", "95% CI (Wilson)",
            "published", "agrees?");
    for (size_t v = 0; v < c->nvar; v++) {
        const pvariant *pv = &c->var[v];
        for (size_t k = 0; k < c->ndelays; k++) {
            const rg_summary *s = rg_results_summary(r, v, k);
            char d[RG_TIME_STRLEN], ci[48], pub[24];
            double lo, hi;
            wilson(s->mean, (double)s->n, &lo, &hi);
            snprintf(ci, sizeof ci, "[%.2f, %.2f]", 100 * lo, 100 * hi);
            delay_text(c->delay[k], d);
            if (isnan(pv->pub[k]))
                snprintf(pub, sizeof pub, "-");
            else
                snprintf(pub, sizeof pub, "%.*f%%", pv->pub_dec[k], 100 * pv->pub[k]);
            /* agrees: the interval meets the figure widened by its rounding */
            const char *verdict =
                isnan(pv->pub[k]) ? "n/a"
                : (pv->pub[k] + pv->pub_round[k] >= lo && pv->pub[k] - pv->pub_round[k] <= hi)
                    ? "yes"
                    : "NO";
            fprintf(f, "%-16s %8s %10.2f %20s %12s  %s\n", k == 0 ? pv->name : "", d, 100 * s->mean,
                    ci, pub, verdict);
        }
    }
}

const rg_experiment rg_experiment_pbs = {
    .name = "pbs",
    .summary = "quorum staleness: P(a read sees a write) Δ after it, vs. Bailis et al. 2012",
    .load = pload,
    .free_cfg = pcfg_free,
    .nvariants = pnvar,
    .variant_name = pvarname,
    .metrics = pmet,
    .run = prun,
    .report_extra = pextra,
};
