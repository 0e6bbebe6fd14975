/*
 * sort.h: an in-place quicksort written once for the element types that
 * hot paths sort (latencies as double, times as int64).  Median-of-three
 * pivot, insertion sort for short runs, recursion on the smaller side so
 * the stack stays O(log n).  The comparison is the type's own `<`, inlined:
 * qsort's call through a function pointer per comparison was a visible
 * share of a replication's time.  Elements must be totally ordered (no NaN).
 *
 * RG_DEFINE_SORT(name, type) defines
 *     static void name(type *x, size_t lo, size_t hi);  sorts x[lo, hi)
 */
#ifndef RG_SORT_H
#define RG_SORT_H

#include <stddef.h>

#define RG_DEFINE_SORT(name, type)                                                                 \
    static void name(type *x, size_t lo, size_t hi)                                                \
    {                                                                                              \
        while (hi - lo > 16) {                                                                     \
            size_t mid = lo + (hi - lo) / 2;                                                       \
            type a = x[lo], b = x[mid], c = x[hi - 1];                                             \
            type pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));    \
            size_t i = lo, j = hi - 1;                                                             \
            for (;;) {                                                                             \
                while (x[i] < pivot)                                                               \
                    i++;                                                                           \
                while (pivot < x[j])                                                               \
                    j--;                                                                           \
                if (i >= j)                                                                        \
                    break;                                                                         \
                type t = x[i];                                                                     \
                x[i] = x[j];                                                                       \
                x[j] = t;                                                                          \
                i++;                                                                               \
                j--;                                                                               \
            }                                                                                      \
            /* [lo, j] <= pivot <= [j + 1, hi) */                                                  \
            if (j + 1 - lo < hi - (j + 1)) {                                                       \
                name(x, lo, j + 1);                                                                \
                lo = j + 1;                                                                        \
            } else {                                                                               \
                name(x, j + 1, hi);                                                                \
                hi = j + 1;                                                                        \
            }                                                                                      \
        }                                                                                          \
        for (size_t i = lo + 1; i < hi; i++) {                                                     \
            type v = x[i];                                                                         \
            size_t k = i;                                                                          \
            while (k > lo && x[k - 1] > v) {                                                       \
                x[k] = x[k - 1];                                                                   \
                k--;                                                                               \
            }                                                                                      \
            x[k] = v;                                                                              \
        }                                                                                          \
    }

#endif
