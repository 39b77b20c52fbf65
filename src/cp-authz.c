/* cp-authz: who is asking, and may they? Authenticate a token, authorize an action, ledger denials.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/roles.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "cli/prog.h"
#include "hash/hmac.h"
#include "ledger/event.h"

static const char help[] =
"usage: cp-authz [-q] [--json] [-C DIR] [--token T | --token-file FILE]\n"
"                [--secrets-file PATH] [--submission-id ID] ACTION\n"
"       cp-authz init [--json] [-C DIR] [--secrets-file PATH] [--force] [USER ...]\n"
"       cp-authz token [--json] [-C DIR] [--secrets-file PATH] USER ...\n"
"       cp-authz mac [-C DIR] [--secrets-file PATH]\n"
"\n"
"Authenticate the caller and decide whether it may do ACTION (create, install,\n"
"update, remove, pack, verify, hash_update, checkpoint, rollback; any case) in\n"
"the plane; a denial is ledgered.\n"
"\n"
"  -C DIR                the plane (default: $CONTROL_PLANE_ROOT, else .)\n"
"      --token T         the token (else $CONTROL_PLANE_TOKEN); visible in ps\n"
"      --token-file FILE read the token from FILE's first line (- = stdin)\n"
"      --secrets-file PATH  the hmac secret's file (default:\n"
"                        $CONTROL_PLANE_SECRETS_FILE, else\n"
"                        ~/.control_plane_v2/secrets.env)\n"
"      --submission-id ID  the submission_id of a denial's ledger entry\n"
"      --json            print {\"user\",\"roles\",\"provider\",\"issuer\",\"action\",\n"
"                        \"allowed\",...}\n"
"  -q, --quiet           print no decision; the exit status tells\n"
"      --force           init: replace an existing secrets file (every token changes)\n"
"  -h, --help            print this help\n"
"      --version         print the version\n"
"\n"
"init creates the secrets file (mode 0600, outside the plane) with a new random\n"
"secret and prints a token for each USER; token prints USER's token; mac prints\n"
"the HMAC-SHA256 of standard input under the secret.\n"
"\n"
"Exit status: 0 allowed, 1 denied (no token, invalid token, no role grants\n"
"ACTION), 2 misconfigured or an error (unknown provider, no secret, unreadable\n"
"roles file, bad usage).\n";

enum { OPT_TOKEN = 256, OPT_TOKEN_FILE, OPT_SECRETS_FILE, OPT_SUBMISSION, OPT_JSON,
	OPT_FORCE, OPT_VERSION };

static const struct option longopts[] = {
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "secrets-file", required_argument, NULL, OPT_SECRETS_FILE },
	{ "submission-id", required_argument, NULL, OPT_SUBMISSION },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

enum mode { DECIDE, INIT, TOKEN, MAC };

struct opts {
	enum mode mode;
	const char *root, *token_file, *secrets_file, *submission;
	char *token;		/* a copy: the argument itself is wiped from argv */
	int json, quiet, force;
	char **args;		/* the operands after the mode word (DECIDE: the action) */
	int nargs;
};

struct decision {
	const char *action;
	const struct cp_auth *auth;
	const struct cp_identity *id;
	int allowed;
	const char *reason;	/* why not, when denied */
	int ledgered;		/* 1 once a denial is in the ledger */
};

static void
print_decision(const struct opts *o, const struct decision *d)
{
	const struct cp_identity *id = d->id;
	struct cp_json w;
	size_t i;

	if (o->quiet)
		return;
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kstr(&w, "user", id->authenticated ? id->user : NULL);
		cp_json_key(&w, "roles");
		cp_json_arr(&w);
		for (i = 0; i < id->roles.n; i++)
			cp_json_str(&w, id->roles.name[i]);
		cp_json_end(&w);
		cp_json_kstr(&w, "provider", d->auth->provider->name);
		cp_json_kstr(&w, "provider_chosen_by", d->auth->chosen_by);
		cp_json_kstr(&w, "issuer", id->authenticated ? id->issuer : NULL);
		cp_json_kstr(&w, "action", d->action);
		cp_json_kbool(&w, "allowed", d->allowed);
		cp_json_kstr(&w, "reason", d->reason);
		cp_json_kbool(&w, "ledgered", d->ledgered);
		cp_json_endl(&w);
		return;
	}
	printf("%s: ", d->allowed ? "allowed" : "denied");
	if (id->authenticated) {
		printf("user %s, roles ", id->user);
		for (i = 0; i < id->roles.n; i++)
			printf("%s%s", i > 0 ? "," : "", id->roles.name[i]);
		printf("%s, ", id->roles.n == 0 ? "none" : "");
	} else
		fputs("no user, ", stdout);
	printf("action %s, provider %s", d->action, d->auth->provider->name);
	if (id->issuer != NULL && id->authenticated)
		printf(", issuer %s", id->issuer);
	if (d->reason != NULL)
		printf(": %s", d->reason);
	putchar('\n');
}

/*
 * Record a denial in the plane's ledger (lib/ledger: locked, chained,
 * fdatasynced).  Returns 0, or -1 after a warning: the request stays denied
 * whatever the ledger does, and the caller turns the unrecorded denial into
 * status 2 so that an operator hears of it.
 */
static int
ledger_denial(const struct opts *o, struct decision *d)
{
	struct cp_event ev;
	struct cp_err e;
	char *dir = cp_layout_path(o->root, CP_LAYOUT_LEDGER);
	int rc;

	rc = cp_auth_denial_event(&ev, o->submission != NULL ? o->submission : "", d->action,
	    d->auth, d->id, d->reason, &e) == -1 ? -1 : cp_event_append(&ev, dir, NULL, &e);
	if (rc == -1)
		warnx("cannot ledger the denial (still denied): %s", e.msg);
	d->ledgered = rc == 0;
	cp_event_free(&ev);
	free(dir);
	return rc;
}

static void
warn_unknown_roles(const struct cp_identity *id)
{
	size_t i;
	int known;

	for (i = 0; i < id->roles.n; i++) {
		cp_roles_grants(id->roles.name[i], &known);
		if (!known)
			warnx("warning: %s: user %s holds unknown role '%s', which grants nothing",
			    cp_layout_rel(CP_LAYOUT_ROLES), id->user, id->roles.name[i]);
	}
}

static int
decide(const struct opts *o)
{
	struct cp_auth a = { 0 };
	struct cp_identity id = { 0 };
	struct decision d = { o->args[0], &a, &id, 0, NULL, 0 };
	struct cp_err e;
	char tok[CP_AUTH_TOKEN_READ_MAX];
	size_t toklen;
	int rc;

	if (cp_auth_open_plane(&a, o->root, o->secrets_file, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (a.warning[0] != '\0')
		warnx("warning: %s", a.warning);

	if (cp_auth_token_get(o->token, o->token_file, tok, &toklen, &e) == -1) {
		cp_auth_close(&a);
		errx(CP_EXIT_ERR, "%s", e.msg);
	}
	rc = cp_auth_authenticate(&a, toklen > 0 ? tok : NULL, toklen, &id, &d.reason, &e);
	cp_wipe(tok, sizeof(tok));
	if (rc == -1) {
		cp_auth_close(&a);
		errx(CP_EXIT_ERR, "%s", e.msg);
	}
	if (rc == 0) {
		warn_unknown_roles(&id);
		d.allowed = (cp_roles_list_grants(&id.roles) & cp_roles_action(d.action)) != 0;
		if (!d.allowed)
			d.reason = id.roles.n == 0 ? "the user holds no role" :
			    "no role of the user grants the action";
	}
	/* Ledger first, so that the decision printed can say whether it was recorded. */
	rc = d.allowed ? CP_EXIT_YES : ledger_denial(o, &d) == 0 ? CP_EXIT_NO : CP_EXIT_ERR;
	print_decision(o, &d);
	cp_auth_identity_free(&id);
	cp_auth_close(&a);
	return rc;
}

static void
load_secret(const struct opts *o, struct cp_auth_secret *s)
{
	struct cp_err e;

	if (cp_auth_secret_load(s, o->root, o->secrets_file, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
}

static void
check_users(const struct opts *o)
{
	int i;

	for (i = 0; i < o->nargs; i++)
		if (!cp_user_valid(o->args[i], strlen(o->args[i])))
			errx(CP_EXIT_ERR, "invalid user name '%.64s' (1 to %d printable ASCII "
			    "characters, no blank, no ':')", o->args[i], CP_USER_MAX);
}

static void
print_tokens(const struct opts *o, const struct cp_auth_secret *s)
{
	char token[CP_AUTH_TOKEN_MAX + 1];
	struct cp_json w;
	int i;

	cp_json_init(&w, stdout);
	for (i = 0; i < o->nargs; i++) {
		if (cp_auth_token_make(s->key, s->len, o->args[i], token) == -1)
			errx(CP_EXIT_ERR, "openssl failure");
		if (o->json) {
			cp_json_obj(&w);
			cp_json_kstr(&w, "user", o->args[i]);
			cp_json_kstr(&w, "token", token);
			cp_json_endl(&w);
		} else
			puts(token);
		cp_wipe(token, sizeof(token));
	}
}

static int
init_mode(const struct opts *o)
{
	struct cp_auth_secret s;
	struct cp_err e;
	char *path, *resolved;

	check_users(o);
	if ((path = cp_auth_secrets_path(o->secrets_file, &e)) == NULL ||
	    cp_auth_outside_plane(o->root, path, &resolved, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (cp_auth_secret_create(&s, resolved, o->force, &e) == -1) {
		if (e.errnum == EEXIST && !o->force)
			errx(CP_EXIT_ERR, "%s exists: --force replaces it, and every token "
			    "made from it stops working", resolved);
		errx(CP_EXIT_ERR, "%s", e.msg);
	}
	print_tokens(o, &s);
	cp_auth_secret_free(&s);
	free(resolved);
	free(path);
	return CP_EXIT_YES;
}

static int
token_mode(const struct opts *o)
{
	struct cp_auth_secret s;

	check_users(o);
	load_secret(o, &s);
	print_tokens(o, &s);
	cp_auth_secret_free(&s);
	return CP_EXIT_YES;
}

static int
mac_mode(const struct opts *o)
{
	struct cp_auth_secret s;
	struct cp_hmac h = { NULL };
	unsigned char buf[65536], mac[CP_HMAC_LEN];
	char hex[CP_HMAC_HEXLEN + 1];
	ssize_t n;

	load_secret(o, &s);
	if (cp_hmac_init(&h, s.key, s.len) == -1)
		errx(CP_EXIT_ERR, "openssl failure");
	cp_auth_secret_free(&s);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(CP_EXIT_ERR, "standard input");
		if (cp_hmac_update(&h, buf, (size_t)n) == -1)
			errx(CP_EXIT_ERR, "openssl failure");
	}
	if (cp_hmac_final(&h, mac) == -1)
		errx(CP_EXIT_ERR, "openssl failure");
	cp_hmac_free(&h);
	cp_hex_encode(mac, sizeof(mac), hex);
	puts(hex);
	return CP_EXIT_YES;
}

/* Check the operands and the options against the mode the first operand names. */
static void
check_usage(struct opts *o)
{
	static const char *const words[] = { NULL, "init", "token", "mac" };
	int m;

	if (o->nargs == 0)
		cp_prog_usage(help);
	for (m = INIT; m <= MAC; m++)
		if (strcmp(o->args[0], words[m]) == 0)
			o->mode = (enum mode)m;
	if (o->mode != DECIDE) {
		o->args++;
		o->nargs--;
	}
	if (o->mode != DECIDE && (o->token || o->token_file || o->submission || o->quiet))
		errx(CP_EXIT_ERR, "%s takes no --token, --token-file, --submission-id or -q",
		    words[o->mode]);
	if (o->mode != INIT && o->force)
		errx(CP_EXIT_ERR, "--force is for init only");
	if (o->mode == MAC && (o->nargs != 0 || o->json))
		errx(CP_EXIT_ERR, "mac takes no operand and no --json");
	if (o->mode == TOKEN && o->nargs == 0)
		errx(CP_EXIT_ERR, "token needs a USER");
	if (o->mode != DECIDE)
		return;
	if (o->nargs != 1)
		errx(CP_EXIT_ERR, "one ACTION, please (%s)", cp_roles_action_list());
	if (cp_roles_action(o->args[0]) == 0)
		errx(CP_EXIT_ERR, "unknown action '%.64s' (one of: %s)", o->args[0],
		    cp_roles_action_list());
	if (o->token && o->token_file)
		errx(CP_EXIT_ERR, "--token and --token-file exclude each other");
	if (o->json && o->quiet)
		errx(CP_EXIT_ERR, "--json and -q exclude each other");
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct cp_err e;
	int c;

	cp_prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "C:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': o.root = optarg; break;
		case OPT_TOKEN:
			free(o.token);
			o.token = xstrdup(optarg);
			/* Shorten the window in which ps shows it; --token-file closes it. */
			cp_wipe(optarg, strlen(optarg));
			break;
		case OPT_TOKEN_FILE: o.token_file = optarg; break;
		case OPT_SECRETS_FILE: o.secrets_file = optarg; break;
		case OPT_SUBMISSION: o.submission = optarg; break;
		case OPT_JSON: o.json = 1; break;
		case 'q': o.quiet = 1; break;
		case OPT_FORCE: o.force = 1; break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	o.args = argv + optind;
	o.nargs = argc - optind;
	check_usage(&o);
	o.root = cp_layout_root(o.root);
	if (cp_auth_plane_check(o.root, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	switch (o.mode) {
	case INIT: c = init_mode(&o); break;
	case TOKEN: c = token_mode(&o); break;
	case MAC: c = mac_mode(&o); break;
	default: c = decide(&o); break;
	}
	if (o.token != NULL)
		cp_wipe(o.token, strlen(o.token));
	free(o.token);
	cp_prog_exit(c);
}
