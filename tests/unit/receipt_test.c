/*
 * receipt_test: plane/receipt from C.  Run from the repository root, or
 * name it as the one argument (the example plane's installed/ is read);
 * scratch files go under a mkdtemp directory in /tmp, removed at the end.
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "plane/receipt.h"
#include "unit.h"

/* sha256 of "hello\n" and of "other\n" (sha256sum). */
#define H_HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define H_OTHER "7e4fa2eb8c7ac089739d5defc4489fad68a100d92082ca35c6b40a4524821f87"
#define DIGEST "5cb6f8334dcfcd1a3b99dcdc09d30a1d4197c177fbbb58d616d336ef19d7249f"

static char tmp[] = "/tmp/receipt_test.XXXXXX";

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

/* dir/name := s (len bytes; -1 for strlen). */
static void
put(const char *dir, const char *name, const char *s, long len)
{
	char p[4096];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fp = fopen(p, "w")) == NULL) {
		perror(p);
		exit(2);
	}
	fwrite(s, 1, len < 0 ? strlen(s) : (size_t)len, fp);
	fclose(fp);
}

/* The whole of a small file, NUL-terminated (caller frees), or NULL. */
static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char p[4096], *buf = malloc(1 << 20);
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fp = fopen(p, "r")) == NULL) {
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, (1 << 20) - 1, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static int
same_file(const char *d1, const char *d2, const char *name)
{
	size_t l1 = 0, l2 = 0;
	char *a = slurp(d1, name, &l1), *b = slurp(d2, name, &l2);
	int same = a != NULL && b != NULL && l1 == l2 && memcmp(a, b, l1) == 0;

	free(a);
	free(b);
	return same;
}

static char *
sub(const char *name)
{
	static char p[8][4096];
	static int k;

	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmp, name);
	return p[k];
}

static int
opendir_fd(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1) {
		perror(path);
		exit(2);
	}
	return fd;
}

/* A receipt in memory, its strings copied (free with cp_receipt_free). */
static struct cp_receipt
pair(const char *package, const char *dest, enum cp_receipt_type t)
{
	struct cp_receipt r = { 0 };

	r.package = strdup(package);
	memcpy(r.digest, DIGEST, sizeof(r.digest));
	r.destination = strdup(dest);
	r.output_type = t;
	return r;
}

static void
add(struct cp_receipt *r, const char *path, const char *hex)
{
	r->v = realloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n].path = strdup(path);
	memcpy(r->v[r->n].sha256, hex, CP_SHA256_HEXLEN + 1);
	r->n++;
}

/* Replace the string *field with a copy of s. */
static void
set(char **field, const char *s)
{
	free(*field);
	*field = strdup(s);
}

/* Every receipt of the example plane, read and written back: the same bytes. */
static void
example_plane(void)
{
	struct cp_receipt r;
	struct cp_err e;
	struct dirent *de;
	DIR *d = opendir("installed");
	int dfd = opendir_fd("installed"), nread = 0, nsame = 0;
	char id[256], f[300];
	size_t len;

	mkdir(sub("out"), 0700);
	while (d != NULL && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".info") != 0)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(len - 5), de->d_name);
		if (cp_receipt_read(dfd, id, &r, &e) == -1) {
			CHECK(0, "an example receipt reads");
			printf("#   %s\n", e.msg);
			continue;
		}
		nread++;
		if (cp_receipt_write(sub("out"), &r, &e) == 0) {
			snprintf(f, sizeof(f), "%s.info", id);
			if (same_file("installed", sub("out"), f)) {
				snprintf(f, sizeof(f), "%s.sha256", id);
				nsame += same_file("installed", sub("out"), f);
			}
		}
		cp_receipt_free(&r);
	}
	if (d != NULL)
		closedir(d);
	CHECK(nread >= 4, "the example plane's receipts read");
	CHECK(nsame == nread, "each written back byte for byte");

	CHECK(cp_receipt_read(dfd, "PKG-MOD-DOC-LINT", &r, &e) == 0, "PKG-MOD-DOC-LINT reads");
	CHECK_STR(r.package, "PKG-MOD-DOC-LINT", "its package");
	CHECK_STR(r.destination, "modules", "its destination, as read");
	CHECK(r.output_type == CP_RECEIPT_MODULE, "its output_type");
	CHECK(r.n == 2, "its two files");
	CHECK_STR(r.n == 2 ? r.v[1].path : NULL, "doc_lint/doc_lint.py", "in file order");
	CHECK_STR(r.digest, "a197cebce3acb2f78b9bff62c655ed5dc0fb62c3279d25cb07eacd7cc3f3be03",
	    "its digest");
	cp_receipt_free(&r);
	CHECK(r.v == NULL && r.n == 0 && r.package == NULL, "freed and emptied");
	close(dfd);
}

/* Names with '\', a newline and a CR: coreutils' escaped lines, read back the same. */
static void
escaped_names(void)
{
	struct cp_receipt w = pair("PKG-ESC", "/opt/ext", CP_RECEIPT_EXTERNAL), r;
	struct cp_err e;
	const char *want_sums =
	    "\\" H_HELLO "  a\\\\b\n"
	    "\\" H_OTHER "  dir/c\\nd\n"
	    H_HELLO "  plain\n";
	const char *want_info = "package=PKG-ESC\ndigest=" DIGEST
	    "\ndestination=/opt/ext\noutput_type=external\n";
	char *got;
	size_t len = 0, i;
	int dfd, same;

	add(&w, "a\\b", H_HELLO);
	add(&w, "dir/c\nd", H_OTHER);
	add(&w, "plain", H_HELLO);
	mkdir(sub("esc"), 0700);
	CHECK(cp_receipt_write(sub("esc"), &w, &e) == 0, "a receipt with escaped names is written");
	got = slurp(sub("esc"), "PKG-ESC.sha256", &len);
	CHECK_STR(got, want_sums, "as sha256sum writes them");
	free(got);
	got = slurp(sub("esc"), "PKG-ESC.info", &len);
	CHECK_STR(got, want_info, "the .info in plane.sh's bytes");
	free(got);
	dfd = opendir_fd(sub("esc"));
	CHECK(cp_receipt_read(dfd, "PKG-ESC", &r, &e) == 0, "and read back");
	same = r.n == 3 && r.output_type == CP_RECEIPT_EXTERNAL &&
	    strcmp(r.destination, "/opt/ext") == 0 && strcmp(r.digest, DIGEST) == 0;
	for (i = 0; same && i < 3; i++)
		same = strcmp(r.v[i].path, w.v[i].path) == 0 &&
		    strcmp(r.v[i].sha256, w.v[i].sha256) == 0;
	CHECK(same, "the same paths, digests and fields");
	cp_receipt_free(&r);
	cp_receipt_free(&w);
	close(dfd);
}

/* A receipt made of these two texts is refused with this message. */
static void
refused(const char *sums, const char *info, const char *want, const char *what)
{
	struct cp_receipt r;
	struct cp_err e;
	int dfd;

	mkdir(sub("bad"), 0700);
	put(sub("bad"), "P.sha256", sums, -1);
	put(sub("bad"), "P.info", info, -1);
	dfd = opendir_fd(sub("bad"));
	e.msg[0] = '\0';
	CHECK(cp_receipt_read(dfd, "P", &r, &e) == -1 && r.v == NULL && r.package == NULL, what);
	CHECK_STR(e.msg, want, "  with its message");
	close(dfd);
}

#define INFO "package=P\ndigest=" DIGEST "\ndestination=.\noutput_type=extension\n"
#define LINE(p) H_HELLO "  " p "\n"

static void
hostile(void)
{
	refused(LINE("../x"), INFO,
	    "installed/P.sha256: line 1: a '..' component: '../x'", "../x refused");
	refused(LINE("a") LINE("/etc/x"), INFO,
	    "installed/P.sha256: line 2: absolute path: '/etc/x'", "/etc/x refused");
	refused(LINE("a//b"), INFO,
	    "installed/P.sha256: line 1: empty component (// or a trailing /): 'a//b'", "a//b refused");
	refused(LINE("./a"), INFO,
	    "installed/P.sha256: line 1: a '.' component: './a'", "./a refused");
	refused(LINE("a/") , INFO,
	    "installed/P.sha256: line 1: empty component (// or a trailing /): 'a/'", "a/ refused");
	refused(LINE("a") LINE("b") LINE("a"), INFO,
	    "installed/P.sha256: line 3: 'a' listed twice (first on line 1)", "a duplicate path refused");
	refused("5891  a\n", INFO,
	    "installed/P.sha256: line 1: not a sha256sum line: '5891  a'", "a short digest refused");
	refused("\\" H_HELLO "  a\\xb\n", INFO,
	    "installed/P.sha256: line 1: not a sha256sum line: '\\\\" H_HELLO "  a\\\\xb'",
	    "an unknown escape refused");
	refused(LINE("a") H_HELLO "  b", INFO,
	    "installed/P.sha256: line 2: no newline at the end (a cut file?)", "a cut line refused");
	refused(LINE("a"), "package=P\ndigest=" DIGEST "\ndestination=.\n",
	    "installed/P.info: no output_type= line", "a missing .info key refused");
	refused(LINE("a"), INFO "digest=" DIGEST "\n",
	    "installed/P.info: line 5: digest= again (first on line 2)", "a repeated key refused");
	refused(LINE("a"), INFO "owner=me\n",
	    "installed/P.info: line 5: unknown key 'owner'", "an unknown key refused");
	refused(LINE("a"), INFO "\n",
	    "installed/P.info: line 5: not key=value: ''", "an empty line refused");
	refused(LINE("a"), "package=Q\n",
	    "installed/P.info: line 1: package='Q' is not the receipt's package P",
	    "package= mismatch refused");
	refused(LINE("a"), "digest=" "5CB6F8334DCFCD1A3B99DCDC09D30A1D4197C177FBBB58D616D336EF19D7249F\n",
	    "installed/P.info: line 1: digest='5CB6F8334DCFCD1A3B99DCDC09D30A1D4197C177FBBB58D616D336EF19D7249F'"
	    " is not a SHA-256 (64 lowercase hex digits)", "an upper-case digest refused");
	refused(LINE("a"), "digest=abc\n",
	    "installed/P.info: line 1: digest='abc' is not a SHA-256 (64 lowercase hex digits)",
	    "a short digest= refused");
	refused(LINE("a"), "output_type=plugin\n",
	    "installed/P.info: line 1: output_type='plugin' is not extension, module or external",
	    "an unknown output_type refused");
	refused(LINE("a"), "destination=\n",
	    "installed/P.info: line 1: destination= is empty", "an empty destination refused");
}

/* What is refused before or while opening. */
static void
files(void)
{
	struct cp_receipt r;
	struct cp_err e;
	char big[20 << 10];
	int dfd, fd;

	mkdir(sub("f"), 0700);
	put(sub("f"), "real.sha256", LINE("a"), -1);
	put(sub("f"), "S.info", "package=S\ndigest=" DIGEST "\ndestination=.\noutput_type=module\n", -1);
	CHECK(symlink("real.sha256", sub("f/S.sha256")) == 0, "(a symlinked .sha256 made)");
	dfd = opendir_fd(sub("f"));
	CHECK(cp_receipt_read(dfd, "S", &r, &e) == -1, "a .sha256 that is a symlink is refused");
	CHECK_STR(e.msg, "installed/S.sha256 is a symbolic link: refused", "  with its message");

	put(sub("f"), "L.sha256", LINE("a"), -1);
	put(sub("f"), "real.info", "package=L\ndigest=" DIGEST "\ndestination=.\noutput_type=module\n", -1);
	symlink("real.info", sub("f/L.info"));
	CHECK(cp_receipt_read(dfd, "L", &r, &e) == -1, "a .info that is a symlink is refused");
	CHECK_STR(e.msg, "installed/L.info is a symbolic link: refused", "  with its message");

	CHECK(cp_receipt_read(dfd, "N", &r, &e) == -1 && e.errnum == ENOENT,
	    "no receipt: ENOENT, for the engine's \"not installed\"");
	CHECK_STR(e.msg, "installed/N.info: No such file or directory", "  with its message");

	CHECK(mkfifo(sub("f/F.info"), 0600) == 0, "(a FIFO made)");
	CHECK(cp_receipt_read(dfd, "F", &r, &e) == -1, "a FIFO is refused without blocking");
	CHECK_STR(e.msg, "installed/F.info is not a regular file: refused", "  with its message");

	put(sub("f"), "Z.sha256", LINE("a"), -1);
	put(sub("f"), "Z.info", "package=Z\ndestination=.\0x\n", 26);
	CHECK(cp_receipt_read(dfd, "Z", &r, &e) == -1, "a NUL byte in a line is refused");
	CHECK_STR(e.msg, "installed/Z.info: line 2: holds a NUL byte", "  with its message");

	memset(big, '#', sizeof(big));
	put(sub("f"), "B.info", big, sizeof(big));
	CHECK(cp_receipt_read(dfd, "B", &r, &e) == -1, "an over-cap .info is refused");
	CHECK_STR(e.msg, "installed/B.info is larger than 16384 bytes: refused", "  with its message");

	put(sub("f"), "C.info", "package=C\ndigest=" DIGEST "\ndestination=.\noutput_type=module\n", -1);
	fd = open(sub("f/C.sha256"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd != -1 && ftruncate(fd, (off_t)CP_RECEIPT_SHA256_MAX + 1) == 0,
	    "(a sparse .sha256 one byte over its cap made)");
	close(fd);
	CHECK(cp_receipt_read(dfd, "C", &r, &e) == -1, "an over-cap .sha256 is refused unread");
	CHECK_STR(e.msg, "installed/C.sha256 is larger than 67108864 bytes: refused",
	    "  with its message");

	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	put(sub("f"), "C.sha256", big, sizeof(big));
	CHECK(cp_receipt_read(dfd, "C", &r, &e) == -1, "an over-long line is refused");
	CHECK_STR(e.msg, "installed/C.sha256: line 1: longer than 8264 bytes", "  with its message");

	CHECK(cp_receipt_read(dfd, "../f/S", &r, &e) == -1, "an id with '/' is refused");
	CHECK_STR(e.msg,
	    "bad package id '../f/S': package id holds a character other than A-Z a-z 0-9 . _ -",
	    "  with its message");
	close(dfd);
}

static void
ids(void)
{
	char longid[CP_RECEIPT_ID_MAX + 2];
	struct cp_err e;

	CHECK(cp_receipt_id_ok("PKG-FMWK-100", NULL), "PKG-FMWK-100 is an id");
	CHECK(cp_receipt_id_ok("a.b_c-9", NULL), "a.b_c-9 is an id");
	CHECK(cp_receipt_id_ok(".hidden", NULL), ".hidden is an id (the rule's letter)");
	CHECK(!cp_receipt_id_ok("", &e), "an empty id is not");
	CHECK_STR(e.msg, "empty package id", "  with its message");
	CHECK(!cp_receipt_id_ok("-rf", &e), "a leading '-' is not");
	CHECK_STR(e.msg, "package id starts with '-'", "  with its message");
	CHECK(!cp_receipt_id_ok("..", NULL) && !cp_receipt_id_ok(".", NULL), ". and .. are not");
	CHECK(!cp_receipt_id_ok("a/b", NULL), "a '/' is not");
	CHECK(!cp_receipt_id_ok("a b", NULL) && !cp_receipt_id_ok("a\nb", NULL) &&
	    !cp_receipt_id_ok("x';touch /tmp/p;'", NULL) && !cp_receipt_id_ok("$(id)", NULL) &&
	    !cp_receipt_id_ok("\xc3\xa9", NULL), "spaces, newlines, quotes, $( ) and UTF-8 are not");
	memset(longid, 'a', sizeof(longid));
	longid[CP_RECEIPT_ID_MAX] = '\0';
	CHECK(cp_receipt_id_ok(longid, NULL), "an id of the longest length is");
	longid[CP_RECEIPT_ID_MAX] = 'a';
	longid[CP_RECEIPT_ID_MAX + 1] = '\0';
	CHECK(!cp_receipt_id_ok(longid, NULL), "one byte longer is not");
}

static void
types(void)
{
	enum cp_receipt_type t;

	CHECK(cp_receipt_type_parse("external", &t) == 0 && t == CP_RECEIPT_EXTERNAL, "external parses");
	CHECK_STR(cp_receipt_type_name(CP_RECEIPT_MODULE), "module", "module is named");
	CHECK(cp_receipt_type_parse("Module", &t) == -1 && cp_receipt_type_parse("", &t) == -1,
	    "nothing else parses");
}

/* The writer refuses what the reader would, and writes nothing then. */
static void
write_refused(void)
{
	struct cp_receipt w = pair("W", ".", CP_RECEIPT_EXTENSION);
	struct cp_err e;
	struct stat st;

	add(&w, "a", H_HELLO);
	add(&w, "../x", H_HELLO);
	mkdir(sub("w"), 0700);
	CHECK(cp_receipt_write(sub("w"), &w, &e) == -1, "a path with .. is not written");
	CHECK_STR(e.msg, "receipt of W not written: a '..' component: '../x'", "  with its message");
	set(&w.v[1].path, "a");
	CHECK(cp_receipt_write(sub("w"), &w, &e) == -1, "a path twice is not written");
	CHECK_STR(e.msg, "receipt of W not written: 'a' listed twice", "  with its message");
	set(&w.v[1].path, "b");
	set(&w.destination, ".\noutput_type=external");
	CHECK(cp_receipt_write(sub("w"), &w, &e) == -1, "a destination with a newline is not written");
	CHECK_STR(e.msg, "receipt of W not written: destination empty or holding a newline",
	    "  with its message");
	set(&w.destination, ".");
	w.digest[0] = 'X';
	CHECK(cp_receipt_write(sub("w"), &w, &e) == -1, "a bad digest is not written");
	w.digest[0] = '5';
	set(&w.package, "-W");
	CHECK(cp_receipt_write(sub("w"), &w, &e) == -1, "a bad id is not written");
	CHECK(stat(sub("w/W.sha256"), &st) == -1 && stat(sub("w/W.info"), &st) == -1 &&
	    stat(sub("w/-W.info"), &st) == -1, "and nothing was");
	set(&w.package, "W");
	w.n = 1;
	CHECK(cp_receipt_write(sub("nodir"), &w, &e) == -1 && e.errnum == ENOENT,
	    "a missing directory is an error (ENOENT)");
	w.n = 2;
	cp_receipt_free(&w);
}

/* Missing and changed files: deleted, rewritten, replaced by a symlink, reached through one. */
static void
check(void)
{
	static const char *const paths[] = {
		"same",		/* 0 untouched */
		"gone",		/* 1 deleted */
		"edited",	/* 2 rewritten */
		"link",		/* 3 a symlink to a file with the right bytes */
		"sub/deep",	/* 4 untouched, in a directory */
		"via/deep",	/* 5 via -> sub: never followed */
		"file/x",	/* 6 a file where the directory was */
		"fifo",		/* 7 a FIFO: not opened */
		"dir",		/* 8 a directory */
		"nodir/x",	/* 9 its directory gone */
	};
	enum cp_receipt_state want[] = {
		CP_RECEIPT_SAME, CP_RECEIPT_MISSING, CP_RECEIPT_CHANGED, CP_RECEIPT_CHANGED,
		CP_RECEIPT_SAME, CP_RECEIPT_CHANGED, CP_RECEIPT_MISSING, CP_RECEIPT_CHANGED,
		CP_RECEIPT_CHANGED, CP_RECEIPT_MISSING,
	};
	size_t n = sizeof(paths) / sizeof(paths[0]), i, ok = 0;
	struct cp_receipt r = pair("K", ".", CP_RECEIPT_EXTENSION);
	enum cp_receipt_state st[sizeof(paths) / sizeof(paths[0])];
	char longname[300];
	struct cp_err e;
	long bad;
	int dfd;

	for (i = 0; i < n; i++)
		add(&r, paths[i], H_HELLO);
	mkdir(sub("d"), 0700);
	mkdir(sub("d/sub"), 0700);
	mkdir(sub("d/dir"), 0700);
	put(sub("d"), "same", "hello\n", -1);
	put(sub("d"), "edited", "hello!\n", -1);
	put(sub("d"), "target", "hello\n", -1);
	symlink("target", sub("d/link"));
	put(sub("d"), "sub/deep", "hello\n", -1);
	symlink("sub", sub("d/via"));
	put(sub("d"), "file", "hello\n", -1);
	mkfifo(sub("d/fifo"), 0600);
	dfd = opendir_fd(sub("d"));
	bad = cp_receipt_check(dfd, &r, st, &e);
	CHECK(bad == 8, "eight entries missing or changed");
	for (i = 0; i < n; i++) {
		ok += st[i] == want[i];
		if (st[i] != want[i])
			printf("#   %s: state %d, want %d\n", paths[i], (int)st[i], (int)want[i]);
	}
	CHECK(ok == n, "each found missing, changed or the same as it is");

	r.n = 1;
	CHECK(cp_receipt_check(dfd, &r, st, &e) == 0 && st[0] == CP_RECEIPT_SAME,
	    "an untouched file: 0");
	if (geteuid() != 0) {
		chmod(sub("d/same"), 0);
		CHECK(cp_receipt_check(dfd, &r, st, &e) == -1, "an unreadable file is an error");
		CHECK_STR(e.msg, "'same': Permission denied", "  naming it");
		chmod(sub("d/same"), 0644);
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	set(&r.v[0].path, longname);
	CHECK(cp_receipt_check(dfd, &r, st, &e) == 1 && st[0] == CP_RECEIPT_MISSING,
	    "a name longer than NAME_MAX: missing, not an error");
	r.n = n;
	cp_receipt_free(&r);
	close(dfd);
}

int
main(int argc, char **argv)
{
	/* The example plane's receipts are read from the repository's root: the argument, else $CP_TOP (make check). */
	const char *top = argc > 1 ? argv[1] : getenv("CP_TOP");

	if (top != NULL && chdir(top) == -1) {
		perror(top);
		return 2;
	}
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	ids();
	types();
	example_plane();
	escaped_names();
	hostile();
	files();
	write_refused();
	check();
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_END();
}
