/* num: the one parser of numbers that programs take from options and the environment.
 * SPDX-License-Identifier: ISC */
#ifndef CP_NUM_H
#define CP_NUM_H

#include <stdint.h>

/*
 * A decimal number from lo to hi: digits only (no sign, no space, no
 * base prefix), nothing after them.  Returns 0 with *v set, or -1 (errno
 * EINVAL for text that is not such a number, ERANGE outside lo..hi).
 */
int cp_num_parse(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);

/*
 * The same, or exit 2 with "<program>: invalid WHAT: S (LO to HI)" (what
 * names the value, e.g. "job count" or "--max-size").
 */
uint64_t xnum(const char *s, uint64_t lo, uint64_t hi, const char *what);

#endif
