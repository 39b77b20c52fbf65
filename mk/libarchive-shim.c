/* mk/libarchive-shim.c: what lets the programs link Debian's static libarchive
 * without every archive writer it has (see build/libarchive-tar.a in
 * mk/toolkit.mk).
 *
 * libarchive's pax writer calls one helper from archive_write_set_format.o,
 * and only to word the error for an entry of a type pax cannot hold (a
 * socket, a door).  That object also holds the table of every writer by
 * code, so linking it drags in 7zip, xar, iso9660, warc... and with them
 * libxml2, lzma, bzip2 and nettle: 17 shared libraries loaded on every start
 * of cp-tar and cp-plane.  build/libarchive-tar.a is libarchive.a without
 * that object and with this file in its place.
 *
 * tarpack hands the writer only regular files, directories and symbolic
 * links, so this is never reached; if it ever is, the entry is refused with
 * a message of the same sense as libarchive's own.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>

#include <archive.h>
#include <archive_entry.h>

/* The name and signature are libarchive's own (archive_write_private.h).  If
 * a later libarchive changes them, the test link in mk/toolkit.mk fails and
 * the build falls back to the shared library. */
void __archive_write_entry_filetype_unsupported(struct archive *a,
    struct archive_entry *entry, const char *format);

void
__archive_write_entry_filetype_unsupported(struct archive *a,
    struct archive_entry *entry, const char *format)
{
	archive_set_error(a, EINVAL, "%s: %s format cannot hold this file type",
	    archive_entry_pathname(entry), format);
}
