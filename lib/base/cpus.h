/* cpus: how many threads a default -j means.
 * SPDX-License-Identifier: ISC */
#ifndef CP_CPUS_H
#define CP_CPUS_H

/* The online CPUs (sysconf), at least 1 and at most cap (cap > 0). */
int cp_cpus_online(int cap);

#endif
