/* prog: exit statuses, --help, --version and the checked close of standard output.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/num.h"
#include "cli/prog.h"

const char *
cp_prog_name(void)
{
	return program_invocation_short_name;
}

void
cp_prog_init(int argc, char *argv[])
{
	if (argc > 0)
		argv[0] = program_invocation_short_name;
}

void
cp_prog_exit(int status)
{
	int e = 0;

	if (fflush(stdout) == EOF)
		e = errno;
	else if (ferror(stdout))
		e = EIO;
	if (fclose(stdout) == EOF && e == 0)
		e = errno;
	if (e != 0) {
		fprintf(stderr, "%s: write error: %s\n", cp_prog_name(), strerror(e));
		status = CP_EXIT_ERR;
	}
	exit(status);
}

void
cp_prog_version(void)
{
	printf("%s (Control Plane v2 in C) %s\n", cp_prog_name(), CP_VERSION);
	cp_prog_exit(CP_EXIT_YES);
}

void
cp_prog_help(const char *text)
{
	fputs(text, stdout);
	cp_prog_exit(CP_EXIT_YES);
}

void
cp_prog_usage(const char *text)
{
	const char *end = strstr(text, "\n\n");
	int n = end ? (int)(end - text) : (int)strlen(text);

	fprintf(stderr, "%.*s\n", n, text);
	fprintf(stderr, "Try '%s --help' for more information.\n", cp_prog_name());
	exit(CP_EXIT_ERR);
}

int
cp_prog_jobs(const char *s)
{
	return (int)xnum(s, 1, CP_JOBS_MAX, "job count");
}

void
cp_prog_signal_exit(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* Not reached for the signals meant; the shell's number otherwise. */
	exit(128 + sig);
}

static void
stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void
cp_prog_hold_signals(void)
{
	sigset_t set;

	stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

int
cp_prog_signal_pending(void)
{
	sigset_t set;

	if (sigpending(&set) == -1)
		return 0;
	return sigismember(&set, SIGINT) == 1 || sigismember(&set, SIGTERM) == 1 ||
	    sigismember(&set, SIGHUP) == 1;
}

void
cp_prog_release_signals(void)
{
	sigset_t set;

	stop_signals(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

const char *
cp_prog_plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
