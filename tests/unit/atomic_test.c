/* atomic_test: base/atomic's file replacement at a directory descriptor, and base/lock's lock at one. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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
