/* fuzz_checkpoint: signed notes (hash/note) and the tlog checkpoints in them (ledger/checkpoint).
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "hash/note.h"
#include "hash/signify.h"
#include "ledger/checkpoint.h"

/* The key of /work/shared/vectors/signing (test.pub), the name its checkpoint.note is signed under. */
static const char pubtext[] = "untrusted comment: cp vector public key\n"
    "RWQBI0VniavN7wOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n";
static const char keyname[] = "example.org/cp-vector";

/* A checkpoint that parses formats to a text that parses to the same checkpoint. */
static void
checkpoint(const char *text, size_t len)
{
	struct cp_checkpoint c, c2;
	struct cp_err e;
	char *s;

	cp_err_clear(&e);
	if (cp_checkpoint_parse(text, len, &c, &e) == -1) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return;
	}
	FUZZ_ASSERT(cp_checkpoint_origin_ok(c.origin));
	FUZZ_ASSERT((s = cp_checkpoint_format(&c)) != NULL);
	FUZZ_ASSERT(cp_checkpoint_parse(s, strlen(s), &c2, &e) == 0);
	FUZZ_ASSERT(strcmp(c.origin, c2.origin) == 0 && c.size == c2.size &&
	    memcmp(c.root, c2.root, 32) == 0);
	/* Its first three lines are the text formatted. */
	FUZZ_ASSERT(len >= strlen(s) && memcmp(text, s, strlen(s)) == 0);
	free(s);
}

/*
 * The input is a note: read as hostile input, its signatures checked by
 * the vector's key, its text (and the whole input) read as a checkpoint.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp_signify_pub pub;
	static int once;
	static struct cp_note n;
	struct cp_err e;
	int v;

	if (!once) {
		cp_err_clear(&e);
		FUZZ_ASSERT(cp_signify_parse_pub(pubtext, strlen(pubtext), &pub, NULL, &e) == 0);
		once = 1;
	}
	checkpoint((const char *)data, size);
	cp_err_clear(&e);
	if (cp_note_parse((const char *)data, size, &n, &e) == -1) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(n.nsig <= CP_NOTE_SIGS_MAX && n.textlen <= size);
	FUZZ_ASSERT(n.textlen > 0 && n.text[n.textlen - 1] == '\n');
	for (size_t i = 0; i < n.nsig; i++)
		FUZZ_ASSERT(cp_note_name_ok(n.sig[i].name, n.sig[i].namelen));
	v = cp_note_verify(&n, keyname, &pub, &e);
	FUZZ_ASSERT(v == CP_NOTE_VERIFIED || v == CP_NOTE_UNSIGNED || v == CP_NOTE_BADSIG);
	checkpoint(n.text, n.textlen);
	return 0;
}
