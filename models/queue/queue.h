/*
 * queue.h: a G/G/c FIFO queue on the engine (the validation model) and the
 * closed forms it is checked against.  The simulation object is public so
 * tests and the benchmark can drive it without a scenario file.
 */
#ifndef RG_QUEUE_H
#define RG_QUEUE_H

#include <stdint.h>

#include "sim/engine/dist.h"
#include "sim/engine/engine.h"
#include "sim/run/experiment.h"

typedef struct rg_queue_sim rg_queue_sim;

typedef struct rg_queue_result {
    int64_t served;      /* measured customers */
    double wait_mean;    /* s */
    double sojourn_mean; /* s */
    double queue_len_mean;
    double utilization;
} rg_queue_result;

/* Schedules the first arrival on e.  The distributions are borrowed and must
 * outlive the simulation.  Run the engine to completion, then read results. */
rg_queue_sim *rg_queue_sim_new(rg_engine *e, int64_t servers, const rg_dist *arrival,
                               const rg_dist *service, int64_t warmup, int64_t customers);
void rg_queue_sim_free(rg_queue_sim *q);
void rg_queue_sim_result(const rg_queue_sim *q, rg_queue_result *r);

/* Erlang C: probability of waiting in M/M/c with offered load a = lambda/mu. */
double rg_erlang_c(int64_t c, double a);
/* Mean wait in queue (ns) for Poisson arrivals: M/G/1 by Pollaczek-Khinchine
 * (M/M/1, M/D/1 as cases) or M/M/c by Erlang C; NAN when no closed form
 * applies, INFINITY when rho >= 1.  *formula names the one used. */
double rg_queue_theory_wq(int64_t c, const rg_dist *arrival, const rg_dist *service,
                          const char **formula);

/* The experiment, for the table of experiments (models/registry.c). */
extern const rg_experiment rg_experiment_queue;

#endif
