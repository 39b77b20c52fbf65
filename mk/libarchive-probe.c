/* mk/libarchive-probe.c: the test link of build/libarchive-tar.a (mk/toolkit.mk).
 * It names what lib/tar uses of libarchive: the tar reader and the pax
 * writer.  If this links with nothing more than the toolkit's other
 * libraries, so do the programs.
 * SPDX-License-Identifier: ISC
 */
#include <archive.h>
#include <archive_entry.h>

int
main(void)
{
	struct archive *r = archive_read_new();
	struct archive *w = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_read_support_format_tar(r);
	archive_write_set_format_pax_restricted(w);
	archive_write_header(w, e);
	archive_entry_free(e);
	archive_write_free(w);
	return archive_read_free(r) != ARCHIVE_OK;
}
