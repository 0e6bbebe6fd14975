/*
 * scenario.h: scenario files (commented INI, read with Debian's inih) and
 * typed, self-documenting access to their values.
 *
 * The schema is defined by use: a model asks for each key with a typed
 * getter that names the default (NULL for a required key) and the allowed
 * range.  Every key asked for is recorded, with the value used and whether it
 * was the default, so that
 *   - rg_scn_finish can report every key in the file that nobody asked for
 *     (an unknown key, with the closest known key as a suggestion), and every
 *     section nobody asked about;
 *   - rg_scn_resolved can print the fully resolved scenario, defaults
 *     included, which `validate` shows and the results file stores.
 *
 * Errors name the file, the line, the section, the key and what was
 * expected.  Values given with --set are reported as coming from --set.
 *
 * Lines are limited to RG_SCN_MAX_LINE characters (inih's fixed buffer); a
 * longer line is an error, never split.  Indented lines would be continuation
 * lines for inih; they are rejected with a message.
 */
#ifndef RG_SCENARIO_H
#define RG_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/engine/dist.h"
#include "sim/engine/simtime.h"
#include "sim/engine/util.h"

#define RG_SCN_MAX_LINE 199
/* The largest scenario file read (bytes): far above any real scenario (the
 * largest shipped is a few kB), low enough that a file of that size parses
 * in well under a second.  Scenarios are UTF-8 text. */
#define RG_SCN_MAX_BYTES (16 << 20)
/* Durations read by rg_scn_dur are at most 10 years: with samples of
 * distributions clamped at 10^18 ns (rg_dist_sample_time), no sum of a
 * time and a delay in a replication can overflow int64 nanoseconds. */
#define RG_SCN_MAX_DURATION ((rg_time)10 * 365 * 24 * 3600 * RG_S)

typedef struct rg_scn rg_scn;

/* Reads a scenario file.  NULL on error (unreadable file, syntax error,
 * duplicate key, line too long, binary data). */
rg_scn *rg_scn_load(const char *path, rg_err *e);
/* Same for an INI file that is not a scenario: `what` names it in messages
 * ("cannot open expectations file"). */
rg_scn *rg_scn_load_as(const char *path, const char *what, rg_err *e);
/* Same from a string; `name` stands for the file name in messages. */
rg_scn *rg_scn_load_string(const char *name, const char *text, rg_err *e);
/* Same from len bytes (which may contain NUL bytes: an error). */
rg_scn *rg_scn_load_mem(const char *name, const void *data, size_t len, rg_err *e);
void rg_scn_free(rg_scn *s);

/* Applies an override "section.key=value" (the section may itself contain
 * dots: the key is what follows the last dot). */
int rg_scn_set(rg_scn *s, const char *assignment, rg_err *e);
/* Same, naming the option it came from in messages ("--reps", "--seed");
 * origin must be a string that outlives the scenario (a literal). */
int rg_scn_set_from(rg_scn *s, const char *assignment, const char *origin, rg_err *e);

const char *rg_scn_path(const rg_scn *s);

/* Typed getters.  `def` is the default as text (NULL: the key is required).
 * On success store the value and return 0; on error fill e and return -1.
 * Each call records the key as known.  Strings returned by rg_scn_str
 * belong to the scenario and live until rg_scn_free (defaults too). */
int rg_scn_str(rg_scn *s, const char *sec, const char *key, const char *def, const char **out,
               rg_err *e);
int rg_scn_int(rg_scn *s, const char *sec, const char *key, const char *def, int64_t min,
               int64_t max, int64_t *out, rg_err *e);
int rg_scn_real(rg_scn *s, const char *sec, const char *key, const char *def, double min,
                double max, double *out, rg_err *e);
int rg_scn_bool(rg_scn *s, const char *sec, const char *key, const char *def, bool *out, rg_err *e);
int rg_scn_dur(rg_scn *s, const char *sec, const char *key, const char *def, rg_time *out,
               rg_err *e);
/* A distribution; on success *out is owned by the caller. */
int rg_scn_dist(rg_scn *s, const char *sec, const char *key, const char *def, rg_qty kind,
                rg_dist **out, rg_err *e);
/* One of `choices` (NULL-terminated); *out is its index. */
int rg_scn_enum(rg_scn *s, const char *sec, const char *key, const char *def,
                const char *const *choices, int *out, rg_err *e);

/* True if the file (or --set) gives sec.key. */
bool rg_scn_has(const rg_scn *s, const char *sec, const char *key);
/* Formats an error about sec.key at its location ("FILE:LINE: [sec] key: ..."). */
int rg_scn_err(const rg_scn *s, const char *sec, const char *key, rg_err *e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sections in file order (including those created by --set). */
size_t rg_scn_nsections(const rg_scn *s);
const char *rg_scn_section(const rg_scn *s, size_t i);
/* NULL if the file has section i; else the option that created it
 * ("--set"), so that a model can tell a typo from a section it reads. */
const char *rg_scn_section_origin(const rg_scn *s, size_t i);
/* Keys given in section sec (file order), for files whose keys are data
 * rather than a fixed schema (expectations). */
size_t rg_scn_nkeys(const rg_scn *s, const char *sec);
const char *rg_scn_key(const rg_scn *s, const char *sec, size_t i);

/* Marks a section as known even if no key of it is asked for. */
void rg_scn_declare(rg_scn *s, const char *sec);

/* After all getters ran: reports the first unknown section or key. */
int rg_scn_finish(rg_scn *s, rg_err *e);

/* Marks sec.key, when it was asked for with from.key's value as its
 * default, as inherited from section `from` (a variant's value from a
 * shared section): if the file or an option gave from.key, the resolved
 * text names where. */
void rg_scn_inherit(rg_scn *s, const char *sec, const char *key, const char *from);

/* A key asked for, as rg_scn_asked_at tells it (strings belong to the
 * scenario). */
typedef struct rg_scn_asked {
    const char *sec, *key;
    const char *val;  /* the value used (the default if not given) */
    const char *what; /* what a value is: "an integer in [1, 10]", "one of a, b" */
    bool is_default;
    const char *from; /* the shared section a variant's key defaults to, or NULL */
} rg_scn_asked;

/* The keys asked for so far, in the order they were first asked. */
size_t rg_scn_nasked(const rg_scn *s);
void rg_scn_asked_at(const rg_scn *s, size_t i, rg_scn_asked *out);
/* After a getter failed on a required key that is missing: that key (true),
 * for tools that list a model's keys from a minimal scenario. */
bool rg_scn_missing(const rg_scn *s, const char **sec, const char **key, const char **what);

/* Appends the resolved scenario to b: every key asked for, grouped by
 * section in the order they were asked, each with a comment saying where
 * its value came from: "default", "FILE:LINE" (FILE without its folder),
 * the option ("--set", "--reps", "--seed"), or "from [SECTION], ..." for a
 * value inherited from a shared section.  Loading the text gives the same
 * run. */
void rg_scn_resolved(const rg_scn *s, rg_buf *b);

#endif
