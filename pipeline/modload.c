#include "pipeline/modload.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/outfile.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "pipeline/config.h"
#include "pipeline/sumdb.h"

/* cmd/go's gover.ExplicitIndirectVersion: from this go version on, a go.mod lists every module that
 * provides a package, and its dependencies' graphs are pruned. */
#define PRUNING_GO "1.17"

/* ---- a string set (module@version keys) ------------------------------------------------------------- */

struct sset {
	char **slot;
	size_t n, cap; /* cap: a power of two, or 0 */
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* Adds s; returns false when it was there already. */
static bool sset_add(struct sset *t, const char *s)
{
	size_t i;

	if (2 * (t->n + 1) > t->cap) {
		struct sset bigger = { .cap = t->cap ? 2 * t->cap : 64 };

		bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
		for (size_t k = 0; k < t->cap; k++)
			if (t->slot[k]) {
				for (i = hash_str(t->slot[k]) & (bigger.cap - 1); bigger.slot[i]; i = (i + 1) & (bigger.cap - 1))
					;
				bigger.slot[i] = t->slot[k];
			}
		bigger.n = t->n;
		free(t->slot);
		*t = bigger;
	}
	for (i = hash_str(s) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		if (strcmp(t->slot[i], s) == 0)
			return false;
	t->slot[i] = xstrdup(s);
	t->n++;
	return true;
}

static void sset_release(struct sset *t)
{
	for (size_t k = 0; k < t->cap; k++)
		free(t->slot[k]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* ---- the graph walk ------------------------------------------------------------------------------------ */

/* What the walk knows of one module version: its go.mod's requirements and go line. */
struct summary {
	char *key;                 /* path@version */
	struct gb_modfile mf;
	bool pruned;
};

struct walk {
	struct gb_modgraph *mg;
	struct summary *sums;
	size_t nsums, sumcap;
	struct sset queued;        /* "path@version" + ("!" unpruned | "" pruned) */
	struct { char *path, *version; } *sel;
	size_t nsel, selcap;
};

static bool is_main_path(const struct gb_modgraph *mg, const char *path)
{
	for (size_t i = 0; i < mg->nmains; i++)
		if (strcmp(mg->mains[i].mf.module, path) == 0)
			return true;
	return false;
}

/* The replace directive for path@version and the directory its relative paths are relative to: the
 * workspace's first, then the main modules'. */
static const struct gb_modrepl *replacement(const struct gb_modgraph *mg, const char *path, const char *version,
					    const char **base)
{
	const struct gb_modrepl *r;

	if (mg->work && (r = gb_modfile_replacement(mg->work, path, version))) {
		*base = mg->work_dir;
		return r;
	}
	for (size_t i = 0; i < mg->nmains; i++)
		if ((r = gb_modfile_replacement(&mg->mains[i].mf, path, version))) {
			*base = mg->mains[i].dir;
			return r;
		}
	return NULL;
}

static bool excluded(const struct gb_modgraph *mg, const char *path, const char *version)
{
	for (size_t i = 0; i < mg->nmains; i++)
		if (gb_modfile_excluded(&mg->mains[i].mf, path, version))
			return true;
	return false;
}

/* A replacement directory, absolute. */
static char *repl_dir(const struct gb_modrepl *r, const char *base)
{
	return r->new_path[0] == '/' ? xstrdup(r->new_path) : xasprintf("%s/%s", base, r->new_path);
}

const char *gb_modgraph_sum(const struct gb_modgraph *mg, const char *path, const char *version)
{
	for (size_t i = 0; i < mg->nsums; i++) {
		const char *h = gb_gosum_lookup(&mg->sums[i], path, version);

		if (h)
			return h;
	}
	return NULL;
}

int gb_modgraph_want_sum(struct gb_modgraph *mg, const char *path, const char *version, const char **want,
			 struct rt_err *err)
{
	char *h1;

	*want = gb_modgraph_sum(mg, path, version);
	if (*want || !mg->use_sumdb || !mg->sumdb || gb_mod_match_patterns(mg->env->nosumdb, path))
		return 0;
	if (gb_sumdb_lookup(mg->sumdb, path, version, &h1, err) != 0)
		return -1;
	mg->dbsums = xgrow(mg->dbsums, &mg->dbsumcap, mg->ndbsums + 1, sizeof(*mg->dbsums));
	mg->dbsums[mg->ndbsums++] = h1;
	*want = h1;
	return 0;
}

static const char *first_sum_file(const struct gb_modgraph *mg)
{
	return mg->nsums ? mg->sums[0].file : "go.sum";
}

/* Where the hash want_sum gave for path@version came from, for messages. */
static const char *want_source(const struct gb_modgraph *mg, const char *path, const char *version)
{
	return gb_modgraph_sum(mg, path, version) || !mg->sumdb ? first_sum_file(mg) : gb_sumdb_name(mg->sumdb);
}

/* A go.mod from the module cache, checked against go.sum. */
static int verified_gomod(struct gb_modgraph *mg, const char *path, const char *version, char **data, struct rt_err *err)
{
	char *file = NULL, *key = xasprintf("%s/go.mod", version), *got = NULL;
	const char *want = NULL;
	int rc = -1;

	*data = NULL;
	/* fetched first, as go does: an unknown version is the proxy's "not found", not a go.sum matter
	 * (outside a module the checksum database is asked first: a version it does not have is not fetched) */
	if (mg->use_sumdb && gb_modgraph_want_sum(mg, path, key, &want, err) != 0)
		goto out;
	if (!mg->use_sumdb)
		want = gb_modgraph_sum(mg, path, key);
	if (gb_mod_fetch_gomod(mg->env, path, version, want, &file, err) != 0)
		goto out;
	if (!want && !mg->use_sumdb) {
		rt_errf(err, RT_EXIT_BUILD, "missing go.sum entry for go.mod file of %s@%s (not in %s); to add it: go mod download %s",
			path, version, first_sum_file(mg), path);
		goto out;
	}
	if (!(*data = rt_slurp(file))) {
		rt_errf(err, RT_EXIT_BUILD, "cannot read '%s': %s", file, strerror(errno));
		goto out;
	}
	got = gb_h1_gomod(*data, strlen(*data));
	if (want && strcmp(got, want) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "verifying %s@%s/go.mod: checksum mismatch\n\tdownloaded: %s (%s)\n\tgo.sum:     %s (%s)\n"
					    "SECURITY ERROR: the go.mod in the module cache is not the one go.sum recorded",
			path, version, got, file, want, want_source(mg, path, key));
		free(*data);
		*data = NULL;
		goto out;
	}
	rc = 0;
out:
	free(file);
	free(key);
	free(got);
	return rc;
}

/* The toolchain must be at least as new as a go line. */
static int check_go_line(const struct gb_modgraph *mg, const char *who, const char *go, struct rt_err *err)
{
	const char *running = mg->cfg->version + (strncmp(mg->cfg->version, "go", 2) == 0 ? 2 : 0);

	if (go && gb_gover_compare(go, running) > 0)
		return rt_errf(err, RT_EXIT_ENV, "%s requires go >= %s (running go %s from %s; rt0trace does not switch "
						 "toolchains: point --goroot or GOROOT at a Go %s or newer)",
			       who, go, running, mg->cfg->goroot, go);
	return 0;
}

/* The go.mod of path@version read so far ("path@version"), or NULL. */
static struct summary *read_summary(const struct walk *w, const char *key)
{
	for (size_t i = 0; i < w->nsums; i++)
		if (strcmp(w->sums[i].key, key) == 0)
			return &w->sums[i];
	return NULL;
}

/* Reads the go.mod of path@version (through its replacement) once. */
static int summary_of(struct walk *w, const char *path, const char *version, struct summary **out, struct rt_err *err)
{
	struct gb_modgraph *mg = w->mg;
	char *key = xasprintf("%s@%s", path, version), *data = NULL, *file = NULL;
	const struct gb_modrepl *r;
	const char *base = NULL;
	struct summary s = { 0 };
	int rc = -1;

	if ((*out = read_summary(w, key))) {
		free(key);
		return 0;
	}
	r = replacement(mg, path, version, &base);
	if (r && !r->new_version) {
		char *dir = repl_dir(r, base);

		file = xasprintf("%s/go.mod", dir);
		free(dir);
		if (!(data = rt_slurp(file))) {
			rt_errf(err, RT_EXIT_BUILD, "%s@%s (replaced by %s): cannot read '%s': %s", path, version, r->new_path,
				file, strerror(errno));
			goto out;
		}
	} else {
		const char *mp = r ? r->new_path : path, *mv = r ? r->new_version : version;

		if (verified_gomod(mg, mp, mv, &data, err) != 0)
			goto out;
		file = xasprintf("%s@%s/go.mod", mp, mv);
	}
	if (gb_modfile_parse(file, data, strlen(data), GB_MODFILE_LAX, &s.mf, err) != 0)
		goto out;
	if (!r && strcmp(s.mf.module, path) != 0) {
		rt_errf(err, RT_EXIT_BUILD, "%s@%s: parsing go.mod: module declares its path as: %s\n\tbut was required as: %s",
			path, version, s.mf.module, path);
		gb_modfile_release(&s.mf);
		goto out;
	}
	if (check_go_line(mg, key, s.mf.go, err) != 0) {
		gb_modfile_release(&s.mf);
		goto out;
	}
	s.pruned = s.mf.go && gb_gover_compare(s.mf.go, PRUNING_GO) >= 0;
	s.key = key;
	key = NULL;
	w->sums = xgrow(w->sums, &w->sumcap, w->nsums + 1, sizeof(*w->sums));
	w->sums[w->nsums] = s;
	*out = &w->sums[w->nsums++];
	rc = 0;
out:
	free(key);
	free(data);
	free(file);
	return rc;
}

/* Records a requirement on path@version: the selected version of path is the highest required. */
static void require(struct walk *w, const char *path, const char *version)
{
	for (size_t i = 0; i < w->nsel; i++)
		if (strcmp(w->sel[i].path, path) == 0) {
			if (gb_semver_compare(version, w->sel[i].version) > 0) {
				free(w->sel[i].version);
				w->sel[i].version = xstrdup(version);
			}
			return;
		}
	w->sel = xgrow(w->sel, &w->selcap, w->nsel + 1, sizeof(*w->sel));
	w->sel[w->nsel].path = xstrdup(path);
	w->sel[w->nsel].version = xstrdup(version);
	w->nsel++;
}

/* cmd/go's readModGraph enqueue: load m's requirements into the graph; go below them only when the
 * walk or m itself is unpruned. */
static int enqueue(struct walk *w, const char *path, const char *version, bool unpruned, struct rt_err *err)
{
	char *key = xasprintf("%s@%s%s", path, version, unpruned ? "!" : "");
	struct summary *s;
	bool fresh = sset_add(&w->queued, key);

	free(key);
	if (!fresh || is_main_path(w->mg, path))
		return 0;
	if (summary_of(w, path, version, &s, err) != 0)
		return -1;
	/* s may move when w->sums grows: copy what the loop needs first */
	{
		size_t n = s->mf.nreq;
		struct gb_modreq *req = xcalloc(n + 1, sizeof(*req));
		bool down = unpruned || !s->pruned;
		int rc = 0;

		for (size_t i = 0; i < n; i++)
			req[i] = (struct gb_modreq){ .path = xstrdup(s->mf.req[i].path), .version = xstrdup(s->mf.req[i].version) };
		for (size_t i = 0; i < n; i++)
			if (!excluded(w->mg, req[i].path, req[i].version))
				require(w, req[i].path, req[i].version);
		for (size_t i = 0; i < n && rc == 0 && down; i++)
			if (!excluded(w->mg, req[i].path, req[i].version))
				rc = enqueue(w, req[i].path, req[i].version, true, err);
		for (size_t i = 0; i < n; i++)
			free(req[i].path), free(req[i].version);
		free(req);
		if (rc)
			return rt_err_prefix(err, "%s@%s", path, version);
	}
	return 0;
}

static int cmp_mod(const void *a, const void *b)
{
	return strcmp(((const struct gb_mod *)a)->path, ((const struct gb_mod *)b)->path);
}

static int read_sums(struct gb_modgraph *mg, struct rt_err *err)
{
	size_t n = mg->outside ? 0 : mg->nmains + (mg->work ? 1 : 0);

	mg->sums = xcalloc(n + 1, sizeof(*mg->sums));
	for (size_t i = 0; i < n; i++) {
		char *file = i < mg->nmains ? xasprintf("%s/go.sum", mg->mains[i].dir) : xasprintf("%s/go.work.sum", mg->work_dir);
		int rc = gb_gosum_read(file, &mg->sums[mg->nsums], err);

		free(file);
		if (rc != 0)
			return -1;
		mg->nsums++;
	}
	return 0;
}

int gb_modgraph_load(struct gb_modgraph *mg, const struct gb_config *cfg, const struct gb_modenv *env,
		     struct gb_filehash *memo, struct gb_mainmod *mains, size_t nmains, struct gb_modfile *work,
		     const char *work_dir, int flags, struct rt_err *err)
{
	struct walk w = { .mg = mg };
	bool unpruned = false;
	int rc = -1;

	memset(mg, 0, sizeof(*mg));
	mg->cfg = cfg;
	mg->env = env;
	mg->memo = memo;
	mg->mains = mains;
	mg->nmains = nmains;
	mg->work = work;
	mg->work_dir = work_dir ? xstrdup(work_dir) : NULL;
	mg->outside = flags & GB_MODGRAPH_OUTSIDE;
	mg->use_sumdb = flags & (GB_MODGRAPH_OUTSIDE | GB_MODGRAPH_SUMDB);
	if (mg->use_sumdb && gb_sumdb_open(env, &mg->sumdb, err) != 0)
		goto out;
	if (read_sums(mg, err) != 0)
		goto out;
	if (work && check_go_line(mg, work->file, work->go, err) != 0)
		goto out;
	for (size_t i = 0; i < nmains; i++) {
		if (check_go_line(mg, mains[i].mf.file, mains[i].mf.go, err) != 0)
			goto out;
		/* a main module below go 1.17 reads its whole graph */
		unpruned = unpruned || !mains[i].mf.go || gb_gover_compare(mains[i].mf.go, PRUNING_GO) < 0;
	}
	for (size_t i = 0; i < nmains; i++)
		for (size_t k = 0; k < mains[i].mf.nreq; k++) {
			const struct gb_modreq *r = &mains[i].mf.req[k];

			if (!excluded(mg, r->path, r->version) && !is_main_path(mg, r->path))
				require(&w, r->path, r->version);
		}
	for (size_t i = 0; i < nmains; i++)
		for (size_t k = 0; k < mains[i].mf.nreq; k++) {
			const struct gb_modreq *r = &mains[i].mf.req[k];

			if (!excluded(mg, r->path, r->version) && enqueue(&w, r->path, r->version, unpruned, err) != 0)
				goto out;
		}
	mg->pruned = !unpruned;
	/* the build list: every path the graph names, at its selected version */
	mg->mods = xcalloc(w.nsel + 1, sizeof(*mg->mods));
	for (size_t i = 0; i < w.nsel; i++) {
		struct gb_mod *m = &mg->mods[mg->nmods];
		const struct gb_modrepl *r;
		const char *base = NULL;

		if (is_main_path(mg, w.sel[i].path))
			continue;
		m->path = xstrdup(w.sel[i].path);
		m->version = xstrdup(w.sel[i].version);
		if ((r = replacement(mg, m->path, m->version, &base))) {
			m->rpath = xstrdup(r->new_path);
			m->rversion = r->new_version ? xstrdup(r->new_version) : NULL;
			m->rdir = r->new_version ? NULL : repl_dir(r, base);
		}
		{
			char *key = xasprintf("%s@%s", m->path, m->version);
			const struct summary *sum = read_summary(&w, key);

			if (sum && sum->mf.go)
				m->go = xstrdup(sum->mf.go);
			free(key);
		}
		mg->nmods++;
	}
	qsort(mg->mods, mg->nmods, sizeof(*mg->mods), cmp_mod);
	rc = 0;
out:
	for (size_t i = 0; i < w.nsums; i++) {
		free(w.sums[i].key);
		gb_modfile_release(&w.sums[i].mf);
	}
	free(w.sums);
	for (size_t i = 0; i < w.nsel; i++)
		free(w.sel[i].path), free(w.sel[i].version);
	free(w.sel);
	sset_release(&w.queued);
	return rc;
}

void gb_modgraph_release(struct gb_modgraph *mg)
{
	for (size_t i = 0; i < mg->nmods; i++) {
		struct gb_mod *m = &mg->mods[i];

		free(m->path), free(m->version), free(m->rpath), free(m->rversion), free(m->rdir), free(m->go), free(m->dir);
		free(m->sum);
		free(m->vlines);
		free(m->vfiles);
	}
	free(mg->mods);
	for (size_t i = 0; i < mg->nmains; i++) {
		gb_modfile_release(&mg->mains[i].mf);
		free(mg->mains[i].dir);
	}
	free(mg->mains);
	if (mg->work) {
		gb_modfile_release(mg->work);
		free(mg->work);
	}
	free(mg->work_dir);
	for (size_t i = 0; i < mg->nsums; i++)
		gb_gosum_release(&mg->sums[i]);
	free(mg->sums);
	gb_sumdb_close(mg->sumdb);
	for (size_t i = 0; i < mg->ndbsums; i++)
		free(mg->dbsums[i]);
	free(mg->dbsums);
	memset(mg, 0, sizeof(*mg));
}

/* ---- module directories ------------------------------------------------------------------------------ */

/* m's go line when the graph did not read its go.mod (below a pruned module): read now, as cmd/go reads
 * the go.mod of every module a package comes from (its go line is the packages' -lang). */
static int go_line_of(struct gb_modgraph *mg, struct gb_mod *m, struct rt_err *err)
{
	char *data = NULL, *file;
	struct gb_modfile mf;
	int rc;

	if (m->go)
		return 0;
	if (m->rdir) {
		file = xasprintf("%s/go.mod", m->rdir);
		data = rt_slurp(file); /* a replacement directory without a go.mod has no go line */
	} else {
		file = xasprintf("%s@%s/go.mod", m->rpath ? m->rpath : m->path, m->rpath ? m->rversion : m->version);
		if (verified_gomod(mg, m->rpath ? m->rpath : m->path, m->rpath ? m->rversion : m->version, &data, err) != 0) {
			free(file);
			return -1;
		}
	}
	rc = data ? gb_modfile_parse(file, data, strlen(data), GB_MODFILE_LAX, &mf, err) : 0;
	if (data && rc == 0) {
		m->go = mf.go ? xstrdup(mf.go) : NULL;
		gb_modfile_release(&mf);
	}
	free(data);
	free(file);
	return rc;
}

/* ---- verified directories ---------------------------------------------------------------------------- */

static char *record_file(const struct gb_modgraph *mg, const char *dir)
{
	uint8_t d[32];
	char hex[65];

	sha256(dir, strlen(dir), d);
	sha256_hex(d, hex);
	return xasprintf("%s/%s", mg->record_dir, hex);
}

/* m->vfiles from m->vlines ("<hex>  <name>\n" lines, sorted by name); false when malformed. */
static bool parse_lines(struct gb_mod *m)
{
	size_t cap = 0;

	for (char *l = m->vlines; *l;) {
		char *nl = strchr(l, '\n');
		struct gb_modsum f;

		if (!nl || nl - l < 67 || l[64] != ' ' || l[65] != ' ')
			return false;
		f.hex = l;
		f.name = l + 66;
		f.len = (size_t)(nl - f.name);
		m->vfiles = xgrow(m->vfiles, &cap, m->nvfiles + 1, sizeof(*m->vfiles));
		m->vfiles[m->nvfiles++] = f;
		l = nl + 1;
	}
	return true;
}

/* m verified before (its record's lines hash to want): 0, with m->vlines and m->vfiles set. */
static int load_record(struct gb_modgraph *mg, struct gb_mod *m, const char *want)
{
	char *file, *data, *h1;
	size_t len;
	int rc = -1;

	if (!mg->record_dir)
		return -1;
	file = record_file(mg, m->dir);
	if (rt_read_file(file, &data, &len) == 0) {
		h1 = gb_h1_of_lines(data, len);
		if (strcmp(h1, want) == 0) {
			m->vlines = data;
			data = NULL;
			if (parse_lines(m)) {
				rc = 0;
			} else {
				free(m->vfiles);
				free(m->vlines);
				m->vfiles = NULL;
				m->vlines = NULL;
				m->nvfiles = 0;
			}
		}
		free(h1);
		free(data);
	}
	free(file);
	return rc;
}

/* Keeps a verified directory's lines (taken over), in m and in the record (best effort: a record that
 * cannot be written only means the whole directory is hashed again next time). */
static void keep_record(struct gb_modgraph *mg, struct gb_mod *m, char *lines)
{
	m->vlines = lines;
	if (!parse_lines(m)) {
		free(m->vfiles);
		m->vfiles = NULL;
		m->nvfiles = 0;
		return;
	}
	if (mg->record_dir && rt_mkdir_p(mg->record_dir) == 0) {
		char *file = record_file(mg, m->dir);
		struct rt_outfile o = { 0 };

		if (rt_outfile_open(&o, file, 0666) == 0 && (fputs(lines, o.f) < 0 || rt_outfile_commit(&o) != 0))
			rt_outfile_discard(&o);
		free(file);
	}
}

static int cmp_modsum(const void *key, const void *elem)
{
	const struct gb_modsum *k = key, *e = elem;
	size_t n = k->len < e->len ? k->len : e->len;
	int c = memcmp(k->name, e->name, n);

	return c ? c : (k->len > e->len) - (k->len < e->len);
}

int gb_modgraph_check_file(const struct gb_modgraph *mg, const struct gb_mod *m, const char *path, const uint8_t sum[32],
			   struct rt_err *err)
{
	const char *mp = m->rpath ? m->rpath : m->path, *mv = m->rpath ? m->rversion : m->version;
	size_t dl = m->dir ? strlen(m->dir) : 0;
	struct gb_modsum key, *hit;
	uint8_t want[32];
	char *name;
	int rc = 0;

	if (!m->vfiles || strncmp(path, m->dir, dl) != 0 || path[dl] != '/')
		return 0;
	name = xasprintf("%s@%s/%s", mp, mv, path + dl + 1);
	key.name = name;
	key.len = strlen(name);
	hit = bsearch(&key, m->vfiles, m->nvfiles, sizeof(*m->vfiles), cmp_modsum);
	if (!hit || !sha256_from_hex(hit->hex, want) || memcmp(want, sum, 32) != 0) {
		char *file = mg->record_dir ? record_file(mg, m->dir) : NULL;

		rc = rt_errf(err, RT_EXIT_BUILD, "verifying %s@%s: checksum mismatch: %s %s (SECURITY ERROR: a file in the "
						 "module cache changed since it was downloaded; remove %s and build again to "
						 "fetch it anew)",
			     mp, mv, path, hit ? "does not hash as when the module was verified against go.sum"
					       : "was not in the module when it was verified against go.sum",
			     m->dir);
		if (file)
			unlink(file);
		free(file);
	}
	free(name);
	return rc;
}

int gb_modgraph_dir(struct gb_modgraph *mg, struct gb_mod *m, struct rt_err *err)
{
	const char *mp = m->rpath ? m->rpath : m->path, *mv = m->rpath ? m->rversion : m->version;
	const char *want;
	char *prefix, *got = NULL, *lines = NULL;
	int rc;

	if (m->have_dir)
		return 0;
	if (go_line_of(mg, m, err) != 0)
		return -1;
	if (m->rdir) { /* a directory: the user's files, not the cache's */
		if (!rt_is_dir(m->rdir))
			return rt_errf(err, RT_EXIT_BUILD, "%s@%s: replacement directory %s does not exist", m->path, m->version,
				       m->rdir);
		m->dir = xstrdup(m->rdir);
		m->have_dir = true;
		return 0;
	}
	if (gb_modgraph_want_sum(mg, mp, mv, &want, err) != 0)
		return -1;
	if (!want && !mg->use_sumdb)
		return rt_errf(err, RT_EXIT_BUILD, "missing go.sum entry for module %s@%s (not in %s); to add it: go mod download %s",
			       mp, mv, first_sum_file(mg), mp);
	if (gb_mod_fetch_dir(mg->env, mp, mv, want, &m->dir, err) != 0)
		return -1;
	if (!want) { /* not checked (GOSUMDB=off, GONOSUMDB): what was downloaded */
		m->sum = gb_mod_cached_sum(mg->env, mp, mv);
		m->have_dir = true;
		return 0;
	}
	/* The cache's files now, against go.sum: a file changed after the download shows here. Once a
	 * directory has verified, its Hash1 lines are kept: later builds check the files they use. */
	prefix = xasprintf("%s@%s", mp, mv);
	if (load_record(mg, m, want) == 0) {
		free(prefix);
		m->sum = xstrdup(want);
		m->have_dir = true;
		return 0;
	}
	rc = gb_h1_dir_lines(m->dir, prefix, mg->memo, &got, &lines, err);
	free(prefix);
	if (rc != 0)
		return -1;
	if (strcmp(got, want) != 0) {
		rc = rt_errf(err, RT_EXIT_BUILD, "verifying %s@%s: checksum mismatch\n\tmodule cache: %s (%s)\n\tgo.sum:       %s (%s)\n"
						 "SECURITY ERROR: a file in the module cache changed since it was downloaded "
						 "(remove %s and build again to fetch it anew)",
			     mp, mv, got, m->dir, want, want_source(mg, mp, mv), m->dir);
		free(got);
		free(lines);
		return rc;
	}
	free(got);
	keep_record(mg, m, lines);
	m->sum = xstrdup(want);
	m->have_dir = true;
	return 0;
}

/* Whether dir directly holds a .go file (cmd/go's dirInModule: a package is a directory with Go
 * files, whatever their build constraints). */
static bool has_go_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *p;
		struct stat st;

		if (n < 4 || strcmp(e->d_name + n - 3, ".go") != 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		found = stat(p, &st) == 0 && S_ISREG(st.st_mode);
		free(p);
	}
	closedir(d);
	return found;
}

/* Whether a go.mod in a directory from pkgdir up to (not including) moddir makes it another module. */
static bool in_nested_module(const char *moddir, const char *pkgdir)
{
	char *d = xstrdup(pkgdir);
	size_t root = strlen(moddir);
	bool nested = false;

	while (!nested && strlen(d) > root) {
		char *gm = xasprintf("%s/go.mod", d), *slash;

		nested = rt_is_file(gm);
		free(gm);
		slash = strrchr(d, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	free(d);
	return nested;
}

/* Whether a main module requires path directly (a root of the requirement graph). */
static bool is_root(const struct gb_modgraph *mg, const char *path)
{
	for (size_t i = 0; i < mg->nmains; i++)
		for (size_t k = 0; k < mg->mains[i].mf.nreq; k++)
			if (strcmp(mg->mains[i].mf.req[k].path, path) == 0)
				return true;
	return false;
}

/* One pass of the lookup over the build list (only the roots when roots_only): 1 found, 0 not, -1 error. */
static int find_in(struct gb_modgraph *mg, const char *imp, bool roots_only, struct gb_mod **mod, char **pkgdir,
		   struct rt_err *err)
{
	struct gb_mod *found = NULL;
	char *found_dir = NULL;

	for (size_t i = 0; i < mg->nmods; i++) {
		struct gb_mod *m = &mg->mods[i];
		char *dir;

		if (!rt_path_under(imp, m->path) || (roots_only && !is_root(mg, m->path)))
			continue;
		if (gb_modgraph_dir(mg, m, err) != 0)
			return rt_err_prefix(err, "package %s", imp);
		dir = xasprintf("%s%s", m->dir, imp + strlen(m->path));
		if (!has_go_files(dir) || in_nested_module(m->dir, dir)) {
			free(dir);
			continue;
		}
		if (found) {
			rt_errf(err, RT_EXIT_BUILD, "ambiguous import: found package %s in multiple modules:\n\t%s %s (%s)\n\t%s %s (%s)",
				imp, found->path, found->version, found_dir, m->path, m->version, dir);
			free(dir);
			free(found_dir);
			return -1;
		}
		found = m;
		found_dir = dir;
	}
	if (!found)
		return 0;
	*mod = found;
	*pkgdir = found_dir;
	return 1;
}

int gb_modgraph_find(struct gb_modgraph *mg, const char *imp, struct gb_mod **mod, char **pkgdir, struct rt_err *err)
{
	int rc = 0;

	*mod = NULL;
	*pkgdir = NULL;
	if (mg->pruned)
		rc = find_in(mg, imp, true, mod, pkgdir, err);
	return rc != 0 ? rc : find_in(mg, imp, false, mod, pkgdir, err);
}
