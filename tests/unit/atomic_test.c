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

/*
 * The temporary files a killed writer left (SIGKILL between create and
 * rename; found by the kill trials, tests/crash/) are removed by the next
 * commit of the same target: only when their pid is gone and their lock
 * free, never another target's, never a live writer's.
 */
static void
stale_temporaries(int dfd, const char *dir)
{
	char stale[64], stale2[64], held[64], live[64], other[64], zombie[64], path[256];
	struct cp_atomic a;
	pid_t dead = dead_pid(), z = fork();
	int fd, hold;

	/* a killed writer not yet reaped: a zombie, whose pid kill(2) still finds */
	if (z == 0)
		_exit(0);
	snprintf(zombie, sizeof(zombie), ".s.%ld.zombie", (long)z);
	if ((fd = touch(dfd, zombie)) >= 0)
		close(fd);
	usleep(100000);

	snprintf(stale, sizeof(stale), ".s.%ld.Ab12Cd", (long)dead);
	snprintf(stale2, sizeof(stale2), ".s.%ld.0123456789abcdef", (long)dead);
	snprintf(held, sizeof(held), ".s.%ld.heldXY", (long)dead);
	snprintf(live, sizeof(live), ".s.%ld.liveXY", (long)getppid());
	snprintf(other, sizeof(other), ".t.%ld.Ab12Cd", (long)dead);
	CHECK(dead > 0, "a dead pid");
	for (const char *const *n = (const char *const[]){ stale, stale2, live, other, ".s.0.Ab12Cd",
	    ".s.x.Ab12Cd", NULL }; *n != NULL; n++)
		if ((fd = touch(dfd, *n)) >= 0)
			close(fd);
	hold = touch(dfd, held);
	CHECK(hold >= 0 && flock(hold, LOCK_EX) == 0, "a temporary file still locked");
	CHECK(entries(dfd) == 8, "eight temporary-looking files");

	CHECK(cp_atomic_openat(&a, dfd, "s", 0644) == 0 && fputs("s\n", a.fp) >= 0 &&
	    cp_atomic_commit(&a) == 0, "openat and commit s");
	CHECK(faccessat(dfd, stale, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    faccessat(dfd, stale2, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "the dead writer's files are gone");
	CHECK(faccessat(dfd, zombie, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "a zombie's too");
	CHECK(faccessat(dfd, held, F_OK, AT_SYMLINK_NOFOLLOW) == 0, "a locked one stays");
	CHECK(faccessat(dfd, live, F_OK, AT_SYMLINK_NOFOLLOW) == 0, "a running process's stays");
	CHECK(faccessat(dfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0, "another target's stays");
	CHECK(entries(dfd) == 6, "nothing else is removed");

	/* cp_atomic_open, by path, does the same in the target's directory. */
	if ((fd = touch(dfd, stale)) >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/s", dir);
	CHECK(cp_atomic_open(&a, path, 0644) == 0 && fputs("s2\n", a.fp) >= 0 &&
	    cp_atomic_commit(&a) == 0, "open and commit s by path");
	CHECK(faccessat(dfd, stale, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "the dead writer's file is gone");
	CHECK(entries(dfd) == 6, "only it");
	/* cp_atomic_sweep (a plane's .cp/): every target's, by the same rule */
	if ((fd = touch(dfd, stale)) >= 0)
		close(fd);
	if ((fd = touch(dfd, ".hash.cache.1.abcdef")) >= 0)
		close(fd);
	cp_atomic_sweep(dfd);
	CHECK(faccessat(dfd, stale, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    faccessat(dfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == -1, "sweep: the dead writers' files are gone");
	CHECK(entries(dfd) == 6 && faccessat(dfd, ".hash.cache.1.abcdef", F_OK, 0) == 0 &&
	    faccessat(dfd, held, F_OK, 0) == 0, "sweep: a live pid's and a locked one stay");
	unlinkat(dfd, ".hash.cache.1.abcdef", 0);
	close(hold);
	if (z > 0)
		waitpid(z, NULL, 0);
	for (const char *const *n = (const char *const[]){ held, live, ".s.0.Ab12Cd", ".s.x.Ab12Cd",
	    "s", NULL }; *n != NULL; n++)
		unlinkat(dfd, *n, 0);
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
