/*
 * gssapi_lazy.c - the eight GSS-API calls libgit2.a makes, loading MIT
 * Kerberos's libgssapi_krb5.so.2 on the first of them.
 *
 * libgit2 uses GSS-API only for HTTP "Negotiate" authentication, during a
 * clone or fetch from a server that asks for it.  Linked as a dependency of
 * the dv executable, the library and the six it needs (krb5, k5crypto,
 * com_err, krb5support, keyutils, resolv) were loaded and relocated at every
 * start: about 60 page faults, a fifth of what an up-to-date `dv repro`
 * cost.  So dv defines the calls itself and forwards each to the library,
 * opened with dlopen when one is first made; the behaviour is the
 * library's.  Where the library is not installed every call answers
 * GSS_S_UNAVAILABLE, so libgit2 reports Negotiate as failed and tries the
 * next authentication scheme, as with a library that has no credentials.
 *
 * Built only into a dv that links libgit2.a (CMakeLists.txt); a shared
 * libgit2 loads the library itself.  The prototypes are RFC 2744's C
 * bindings (gssapi.h is not installed with the library), every handle an
 * opaque pointer.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t OM_uint32;
typedef struct {
	OM_uint32 length;
	void *elements;
} gss_OID_desc;
typedef gss_OID_desc *gss_OID;
typedef struct {
	size_t length;
	void *value;
} gss_buffer_desc;
typedef gss_buffer_desc *gss_buffer_t;

/* Defined for libgit2.a inside dv, not exported: libcurl in dv-remote.so
 * binds the library's own. */
#define DV_GSS_LOCAL __attribute__((visibility("hidden")))

#define GSS_S_FAILURE (13u << 16)
#define GSS_S_UNAVAILABLE (16u << 16)

/* The name type libgit2 passes to gss_import_name: RFC 2744's
 * GSS_C_NT_HOSTBASED_SERVICE (1.2.840.113554.1.2.1.4).  The library's own
 * object is handed on in its place. */
static gss_OID_desc hostbased_service = { 10, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04" };
DV_GSS_LOCAL gss_OID GSS_C_NT_HOSTBASED_SERVICE = &hostbased_service;

static struct {
	OM_uint32 (*init_sec_context)(OM_uint32 *, void *, void **, void *, gss_OID, OM_uint32, OM_uint32,
				      void *, gss_buffer_t, gss_OID *, gss_buffer_t, OM_uint32 *, OM_uint32 *);
	OM_uint32 (*delete_sec_context)(OM_uint32 *, void **, gss_buffer_t);
	OM_uint32 (*display_status)(OM_uint32 *, OM_uint32, int, gss_OID, OM_uint32 *, gss_buffer_t);
	OM_uint32 (*import_name)(OM_uint32 *, gss_buffer_t, gss_OID, void **);
	OM_uint32 (*release_name)(OM_uint32 *, void **);
	OM_uint32 (*release_buffer)(OM_uint32 *, gss_buffer_t);
	OM_uint32 (*indicate_mechs)(OM_uint32 *, void **);
	OM_uint32 (*release_oid_set)(OM_uint32 *, void **);
	gss_OID *hostbased_service;
	int loaded; /* every entry found */
} gss;

static pthread_once_t gss_once = PTHREAD_ONCE_INIT;

static void gss_load(void)
{
	void *h = dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	*(void **)&gss.init_sec_context = dlsym(h, "gss_init_sec_context");
	*(void **)&gss.delete_sec_context = dlsym(h, "gss_delete_sec_context");
	*(void **)&gss.display_status = dlsym(h, "gss_display_status");
	*(void **)&gss.import_name = dlsym(h, "gss_import_name");
	*(void **)&gss.release_name = dlsym(h, "gss_release_name");
	*(void **)&gss.release_buffer = dlsym(h, "gss_release_buffer");
	*(void **)&gss.indicate_mechs = dlsym(h, "gss_indicate_mechs");
	*(void **)&gss.release_oid_set = dlsym(h, "gss_release_oid_set");
	gss.hostbased_service = dlsym(h, "GSS_C_NT_HOSTBASED_SERVICE");
	gss.loaded = gss.init_sec_context && gss.delete_sec_context && gss.display_status &&
		     gss.import_name && gss.release_name && gss.release_buffer && gss.indicate_mechs &&
		     gss.release_oid_set && gss.hostbased_service;
	if (!gss.loaded)
		dlclose(h);
}

/* Is the library there?  Otherwise *minor is cleared for the caller. */
static int gss_ready(OM_uint32 *minor)
{
	pthread_once(&gss_once, gss_load);
	if (!gss.loaded && minor)
		*minor = 0;
	return gss.loaded;
}

DV_GSS_LOCAL OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target, gss_OID mech,
			       OM_uint32 req_flags, OM_uint32 time_req, void *bindings, gss_buffer_t input,
			       gss_OID *actual_mech, gss_buffer_t output, OM_uint32 *ret_flags,
			       OM_uint32 *time_rec)
{
	if (!gss_ready(minor))
		return GSS_S_UNAVAILABLE;
	return gss.init_sec_context(minor, cred, ctx, target, mech, req_flags, time_req, bindings, input,
				    actual_mech, output, ret_flags, time_rec);
}

DV_GSS_LOCAL OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx, gss_buffer_t output)
{
	return gss_ready(minor) ? gss.delete_sec_context(minor, ctx, output) : GSS_S_UNAVAILABLE;
}

DV_GSS_LOCAL OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int status_type, gss_OID mech,
			     OM_uint32 *message_context, gss_buffer_t text)
{
	if (gss_ready(minor))
		return gss.display_status(minor, status, status_type, mech, message_context, text);
	/* No text, and no further message to ask for. */
	if (message_context)
		*message_context = 0;
	if (text) {
		text->length = 0;
		text->value = NULL;
	}
	return GSS_S_FAILURE;
}

DV_GSS_LOCAL OM_uint32 gss_import_name(OM_uint32 *minor, gss_buffer_t name, gss_OID name_type, void **out)
{
	if (!gss_ready(minor))
		return GSS_S_UNAVAILABLE;
	if (name_type == &hostbased_service)
		name_type = *gss.hostbased_service;
	return gss.import_name(minor, name, name_type, out);
}

DV_GSS_LOCAL OM_uint32 gss_release_name(OM_uint32 *minor, void **name)
{
	return gss_ready(minor) ? gss.release_name(minor, name) : 0;
}

DV_GSS_LOCAL OM_uint32 gss_release_buffer(OM_uint32 *minor, gss_buffer_t buf)
{
	if (gss_ready(minor))
		return gss.release_buffer(minor, buf);
	if (buf) { /* only ever one of ours, which holds nothing */
		buf->length = 0;
		buf->value = NULL;
	}
	return 0;
}

DV_GSS_LOCAL OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void **mechs)
{
	return gss_ready(minor) ? gss.indicate_mechs(minor, mechs) : GSS_S_UNAVAILABLE;
}

DV_GSS_LOCAL OM_uint32 gss_release_oid_set(OM_uint32 *minor, void **set)
{
	return gss_ready(minor) ? gss.release_oid_set(minor, set) : 0;
}
