/* json: writing JSON strings that always parse. */
#include <string.h>

#include "json.h"
#include "utf8.h"

void
cp_json_write_str(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, n;

	putc('"', fp);
	while (i < len) {
		/* Copy the longest run that needs no escaping in one call. */
		for (run = i; run < len && p[run] >= 0x20 && p[run] < 0x80 &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		fwrite(p + i, 1, run - i, fp);
		i = run;
		if (i == len)
			break;
		switch (p[i]) {
		case '"': fputs("\\\"", fp); i++; continue;
		case '\\': fputs("\\\\", fp); i++; continue;
		case '\b': fputs("\\b", fp); i++; continue;
		case '\f': fputs("\\f", fp); i++; continue;
		case '\n': fputs("\\n", fp); i++; continue;
		case '\r': fputs("\\r", fp); i++; continue;
		case '\t': fputs("\\t", fp); i++; continue;
		}
		if (p[i] < 0x20) {
			fprintf(fp, "\\u%04x", p[i]);
			i++;
			continue;
		}
		n = cp_utf8_seqlen(p + i, len - i);
		if (n == 0) {
			fputs("\xef\xbf\xbd", fp);	/* U+FFFD */
			i++;
			continue;
		}
		fwrite(p + i, 1, n, fp);
		i += n;
	}
	putc('"', fp);
}

void
cp_json_write_cstr(FILE *fp, const char *s)
{
	cp_json_write_str(fp, s, strlen(s));
}

void
cp_json_write_key(FILE *fp, const char *key, int first)
{
	if (!first)
		putc(',', fp);
	cp_json_write_cstr(fp, key);
	putc(':', fp);
}
