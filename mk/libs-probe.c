/* mk/libs-probe.c: the test link of the small libraries' static archives
 * (LIBS_STATIC, mk/toolkit.mk): one call into each of cjose, jansson, yajl
 * and zlib.  If this links into a program with nothing more than libcrypto,
 * so do the programs.
 * SPDX-License-Identifier: ISC
 */
#include <cjose/cjose.h>
#include <jansson.h>
#include <yajl/yajl_parse.h>
#include <zlib.h>

int
main(void)
{
	cjose_err err;
	cjose_jws_t *jws = cjose_jws_import("", 0, &err);
	json_t *j = json_loadb("{}", 2, 0, NULL);
	yajl_handle y = yajl_alloc(NULL, NULL, NULL);

	if (jws != NULL)
		cjose_jws_release(jws);
	json_decref(j);
	yajl_free(y);
	return zlibVersion()[0] == '\0';
}
