/* atomic_test: base/atomic's file replacement at a directory descriptor, and base/lock's lock at one.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/lock.h"
#include "unit.h"

/* The whole content of name in dirfd, or "" (static). */
static const char *
content(int dirfd, const char *name)
{
	static char buf[256];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW);

	buf[0] = '\0';
	if (fd == -1)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* How many entries the directory open as dirfd holds (besides . and ..). */
static int
entries(int dirfd)
{
	int fd = dup(dirfd), n = 0;
	DIR *d = fdopendir(fd);
	struct dirent *de;

	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Make the file name in dirfd (empty); its descriptor, or -1. */
static int
touch(int dirfd, const char *name)
{
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

/* A pid that no process has any more (a child that has exited, reaped). */
static pid_t
dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid(p, NULL, 0);
	return p;
}

/* Whether the one entry of dirfd besides keep is name's temporary file of this process: ".<name>.cp-tmp.<pid>.<16 hex>". */
static int
tmp_form(int dirfd, const char *name, const char *keep)
{
	char want[128];
	int fd = dup(dirfd), ok = 0, n = 0;
	DIR *d = fdopendir(fd);
	struct dirent *de;
	size_t len, i;

	len = (size_t)snprintf(want, sizeof(want), ".%s.cp-tmp.%ld.", name, (long)getpid());
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (keep != NULL && strcmp(de->d_name, keep) == 0))
			continue;
		n++;
		if (strncmp(de->d_name, want, len) != 0 || strlen(de->d_name) != len + 16)
			continue;
		for (i = len; i < len + 16; i++)
			if (strchr("0123456789abcdef", de->d_name[i]) == NULL)
				break;
		ok = i == len + 16;
	}
	closedir(d);
	return ok && n == 1;
}

/*
 * The temporary files a killed writer left (SIGKILL between create and
 * rename; found by the kill trials, tests/crash/) are removed by the next
 * commit of the same target: only when their pid is gone and their lock
 * free, never another target's, never a live writer's, and never a file
 * that is not exactly of the form ".<name>.cp-tmp.<pid>.<16 hex>" (a
 * user's ".msg.sig.4000000.backup" is the user's).
 */
static void
stale_temporaries(int dfd, const char *dir)
{
#define H "0123456789abcdef"
	char stale[80], stale2[80], held[80], live[80], other[80], zombie[80], path[256];
	char junk[12][80];
	struct cp_atomic a;
	pid_t dead = dead_pid(), z = fork();
	int fd, hold, nj = 0, i, kept;

	/* a killed writer not yet reaped: a zombie, whose pid kill(2) still finds */
	if (z == 0)
		_exit(0);
	snprintf(zombie, sizeof(zombie), ".s.cp-tmp.%ld." H, (long)z);
	if ((fd = touch(dfd, zombie)) >= 0)
		close(fd);
	usleep(100000);

	snprintf(stale, sizeof(stale), ".s.cp-tmp.%ld." H, (long)dead);
	snprintf(stale2, sizeof(stale2), ".s.cp-tmp.%ld.fedcba9876543210", (long)dead);
	snprintf(held, sizeof(held), ".s.cp-tmp.%ld.aaaaaaaaaaaaaaaa", (long)dead);
	snprintf(live, sizeof(live), ".s.cp-tmp.%ld." H, (long)getppid());
	snprintf(other, sizeof(other), ".t.cp-tmp.%ld." H, (long)dead);
	/* a user's files that merely look like temporary files: never removed */
	snprintf(junk[nj++], 80, ".s.%ld.Ab12Cd", (long)dead);
	snprintf(junk[nj++], 80, ".s.%ld.backup", (long)dead);
	snprintf(junk[nj++], 80, ".s.%ld.draft1", (long)dead);
	snprintf(junk[nj++], 80, ".s.cp-tmp.%ld.0123456789ABCDEF", (long)dead);
	snprintf(junk[nj++], 80, ".s.cp-tmp.%ld.0123456789abcde", (long)dead);
	snprintf(junk[nj++], 80, ".s.cp-tmp.%ld." H "0", (long)dead);
	snprintf(junk[nj++], 80, ".s.cp-tmp.0%ld." H, (long)dead);
	snprintf(junk[nj++], 80, ".s.cp-tmp.0." H);
	snprintf(junk[nj++], 80, ".s.cp-tmp.x." H);
	snprintf(junk[nj++], 80, ".s.cp-tmp.%ld.backup1234567890", (long)dead);
	snprintf(junk[nj++], 80, ".cp-tmp.%ld." H, (long)dead);
	snprintf(junk[nj++], 80, ".sxcp-tmp.%ld." H, (long)dead);
	CHECK(dead > 0, "a dead pid");
	for (const char *const *n = (const char *const[]){ stale, stale2, live, other, NULL }; *n != NULL; n++)
		if ((fd = touch(dfd, *n)) >= 0)
			close(fd);
	for (i = 0; i < nj; i++)
		if ((fd = touch(dfd, junk[i])) >= 0)
			close(fd);
	hold = touch(dfd, held);
	CHECK(hold >= 0 && flock(hold, LOCK_EX) == 0, "a temporary file still locked");
	CHECK(entries(dfd) == 6 + nj, "six temporary files and the look-alikes");

	CHECK(cp_atomic_openat(&a, dfd, "s", 0644) == 0 && fputs("s\n", a.fp) >= 0 &&
	    cp_atomic_commit(&a) == 0, "openat and commit s");
	CHECK(faccessat(dfd, stale, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    faccessat(dfd, stale2, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "the dead writer's files are gone");
	CHECK(faccessat(dfd, zombie, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "a zombie's too");
	CHECK(faccessat(dfd, held, F_OK, AT_SYMLINK_NOFOLLOW) == 0, "a locked one stays");
	CHECK(faccessat(dfd, live, F_OK, AT_SYMLINK_NOFOLLOW) == 0, "a running process's stays");
	CHECK(faccessat(dfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0, "another target's stays");
	for (i = 0, kept = 0; i < nj; i++)
		kept += faccessat(dfd, junk[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	CHECK(kept == nj, "every look-alike stays");
	CHECK(entries(dfd) == 4 + nj, "nothing else is removed");

	/* cp_atomic_open, by path, does the same in the target's directory. */
	if ((fd = touch(dfd, stale)) >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/s", dir);
	CHECK(cp_atomic_open(&a, path, 0644) == 0 && fputs("s2\n", a.fp) >= 0 &&
	    cp_atomic_commit(&a) == 0, "open and commit s by path");
	CHECK(faccessat(dfd, stale, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "the dead writer's file is gone");
	for (i = 0, kept = 0; i < nj; i++)
		kept += faccessat(dfd, junk[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	CHECK(kept == nj && entries(dfd) == 4 + nj, "only it");
	/* cp_atomic_sweep (a plane's .cp/): every target's, by the same rule */
	if ((fd = touch(dfd, stale)) >= 0)
		close(fd);
	if ((fd = touch(dfd, ".hash.cache.1.abcdef")) >= 0)
		close(fd);
	cp_atomic_sweep(dfd);
	CHECK(faccessat(dfd, stale, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    faccessat(dfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "sweep: the dead writers' files are gone");
	for (i = 0, kept = 0; i < nj; i++)
		kept += faccessat(dfd, junk[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	CHECK(kept == nj, "sweep: every look-alike stays");
	CHECK(entries(dfd) == 4 + nj && faccessat(dfd, ".hash.cache.1.abcdef", F_OK, 0) == 0 &&
	    faccessat(dfd, held, F_OK, 0) == 0, "sweep: a live pid's and a locked one stay");
	unlinkat(dfd, ".hash.cache.1.abcdef", 0);
	close(hold);
	if (z > 0)
		waitpid(z, NULL, 0);
	for (const char *const *n = (const char *const[]){ held, live, "s", NULL }; *n != NULL; n++)
		unlinkat(dfd, *n, 0);
	for (i = 0; i < nj; i++)
		unlinkat(dfd, junk[i], 0);
#undef H
}

int
main(void)
{
	char dir[] = "atomic-XXXXXX", out[] = "outside-XXXXXX";
	struct cp_atomic a;
	struct stat st;
	int dfd, lfd, other;

	if (mkdtemp(dir) == NULL || mkdtemp(out) == NULL)
		return 2;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	stale_temporaries(dfd, dir);

	CHECK(cp_atomic_openat(&a, dfd, "f", 0640) == 0, "openat: a temporary file is made");
	CHECK(tmp_form(dfd, "f", NULL), "named .f.cp-tmp.PID.<16 hex>");
	CHECK(entries(dfd) == 1 && content(dfd, "f")[0] == '\0', "the target is not there before commit");
	fputs("one\n", a.fp);
	CHECK(cp_atomic_commit(&a) == 0, "commit");
	CHECK_STR(content(dfd, "f"), "one\n", "the target holds the new bytes");
	CHECK(fstatat(dfd, "f", &st, 0) == 0 && (st.st_mode & 07777) == 0640, "with the mode asked for");
	CHECK(entries(dfd) == 1, "no temporary file is left");

	CHECK(cp_atomic_openat(&a, dfd, "f", 0644) == 0, "a second replacement");
	fputs("two\n", a.fp);
	cp_atomic_abort(&a);
	CHECK_STR(content(dfd, "f"), "one\n", "abort leaves the target as it was");
	CHECK(entries(dfd) == 1, "and no temporary file");
	{
		char fpath[64];

		snprintf(fpath, sizeof(fpath), "%s/f", dir);
		CHECK(cp_atomic_open(&a, fpath, 0644) == 0 && tmp_form(dfd, "f", "f"),
		    "open by path: the temporary file is .f.cp-tmp.PID.<16 hex> too");
		cp_atomic_abort(&a);
		CHECK(entries(dfd) == 1, "and is gone on abort");
	}

	/* A symlink at the name is replaced by the rename, never written through. */
	CHECK(symlinkat("../outside-target", dfd, "link") == 0, "a symlink at the target's name");
	CHECK(cp_atomic_openat(&a, dfd, "link", 0644) == 0 && fputs("three\n", a.fp) >= 0 &&
	    cp_atomic_commit(&a) == 0, "replaced atomically");
	CHECK(fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode),
	    "the name is now a regular file");
	CHECK(faccessat(dfd, "../outside-target", F_OK, 0) == -1, "nothing was written where it pointed");

	/* The directory moved away after its descriptor was taken: the file still lands in it. */
	CHECK(rename(dir, out) == 0 || (rmdir(out) == 0 && rename(dir, out) == 0), "the directory renamed");
	CHECK(symlink(out, dir) == 0, "and its old name made a symlink to it");
	CHECK(cp_atomic_openat(&a, dfd, "g", 0644) == 0 && fputs("four\n", a.fp) >= 0 &&
	    cp_atomic_commit(&a) == 0, "a file replaced through the descriptor");
	CHECK_STR(content(dfd, "g"), "four\n", "is in the directory the descriptor names");

	lfd = cp_lock_acquire_at(dfd, "plane.lock");
	CHECK(lfd >= 0, "lock at a directory descriptor");
	other = openat(dfd, "plane.lock", O_RDONLY);
	CHECK(other >= 0 && flock(other, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK,
	    "another open file description cannot take it");
	cp_lock_release(lfd);
	CHECK(flock(other, LOCK_EX | LOCK_NB) == 0, "released");
	close(other);
	CHECK(symlinkat("g", dfd, "lk") == 0 && cp_lock_acquire_at(dfd, "lk") == -1 && errno == ELOOP,
	    "a lock file that is a symlink is refused");

	close(dfd);
	return UNIT_END();
}
