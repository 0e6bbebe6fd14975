/*
 * results-h5.c: what the writer (results.c) and the reader
 * (results-read.c) of the results file share, declared in the private
 * header results-h5.h: error reporting with the system's reason, closing
 * handles, the compound types of the layout, file access lists, the
 * directory of a path, and freeing an rg_meta.  Kept apart so that the
 * writer and the reader each depend on it and not on each other.
 */
#include "sim/run/results-h5.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors (shared, results-h5.h) -------------------------------------- */

typedef struct why {
    char msg[200];
    bool sys; /* msg is the system's reason (errno text) */
} why;

/* H5Ewalk2 callback, walking from the innermost entry outwards: keeps the
 * first "error message = '...'" (the errno text HDF5 records for failed
 * system calls), else the innermost description. */
static herr_t why_walk(unsigned n, const H5E_error2_t *err, void *data)
{
    why *w = data;
    static const char key[] = "error message = '";
    const char *d = err->desc ? err->desc : "";
    const char *p = strstr(d, key);
    if (w->sys)
        return 0;
    if (p != NULL) {
        p += sizeof key - 1;
        snprintf(w->msg, sizeof w->msg, "%.*s", (int)strcspn(p, "'"), p);
        w->sys = true;
    } else if (n == 0) {
        snprintf(w->msg, sizeof w->msg, "%s", d);
    }
    return 0;
}

/* The reason for the HDF5 call that just failed, into buf.  Must run before
 * any other HDF5 call, which would reset the error stack. */
static void h5_reason(char *buf, size_t n)
{
    why w = {{0}, false};
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, why_walk, &w) < 0 || w.msg[0] == '\0')
        snprintf(w.msg, sizeof w.msg, "HDF5 error");
    snprintf(buf, n, "%s", w.msg);
}

/* Fills c->e: "<prefix>: <what> '<name>' at <where>: <reason>", without the
 * parts that are NULL or empty.  Returns -1. */
static int h5fail_at(rh5_ctx *c, const char *where, const char *name, const char *what,
                     const char *reason)
{
    if (name != NULL)
        return rg_err_set(c->e, RG_ERR_IO, "%s: %s '%s'%s%s: %s", c->prefix, what, name,
                          where[0] ? " at " : "", where, reason);
    return rg_err_set(c->e, RG_ERR_IO, "%s: %s%s%s: %s", c->prefix, what, where[0] ? " " : "",
                      where, reason);
}

/* Fills c->e for the HDF5 call that just failed, on object `name` of loc
 * (either may be absent: -1, NULL).  Returns -1. */
int rh5_fail(rh5_ctx *c, hid_t loc, const char *name, const char *what)
{
    char reason[256], where[256] = "";
    h5_reason(reason, sizeof reason);
    if (loc >= 0 && H5Iget_name(loc, where, sizeof where) < 0)
        where[0] = '\0';
    return h5fail_at(c, where, name, what, reason);
}

/* Closes *id, whatever kind of handle it is, and marks it closed.  Returns
 * the status of the close (0 when nothing was open). */
static herr_t h5_close(hid_t *id)
{
    herr_t st;
    if (*id < 0)
        return 0;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: st = H5Fclose(*id); break;
    case H5I_GROUP: st = H5Gclose(*id); break;
    case H5I_DATATYPE: st = H5Tclose(*id); break;
    case H5I_DATASPACE: st = H5Sclose(*id); break;
    case H5I_DATASET: st = H5Dclose(*id); break;
    case H5I_ATTR: st = H5Aclose(*id); break;
    case H5I_GENPROP_LST: st = H5Pclose(*id); break;
    default: st = -1; break;
    }
    *id = H5I_INVALID_HID;
    return st;
}

/* Closes ids[n-1] down to ids[0] (reverse order of opening), all of them
 * even if one fails; on a failure fills c->e unless an error is already
 * there.  Returns -1 if anything failed before or now (rc < 0), else 0. */
int rh5_close_all(rh5_ctx *c, hid_t *ids, size_t n, int rc)
{
    for (size_t k = n; k-- > 0;) {
        char where[256] = "", reason[256];
        /* Named before closing: a closed handle has no name. */
        if (ids[k] >= 0 && H5Iget_type(ids[k]) == H5I_FILE)
            snprintf(where, sizeof where, "the file");
        else if (ids[k] >= 0 && H5Iget_name(ids[k], where, sizeof where) < 0)
            where[0] = '\0';
        if (h5_close(&ids[k]) < 0 && rc == 0) {
            h5_reason(reason, sizeof reason);
            rc = h5fail_at(c, where, NULL, "cannot close", reason);
        }
    }
    return rc;
}

/* ---- types and file access (shared, results-h5.h) ----------------------- */

/* One field of a compound type, for compound(). */
typedef struct field {
    const char *name;
    size_t off;
    hid_t type;
} field;

/* A compound type of `size` bytes with the n fields f, or H5I_INVALID_HID
 * with c->e filled. */
static hid_t compound(rh5_ctx *c, size_t size, const field *f, size_t n)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    if (t < 0) {
        rh5_fail(c, -1, NULL, "cannot create a compound type");
        return H5I_INVALID_HID;
    }
    for (size_t i = 0; i < n; i++)
        if (H5Tinsert(t, f[i].name, f[i].off, f[i].type) < 0) {
            rh5_fail(c, -1, f[i].name, "cannot add field");
            (void)H5Tclose(t);
            return H5I_INVALID_HID;
        }
    return t;
}

/* Closes the types of t, keeping rc if it is already an error. */
int rh5_types_close(rh5_ctx *c, rh5_types *t, int rc)
{
    hid_t ids[] = {t->str, t->sum_f, t->sum_m, t->hist_f, t->hist_m, t->tl_f, t->tl_m};
    rc = rh5_close_all(c, ids, sizeof ids / sizeof ids[0], rc);
    t->str = t->sum_f = t->sum_m = t->hist_f = t->hist_m = t->tl_f = t->tl_m = H5I_INVALID_HID;
    return rc;
}

/* Builds every type for the metrics met[0..nmet-1].  On failure the types
 * built so far are closed by the caller's rh5_types_close. */
int rh5_types_make(rh5_ctx *c, const rg_metric *met, size_t nmet, const char *const *tlnames,
                   rh5_types *t)
{
    t->str = t->sum_f = t->sum_m = t->hist_f = t->hist_m = t->tl_f = t->tl_m = H5I_INVALID_HID;
    t->str = H5Tcopy(H5T_C_S1);
    if (t->str < 0 || H5Tset_size(t->str, H5T_VARIABLE) < 0 ||
        H5Tset_cset(t->str, H5T_CSET_UTF8) < 0)
        return rh5_fail(c, -1, NULL, "cannot create the string type");

    field *ff = rg_xcalloc(nmet + 1, sizeof *ff), *fm = rg_xcalloc(nmet + 1, sizeof *fm);
    ff[0] = (field){RH5_F_REP, 0, H5T_STD_U64LE};
    fm[0] = (field){RH5_F_REP, 0, H5T_NATIVE_UINT64};
    for (size_t m = 0; m < nmet; m++) {
        bool isint = met[m].type == RG_MF_INT;
        ff[m + 1] = (field){met[m].name, 8 * (m + 1), isint ? H5T_STD_I64LE : H5T_IEEE_F64LE};
        fm[m + 1] = (field){met[m].name, sizeof(rh5_cell) * (m + 1),
                            isint ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE};
    }
    t->sum_f = compound(c, 8 * (nmet + 1), ff, nmet + 1);
    t->sum_m =
        t->sum_f < 0 ? H5I_INVALID_HID : compound(c, sizeof(rh5_cell) * (nmet + 1), fm, nmet + 1);
    free(ff);
    free(fm);
    if (t->sum_m < 0)
        return -1;

    const field hf[] = {
        {"lo", 0, H5T_IEEE_F64LE}, {"hi", 8, H5T_IEEE_F64LE}, {"count", 16, H5T_STD_U64LE}};
    const field hm[] = {{"lo", offsetof(rh5_hrow, lo), H5T_NATIVE_DOUBLE},
                        {"hi", offsetof(rh5_hrow, hi), H5T_NATIVE_DOUBLE},
                        {"count", offsetof(rh5_hrow, count), H5T_NATIVE_UINT64}};
    const char *ta = tlnames && tlnames[0] ? tlnames[0] : RH5_TL_A;
    const char *tb = tlnames && tlnames[1] ? tlnames[1] : RH5_TL_B;
    const field tf[] = {{"t", 0, H5T_IEEE_F64LE}, {ta, 8, H5T_STD_I64LE}, {tb, 16, H5T_STD_I64LE}};
    const field tm[] = {{"t", offsetof(rg_tlpoint, t), H5T_NATIVE_DOUBLE},
                        {ta, offsetof(rg_tlpoint, a), H5T_NATIVE_INT64},
                        {tb, offsetof(rg_tlpoint, b), H5T_NATIVE_INT64}};
    if ((t->hist_f = compound(c, 24, hf, 3)) < 0 ||
        (t->hist_m = compound(c, sizeof(rh5_hrow), hm, 3)) < 0 ||
        (t->tl_f = compound(c, 24, tf, 3)) < 0 ||
        (t->tl_m = compound(c, sizeof(rg_tlpoint), tm, 3)) < 0)
        return -1;
    return 0;
}

/* File access for writing: in memory, format capped at 1.8, and SEMI
 * closing, so that a handle left open by mistake fails the write instead of
 * going unnoticed.  For reading: file locking that is skipped, not an
 * error, on file systems without it. */
hid_t rh5_fapl(rh5_ctx *c, bool write)
{
    hid_t p = H5Pcreate(H5P_FILE_ACCESS);
    if (p < 0 || (write ? H5Pset_fapl_core(p, (size_t)4 << 20, 0) < 0 ||
                              H5Pset_libver_bounds(p, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0 ||
                              H5Pset_fclose_degree(p, H5F_CLOSE_SEMI) < 0
                        : H5Pset_file_locking(p, 1, 1) < 0)) {
        rh5_fail(c, -1, NULL, "cannot set up file access");
        if (p >= 0)
            (void)H5Pclose(p);
        return H5I_INVALID_HID;
    }
    return p;
}

/* The directory part of path ("." if none), as a new string. */
char *rh5_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return rg_xstrdup(".");
    if (slash == path)
        return rg_xstrdup("/");
    return rg_xasprintf("%.*s", (int)(slash - path), path);
}

void rg_meta_free(rg_meta *m)
{
    if (m == NULL)
        return;
    free(m->tool_version);
    free(m->scenario_name);
    free(m->description);
    free(m->model);
    free(m->resolved);
    free(m->created);
    m->tool_version = m->scenario_name = m->description = m->model = NULL;
    m->resolved = m->created = NULL;
}
