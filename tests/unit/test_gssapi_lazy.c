/* gssapi_lazy.c: the GSS-API calls libgit2.a makes reach MIT Kerberos's
 * library, loaded on the first of them, and the OID libgit2 names is
 * handed on as the library's own. */
#include <stdint.h>

#include "test.h"

/* RFC 2744's bindings, handles opaque (as gssapi_lazy.c declares them). */
typedef uint32_t OM_uint32;
typedef struct {
	OM_uint32 length;
	void *elements;
} gss_OID_desc;
typedef struct {
	size_t length;
	void *value;
} gss_buffer_desc;
extern gss_OID_desc *GSS_C_NT_HOSTBASED_SERVICE;
OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void **mechs);
OM_uint32 gss_release_oid_set(OM_uint32 *minor, void **set);
OM_uint32 gss_import_name(OM_uint32 *minor, gss_buffer_desc *name, gss_OID_desc *type, void **out);
OM_uint32 gss_release_name(OM_uint32 *minor, void **name);
OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target, gss_OID_desc *mech,
			       OM_uint32 req_flags, OM_uint32 time_req, void *bindings, gss_buffer_desc *input,
			       gss_OID_desc **actual_mech, gss_buffer_desc *output, OM_uint32 *ret_flags,
			       OM_uint32 *time_rec);
OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx, gss_buffer_desc *output);
OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int status_type, gss_OID_desc *mech,
			     OM_uint32 *message_context, gss_buffer_desc *text);
OM_uint32 gss_release_buffer(OM_uint32 *minor, gss_buffer_desc *buf);

#define GSS_C_MECH_CODE 2
#define GSS_ROUTINE_ERROR(x) ((x) & 0x00ff0000u)
#define GSS_S_NO_CRED (7u << 16)

TEST(test_mechs_listed)
{
	OM_uint32 minor = 1;
	void *set = NULL;
	CHECK_INT(gss_indicate_mechs(&minor, &set), 0);
	CHECK(set != NULL);
	CHECK_INT(gss_release_oid_set(&minor, &set), 0);
}

TEST(test_hostbased_name_imported)
{
	OM_uint32 minor = 0;
	gss_buffer_desc in = { strlen("HTTP@localhost"), "HTTP@localhost" };
	void *name = NULL;
	CHECK_INT(gss_import_name(&minor, &in, GSS_C_NT_HOSTBASED_SERVICE, &name), 0);
	CHECK(name != NULL);
	CHECK_INT(gss_release_name(&minor, &name), 0);
}

/* Without Kerberos credentials the context fails for that reason, and the
 * library's own text explains it (what libgit2 puts in its error).  Had
 * the name type not become the library's own OID, the failure would be
 * GSS_S_BAD_NAMETYPE instead. */
TEST(test_failure_explained)
{
	OM_uint32 minor = 0, major, more = 0, ignored;
	gss_buffer_desc in = { strlen("HTTP@localhost"), "HTTP@localhost" };
	gss_buffer_desc out = { 0, NULL }, text = { 0, NULL };
	void *name = NULL, *ctx = NULL;

	setenv("KRB5CCNAME", "FILE:/nonexistent/dv-test-ccache", 1);
	setenv("KRB5_CONFIG", "/nonexistent/dv-test-krb5.conf", 1);
	CHECK_INT(gss_import_name(&minor, &in, GSS_C_NT_HOSTBASED_SERVICE, &name), 0);
	major = gss_init_sec_context(&minor, NULL, &ctx, name, NULL, 0, 0, NULL, NULL, NULL, &out, NULL, NULL);
	CHECK_INT(GSS_ROUTINE_ERROR(major), GSS_S_NO_CRED);
	CHECK(minor != 0);
	CHECK_INT(gss_display_status(&ignored, minor, GSS_C_MECH_CODE, NULL, &more, &text), 0);
	CHECK(text.length > 0 && text.value != NULL);
	gss_release_buffer(&ignored, &text);
	gss_release_buffer(&ignored, &out);
	if (ctx)
		gss_delete_sec_context(&ignored, &ctx, NULL);
	gss_release_name(&ignored, &name);
}

TEST_MAIN(test_mechs_listed, test_hostbased_name_imported, test_failure_explained)
