/*
 * simtime-t: durations as text (simtime.h).  rg_time_parse with every unit,
 * decimals, spaces, the unitless zero, and each way a duration can be wrong
 * (no unit, garbage, NaN/inf, hex, overflow, negative); rg_qty_parse for plain
 * numbers; rg_time_format's exact forms and the round trip
 * parse(format(t)) == t.  Expected values are worked out by hand from the
 * unit table (1 us = 1e3 ns, 1 ms = 1e6 ns, 1 s = 1e9 ns, 1 min = 60 s,
 * 1 h = 3600 s).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/simtime.h"
#include "tests/tap/basic.h"

/* Inputs that parse, with the nanoseconds they mean. */
/* clang-format off */
static const struct {
    const char *text;
    bool allow_negative;
    rg_time ns;
} good[] = {
    {"1ns", false, 1},
    {"1us", false, 1000},
    {"1ms", false, 1000000},
    {"1s", false, 1000000000},
    {"1min", false, INT64_C(60000000000)},
    {"1h", false, INT64_C(3600000000000)},
    {"12ms", false, 12000000},
    {"1.5s", false, 1500000000},
    {"0.25ms", false, 250000},
    {"2.5min", false, INT64_C(150000000000)},
    {"1.5h", false, INT64_C(5400000000000)},
    {"1e3ms", false, 1000000000},
    {"12 ms", false, 12000000},
    {"  7us  ", false, 7000},
    {"\t3 s\t", false, 3000000000},
    {"0", false, 0},
    {"0.0", false, 0},
    {" 0 ", false, 0},
    {"0ms", false, 0},
    {"1.5ns", false, 2},              /* rounded to the nearest ns */
    {"0.4ns", false, 0},
    {"1.0000000004s", false, 1000000000},
    {"9e9s", false, INT64_C(9000000000000000000)},
    {"-5ms", true, -5000000},
    {"-1.5s", true, -1500000000},
};
/* clang-format on */

/* Inputs that must fail, with a word the message must contain. */
/* clang-format off */
static const struct {
    const char *text;
    bool allow_negative;
    const char *word;
} bad[] = {
    {"50", false, "unit"},             /* a bare nonzero number */
    {"1.5", false, "unit"},
    {"-3", true, "unit"},
    {"", false, "duration"},
    {"   ", false, "duration"},
    {"abc", false, "abc"},
    {"ms", false, "ms"},
    {"12xs", false, "duration"},       /* caught by the no-hex rule */
    {"12 m", false, "unit"},
    {"12mss", false, "unit"},
    {"1.5.3s", false, "unit"},
    {"nan", false, "nan"},
    {"nanms", false, "nanms"},
    {"NaN s", false, "NaN"},
    {"inf", false, "inf"},
    {"infs", false, "infs"},
    {"-infms", true, "infms"},
    {"0x10ms", false, "0x10ms"},       /* hex floats are not durations */
    {"0X1p3s", false, "0X1p3s"},
    {"1e300s", false, "range"},        /* overflow of int64 ns */
    {"1e10s", false, "range"},
    {"300000000h", false, "range"},
    {"1e400ms", false, "1e400ms"},     /* overflow of the double itself */
    {"-5ms", false, "negative"},
    {"-0.5s", false, "negative"},
};
/* clang-format on */

/* Values whose text form is checked exactly, worked out by hand. */
/* clang-format off */
static const struct {
    rg_time ns;
    const char *text;
} formats[] = {
    {0, "0"},
    {3, "3ns"},
    {999, "999ns"},
    {1000, "1us"},
    {250000, "250us"},
    {1500, "1.5us"},
    {1500000000, "1.5s"},
    {12000000, "12ms"},
    {INT64_C(90000000000), "90s"},     /* minutes only when whole */
    {INT64_C(120000000000), "2min"},
    {INT64_C(3600000000000), "60min"},
    {1000000001, "1.000000001s"},
    {1234567, "1.234567ms"},
    {-3, "-3ns"},
    {-1500000000, "-1.5s"},
};
/* clang-format on */

/* Values that must survive parse(format(t)). */
static const rg_time roundtrip[] = {
    0,
    1,
    3,
    999,
    1000,
    1001,
    250000,
    1500000,
    12000000,
    1500000000,
    1000000001,
    INT64_C(90000000000),
    INT64_C(120000000000),
    INT64_C(3600000000000),
    INT64_C(86400000000001),      /* one day and one ns */
    INT64_C(259200123456789),     /* three days, ns precision */
    INT64_C(4000000000000000000), /* about 127 years, whole seconds */
    -1,
    -1500000000,
    INT64_C(-86400000000001),
};

/* Beyond 2^53 ns (about 104 days) a double cannot hold every nanosecond. */
static const rg_time roundtrip_large[] = {
    INT64_C(17280000000000001), /* 200 days and one ns */
    INT64_MAX,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_good(void)
{
    for (size_t i = 0; i < N(good); i++) {
        rg_err e;
        rg_err_clear(&e);
        rg_time t = -12345;
        int rc = rg_time_parse(good[i].text, good[i].allow_negative, &t, &e);
        if (rc != 0)
            diag("'%s': %s", good[i].text, e.msg);
        ok(rc == 0 && t == good[i].ns, "parse '%s' = %lld ns", good[i].text, (long long)good[i].ns);
    }
}

static void test_bad(void)
{
    for (size_t i = 0; i < N(bad); i++) {
        rg_err e;
        rg_err_clear(&e);
        rg_time t = -12345;
        int rc = rg_time_parse(bad[i].text, bad[i].allow_negative, &t, &e);
        bool good_msg = e.kind == RG_ERR_INPUT && strstr(e.msg, bad[i].word) != NULL;
        if (rc == 0)
            diag("'%s' parsed as %lld", bad[i].text, (long long)t);
        else if (!good_msg)
            diag("'%s': message lacks '%s': %s", bad[i].text, bad[i].word, e.msg);
        ok(rc == -1 && good_msg && t == -12345, "reject '%s' (message mentions '%s')", bad[i].text,
           bad[i].word);
    }
}

static void test_qty(void)
{
    rg_err e;
    double v = 0;

    rg_err_clear(&e);
    ok(rg_qty_parse("0.25", 4, RG_QTY_NUMBER, &v, &e) == 0 && v == 0.25, "number 0.25");
    rg_err_clear(&e);
    ok(rg_qty_parse(" 1e3 ", 5, RG_QTY_NUMBER, &v, &e) == 0 && v == 1000.0, "number ' 1e3 '");
    rg_err_clear(&e);
    ok(rg_qty_parse("-7", 2, RG_QTY_NUMBER, &v, &e) == 0 && v == -7.0, "numbers may be negative");
    rg_err_clear(&e);
    ok(rg_qty_parse("12ms", 4, RG_QTY_NUMBER, &v, &e) == -1, "a number has no unit");
    rg_err_clear(&e);
    ok(rg_qty_parse("nan", 3, RG_QTY_NUMBER, &v, &e) == -1 && strstr(e.msg, "number"),
       "number 'nan' rejected");
    /* Only `len` bytes are read: "2msXYZ" cut at 3 is "2ms". */
    rg_err_clear(&e);
    ok(rg_qty_parse("2msXYZ", 3, RG_QTY_DURATION, &v, &e) == 0 && v == 2e6,
       "duration reads only len bytes");
    rg_err_clear(&e);
    ok(rg_qty_parse("0.5 us", 6, RG_QTY_DURATION, &v, &e) == 0 && v == 500.0,
       "fractional ns kept as double (500 ns)");
}

static void test_format(void)
{
    char buf[RG_TIME_STRLEN];
    for (size_t i = 0; i < N(formats); i++)
        is_string(formats[i].text, rg_time_format(formats[i].ns, buf), "format %lld ns",
                  (long long)formats[i].ns);
    /* The longest form fits the buffer. */
    rg_time_format(INT64_MIN + 1, buf);
    ok(strlen(buf) < RG_TIME_STRLEN && buf[0] == '-', "format of a huge negative fits: %s", buf);

    is_string("1.5ms", rg_time_format_d(1.5e6, buf), "format_d 1.5e6 ns");
    is_string("2min", rg_time_format_d(120e9, buf), "format_d 120 s");
    is_string("0", rg_time_format_d(0.0, buf), "format_d 0");
}

static void test_roundtrip(void)
{
    char buf[RG_TIME_STRLEN];
    for (size_t i = 0; i < N(roundtrip); i++) {
        rg_err e;
        rg_err_clear(&e);
        rg_time t = 0;
        rg_time_format(roundtrip[i], buf);
        int rc = rg_time_parse(buf, true, &t, &e);
        if (rc != 0)
            diag("'%s': %s", buf, e.msg);
        ok(rc == 0 && t == roundtrip[i], "round trip %lld ns via '%s' (got %lld)",
           (long long)roundtrip[i], buf, (long long)t);
    }
    for (size_t i = 0; i < N(roundtrip_large); i++) {
        rg_err e;
        rg_err_clear(&e);
        rg_time t = 0;
        rg_time_format(roundtrip_large[i], buf);
        int rc = rg_time_parse(buf, true, &t, &e);
        if (rc != 0 || t != roundtrip_large[i])
            diag("KNOWN BUG? parse goes through a double: '%s' gives %s (%lld)", buf,
                 rc ? e.msg : "a different value", (long long)t);
        ok(rc == 0 && t == roundtrip_large[i], "round trip %lld ns (> 2^53) via '%s'",
           (long long)roundtrip_large[i], buf);
    }
}

int main(void)
{
    plan(N(good) + N(bad) + 7 + N(formats) + 4 + N(roundtrip) + N(roundtrip_large));
    test_good();
    test_bad();
    test_qty();
    test_format();
    test_roundtrip();
    return 0;
}
