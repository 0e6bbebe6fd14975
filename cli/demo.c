/*
 * demo.c: the stories' live demo, replayed from the simulation in a
 * terminal.  Replication 0 of the chosen variants plays at real time (or
 * scaled by --speed): per variant a counter climbing and stopping at the
 * stock or passing it, how far over the stock it went, a feed of the
 * events as the model traces them ("sku-001: +1 allocated (object) latency
 * 18.3 ms"), and a banner when the model announces something in capitals
 * ("GUARDRAIL TRIPPED ..."), which is how a trace line shouts.  Keys: space
 * pauses, r replays, q quits.  When stdout is not a terminal the same
 * events come out as plain lines, at once.
 *
 * What it plays comes from the run layer, never from a second simulation
 * of its own: the counters are the timeline rg_run records for replication
 * 0 (the experiment names them, rg_experiment.timeline), the feed is the
 * trace rg_run_one writes for the same replication, the stock and the
 * oversell are the metrics of those roles.  Simulated time is the clock; the
 * wall clock only paces the replay.
 *
 * Safety: scenario names and trace text are untrusted; every byte that
 * could drive the terminal (C0 and C1 controls, DEL, invalid UTF-8) is shown
 * as '?'.  The terminal is put back as it was on every way out.
 */
#include "cli/demo.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "models/study.h"
#include "sim/run/resultset.h"
#include "sim/run/runner.h"

/* ---- what is played ------------------------------------------------------- */

/* One moment of the replay: a counter update (text NULL) or a trace line. */
typedef struct tick {
    double t;    /* simulated ms */
    size_t lane; /* index into the chosen variants */
    int64_t a, b;
    char *text; /* a trace line without its time, made safe; NULL: counters */
    bool shout; /* the line starts with a word in capitals: a banner */
} tick;

typedef struct lane {
    size_t v; /* variant index */
    const char *name;
    double stock; /* NAN without a stock role */
    double oversell;
    char **after; /* trace lines after the events (the model's own summary) */
    size_t nafter;
} lane;

typedef struct demo {
    const rg_study *l;
    lane *lanes;
    size_t nl;
    tick *ticks;
    size_t nt;
    double t_end; /* ms */
    bool has_counters;
    const char *cname[2];
} demo;

/* A copy of s safe to print on a terminal: controls, DEL, C1 controls and
 * bytes that are not UTF-8 become '?'. */
static char *safe_text(const char *s, size_t n)
{
    char *d = rg_xmalloc(n + 1), *o = d;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t len = *p < 0x80                  ? 1
                     : *p >= 0xc2 && *p <= 0xdf ? 2
                     : *p >= 0xe0 && *p <= 0xef ? 3
                     : *p >= 0xf0 && *p <= 0xf4 ? 4
                                                : 0;
        bool good = len > 0 && p + len <= end;
        for (size_t i = 1; good && i < len; i++)
            good = (p[i] & 0xc0) == 0x80;
        if (good && len == 2 && p[0] == 0xc2 && p[1] < 0xa0)
            good = false; /* C1 control */
        if (!good || *p < 0x20 || *p == 0x7f) {
            *o++ = '?';
            p++;
            continue;
        }
        memcpy(o, p, len);
        o += len;
        p += len;
    }
    *o = '\0';
    return d;
}

/* Whether text opens with a word of two or more capitals (a shout). */
static bool shouts(const char *text)
{
    size_t k = 0;
    while (text[k] >= 'A' && text[k] <= 'Z')
        k++;
    return k >= 2 && (text[k] == ' ' || text[k] == ':' || text[k] == '\0');
}

static void add_tick(demo *d, size_t *cap, tick t)
{
    rg_xgrow((void **)&d->ticks, cap, d->nt + 1, sizeof *d->ticks);
    d->ticks[d->nt++] = t;
}

/* Splits lane k's trace into ticks: lines "%10.3f ms  text" (the engine's
 * trace format) are events; the lines after the last event are the model's
 * own summary, kept (at most MAX_AFTER of them) for the end.  Lines between
 * events belong to the event before and are dropped. */
#define MAX_AFTER 12
/* The feed shows what buyers were told and, of the database's statements
 * (trace lines "db ..."), only the writes that overwrite sales: reads and
 * clean writes would double the feed without telling the story. */
static bool in_feed(const char *text, size_t n)
{
    static const char mark[] = "overwrites";
    if (n < 3 || strncmp(text, "db ", 3) != 0)
        return true;
    for (size_t i = 0; i + sizeof mark - 1 <= n; i++)
        if (strncmp(text + i, mark, sizeof mark - 1) == 0)
            return true;
    return false;
}

static void parse_trace(demo *d, size_t *cap, size_t k, const char *trace)
{
    lane *ln = &d->lanes[k];
    size_t skipped = 0;
    for (const char *p = trace; *p;) {
        size_t len = strcspn(p, "\n");
        char *end;
        double t = strtod(p, &end);
        if (end != p && strncmp(end, " ms  ", 5) == 0 && end < p + len) {
            const char *text = end + 5;
            if (!in_feed(text, len - (size_t)(text - p))) {
                p += len + (p[len] == '\n');
                continue;
            }
            tick tk = {t, k, 0, 0, safe_text(text, len - (size_t)(text - p)), false};
            tk.shout = shouts(tk.text);
            add_tick(d, cap, tk);
            d->t_end = fmax(d->t_end, t);
            for (size_t i = 0; i < ln->nafter; i++)
                free(ln->after[i]);
            ln->nafter = 0;
            skipped = 0;
        } else if (len > 0 && p[0] != '#') {
            if (ln->nafter < MAX_AFTER) {
                ln->after = rg_xrealloc(ln->after, (ln->nafter + 1) * sizeof *ln->after);
                ln->after[ln->nafter++] = safe_text(p, len);
            } else
                skipped++;
        }
        p += len + (p[len] == '\n');
    }
    if (skipped > 0) {
        ln->after = rg_xrealloc(ln->after, (ln->nafter + 1) * sizeof *ln->after);
        ln->after[ln->nafter++] =
            rg_xasprintf("(%zu more lines: revguard-sim trace shows them all)", skipped);
    }
}

/* Orders ticks by time, then lane, then the order they came in. */
static int tick_cmp(const void *x, const void *y)
{
    const tick *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->lane != b->lane)
        return a->lane < b->lane ? -1 : 1;
    return (a->text != NULL) - (b->text != NULL);
}

/* Builds what is played: the timeline of replication 0 from rg_run, the
 * trace of each chosen variant from rg_run_one. */
static int demo_build(demo *d, const rg_study *l, const size_t *vs, size_t nv, rg_err *e)
{
    rg_runopts o = {0};
    o.seed = (uint64_t)l->seed;
    o.reps = 1;
    o.threads = 1;
    o.max_events = (uint64_t)l->max_events;
    o.rng_type = l->rng_type;
    o.label = l->name;
    rg_results *r = rg_run(l->ops, l->cfg, &o, e);
    if (r == NULL)
        return -1;
    if (r->error || r->reps_done < 1) {
        rg_err_set(e, RG_ERR_INPUT, "replication 0: %s", r->error ? r->error : "interrupted");
        rg_results_free(r);
        return -1;
    }
    d->l = l;
    d->nl = nv;
    d->lanes = rg_xcalloc(nv, sizeof *d->lanes);
    d->has_counters = l->ops->timeline != NULL;
    d->cname[0] = l->ops->timeline ? l->ops->timeline[0] : "count";
    d->cname[1] = l->ops->timeline ? l->ops->timeline[1] : "";
    int ks = rg_results_role(r, RG_ROLE_STOCK), ko = rg_results_role(r, RG_ROLE_OVERSELL);
    size_t cap = 0;
    for (size_t k = 0; k < nv; k++) {
        lane *ln = &d->lanes[k];
        ln->v = vs[k];
        ln->name = l->ops->variant_name(l->cfg, vs[k]);
        ln->stock = ks >= 0 ? rg_results_value(r, vs[k], 0, (size_t)ks) : NAN;
        ln->oversell = ko >= 0 ? rg_results_value(r, vs[k], 0, (size_t)ko) : NAN;
        for (size_t i = 0; i < r->ntl[vs[k]]; i++) {
            const rg_tlpoint *p = &r->tl[vs[k]][i];
            add_tick(d, &cap, (tick){p->t * 1e3, k, p->a, p->b, NULL, false});
            d->t_end = fmax(d->t_end, p->t * 1e3);
        }
        char *trace = NULL;
        size_t tlen = 0;
        FILE *f = open_memstream(&trace, &tlen);
        if (f == NULL) {
            rg_results_free(r);
            return rg_err_set(e, RG_ERR_IO, "cannot trace: %s", strerror(errno));
        }
        rg_repout *out = rg_run_one(l->ops, l->cfg, &o, vs[k], 0, f);
        fclose(f);
        const char *why = rg_repout_error(out);
        if (why != NULL)
            rg_err_set(e, RG_ERR_INPUT, "variant %s, replication 0: %s", ln->name, why);
        rg_repout_free(out);
        if (why == NULL)
            parse_trace(d, &cap, k, trace ? trace : "");
        free(trace);
        if (e->kind != RG_ERR_NONE) {
            rg_results_free(r);
            return -1;
        }
    }
    rg_results_free(r);
    qsort(d->ticks, d->nt, sizeof *d->ticks, tick_cmp);
    return 0;
}

static void demo_free(demo *d)
{
    for (size_t i = 0; i < d->nt; i++)
        free(d->ticks[i].text);
    free(d->ticks);
    for (size_t k = 0; k < d->nl; k++) {
        for (size_t i = 0; i < d->lanes[k].nafter; i++)
            free(d->lanes[k].after[i]);
        free(d->lanes[k].after);
    }
    free(d->lanes);
}

/* "+25 over the stock" / "stopped at the stock" / "" for counter a. */
static const char *verdict(const lane *ln, int64_t a, bool done, char *buf, size_t n)
{
    if (!isfinite(ln->stock))
        snprintf(buf, n, "%s", "");
    else if ((double)a > ln->stock)
        snprintf(buf, n, "+%.0f over the stock", (double)a - ln->stock);
    else if ((double)a == ln->stock)
        snprintf(buf, n, "stopped at the stock");
    else
        snprintf(buf, n, "%s", done ? "below the stock" : "");
    return buf;
}

/* ---- plain lines (stdout is not a terminal) -------------------------------- */

static void print_summary(const demo *d);

static void play_plain(const demo *d)
{
    printf("# %s: replication 0 of %zu variant%s, seed %" PRId64 "\n", d->l->name, d->nl,
           d->nl == 1 ? "" : "s", d->l->seed);
    for (size_t i = 0; i < d->nt; i++) {
        const tick *t = &d->ticks[i];
        if (t->text == NULL)
            continue;
        char *name = safe_text(d->lanes[t->lane].name, strlen(d->lanes[t->lane].name));
        printf("%10.3f ms  %-16s %s%s\n", t->t, name, t->shout ? "*** " : "", t->text);
        free(name);
    }
    printf("\n");
    print_summary(d);
}

/* How replication 0 ended for each lane: its counters against the stock,
 * then the model's own summary lines. */
static void print_summary(const demo *d)
{
    for (size_t k = 0; k < d->nl; k++) {
        const lane *ln = &d->lanes[k];
        int64_t a = 0, b = 0;
        for (size_t i = 0; i < d->nt; i++)
            if (d->ticks[i].lane == k && d->ticks[i].text == NULL) {
                a = d->ticks[i].a;
                b = d->ticks[i].b;
            }
        char *name = safe_text(ln->name, strlen(ln->name)), vb[64];
        if (d->has_counters) {
            printf("%s: %s %" PRId64 ", %s %" PRId64, name, d->cname[0], a, d->cname[1], b);
            if (isfinite(ln->stock))
                printf(" (stock %.0f): %s", ln->stock, verdict(ln, a, true, vb, sizeof vb));
            printf("\n");
        }
        for (size_t i = 0; i < ln->nafter; i++)
            printf("%s\n", ln->after[i]);
        free(name);
    }
}

/* ---- the terminal ------------------------------------------------------------ */

static volatile sig_atomic_t g_stop;
static struct termios g_saved;
static bool g_raw;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Puts the terminal back: cursor shown, main screen, line mode. */
static void term_restore(void)
{
    fputs("\033[0m\033[?25h\033[?1049l", stdout);
    fflush(stdout);
    if (g_raw)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
    g_raw = false;
}

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ANSI colours of the variants, in the report's order (blue, vermillion,
 * purple, green, sky blue, orange). */
static const char *const colours[] = {"34", "31", "35", "32", "36", "33"};

/* The state of the replay at some simulated time. */
typedef struct view {
    size_t next; /* ticks[0..next-1] are played */
    int64_t *a, *b;
    char *banner; /* borrowed from a tick */
    size_t banner_lane;
} view;

static void view_reset(view *w, size_t nl)
{
    w->next = 0;
    memset(w->a, 0, nl * sizeof *w->a);
    memset(w->b, 0, nl * sizeof *w->b);
    w->banner = NULL;
}

/* Appends to b the first `cols` columns of UTF-8 text s. */
static void put_cols(rg_buf *b, const char *s, size_t cols)
{
    size_t i = 0, k = 0;
    while (s[i] && k < cols) {
        i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        k++;
    }
    rg_buf_printf(b, "%.*s", (int)i, s);
}

/* Hands a whole frame to the terminal in as few writes as it takes. Through
 * stdio a terminal's stdout is line buffered, so a frame went out a line at
 * a time and a terminal (or a screen capture) could show the new first line
 * above the last frame's counters. */
static void put_frame(const char *s, size_t n)
{
    fflush(stdout);
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the terminal is gone: nothing to draw on */
        s += w;
        n -= (size_t)w;
    }
}

/* Draws one frame of the replay at simulated time now into the terminal
 * of rows x cols. */
static void draw(const demo *d, const view *w, double now, double speed, bool paused, bool done,
                 int rows, int cols)
{
    rg_buf b = {0};
    size_t W = (size_t)(cols > 20 ? cols : 20);
    rg_buf_printf(&b, "\033[H\033[1mrevguard-sim demo\033[0m  ");
    put_cols(&b, d->l->name, 30);
    rg_buf_printf(&b, "  replication 0  t = %9.1f ms  (x%g)  %s\033[K\r\n", now, speed,
                  done     ? "\033[1mfinished\033[0m"
                  : paused ? "\033[7m paused \033[0m"
                           : "");
    rg_buf_printf(&b, "\033[2m[space] %s   [r] replay   [q] quit\033[0m\033[K\r\n",
                  paused ? "resume" : "pause");
    int used = 2;
    if (w->banner != NULL) {
        rg_buf_printf(&b, "\033[1;97;41m ");
        put_cols(&b, d->lanes[w->banner_lane].name, 20);
        rg_buf_printf(&b, ": ");
        put_cols(&b, w->banner, W > 30 ? W - 30 : 10);
        rg_buf_printf(&b, " \033[0m\033[K\r\n");
        used++;
    }
    rg_buf_printf(&b, "\033[K\r\n");
    used++;
    double top = 1;
    for (size_t k = 0; k < d->nl; k++) {
        top = fmax(top, isfinite(d->lanes[k].stock) ? d->lanes[k].stock : 0);
        for (size_t i = 0; i < d->nt; i++)
            if (d->ticks[i].lane == k && d->ticks[i].text == NULL)
                top = fmax(top, (double)d->ticks[i].a);
    }
    size_t barw = W > 70 ? W - 58 : 12;
    for (size_t k = 0; k < d->nl && d->has_counters; k++) {
        const lane *ln = &d->lanes[k];
        rg_buf_printf(&b, "\033[1;%sm", colours[k % 6]);
        char name[64] = "";
        rg_buf nb = {0};
        put_cols(&nb, ln->name, 16);
        snprintf(name, sizeof name, "%s", nb.s ? nb.s : "");
        rg_buf_free(&nb);
        rg_buf_printf(&b, "%-16s\033[0m ", name);
        size_t fill = (size_t)((double)barw * (double)w->a[k] / top + 0.5);
        size_t at = isfinite(ln->stock) ? (size_t)((double)barw * ln->stock / top + 0.5) : barw;
        for (size_t i = 0; i < barw; i++) {
            if (i == at && isfinite(ln->stock))
                rg_buf_printf(&b, "\033[0m|");
            else if (i < fill)
                rg_buf_printf(&b, "\033[%sm%s", i > at ? "1;31" : colours[k % 6], "█");
            else
                rg_buf_printf(&b, "\033[0;2m·");
        }
        char vb[64];
        bool over = isfinite(ln->stock) && (double)w->a[k] > ln->stock;
        rg_buf_printf(&b, "\033[0m %6" PRId64, w->a[k]);
        if (isfinite(ln->stock))
            rg_buf_printf(&b, " / %.0f", ln->stock);
        rg_buf_printf(&b, "  %s%s\033[0m\033[K\r\n", over ? "\033[1;31m" : "",
                      verdict(ln, w->a[k], done, vb, sizeof vb));
        rg_buf_printf(&b, "%-16s \033[2m%s %" PRId64 "\033[0m\033[K\r\n", "", d->cname[1], w->b[k]);
        used += 2;
    }
    rg_buf_printf(&b, "\033[K\r\n\033[1mevents\033[0m\033[K\r\n");
    used += 2;
    /* the feed: the latest trace lines that fit */
    int room = rows - used - 1;
    size_t *last = rg_xcalloc((size_t)(room > 0 ? room : 1), sizeof *last);
    int got = 0;
    for (size_t i = w->next; i > 0 && got < room; i--)
        if (d->ticks[i - 1].text != NULL)
            last[got++] = i - 1;
    for (int g = got - 1; g >= 0; g--) {
        const tick *t = &d->ticks[last[g]];
        rg_buf_printf(&b, "%10.1f ms  \033[%sm", t->t, colours[t->lane % 6]);
        size_t before = b.len;
        put_cols(&b, d->lanes[t->lane].name, 14);
        /* pad to 14 columns (a name of ASCII; wider characters pad less) */
        for (size_t k = b.len - before; k < 14; k++)
            rg_buf_printf(&b, " ");
        rg_buf_printf(&b, "\033[0m  %s", t->shout ? "\033[1;31m" : "");
        put_cols(&b, t->text, W > 32 ? W - 32 : 8);
        rg_buf_printf(&b, "\033[0m\033[K\r\n");
    }
    free(last);
    rg_buf_printf(&b, "\033[J");
    put_frame(b.s, b.len);
    rg_buf_free(&b);
}

/* Plays the ticks up to simulated time now into w. */
static void advance(const demo *d, view *w, double now)
{
    for (; w->next < d->nt && d->ticks[w->next].t <= now; w->next++) {
        const tick *t = &d->ticks[w->next];
        if (t->text == NULL) {
            w->a[t->lane] = t->a;
            w->b[t->lane] = t->b;
        } else if (t->shout) {
            w->banner = t->text;
            w->banner_lane = t->lane;
        }
    }
}

/* The replay in the terminal, with keys when stdin is one too. */
static void play_tty(const demo *d, double speed)
{
    bool keys = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &g_saved) == 0;
    if (keys) {
        struct termios raw = g_saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        g_raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
    }
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    fputs("\033[?1049h\033[?25l\033[2J", stdout);
    view w = {0, rg_xcalloc(d->nl, sizeof *w.a), rg_xcalloc(d->nl, sizeof *w.b), NULL, 0};
    double start = wall_ms(), paused_at = 0, now = 0;
    bool paused = false;
    while (!g_stop) {
        double end = d->t_end;
        if (!paused)
            now = (wall_ms() - start) * speed;
        bool done = now >= end;
        if (done)
            now = end;
        advance(d, &w, now);
        struct winsize ws = {0};
        int rows = 24, cols = 80;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
            rows = ws.ws_row;
            cols = ws.ws_col;
        }
        draw(d, &w, now, speed, paused, done, rows, cols);
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        int ready = keys ? poll(&p, 1, 33) : (usleep(33000), 0);
        char ch = 0;
        if (ready > 0 && read(STDIN_FILENO, &ch, 1) == 1) {
            if (ch == 'q' || ch == 'Q' || ch == 3)
                break;
            if (ch == ' ' && !done) {
                paused = !paused;
                if (paused)
                    paused_at = now;
                else
                    start = wall_ms() - paused_at / speed;
            }
            if (ch == 'r' || ch == 'R') {
                view_reset(&w, d->nl);
                paused = false;
                start = wall_ms();
            }
        }
        if (!keys && done)
            break;
    }
    free(w.a);
    free(w.b);
    term_restore();
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    /* what stays on the screen afterwards: how it ended */
    print_summary(d);
}

/* ---- the command ---------------------------------------------------------------- */

static void demo_usage(FILE *f)
{
    fprintf(f, "usage: revguard-sim demo SCENARIO.ini [--variant A,B] [--speed X] [--set S.K=V]\n"
               "\n"
               "Replays replication 0 of the scenario at real time (--speed 0.5: half speed,\n"
               "4: four times as fast): per variant a counter climbing to the stock or past it,\n"
               "how far over the stock it went, the events as the model traces them, and a\n"
               "banner when the model announces something (a guardrail tripping).\n"
               "Keys: space pauses, r replays, q quits.  When standard output is not a\n"
               "terminal the events are printed as plain lines, at once.\n");
}

/* Finds the variants named in list (comma-separated) into vs; all of them
 * when list is NULL.  Returns how many, or 0 with e set. */
static size_t pick_variants(const rg_study *l, const char *list, size_t *vs, rg_err *e)
{
    size_t nv = l->ops->nvariants(l->cfg), n = 0;
    if (list == NULL) {
        for (size_t v = 0; v < nv; v++)
            vs[n++] = v;
        return n;
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        size_t v = 0;
        while (v < nv && (strlen(l->ops->variant_name(l->cfg, v)) != len ||
                          strncmp(l->ops->variant_name(l->cfg, v), p, len) != 0))
            v++;
        if (v == nv || n == nv) {
            rg_buf b = {0};
            for (size_t i = 0; i < nv; i++)
                rg_buf_printf(&b, "%s%s", i ? ", " : "", l->ops->variant_name(l->cfg, i));
            rg_err_set(e, RG_ERR_INPUT, "--variant %.*s: expected one of %s", (int)len, p, b.s);
            rg_buf_free(&b);
            return 0;
        }
        vs[n++] = v;
        p += len + (p[len] == ',');
    }
    return n;
}

int rg_demo_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"variant", required_argument, NULL, 'v'},
        {"speed", required_argument, NULL, 'x'},
        {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *variants = NULL;
    double speed = 1;
    char **sets = NULL;
    size_t nsets = 0;
    int c, code = 0;
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'v': variants = optarg; break;
        case 'x':
            speed = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(speed > 0) || speed > 1e6) {
                fprintf(stderr, "revguard-sim: --speed '%s': expected a number above 0\n", optarg);
                code = RG_EXIT_USAGE;
            }
            break;
        case 's':
            sets = rg_xrealloc(sets, (nsets + 1) * sizeof *sets);
            sets[nsets++] = optarg;
            break;
        case 'h': demo_usage(stdout); goto out;
        default:
            fprintf(stderr, "revguard-sim: demo: %s '%s'\n",
                    c == ':' ? "option needs a value" : "unknown option", argv[optind - 1]);
            code = RG_EXIT_USAGE;
        }
    }
    if (code == 0 && optind + 1 != argc) {
        demo_usage(stderr);
        code = RG_EXIT_USAGE;
    }
    if (code != 0)
        goto out;
    rg_err e;
    rg_err_clear(&e);
    rg_study l;
    demo d = {0};
    size_t *vs = NULL, nv = 0;
    if (rg_study_open(argv[optind], sets, NULL, nsets, &l, &e) == 0) {
        vs = rg_xcalloc(l.ops->nvariants(l.cfg) + 1, sizeof *vs);
        nv = pick_variants(&l, variants, vs, &e);
        if (nv > 0 && demo_build(&d, &l, vs, nv, &e) == 0) {
            if (isatty(STDOUT_FILENO))
                play_tty(&d, speed);
            else
                play_plain(&d);
        }
    }
    if (e.kind != RG_ERR_NONE) {
        fprintf(stderr, "revguard-sim: %s\n", e.msg);
        code = rg_err_exit_code(&e);
    }
    demo_free(&d);
    free(vs);
    rg_study_close(&l);
out:
    free(sets);
    return code;
}
