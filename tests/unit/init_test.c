/*
 * init_test: plane/init from C.  Planes are made under a mkdtemp directory
 * in /tmp, removed at the end.  The headers expected are design.md's column
 * lists, written here by hand, CRLF-ended as csv.DictWriter ends a record.
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plane/gate.h"
#include "plane/init.h"
#include "unit.h"

static char tmp[] = "/tmp/init_test.XXXXXX";

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

/* The whole of a small file, NUL-terminated (static buffer), or "". */
static const char *
slurp(const char *dir, const char *name)
{
	static char buf[8192];
	char p[4096];
	size_t n = 0;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	buf[0] = '\0';
	if ((fp = fopen(p, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int
exists(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

/* Entries of dir, "." and ".." aside. */
static int
entries(const char *dir)
{
	char cmd[4200];
	FILE *fp;
	int n = 0, c;

	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	if ((fp = popen(cmd, "r")) == NULL)
		return -1;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	pclose(fp);
	return n;
}

int
main(void)
{
	struct cp_gate_result r;
	char p[4400], q[4200];

	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(p, sizeof(p), "%s/plane", tmp);

	/* a new plane, its directory made */
	CHECK(cp_init_plane(p, "alice", "tester", &r) == 0, "init makes a plane");
	CHECK_STR(r.status, "initialized", "status initialized");
	CHECK(r.changed == 1 && r.ledger_id[0] != '\0', "changed, with its ledger entry");
	CHECK(r.hint != NULL && strstr(r.hint, "cp-authz init alice") != NULL,
	    "the next step is named");
	cp_gate_result_free(&r);
	CHECK_STR(slurp(p, "registries/packages_registry.csv"),
	    "id,name,entity_type,category,version,source,source_type,digest,signature,"
	    "attestation_path,attestation_digest,attestation_signature_path,platform,arch,deps,"
	    "conflicts,license,artifact_path,output_type,output_path,status,selected,priority,"
	    "owner,created_at,source_spec_id,content_hash\r\n", "packages header");
	CHECK_STR(slurp(p, "registries/control_plane_registry.csv"),
	    "id,name,entity_type,category,purpose,artifact_path,status,selected,priority,"
	    "dependencies,output_type,output_path,version,owner,created_at,source_spec_id,"
	    "content_hash,config\r\n", "control-plane header");
	CHECK_STR(slurp(p, "registries/roles.csv"), "user,roles\r\nalice,admin\r\n", "roles.csv");
	CHECK(strstr(slurp(p, "registries/plane.conf"), "\nCONTROL_PLANE_AUTH_PROVIDER=hmac\n") != NULL,
	    "plane.conf pins hmac");
	CHECK(strncmp(slurp(p, "ledger/governance.jsonl"),
	    "{\"event_type\": \"plane_init\", \"submission_id\": \"\", \"decision\": \"INIT\"", 66) == 0,
	    "the first entry is plane_init");
	CHECK(exists(p, "installed") && exists(p, "packages_store"), "installed/, packages_store/");
	CHECK(entries(p) == 4, "nothing else left in the plane (no staging)");

	/* again: already a plane, nothing changed */
	snprintf(q, sizeof(q), "%s", slurp(p, "ledger/governance.jsonl"));
	CHECK(cp_init_plane(p, "bob", "tester", &r) == 1, "a plane is refused");
	CHECK(r.reason != NULL && strstr(r.reason, "already a plane") != NULL, "saying why");
	cp_gate_result_free(&r);
	CHECK_STR(slurp(p, "ledger/governance.jsonl"), q, "the ledger unchanged");
	CHECK_STR(slurp(p, "registries/roles.csv"), "user,roles\r\nalice,admin\r\n",
	    "roles.csv unchanged");

	/* a directory holding part of a plane: refused, nothing made */
	snprintf(q, sizeof(q), "%s/half", tmp);
	mkdir(q, 0755);
	snprintf(p, sizeof(p), "%s/packages_store", q);
	mkdir(p, 0755);
	CHECK(cp_init_plane(q, "alice", "tester", &r) == 1, "part of a plane is refused");
	cp_gate_result_free(&r);
	CHECK(entries(q) == 1, "nothing made beside it");

	/* bad admins: an error, nothing made */
	snprintf(q, sizeof(q), "%s/bad", tmp);
	CHECK(cp_init_plane(q, "a:b", "tester", &r) == 2, "a name with ':' is refused");
	cp_gate_result_free(&r);
	CHECK(cp_init_plane(q, "", "tester", &r) == 2, "an empty admin is refused");
	cp_gate_result_free(&r);
	CHECK(cp_init_plane(q, NULL, "tester", &r) == 2, "no admin is refused");
	cp_gate_result_free(&r);
	CHECK(!exists(tmp, "bad"), "and nothing was made");
	/* a parent that is not there */
	snprintf(q, sizeof(q), "%s/no/such", tmp);
	CHECK(cp_init_plane(q, "alice", "tester", &r) == 2, "a missing parent is an error");
	cp_gate_result_free(&r);

	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_END();
}
