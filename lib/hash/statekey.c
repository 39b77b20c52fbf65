/* statekey: the per-user MAC key under $XDG_STATE_HOME/cp/, created once, read as hostile input.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/io.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/statekey.h"

#define KEYNAME "state.key"
#define KEYFILE_LEN (2 * CP_STATEKEY_LEN + 1)	/* hex digits and a newline */

/* The state home: $XDG_STATE_HOME when absolute, else ~/.local/state.  Caller frees. */
static char *
state_home(struct cp_err *e)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct passwd *pw;

	if (x != NULL && x[0] == '/')
		return xstrdup(x);
	if ((home == NULL || home[0] != '/') && (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/') {
		cp_err_set(e, 0, "no home directory for the state key (set XDG_STATE_HOME)");
		return NULL;
	}
	return xpathjoin(home, ".local/state");
}

char *
cp_statekey_path(struct cp_err *e)
{
	char *home = state_home(e), *dir, *path;

	if (home == NULL)
		return NULL;
	dir = xpathjoin(home, "cp");
	path = xpathjoin(dir, KEYNAME);
	free(home);
	free(dir);
	return path;
}

/* mkdir -p, each new directory 0700 (the XDG rule); the last one opened without following a link. */
static int
open_dir(const char *dir, struct cp_err *e)
{
	char *p = xstrdup(dir), *s;
	struct stat st;
	int fd;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			cp_err_set(e, errno, "cannot make %s for the state key", p);
			free(p);
			return -1;
		}
		if ((*s = c) == '\0')
			break;
	}
	free(p);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "%s", dir);
	if (fstat(fd, &st) == -1) {
		cp_err_set(e, errno, "%s", dir);
		close(fd);
		return -1;
	}
	/* Whoever can write the directory can swap the key. */
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		cp_err_set(e, 0, "%s: refused: the state key's directory must be yours and "
		    "writable by you alone", dir);
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the key file name in dfd: a regular 0600 file of the user's, 64 hex digits and a newline. */
static int
read_key(int dfd, const char *path, unsigned char key[CP_STATEKEY_LEN], struct cp_err *e)
{
	char buf[KEYFILE_LEN + 1];
	struct stat st;
	size_t len;
	int fd, rc = -1;

	/* Non-blocking: a FIFO planted there must not hang the run. */
	if ((fd = openat(dfd, KEYNAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1) {
		if (errno == ELOOP)
			return cp_err_set(e, 0, "%s: refused: the state key is a symbolic link", path);
		return cp_err_set(e, errno, "%s", path);
	}
	if (fstat(fd, &st) == -1)
		cp_err_set(e, errno, "%s", path);
	else if (!S_ISREG(st.st_mode))
		cp_err_set(e, 0, "%s: refused: the state key is not a regular file", path);
	else if (st.st_uid != geteuid())
		cp_err_set(e, 0, "%s: refused: the state key is not yours", path);
	else if ((st.st_mode & 07777) != 0600)
		cp_err_set(e, 0, "%s: refused: the state key's mode is %04o, not 0600", path,
		    (unsigned)(st.st_mode & 07777));
	else if (cp_io_read_full(fd, buf, sizeof(buf), &len) == -1)
		cp_err_set(e, errno, "%s", path);
	else if (len != KEYFILE_LEN || buf[KEYFILE_LEN - 1] != '\n' ||
	    cp_hex_decode(buf, 2 * CP_STATEKEY_LEN, key) == -1)
		cp_err_set(e, 0, "%s: refused: not a state key (64 hex digits and a newline)", path);
	else
		rc = 0;
	cp_wipe(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* Make a new key: written whole to a temporary name, then linked to its own (EEXIST: another run won). */
static int
create_key(int dfd, const char *path, unsigned char key[CP_STATEKEY_LEN], struct cp_err *e)
{
	unsigned char rnd[6];
	char buf[KEYFILE_LEN], tmp[sizeof(KEYNAME) + 16];
	ssize_t n;
	int fd, rc = -1;

	if ((n = getrandom(key, CP_STATEKEY_LEN, 0)) != CP_STATEKEY_LEN ||
	    getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return cp_err_set(e, n == -1 ? errno : EIO, "getrandom");
	memcpy(tmp, KEYNAME ".", sizeof(KEYNAME));
	cp_hex_encode(rnd, sizeof(rnd), tmp + sizeof(KEYNAME));
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return cp_err_set(e, errno, "cannot create the state key %s", path);
	cp_hex_encode(key, CP_STATEKEY_LEN, buf);
	buf[KEYFILE_LEN - 1] = '\n';
	/* fchmod: a umask such as 0277 must not leave a key that the next run refuses. */
	if (fchmod(fd, 0600) == -1 || cp_io_write_all(fd, buf, sizeof(buf)) == -1 ||
	    fsync(fd) == -1)
		cp_err_set(e, errno, "cannot write the state key %s", path);
	else if (linkat(dfd, tmp, dfd, KEYNAME, 0) == 0) {
		fsync(dfd);
		rc = 0;
	} else if (errno == EEXIST)
		rc = 1;		/* another run made one first: that one is the key */
	else
		cp_err_set(e, errno, "cannot create the state key %s", path);
	cp_wipe(buf, sizeof(buf));
	close(fd);
	unlinkat(dfd, tmp, 0);
	return rc;
}

int
cp_statekey_load(unsigned char key[CP_STATEKEY_LEN], struct cp_err *e)
{
	char *path, *dir;
	int dfd, rc;

	if ((path = cp_statekey_path(e)) == NULL)
		return -1;
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	if ((dfd = open_dir(dir, e)) == -1) {
		free(dir);
		free(path);
		return -1;
	}
	rc = read_key(dfd, path, key, e);
	if (rc == -1 && e->errnum == ENOENT) {
		if ((rc = create_key(dfd, path, key, e)) == 1)
			rc = read_key(dfd, path, key, e);
	}
	if (rc == -1)
		cp_wipe(key, CP_STATEKEY_LEN);
	close(dfd);
	free(dir);
	free(path);
	return rc;
}
