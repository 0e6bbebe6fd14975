/*
 * simtime.c: duration and quantity parsing and formatting.
 */
#include "sim/engine/simtime.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    double ns;
} units[] = {
    {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"min", 60e9}, {"h", 3600e9},
};

int rg_qty_parse(const char *s, size_t len, rg_qty kind, double *out, rg_err *e)
{
    char tmp[128];
    while (len > 0 && isspace((unsigned char)*s))
        s++, len--;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0)
        return rg_err_set(e, RG_ERR_INPUT, "expected %s, got nothing",
                          kind == RG_QTY_DURATION ? "a duration such as 12ms" : "a number");
    if (len >= sizeof tmp)
        return rg_err_set(e, RG_ERR_INPUT, "value too long: '%.40s...'", s);
    memcpy(tmp, s, len);
    tmp[len] = '\0';

    /* strtod accepts hex floats, "nan" and "inf"; we want plain decimals. */
    for (const char *p = tmp; *p; p++)
        if (*p == 'x' || *p == 'X' || ((*p == 'n' || *p == 'N') && p == tmp) ||
            ((*p == 'i' || *p == 'I') && p == tmp))
            goto bad;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end == tmp || errno == ERANGE || !isfinite(v))
        goto bad;
    while (isspace((unsigned char)*end))
        end++;
    if (kind == RG_QTY_NUMBER) {
        if (*end != '\0')
            goto bad;
        *out = v;
        return 0;
    }
    if (*end == '\0') {
        if (v == 0.0) {
            *out = 0.0;
            return 0;
        }
        return rg_err_set(e, RG_ERR_INPUT,
                          "'%s' has no unit: expected a duration such as %gms or %gs "
                          "(units: ns, us, ms, s, min, h)",
                          tmp, v, v);
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].name) == 0) {
            double ns = v * units[i].ns;
            if (!isfinite(ns) || fabs(ns) > 9.2e18)
                return rg_err_set(e, RG_ERR_INPUT,
                                  "duration '%s' is out of range (at most about 292 years)", tmp);
            *out = ns;
            return 0;
        }
    }
    return rg_err_set(e, RG_ERR_INPUT, "'%s': unknown unit '%s' (expected ns, us, ms, s, min or h)",
                      tmp, end);
bad:
    return rg_err_set(e, RG_ERR_INPUT, "'%s' is not %s", tmp,
                      kind == RG_QTY_DURATION ? "a duration (expected e.g. 12ms, 1.5s)"
                                              : "a finite decimal number");
}

/* The exact path for plain decimals ("-12.5ms", "17280000.000000001s"):
 * whole and fractional digits as integers, so every int64 nanosecond count
 * that rg_time_format writes parses back to itself (a double carries only
 * 53 bits).  Returns 1 on success, 0 if the text is not of that shape
 * (exponents and the like go through the double path), -1 on overflow. */
static int parse_exact(const char *s, rg_time *out)
{
    __extension__ typedef __int128 i128;
    while (isspace((unsigned char)*s))
        s++;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    if (!isdigit((unsigned char)*s))
        return 0;
    i128 whole = 0, frac = 0, fscale = 1;
    for (; isdigit((unsigned char)*s); s++) {
        whole = whole * 10 + (*s - '0');
        if (whole > (i128)INT64_MAX)
            return -1;
    }
    if (*s == '.') {
        s++;
        for (; isdigit((unsigned char)*s); s++)
            if (fscale < (i128)1000000000000000000LL) {
                frac = frac * 10 + (*s - '0');
                fscale *= 10;
            }
    }
    while (isspace((unsigned char)*s))
        s++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t ul = strlen(units[i].name);
        const char *rest = s + ul;
        if (strncmp(s, units[i].name, ul) != 0)
            continue;
        while (isspace((unsigned char)*rest))
            rest++;
        if (*rest != '\0')
            continue;
        i128 unit = (i128)units[i].ns;
        /* round the fractional part to the nearest nanosecond */
        i128 ns = whole * unit + (frac * unit * 2 + fscale) / (2 * fscale);
        if (ns > (i128)INT64_MAX)
            return -1;
        *out = neg ? -(rg_time)ns : (rg_time)ns;
        return 1;
    }
    return 0;
}

int rg_time_parse(const char *s, bool allow_negative, rg_time *out, rg_err *e)
{
    rg_time t;
    int rc = parse_exact(s, &t);
    if (rc < 0)
        return rg_err_set(e, RG_ERR_INPUT,
                          "duration '%s' is out of range (at most about 292 years)", s);
    if (rc == 0) {
        /* other shapes (exponents, a bare 0) through the general parser */
        double ns;
        if (rg_qty_parse(s, strlen(s), RG_QTY_DURATION, &ns, e) < 0)
            return -1;
        t = (rg_time)llround(ns);
    }
    if (t < 0 && !allow_negative)
        return rg_err_set(e, RG_ERR_INPUT, "duration '%s' is negative; expected >= 0", s);
    *out = t;
    return 0;
}

char *rg_time_format(rg_time t, char *buf)
{
    static const struct {
        const char *name;
        rg_time ns;
    } u[] = {{"min", RG_MIN}, {"s", RG_S}, {"ms", RG_MS}, {"us", RG_US}};
    if (t == 0) {
        strcpy(buf, "0");
        return buf;
    }
    uint64_t a = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    const char *sign = t < 0 ? "-" : "";
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        uint64_t un = (uint64_t)u[i].ns;
        if (a < un)
            continue;
        if (a % un == 0) {
            snprintf(buf, RG_TIME_STRLEN, "%s%llu%s", sign, (unsigned long long)(a / un),
                     u[i].name);
            return buf;
        }
        /* Not whole: print with enough decimals to be exact (<= 9 digits);
         * minutes are only used when whole. */
        if (i > 0) {
            uint64_t whole = a / un, frac = a % un;
            int digits = 0;
            for (uint64_t x = un; x > 1; x /= 10)
                digits++;
            char f[12];
            RG_ASSERT(digits > 0 && digits <= 9);
            for (int k = digits - 1; k >= 0; k--, frac /= 10)
                f[k] = (char)('0' + frac % 10);
            f[digits] = '\0';
            for (int k = digits - 1; k > 0 && f[k] == '0'; k--)
                f[k] = '\0';
            snprintf(buf, RG_TIME_STRLEN, "%s%llu.%.9s%.3s", sign, (unsigned long long)whole, f,
                     u[i].name);
            return buf;
        }
    }
    snprintf(buf, RG_TIME_STRLEN, "%s%lluns", sign, (unsigned long long)a);
    return buf;
}

char *rg_time_format_d(double ns, char *buf)
{
    double a = fabs(ns);
    if (a == 0)
        snprintf(buf, RG_TIME_STRLEN, "0");
    else if (a >= 60e9 && fmod(a, 60e9) == 0)
        snprintf(buf, RG_TIME_STRLEN, "%.6gmin", ns / 60e9);
    else if (a >= 1e9)
        snprintf(buf, RG_TIME_STRLEN, "%.6gs", ns / 1e9);
    else if (a >= 1e6)
        snprintf(buf, RG_TIME_STRLEN, "%.6gms", ns / 1e6);
    else if (a >= 1e3)
        snprintf(buf, RG_TIME_STRLEN, "%.6gus", ns / 1e3);
    else
        snprintf(buf, RG_TIME_STRLEN, "%.6gns", ns);
    return buf;
}
