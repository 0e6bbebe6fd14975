/*
 * results-h5.c: what the writer (results.c) and the reader
 * (results-read.c) of the results file share, declared in the private
 * header results-h5.h: error reporting with the system's reason, closing
 * handles, the compound types of the layout, file access lists, the
 * directory of a path, freeing an rg_meta, and reading a file safely.
 * Kept apart so that the writer and the reader each depend on it and not
 * on each other.
 *
 * Reading safely (rh5_read_file): a results file is input, and HDF5 1.10
 * does not survive every damaged file: a flipped byte in a global heap or
 * in the length of a variable-length string makes H5Aread copy past a
 * buffer or follow a wild pointer, and a broken metadata cache can crash
 * at exit.  No check before the call can see those bytes, so the reader
 * runs once in a child process, on an image of the file in memory, and
 * only a clean finish there lets the same read run here on the same image.
 * Known cost: the file is read twice and held in memory once (HDF5 shares
 * the loaded image, image_fapl, rather than copying it), plus one fork.
 * A file of REVGUARD_SPILL_MIN bytes or more is not held in memory: its
 * image is a copy of its data in an unnamed file beside it, mapped
 * (copy_mapped), and the pages read go back to that file as the reader
 * passes them (rh5_let_image_go).  The cost moves to the disk: the file's
 * data is written once per read, and once for a look at the root and the
 * read that follows it (the copy is kept between them: keep_image).  The
 * vetting child passes a large table through scratch memory, never to disk
 * (pass_through).
 */
#include "sim/run/results-h5.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long the vetting child may read before the file counts as damaged
 * (a corrupt global heap can make HDF5 loop for minutes).  Reading a file
 * of a gigabyte of raw latencies takes seconds; the fuzzer sets this
 * lower. */
#ifndef RH5_VET_SECONDS
#define RH5_VET_SECONDS 60
#endif
/* The reader's budget: what a file may make it allocate.  Every table
 * stored in a file takes room in it, except compressed raw latencies
 * (deflate shrinks at most about 1032:1) and what HDF5 fills in for data
 * never written, so a file of n bytes may ask for RATIO * n bytes plus a
 * fixed SLACK (the replications an interrupted run asked for but never
 * ran take room in memory, not in the file). */
#define READ_RATIO 1100
#define READ_SLACK ((uint64_t)64 << 20)

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
 * parts that are NULL or empty.  Returns -1.  A reader (c->input) reads
 * an image in memory, so a failing HDF5 call means a damaged file,
 * an input error; a writer's failure is an I/O error. */
static int h5fail_at(rh5_ctx *c, const char *where, const char *name, const char *what,
                     const char *reason)
{
    rg_errkind k = c->input ? RG_ERR_INPUT : RG_ERR_IO;
    if (name != NULL)
        return rg_err_set(c->e, k, "%s: %s '%s'%s%s: %s", c->prefix, what, name,
                          where[0] ? " at " : "", where, reason);
    return rg_err_set(c->e, k, "%s: %s%s%s: %s", c->prefix, what, where[0] ? " " : "", where,
                      reason);
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

/* ---- reading a file safely (shared, results-h5.h) ----------------------- */

int rh5_spend(rh5_ctx *c, uint64_t n, uint64_t size, const char *what)
{
    if (size != 0 && n > c->budget / size)
        return rh5_bad(c, "%s claims %llu values of %llu bytes, more than this file can hold", what,
                       (unsigned long long)n, (unsigned long long)size);
    c->budget -= n * size;
    return 0;
}

/* True if buf[0..n-1] holds HDF5's signature where the library looks for
 * it: at 0, 512, 1024, 2048, ...  With buf NULL, looks in the first n
 * bytes of file fd instead, without reading the rest. */
static bool has_signature(const unsigned char *buf, int fd, size_t n)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char at[sizeof sig];
    for (size_t off = 0; off <= n && n - off >= sizeof sig; off = off ? off * 2 : 512) {
        if (buf == NULL && pread(fd, at, sizeof at, (off_t)off) != (ssize_t)sizeof at)
            return false;
        if (memcmp(buf != NULL ? buf + off : at, sig, sizeof sig) == 0)
            return true;
    }
    return false;
}

static void not_hdf5(rh5_ctx *c, const char *path)
{
    rg_err_set(c->e, RG_ERR_INPUT, "%s: not an HDF5 file (expected a revguard-sim results file)",
               path);
}

/* Copies bytes [from, to) of fd into t at the same offsets; returns the
 * end of what was copied (less than `to` if fd ended sooner), or -1. */
static off_t copy_range(int fd, int t, unsigned char *buf, size_t cap, off_t from, off_t to)
{
    while (from < to) {
        size_t want = (uint64_t)(to - from) < cap ? (size_t)(to - from) : cap;
        ssize_t k = pread(fd, buf, want, from);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0 ? from : -1; /* k == 0: shrank while being read */
        for (ssize_t off = 0; off < k;) {
            ssize_t w = pwrite(t, buf + off, (size_t)(k - off), from + off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            off += w;
        }
        from += k;
    }
    return from;
}

/* Copies the want bytes of fd (fewer if it ends sooner) into a new
 * unnamed file in dir and maps the copy read-only: the image of a large
 * file, whose pages the system can take back (rh5_let_image_go) where
 * memory would hold them all.  The copy has no name, so no other process
 * can change it under the reader.  The mapping is made first (a process
 * whose address space cannot hold it copies nothing), and only fd's data
 * is copied: its holes stay holes (SEEK_DATA), so a sparse file costs the
 * disk what it holds, not what it claims.  NULL wherever that cannot be
 * done: no room, a file-size limit, a directory that cannot be written;
 * the caller then reads into memory. */
static unsigned char *copy_mapped(int fd, const char *dir, size_t want, size_t *n)
{
    enum { CHUNK = 1 << 20 };
    int t = rg_unnamed_file(dir);
    void *map = MAP_FAILED;
    unsigned char *buf = NULL;
    off_t end = (off_t)want, at = 0; /* end: where fd's bytes end */
    if (t < 0 || ftruncate(t, end) != 0 ||
        (map = mmap(NULL, want, PROT_READ, MAP_SHARED, t, 0)) == MAP_FAILED ||
        (buf = malloc(CHUNK)) == NULL)
        at = -1;
    while (at >= 0 && at < end) {
        off_t data = lseek(fd, at, SEEK_DATA), hole;
        if (data < 0 && errno == ENXIO)
            break;    /* a hole to the end, or fd shrank: what is copied stands */
        if (data < 0) /* no SEEK_DATA here: all of it is data */
            data = at, hole = end;
        else if ((hole = lseek(fd, data, SEEK_HOLE)) < 0 || hole > end)
            hole = end;
        off_t got = data < end ? copy_range(fd, t, buf, CHUNK, data, hole) : end;
        if (got >= 0 && got < hole)
            end = got; /* shrank while being read: take what is there */
        at = got < 0 ? -1 : hole;
    }
    free(buf);
    if (at >= 0 && end < (off_t)want) { /* shrank: the image ends there */
        munmap(map, want);
        map = end > 0 && ftruncate(t, end) == 0
                  ? mmap(NULL, (size_t)end, PROT_READ, MAP_SHARED, t, 0)
                  : MAP_FAILED;
        want = (size_t)end;
        at = map == MAP_FAILED ? -1 : at;
    }
    if (t >= 0)
        close(t);
    if (at < 0) {
        if (map != MAP_FAILED)
            munmap(map, want);
        (void)lseek(fd, 0, SEEK_SET); /* SEEK_DATA moved it; the caller reads from 0 */
        return NULL;
    }
    *n = want;
    return map;
}

/* Opens the file at path for reading if it is a regular file that starts
 * with HDF5's signature (*st filled), else fails with c->e set: a FIFO,
 * device or directory is refused without being read (opened with
 * O_NONBLOCK, so that a FIFO cannot block), and a file that is not HDF5
 * before anything is read or copied.  The descriptor, or -1. */
static int open_checked(rh5_ctx *c, const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        rg_err_set(c->e, RG_ERR_INPUT, "%s: cannot open results file: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0)
        rg_err_set(c->e, RG_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    else if (S_ISDIR(st->st_mode))
        rg_err_set(c->e, RG_ERR_INPUT, "%s: is a directory, not a results file", path);
    else if (!S_ISREG(st->st_mode))
        rg_err_set(c->e, RG_ERR_INPUT, "%s: not a regular file, so not a results file", path);
    else if ((uint64_t)st->st_size > SIZE_MAX / 2)
        rg_err_set(c->e, RG_ERR_IO, "%s: too large to read (%lld bytes)", path,
                   (long long)st->st_size);
    else if (!has_signature(NULL, fd, (size_t)st->st_size))
        not_hdf5(c, path);
    else
        return fd;
    close(fd);
    return -1;
}

/* Reads the regular file at path (open_checked) into a new buffer (*n
 * bytes): a copy mapped from an unnamed file beside it (copy_mapped,
 * *mapped set) if the file has at least REVGUARD_SPILL_MIN bytes, else
 * memory (malloc).  *id: the file's status before it was read. */
static unsigned char *load(rh5_ctx *c, const char *path, size_t *n, bool *mapped, struct stat *id)
{
    struct stat st;
    unsigned char *buf = NULL;
    uint64_t min = 0;
    *mapped = false;
    if (rg_results_spill_min(&min, c->e) < 0)
        return NULL;
    int fd = open_checked(c, path, &st);
    if (fd < 0)
        return NULL;
    *id = st; /* before the copy: a change while copying changes it */
    size_t got = 0, want = (size_t)st.st_size;
    if (want >= min) {
        char *dir = rg_dir_of(path);
        if (!rg_in_memory_fs(dir) && (buf = copy_mapped(fd, dir, want, &got)) != NULL)
            *mapped = true;
        free(dir);
    }
    if (buf == NULL && (buf = malloc(want ? want : 1)) == NULL)
        rg_err_set(c->e, RG_ERR_IO, "%s: too large to read (%lld bytes)", path,
                   (long long)st.st_size);
    while (buf != NULL && !*mapped && got < want) {
        ssize_t k = read(fd, buf + got, want - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rg_err_set(c->e, RG_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            free(buf);
            buf = NULL;
            break;
        }
        if (k == 0)
            break; /* shrank while being read: take what is there */
        got += (size_t)k;
    }
    *n = got;
    if (buf != NULL && !has_signature(buf, -1, got)) { /* changed while read */
        not_hdf5(c, path);
        if (*mapped)
            munmap(buf, got);
        else
            free(buf);
        buf = NULL;
        *mapped = false;
    }
    close(fd);
    return buf;
}

/* The image of a file being read, shared with HDF5 instead of copied:
 * HDF5 would otherwise copy it into the file access list and again into
 * every file opened from it, holding the file two or three times over.
 * These callbacks hand HDF5 the one buffer each time it asks for memory
 * for the image, and count who holds it: the buffer is freed when the last
 * holder (the reader, an access list or an open file) lets it go, and the
 * counts themselves when the last access list drops its copy of udata.
 * HDF5 only reads the image (the file is opened read-only), so sharing it
 * is safe; anything else it asks (a different size, a copy from elsewhere,
 * a resize) fails. */
typedef struct shared_image {
    unsigned char *buf;
    size_t size;
    bool mapped;      /* buf is a mapping (copy_mapped), not malloc'ed */
    unsigned holders; /* of buf */
    unsigned udatas;  /* copies of the pointer to this struct */
} shared_image;

static void shared_release(shared_image *s)
{
    if (s->holders == 0 && s->buf != NULL) {
        if (s->mapped)
            munmap(s->buf, s->size);
        else
            free(s->buf);
        s->buf = NULL;
    }
    if (s->holders == 0 && s->udatas == 0)
        free(s);
}

static void *shared_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
    shared_image *s = udata;
    (void)op;
    if (s->buf == NULL || size != s->size)
        return NULL;
    s->holders++;
    return s->buf;
}

static void *shared_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op,
                           void *udata)
{
    shared_image *s = udata;
    (void)op;
    return dest == s->buf && src == s->buf && size == s->size ? dest : NULL;
}

static void *shared_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)ptr;
    (void)size;
    (void)op;
    (void)udata;
    return NULL;
}

static herr_t shared_free(void *ptr, H5FD_file_image_op_t op, void *udata)
{
    shared_image *s = udata;
    (void)op;
    if (ptr == NULL || ptr != s->buf || s->holders == 0)
        return -1;
    s->holders--;
    shared_release(s);
    return 0;
}

static void *shared_udata_copy(void *udata)
{
    shared_image *s = udata;
    s->udatas++;
    return s;
}

static herr_t shared_udata_free(void *udata)
{
    shared_image *s = udata;
    if (s->udatas == 0)
        return -1;
    s->udatas--;
    shared_release(s);
    return 0;
}

/* A file access list that opens the image buf[0..n-1] read-only in
 * memory.  Takes buf (malloc'ed, or mapped if `mapped`): it is shared with
 * HDF5, never copied, and freed once the list and every file opened from
 * it are closed (on failure, at once). */
static hid_t image_fapl(rh5_ctx *c, unsigned char *buf, size_t n, bool mapped)
{
    shared_image *s = rg_xmalloc(sizeof *s);
    *s = (shared_image){buf, n, mapped, 1, 1}; /* held by this function until the end */
    H5FD_file_image_callbacks_t cb = {shared_malloc,
                                      shared_memcpy,
                                      shared_realloc,
                                      shared_free,
                                      shared_udata_copy,
                                      shared_udata_free,
                                      s};
    hid_t p = H5Pcreate(H5P_FILE_ACCESS);
    if (p < 0 || H5Pset_fapl_core(p, (size_t)1 << 20, 0) < 0 ||
        H5Pset_file_image_callbacks(p, &cb) < 0 || H5Pset_file_image(p, buf, n) < 0) {
        rh5_fail(c, -1, NULL, "cannot set up reading");
        if (p >= 0)
            (void)H5Pclose(p);
        p = H5I_INVALID_HID;
    }
    s->holders--;
    s->udatas--;
    shared_release(s);
    return p;
}

/* Opens the image in fapl and runs fn on it.  HDF5 opens an image only
 * under a name that no file has (it refuses, "file already exists",
 * otherwise), and tells open files apart by name: each image gets a new
 * name below /dev/null, where nothing can exist. */
static int read_once(rh5_ctx *c, hid_t fapl, rh5_read_fn fn, void *arg)
{
    static unsigned long serial;
    char name[64];
    snprintf(name, sizeof name, "/dev/null/revguard-sim-image-%lu", ++serial);
    hid_t f = H5Fopen(c->direct != NULL ? c->direct : name, H5F_ACC_RDONLY, fapl);
    if (f < 0)
        return rh5_fail(c, -1, NULL, "cannot open");
    int rc = fn(c, f, arg);
    return rh5_close_all(c, &f, 1, rc);
}

/* Caps the data (heap) of the vetting child at what it uses now plus
 * extra bytes: a flipped length of a string makes HDF5 allocate and clear
 * gigabytes before it finds anything wrong, and the cap turns that into a
 * failed allocation.  Linux only (VmData); elsewhere, and in sanitizer
 * builds, nothing is capped. */
static void cap_memory(uint64_t extra)
{
    /* Sanitizer builds reserve terabytes of shadow memory, which counts
     * as data: the cap is left off there. */
#ifdef RG_SANITIZED
    (void)extra;
#else
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    bool found = false;
    while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
        found = sscanf(line, "VmData: %llu kB", &kb) == 1;
    if (f != NULL)
        fclose(f);
    if (!found || extra > UINT64_MAX / 2)
        return;
    struct rlimit lim;
    if (getrlimit(RLIMIT_DATA, &lim) < 0)
        return;
    rlim_t want = (rlim_t)(kb * 1024 + extra);
    if (lim.rlim_max == RLIM_INFINITY || want < lim.rlim_max) {
        lim.rlim_cur = want;
        (void)setrlimit(RLIMIT_DATA, &lim);
    }
#endif
}

/* Weak: present only in sanitizer builds; the fuzzer sets a callback that
 * would save the input as a crash of the fuzzer itself. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

/* The vetting child: reads, reports "<kind><message>" on fd w and exits
 * 0 (read cleanly) or 1.  Nothing of it reaches the terminal: a crash
 * inside HDF5 is the parent's to report. */
static void __attribute__((noreturn))
vet_child(int w, const rh5_ctx *pc, hid_t fapl, rh5_read_fn fn, rh5_drop_fn drop, void *arg)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGPIPE};
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        (void)signal(sigs[i], SIG_DFL);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(NULL);
    int dn = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (dn >= 0)
        (void)dup2(dn, STDERR_FILENO);
    cap_memory(2 * pc->budget + ((uint64_t)256 << 20));
    rg_err e;
    rg_err_clear(&e);
    rh5_ctx c = *pc;
    c.e = &e;
    c.pass_through = true;
    int rc = read_once(&c, fapl, fn, arg);
    if (rc == 0)
        drop(arg);
    char msg[sizeof e.msg + 1];
    msg[0] = (char)(rc == 0 ? RG_ERR_NONE : e.kind != RG_ERR_NONE ? e.kind : RG_ERR_IO);
    size_t len = strlen(e.msg);
    memcpy(msg + 1, e.msg, len);
    for (size_t off = 0; off < len + 1;) {
        ssize_t k = write(w, msg + off, len + 1 - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    _exit(rc == 0 ? 0 : 1);
}

/* Reads the child's report from fd r until it closes it, within the time
 * left; returns the bytes read, or -1 on a timeout. */
static ssize_t vet_collect(int r, char *buf, size_t cap)
{
    struct timespec t0, t1;
    size_t got = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= RH5_VET_SECONDS * 1000L)
            return -1;
        struct pollfd p = {r, POLLIN, 0};
        int k = poll(&p, 1, (int)(RH5_VET_SECONDS * 1000L - ms));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0 ? -1 : (ssize_t)got;
        char tmp[256];
        ssize_t n = read(r, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (ssize_t)got;
        size_t take = (size_t)n < cap - got ? (size_t)n : cap - got;
        memcpy(buf + got, tmp, take);
        got += take;
    }
}

/* Runs fn on the image in a child (vet_child) and judges how it ended:
 * 0 if cleanly, else -1 with c->e filled; if the child crashed or hung,
 * verdict[0..n-1] says so (else it is left empty). */
static int vet(rh5_ctx *c, hid_t fapl, rh5_read_fn fn, rh5_drop_fn drop, void *arg, char *verdict,
               size_t nverdict)
{
    int fds[2];
    if (pipe(fds) < 0)
        return rg_err_set(c->e, RG_ERR_IO, "%s: cannot read: %s", c->prefix, strerror(errno));
    /* Started with stdout or stderr closed, the pipe would take its number,
     * and the child's stderr to /dev/null would cut it. */
    for (int i = 0; i < 2; i++)
        if (fds[i] <= STDERR_FILENO) {
            int above = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
            if (above >= 0) {
                close(fds[i]);
                fds[i] = above;
            }
        }
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        return rg_err_set(c->e, RG_ERR_IO, "%s: cannot read: %s", c->prefix, strerror(err));
    }
    if (pid == 0) {
        close(fds[0]);
        vet_child(fds[1], c, fapl, fn, drop, arg);
    }
    close(fds[1]);
    char msg[sizeof c->e->msg + 1];
    ssize_t n = vet_collect(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    if (n < 0)
        (void)kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (n < 0 || WIFSIGNALED(st)) {
        if (n < 0)
            snprintf(verdict, nverdict, "damaged: reading it did not finish within %d s",
                     RH5_VET_SECONDS);
        else
            snprintf(verdict, nverdict, "damaged: the HDF5 library crashed reading it (%s)",
                     strsignal(WTERMSIG(st)));
        return rh5_bad(c, "%s", verdict);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && n >= 1 && msg[0] == RG_ERR_NONE)
        return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 1 && n >= 2) {
        msg[n] = '\0';
        rg_errkind k = (unsigned char)msg[0] <= RG_ERR_CHECK ? (rg_errkind)msg[0] : RG_ERR_IO;
        return rg_err_set(c->e, k == RG_ERR_NONE ? RG_ERR_IO : k, "%s", msg + 1);
    }
    return rh5_bad(c, "damaged: reading it failed (exit status %d)",
                   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* A hash of the n bytes at buf (FNV-1a over 8-byte words: about a
 * gigabyte a second).  A mapped image's pages go back to its file as the
 * hash passes them (every 4 MB), so hashing does not hold it all. */
static uint64_t image_hash(const unsigned char *buf, size_t n, bool mapped)
{
    enum { STRIDE = 4 << 20 }; /* a multiple of the page and of 8 */
    uint64_t h = 14695981039346656037u ^ n;
    size_t i = 0;
    for (size_t at = 0; at < n; at += STRIDE) {
        size_t end = n - at < STRIDE ? n : at + STRIDE;
        for (; i + 8 <= end; i += 8) {
            uint64_t w;
            memcpy(&w, buf + i, 8);
            h = (h ^ w) * 1099511628211u;
        }
        if (mapped)
            (void)madvise((void *)(uintptr_t)(buf + at), end - at, MADV_DONTNEED);
    }
    for (; i < n; i++)
        h = (h ^ buf[i]) * 1099511628211u;
    return h;
}

void rh5_let_image_go(const rh5_ctx *c)
{
    if (c->image != NULL)
        (void)madvise((void *)(uintptr_t)c->image, c->image_size, MADV_DONTNEED);
}

/* The last image that crashed or hung the vetting child, and the verdict:
 * reading it again fails at once (a command looks at a file's root, then
 * reads it all: a hang would cost RH5_VET_SECONDS twice).  A failure
 * of HDF5 is deterministic, so any later read of those bytes would fail
 * too; one that ends sooner (a look at the root only) gets the verdict a
 * little early, and a damaged file is not ours either way. */
static struct {
    bool set;
    uint64_t hash;
    size_t n;
    char why[200];
} damaged;

/* The mapped copy of the last large file looked at (rh5_ctx.keep_image),
 * held by its access list, for the read of the same file that follows:
 * the look and the read copy the file once, not twice.  The same file is
 * the same device, inode, size and modification and change times as
 * when the copy began; anything else, and any read of another file, lets
 * it go.  Only mapped copies are kept: their pages are on disk, not in
 * memory, and a smaller file is cheap to read again. */
static struct {
    hid_t fapl; /* 0: none */
    struct stat id;
    unsigned char *buf;
    size_t n;
    uint64_t hash;
} kept;

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The kept copy if it is the file at path (taken out of the cache: *fapl,
 * *buf, *n, *hash set, 1), else 0, the copy let go either way. */
static int take_kept(const char *path, hid_t *fapl, unsigned char **buf, size_t *n, uint64_t *hash,
                     struct stat *id)
{
    if (kept.fapl <= 0)
        return 0;
    struct stat st;
    bool same = stat(path, &st) == 0 && same_file(&st, &kept.id);
    hid_t f = kept.fapl;
    kept.fapl = 0;
    if (!same) {
        (void)H5Pclose(f);
        return 0;
    }
    *fapl = f;
    *buf = kept.buf;
    *n = kept.n;
    *hash = kept.hash;
    *id = kept.id;
    return 1;
}

/* rh5_read_file for c->verdict_only: the child opens the file itself
 * (HDF5's default driver reads only what fn needs, with no lock taken),
 * and nothing is read here. */
static int vet_in_place(rh5_ctx *c, const char *path, rh5_read_fn fn, rh5_drop_fn drop, void *arg)
{
    struct stat st;
    int fd = open_checked(c, path, &st);
    if (fd < 0)
        return -1;
    close(fd);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return rh5_fail(c, -1, NULL, "cannot set up reading");
#if H5_VERSION_GE(1, 10, 7)
    (void)H5Pset_file_locking(fapl, 0, 1);
#endif
    c->budget = READ_SLACK + (uint64_t)st.st_size * READ_RATIO;
    c->input = true;
    c->direct = path;
    char verdict[sizeof damaged.why] = "";
    int rc = vet(c, fapl, fn, drop, arg, verdict, sizeof verdict);
    c->direct = NULL;
    return rh5_close_all(c, &fapl, 1, rc);
}

int rh5_read_file(rh5_ctx *c, const char *path, rh5_read_fn fn, rh5_drop_fn drop, void *arg)
{
    rh5_quiet();
    size_t n = 0;
    bool mapped = true;
    unsigned char *buf = NULL;
    uint64_t hash = 0;
    struct stat id;
    hid_t fapl = H5I_INVALID_HID;
    if (c->verdict_only)
        return vet_in_place(c, path, fn, drop, arg);
    if (take_kept(path, &fapl, &buf, &n, &hash, &id))
        goto vet;
    if ((buf = load(c, path, &n, &mapped, &id)) == NULL)
        return -1;
    hash = image_hash(buf, n, mapped);
    if (damaged.set && damaged.hash == hash && damaged.n == n) {
        if (mapped)
            munmap(buf, n);
        else
            free(buf);
        return rh5_bad(c, "%s", damaged.why);
    }
    if ((fapl = image_fapl(c, buf, n, mapped)) < 0) /* takes buf */
        return -1;
vet:
    c->budget = READ_SLACK + (uint64_t)n * READ_RATIO;
    c->input = true;
    /* for rh5_let_image_go, here and in the child; gone with the image */
    c->image = mapped ? buf : NULL;
    c->image_size = n;
    uint64_t budget = c->budget;
    char verdict[sizeof damaged.why] = "";
    int rc = vet(c, fapl, fn, drop, arg, verdict, sizeof verdict);
    if (verdict[0] != '\0') {
        damaged.set = true;
        damaged.hash = hash;
        damaged.n = n;
        memcpy(damaged.why, verdict, sizeof verdict);
    }
    c->budget = budget;
    if (rc == 0)
        rc = read_once(c, fapl, fn, arg);
    c->image = NULL;
    if (rc == 0 && mapped && c->keep_image) {
        kept.fapl = fapl;
        kept.id = id;
        kept.buf = buf;
        kept.n = n;
        kept.hash = hash;
        return 0;
    }
    return rh5_close_all(c, &fapl, 1, rc);
}
