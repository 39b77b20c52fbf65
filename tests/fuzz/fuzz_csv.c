/* fuzz_csv: the registries' CSV reader (text/csv) and every registry rule (registry/registry, depgraph).
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "registry/registry.h"
#include "text/csv.h"

/*
 * The first byte picks the kind the rows are checked as (the header's own,
 * packages or control-plane) and small caps (so that the cap paths are
 * reached); the rest is the file.  Every row read is written back and must
 * read again as the same fields.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_csv_limits lim = { 0, 0, 0 };
	struct cp_csv_reader *r;
	struct cp_registry_check *c;
	const struct cp_registry_problem *p;
	struct cp_csv_row row;
	enum cp_registry_kind kind;
	FILE *fp;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 0x4) {
		lim.max_field = 64;
		lim.max_record = 256;
		lim.max_columns = 8;
	}
	if ((fp = fmemopen((void *)(uintptr_t)(data + 1), size - 1 > 0 ? size - 1 : 1, "r")) == NULL)
		return 0;
	if (size == 1)
		fgetc(fp);	/* fmemopen cannot open an empty buffer: read the one byte away */
	r = cp_csv_open(fp, "fuzz.csv", &lim);
	if (cp_csv_read_header(r) == -1) {
		FUZZ_ASSERT(cp_csv_error(r)->msg[0] != '\0');
		goto out;
	}
	switch (data[0] & 0x3) {
	case 1: kind = CP_REGISTRY_PACKAGES; break;
	case 2: kind = CP_REGISTRY_CONTROL_PLANE; break;
	default: kind = cp_registry_kind_of(r); break;
	}
	c = kind != CP_REGISTRY_UNKNOWN ? cp_registry_check_new(kind, r) : NULL;
	while ((rc = cp_csv_read_row(r, &row)) == 1) {
		FUZZ_ASSERT(row.nfields == cp_csv_ncolumns(r));
		/* Written back (canonical raw bytes or rewritten), it reads as the same fields. */
		{
			char *buf = NULL, *hdr = NULL;
			size_t blen = 0, hlen = 0;
			FILE *out = open_memstream(&buf, &blen), *h = open_memstream(&hdr, &hlen);
			struct cp_csv_reader *back;
			struct cp_csv_row again;
			FILE *in;

			cp_csv_write_header(h, r);
			cp_csv_write_row(out, &row);
			fclose(out);
			fclose(h);
			hdr = realloc(hdr, hlen + blen + 1);
			memcpy(hdr + hlen, buf, blen);
			in = fmemopen(hdr, hlen + blen, "r");
			back = cp_csv_open(in, "back.csv", &lim);
			if (cp_csv_read_header(back) == 0 && cp_csv_read_row(back, &again) == 1) {
				FUZZ_ASSERT(again.nfields == row.nfields);
				for (size_t i = 0; i < row.nfields; i++)
					FUZZ_ASSERT(again.len[i] == row.len[i] &&
					    memcmp(again.field[i], row.field[i], row.len[i]) == 0);
			} else {
				/* Only a cap may refuse what was read under the same caps: the
				 * rewritten form can be longer (quotes added). */
				FUZZ_ASSERT(data[0] & 0x4);
			}
			cp_csv_close(back);
			fclose(in);
			free(buf);
			free(hdr);
		}
		if (c != NULL)
			cp_registry_check_row(c, &row);
	}
	FUZZ_ASSERT(rc == 0 || cp_csv_error(r)->msg[0] != '\0');
	if (c != NULL) {
		size_t n = cp_registry_check_finish(c, &p);

		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(p[i].what != NULL && strchr(p[i].what, '\n') == NULL);
		cp_registry_check_free(c);
	}
out:
	cp_csv_close(r);
	fclose(fp);
	return 0;
}
