/*
 * flipbytes.c: makes damaged copies of a file for tests/hostile-results.sh,
 * the test that the results reader survives bit rot.  Two forms:
 *
 *   flipbytes list FILE STEP NRANDOM SEED
 *       prints one "OFFSET MASK" line per damage to try: every STEP-th
 *       byte XORed with 0xff, then NRANDOM bytes at random offsets XORed
 *       with a random non-zero mask.  The generator is a fixed xorshift
 *       seeded with SEED, so every machine tries the same list.
 *   flipbytes flip FILE OUT OFFSET MASK
 *       writes a copy of FILE to OUT with the byte at OFFSET XORed with
 *       MASK.
 *
 * Exit 0, or 2 with a message for bad arguments or unreadable files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the whole file at path into a new buffer; *n is its size. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "flipbytes: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0, k;
    unsigned char chunk[65536];
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + k > cap) {
            cap = (len + k) * 2;
            unsigned char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                fprintf(stderr, "flipbytes: out of memory\n");
                return NULL;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, k);
        len += k;
    }
    fclose(f);
    *n = len;
    return buf ? buf : malloc(1);
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int list(const char *path, unsigned long step, unsigned long nrandom, uint64_t seed)
{
    size_t n;
    unsigned char *buf = slurp(path, &n);
    if (buf == NULL)
        return 2;
    free(buf);
    if (n == 0 || step == 0)
        return 0;
    for (size_t off = 0; off < n; off += step)
        printf("%zu 255\n", off);
    uint64_t s = seed ? seed : 1;
    for (unsigned long i = 0; i < nrandom; i++) {
        size_t off = (size_t)(next(&s) % n);
        unsigned mask = (unsigned)(next(&s) % 255) + 1;
        printf("%zu %u\n", off, mask);
    }
    return 0;
}

static int flip(const char *path, const char *out, size_t off, unsigned mask)
{
    size_t n;
    unsigned char *buf = slurp(path, &n);
    if (buf == NULL)
        return 2;
    if (off < n)
        buf[off] ^= (unsigned char)mask;
    FILE *f = fopen(out, "wb");
    int rc = 0;
    if (f == NULL || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "flipbytes: %s: %s\n", out, strerror(errno));
        rc = 2;
    }
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "list") == 0)
        return list(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10),
                    strtoull(argv[5], NULL, 10));
    if (argc == 6 && strcmp(argv[1], "flip") == 0)
        return flip(argv[2], argv[3], (size_t)strtoull(argv[4], NULL, 10),
                    (unsigned)strtoul(argv[5], NULL, 10));
    fprintf(stderr, "usage: flipbytes list FILE STEP NRANDOM SEED\n"
                    "       flipbytes flip FILE OUT OFFSET MASK\n");
    return 2;
}
