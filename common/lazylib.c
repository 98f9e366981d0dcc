/* The libraries only some commands need — libcurl (fetching modules, sending OTLP), libzip (module
 * zips), libarchive (rt0trace image) and libcrypto (the checksum database's signatures) — are loaded
 * when first used, not at every start: with them as DT_NEEDED, the dynamic loader mapped and relocated
 * ~40 more libraries (GnuTLS, Kerberos, LDAP, ICU, libxml2, ...) before main, 8 of the 10 ms a bare
 * `rt0trace --version` took, and `rt0trace run` paid it on every start.
 *
 * Each function the project calls is defined here under its own name with the library header's
 * prototype (the compiler checks them against it) and forwards to the symbol dlsym finds in the
 * library, dlopen'ed by its soname (the one the build linked against: RT0_SONAME_*). A library that
 * cannot be loaded ends rt0trace with one message naming it and what needed it (exit 4, like any
 * missing piece of the environment). */
#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt and _getinfo are defined here, not wrapped */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zip.h>

#include "common/err.h"

struct lazylib {
	const char *soname;
	const char *needed_for;
	void *handle;
};

static struct lazylib lib_curl = { RT0_SONAME_CURL, "fetching modules and sending OTLP", NULL };
static struct lazylib lib_zip = { RT0_SONAME_ZIP, "reading module zips", NULL };
static struct lazylib lib_archive = { RT0_SONAME_ARCHIVE, "writing images", NULL };
static struct lazylib lib_crypto = { RT0_SONAME_CRYPTO, "verifying the checksum database", NULL };

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

static _Noreturn void lazy_fail(const struct lazylib *l, const char *what)
{
	fprintf(stderr, "rt0trace: cannot load %s, which %s needs: %s\n", l->soname, l->needed_for, what);
	exit(RT_EXIT_ENV);
}

/* `name` in `l`, the library loaded on first use. `cache` keeps the address for the next call. */
static void *lazy_sym(struct lazylib *l, const char *name, void **cache)
{
	void *h, *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

	if (f)
		return f;
	pthread_mutex_lock(&lazy_lock);
	if (!(h = l->handle) && !(h = l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL))) {
		const char *e = dlerror();

		lazy_fail(l, e ? e : "dlopen failed");
	}
	pthread_mutex_unlock(&lazy_lock);
	dlerror();
	if (!(f = dlsym(h, name))) {
		const char *e = dlerror();

		lazy_fail(l, e ? e : name);
	}
	__atomic_store_n(cache, f, __ATOMIC_RELEASE);
	return f;
}

/* RET NAME(PARAMS) { return NAME's address in LIB (ARGS); }, and the same for a void function. */
#define LAZY(lib, ret, name, params, args)                                                      \
	ret name params                                                                         \
	{                                                                                       \
		static void *addr;                                                              \
		return ((ret(*) params)lazy_sym(&lib, #name, &addr))args;                        \
	}
#define LAZY_VOID(lib, name, params, args)                                                      \
	void name params                                                                        \
	{                                                                                       \
		static void *addr;                                                              \
		((void(*) params)lazy_sym(&lib, #name, &addr))args;                              \
	}

/* ---- libcurl ---------------------------------------------------------------------------------------- */

LAZY(lib_curl, CURLcode, curl_global_init, (long flags), (flags))
LAZY(lib_curl, CURL *, curl_easy_init, (void), ())
LAZY(lib_curl, CURLcode, curl_easy_perform, (CURL *c), (c))
LAZY_VOID(lib_curl, curl_easy_cleanup, (CURL *c), (c))
LAZY_VOID(lib_curl, curl_easy_reset, (CURL *c), (c))
LAZY(lib_curl, const char *, curl_easy_strerror, (CURLcode code), (code))
LAZY(lib_curl, struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s))
LAZY_VOID(lib_curl, curl_slist_free_all, (struct curl_slist *l), (l))
LAZY(lib_curl, CURLHcode, curl_easy_header,
     (CURL *c, const char *name, size_t index, unsigned int origin, int request, struct curl_header **hout),
     (c, name, index, origin, request, hout))

/* The option's number says its argument's type, as libcurl itself reads it. */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	static void *addr;
	CURLcode (*f)(CURL *, CURLoption, ...) = (CURLcode(*)(CURL *, CURLoption, ...))lazy_sym(&lib_curl, "curl_easy_setopt", &addr);
	CURLcode rc;
	va_list ap;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f(c, opt, va_arg(ap, long));
	else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB)
		rc = f(c, opt, va_arg(ap, curl_off_t));
	else
		rc = f(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO's argument is a pointer to the result. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	static void *addr;
	CURLcode (*f)(CURL *, CURLINFO, ...) = (CURLcode(*)(CURL *, CURLINFO, ...))lazy_sym(&lib_curl, "curl_easy_getinfo", &addr);
	CURLcode rc;
	va_list ap;

	va_start(ap, info);
	rc = f(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* ---- libzip ----------------------------------------------------------------------------------------- */

LAZY(lib_zip, zip_t *, zip_open, (const char *path, int flags, int *errorp), (path, flags, errorp))
LAZY_VOID(lib_zip, zip_discard, (zip_t *z), (z))
LAZY(lib_zip, zip_int64_t, zip_get_num_entries, (zip_t *z, zip_flags_t fl), (z, fl))
LAZY(lib_zip, const char *, zip_get_name, (zip_t *z, zip_uint64_t i, zip_flags_t fl), (z, i, fl))
LAZY(lib_zip, int, zip_stat_index, (zip_t *z, zip_uint64_t i, zip_flags_t fl, zip_stat_t *st), (z, i, fl, st))
LAZY(lib_zip, int, zip_file_get_external_attributes,
     (zip_t *z, zip_uint64_t i, zip_flags_t fl, zip_uint8_t *os, zip_uint32_t *attrs), (z, i, fl, os, attrs))
LAZY(lib_zip, zip_file_t *, zip_fopen_index, (zip_t *z, zip_uint64_t i, zip_flags_t fl), (z, i, fl))
LAZY(lib_zip, zip_int64_t, zip_fread, (zip_file_t *f, void *buf, zip_uint64_t n), (f, buf, n))
LAZY(lib_zip, int, zip_fclose, (zip_file_t *f), (f))
LAZY(lib_zip, const char *, zip_strerror, (zip_t *z), (z))
LAZY(lib_zip, const char *, zip_file_strerror, (zip_file_t *f), (f))
LAZY_VOID(lib_zip, zip_error_init_with_code, (zip_error_t *e, int code), (e, code))
LAZY(lib_zip, const char *, zip_error_strerror, (zip_error_t *e), (e))
LAZY_VOID(lib_zip, zip_error_fini, (zip_error_t *e), (e))

/* ---- libarchive ------------------------------------------------------------------------------------- */

LAZY(lib_archive, struct archive *, archive_write_new, (void), ())
LAZY(lib_archive, int, archive_write_set_format_pax_restricted, (struct archive *a), (a))
LAZY(lib_archive, int, archive_write_open_FILE, (struct archive *a, FILE *f), (a, f))
LAZY(lib_archive, int, archive_write_open2,
     (struct archive *a, void *data, archive_open_callback *o, archive_write_callback *w, archive_close_callback *c,
      archive_free_callback *f),
     (a, data, o, w, c, f))
LAZY(lib_archive, int, archive_write_header, (struct archive *a, struct archive_entry *e), (a, e))
LAZY(lib_archive, la_ssize_t, archive_write_data, (struct archive *a, const void *buf, size_t n), (a, buf, n))
LAZY(lib_archive, int, archive_write_close, (struct archive *a), (a))
LAZY(lib_archive, int, archive_write_free, (struct archive *a), (a))
LAZY(lib_archive, const char *, archive_error_string, (struct archive *a), (a))
LAZY(lib_archive, struct archive_entry *, archive_entry_new, (void), ())
LAZY_VOID(lib_archive, archive_entry_free, (struct archive_entry *e), (e))
LAZY_VOID(lib_archive, archive_entry_set_pathname, (struct archive_entry *e, const char *p), (e, p))
LAZY_VOID(lib_archive, archive_entry_set_filetype, (struct archive_entry *e, unsigned int t), (e, t))
LAZY_VOID(lib_archive, archive_entry_set_perm, (struct archive_entry *e, __LA_MODE_T m), (e, m))
LAZY_VOID(lib_archive, archive_entry_set_size, (struct archive_entry *e, la_int64_t n), (e, n))
LAZY_VOID(lib_archive, archive_entry_set_uid, (struct archive_entry *e, la_int64_t id), (e, id))
LAZY_VOID(lib_archive, archive_entry_set_gid, (struct archive_entry *e, la_int64_t id), (e, id))
LAZY_VOID(lib_archive, archive_entry_set_mtime, (struct archive_entry *e, time_t s, long ns), (e, s, ns))

/* ---- libcrypto -------------------------------------------------------------------------------------- */

LAZY(lib_crypto, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
LAZY_VOID(lib_crypto, EVP_MD_CTX_free, (EVP_MD_CTX *c), (c))
LAZY(lib_crypto, EVP_PKEY *, EVP_PKEY_new_raw_public_key, (int type, ENGINE *e, const unsigned char *pub, size_t len),
     (type, e, pub, len))
LAZY_VOID(lib_crypto, EVP_PKEY_free, (EVP_PKEY *k), (k))
LAZY(lib_crypto, int, EVP_DigestVerifyInit, (EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *md, ENGINE *e, EVP_PKEY *k),
     (c, pc, md, e, k))
LAZY(lib_crypto, int, EVP_DigestVerify,
     (EVP_MD_CTX *c, const unsigned char *sig, size_t siglen, const unsigned char *tbs, size_t tbslen),
     (c, sig, siglen, tbs, tbslen))
LAZY(lib_crypto, int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
