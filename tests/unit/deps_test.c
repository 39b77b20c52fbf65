/*
 * deps_test: plane/deps from C, on small planes made under a mkdtemp
 * directory in /tmp (removed at the end): the missing dependencies in
 * order, constraints, conflicts both ways, dependents, the broken pairs,
 * and hostile registries (a symlinked one, a malformed one, a cycle).
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "plane/deps.h"
#include "unit.h"

static char tmp[] = "/tmp/deps_test.XXXXXX";

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void
put(const char *rel, const char *s)
{
	char p[4096];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	if ((fp = fopen(p, "w")) == NULL) {
		perror(p);
		exit(2);
	}
	fputs(s, fp);
	fclose(fp);
}

#define HEAD "id,version,deps,conflicts\n"

/* A plane whose registry is rows and whose installed/ holds a receipt for each id of inst. */
static int
plane(const char *rows, const char *const *inst)
{
	char p[4096];

	snprintf(p, sizeof(p), "rm -rf '%s/registries' '%s/installed'", tmp, tmp);
	if (system(p) != 0)
		exit(2);
	snprintf(p, sizeof(p), "%s/registries", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/installed", tmp);
	mkdir(p, 0755);
	put("registries/packages_registry.csv", rows);
	for (; inst != NULL && *inst != NULL; inst++) {
		snprintf(p, sizeof(p), "installed/%s.sha256", *inst);
		put(p, "");
	}
	return open(tmp, O_RDONLY | O_DIRECTORY);
}

/* The strings joined with spaces. */
static const char *
join(const char **v, size_t n)
{
	static char buf[4096];
	size_t k, off = 0;

	buf[0] = '\0';
	for (k = 0; k < n; k++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", k ? " " : "", v[k]);
	return buf;
}

int
main(void)
{
	struct cp_deps *d;
	struct cp_err e;
	const char **ids;
	char **msg;
	size_t n;
	int fd;

	if (mkdtemp(tmp) == NULL)
		return 2;

	/* a diamond: D needs B and C, both need A; E needs D; X conflicts with A */
	fd = plane(HEAD "A,1.2.0,,\nB,1.0.0,A@^1.0.0,\nC,2.0.0,\"A@~1.2.0, B\",\n"
	    "D,1.0.0,\"B,C@>=2.0.0\",\nE,1.0.0,D,\nX,1.0.0,,A\n", NULL);
	CHECK(cp_deps_load(fd, &d, &e) == 0, "a registry and an empty installed/ load");
	n = cp_deps_missing(d, "E", &ids);
	CHECK_STR(join(ids, n), "A B C D", "E's missing dependencies, dependency first, E not among them");
	free(ids);
	n = cp_deps_missing(d, "A", &ids);
	CHECK(n == 0, "A needs nothing");
	free(ids);
	n = cp_deps_missing(d, "nope", &ids);
	CHECK(n == 0 && !cp_deps_known(d, "nope"), "an unknown id: nothing, and not known");
	free(ids);
	n = cp_deps_problems(d, "B", &msg);
	CHECK(n == 1 && strcmp(msg[0], "needs A, which is not installed") == 0,
	    "B before A: A not installed");
	while (n > 0)
		free(msg[--n]);
	free(msg);
	/* a plan's view: A assumed installed */
	cp_deps_assume(d, "A", 1);
	n = cp_deps_problems(d, "B", &msg);
	CHECK(n == 0, "A assumed installed: B may go");
	free(msg);
	n = cp_deps_missing(d, "E", &ids);
	CHECK_STR(join(ids, n), "B C D", "with A assumed, E still needs B C D");
	free(ids);
	n = cp_deps_problems(d, "X", &msg);
	CHECK(n == 1 && strcmp(msg[0], "conflicts with A, which is installed") == 0,
	    "X's own conflict with an installed A");
	while (n > 0)
		free(msg[--n]);
	free(msg);
	cp_deps_free(d);
	close(fd);

	/* versions against constraints; conflicts named by the installed side */
	{
		static const char *const inst[] = { "A", "B", "X", NULL };

		fd = plane(HEAD "A,1.2.0,,\nB,1.0.0,A@^1.0.0,\nC,2.0.0,A@~1.3.0,\n"
		    "D,1.0.0,A@==1.2.0,\nF,1.0.0,A@^2.0.0,\nG,1.0.0,A@>=1.2.0-rc.1,\n"
		    "H,1.0.0,A@bogus,\nX,1.0.0,,Y\nY,1.0.0,,\nZ,1.0.0,Q,\n", inst);
	}
	CHECK(cp_deps_load(fd, &d, &e) == 0, "the second plane loads");
	CHECK(cp_deps_installed(d, "A") && cp_deps_installed(d, "B") && !cp_deps_installed(d, "C"),
	    "installed: a receipt installed/ID.sha256");
	n = cp_deps_problems(d, "C", &msg);
	CHECK(n == 1 && strcmp(msg[0], "needs A@~1.3.0, but A is installed at version 1.2.0") == 0,
	    "~1.3.0 refuses 1.2.0");
	while (n > 0)
		free(msg[--n]);
	free(msg);
	CHECK(cp_deps_problems(d, "D", &msg) == 0, "==1.2.0 accepts 1.2.0");
	free(msg);
	n = cp_deps_problems(d, "F", &msg);
	CHECK(n == 1, "^2.0.0 refuses 1.2.0");
	while (n > 0)
		free(msg[--n]);
	free(msg);
	CHECK(cp_deps_problems(d, "G", &msg) == 0, ">=1.2.0-rc.1 accepts 1.2.0 (a pre-release is lower)");
	free(msg);
	n = cp_deps_problems(d, "H", &msg);
	CHECK(n == 1 && strstr(msg[0], "does not parse") != NULL, "a constraint that does not parse");
	while (n > 0)
		free(msg[--n]);
	free(msg);
	n = cp_deps_problems(d, "Y", &msg);
	CHECK(n == 1 && strcmp(msg[0], "X is installed and conflicts with Y") == 0,
	    "an installed package whose conflicts names Y");
	while (n > 0)
		free(msg[--n]);
	free(msg);
	n = cp_deps_problems(d, "Z", &msg);
	CHECK(n == 1 && strcmp(msg[0], "needs Q, which no row of the registry names") == 0,
	    "a dependency no row names");
	while (n > 0)
		free(msg[--n]);
	free(msg);
	n = cp_deps_dependents(d, "A", &ids);
	CHECK_STR(join(ids, n), "B", "A's installed dependents: B (C, D... are not installed)");
	free(ids);
	cp_deps_free(d);
	close(fd);

	/* broken: installed packages whose dependencies are not */
	{
		static const char *const inst[] = { "B", "Z", NULL };
		const char **pairs;

		fd = plane(HEAD "A,1.0.0,,\nB,1.0.0,A,\nZ,1.0.0,\"Q@^1.0.0, B\",\n", inst);
		CHECK(cp_deps_load(fd, &d, &e) == 0, "the third plane loads");
		n = cp_deps_broken(d, &pairs);
		CHECK(n == 2, "two broken pairs");
		if (n == 2)
			CHECK_STR(join(pairs, 4), "B A Z Q", "B misses A, Z misses Q (no row; its constraint cut)");
		CHECK(cp_deps_line(d, "Z") == 4, "Z's row starts on line 4");
		free(pairs);
		cp_deps_free(d);
		close(fd);
	}

	/* a cycle: the order still places each node once */
	fd = plane(HEAD "A,1.0.0,B,\nB,1.0.0,A,\nC,1.0.0,A,\n", NULL);
	CHECK(cp_deps_load(fd, &d, &e) == 0, "a cycle loads");
	n = cp_deps_missing(d, "C", &ids);
	CHECK(n == 2, "C's dependencies through a cycle: each once");
	free(ids);
	cp_deps_free(d);
	close(fd);

	/* hostile: a symlinked registry, a malformed one, no id column */
	fd = plane(HEAD, NULL);
	{
		char p[4096];

		snprintf(p, sizeof(p), "%s/registries/packages_registry.csv", tmp);
		unlink(p);
		CHECK(symlink("/etc/passwd", p) == 0, "the registry made a symlink");
		CHECK(cp_deps_load(fd, &d, &e) == -1, "a symlinked registry is refused");
	}
	close(fd);
	fd = plane("id,version,deps\n\"A,1.0.0,\n", NULL);
	CHECK(cp_deps_load(fd, &d, &e) == -1 && e.msg[0] != '\0', "an unterminated quote: refused, said");
	close(fd);
	fd = plane("name,deps\nA,\n", NULL);
	CHECK(cp_deps_load(fd, &d, &e) == -1 && strstr(e.msg, "no id column") != NULL,
	    "no id column: refused");
	close(fd);

	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_END();
}
