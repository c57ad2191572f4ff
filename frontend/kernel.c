/*
** frontend/kernel.c: facts about the running kernel, read once per run.
**
** One `struct kernel` (made by the runtime session, or by main for -l)
** is the only reader of /proc and /sys: the tracefs root (mounted when
** missing and we may), its tracepoint listing and format files, the
** traceable-function list (available_filter_functions, else kallsyms'
** text symbols), kallsyms address -> symbol and name -> address, and the
** module BTF files beside vmlinux'. Each is read on first need and kept.
** A NULL kernel knows nothing: every lookup answers "unknown" (-1, NULL,
** false), as when the file cannot be read.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "ast.h"


struct kernel {
	bool tracefs_tried;
	const char *tracefs;   /* NULL: none */
	bool tps_read;
	char **tps;            /* every "cat:name", in glob(3) order */
	int ntps, captps;
	char **plain;          /* plain "cat:name" found, without a walk */
	int nplain, capplain;
	struct kfmt *fmts;     /* format files read so far */
	int nfmts, capfmts;
	bool funcs_read;
	int funcs_scanned;     /* kernel_funcs_have calls */
	int funcs_rc;          /* -1: no function list to read */
	char *fpool;           /* the names, NUL-separated */
	char **funcs;          /* sorted, unique (after funcs_sort) */
	int nfuncs, capfuncs;
	bool ksyms_tried;
	struct ksyms *ksyms;   /* NULL: kallsyms unreadable or hidden */
	bool names_tried;
	struct ksyms *names;   /* by name, for kaddr(); NULL: unread */
	bool mods_read;
	char **mods;           /* /sys/kernel/btf/<module> paths */
	int nmods, capmods;
};

bool has_wildcard(const char *s)
{
	return s && strpbrk(s, "*?[") != NULL;
}

struct kfmt {
	char *key;  /* "cat/name" */
	char *text;
};

struct kernel *kernel_open(void)
{
	struct kernel *k = calloc(1, sizeof(*k));
	if (!k)
		abort();
	return k;
}

static void free_strs(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void ksyms_free(struct ksyms *k);

void kernel_close(struct kernel *k)
{
	if (!k)
		return;
	free_strs(k->tps, k->ntps);
	free_strs(k->plain, k->nplain);
	for (int i = 0; i < k->nfmts; i++) {
		free(k->fmts[i].key);
		free(k->fmts[i].text);
	}
	free(k->fmts);
	free(k->fpool);
	free(k->funcs);
	ksyms_free(k->ksyms);
	ksyms_free(k->names);
	free_strs(k->mods, k->nmods);
	free(k);
}

static void push_str(char ***v, int *n, int *cap, const char *s)
{
	*v = vec_reserve(*v, *n, cap, sizeof(**v));
	(*v)[(*n)++] = strdup(s);
	if (!(*v)[*n - 1])
		abort();
}

/* ------------------------------------------------------------- tracefs */

/*
** The tracefs root with an events/ directory, or NULL. When none is
** mounted and we may mount it (root), it is mounted where the kernel
** documents it, once, as perf does: a fresh boot or a container often has
** no tracefs, and every tracepoint and kprobe list lives there.
*/
static const char *const TRACEFS_ROOTS[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static const char *mounted_tracefs(void)
{
	for (size_t i = 0; i < sizeof(TRACEFS_ROOTS) / sizeof(*TRACEFS_ROOTS); i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s/events", TRACEFS_ROOTS[i]);
		if (access(p, R_OK) == 0)
			return TRACEFS_ROOTS[i];
	}
	return NULL;
}

const char *kernel_tracefs(struct kernel *k)
{
	if (!k)
		return NULL;
	if (k->tracefs || k->tracefs_tried)
		return k->tracefs;
	k->tracefs_tried = true;
	k->tracefs = mounted_tracefs();
	if (!k->tracefs && geteuid() == 0 && mount("nodev", TRACEFS_ROOTS[0], "tracefs", 0, NULL) == 0)
		k->tracefs = mounted_tracefs();
	return k->tracefs;
}

/* "cat:name" in the order glob(3) lists "cat/name/format": ':' as '/' */
bool kernel_has_kprobes(struct kernel *k)
{
	const char *root = kernel_tracefs(k);
	char path[512];
	if (!root)
		return false;
	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	return access(path, F_OK) == 0;
}

static int cmp_tp(const void *a, const void *b)
{
	const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
	for (;; x++, y++) {
		int cx = *x == ':' ? '/' : *x, cy = *y == ':' ? '/' : *y;
		if (cx != cy || !cx)
			return cx - cy;
	}
}

/* every tracepoint under events/, read once */
static void read_tracepoints(struct kernel *k, const char *root)
{
	char path[512];
	k->tps_read = true;
	snprintf(path, sizeof(path), "%s/events", root);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[768];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		DIR *d2 = opendir(sub);
		if (!d2)
			continue;
		struct dirent *e2;
		while ((e2 = readdir(d2))) {
			if (e2->d_name[0] == '.' || e2->d_type != DT_DIR)
				continue;
			char full[600];
			snprintf(full, sizeof(full), "%s:%s", e->d_name, e2->d_name);
			push_str(&k->tps, &k->ntps, &k->captps, full);
		}
		closedir(d2);
	}
	closedir(d);
	if (k->ntps) /* qsort(NULL, 0) is undefined */
		qsort(k->tps, (size_t)k->ntps, sizeof(char *), cmp_tp);
}

/*
** Tracepoints matching cat:name (globs), as "cat:name" strings in glob(3)
** order, into *out (the array is the caller's to free, the strings the
** kernel's); their number, or -1 without tracefs. A plain name is one
** look at its directory, not a walk of events/.
*/
int kernel_tracepoints(struct kernel *k, const char *cat, const char *name, const char ***out)
{
	const char *root = kernel_tracefs(k);
	*out = NULL;
	if (!root)
		return -1;
	int n = 0;
	if (!has_wildcard(cat) && !has_wildcard(name)) {
		char path[768];
		snprintf(path, sizeof(path), "%s:%s", cat, name);
		for (int i = 0; i < k->nplain && !n; i++)
			n = !strcmp(k->plain[i], path) ? i + 1 : 0;
		if (!n) {
			char fp[1024];
			snprintf(fp, sizeof(fp), "%s/events/%s/%s/format", root, cat, name);
			if (access(fp, F_OK) != 0)
				return 0;
			push_str(&k->plain, &k->nplain, &k->capplain, path);
			n = k->nplain;
		}
		*out = malloc(sizeof(char *));
		if (!*out)
			abort();
		(*out)[0] = k->plain[n - 1];
		return 1;
	}
	if (!k->tps_read)
		read_tracepoints(k, root);
	*out = malloc(sizeof(char *) * (size_t)(k->ntps + 1));
	if (!*out)
		abort();
	for (int i = 0; i < k->ntps; i++) {
		const char *tp = k->tps[i], *c = strchr(tp, ':');
		char cb[300];
		snprintf(cb, sizeof(cb), "%.*s", (int)(c - tp), tp);
		if (!fnmatch(cat, cb, 0) && !fnmatch(name, c + 1, 0))
			(*out)[n++] = tp;
	}
	return n;
}

/* the format file of a tracepoint, read once; NULL when absent */
const char *kernel_tp_format(struct kernel *k, const char *cat, const char *name)
{
	const char *root = kernel_tracefs(k);
	if (!root)
		return NULL;
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", cat, name);
	for (int i = 0; i < k->nfmts; i++)
		if (!strcmp(k->fmts[i].key, key))
			return k->fmts[i].text;
	char path[768];
	snprintf(path, sizeof(path), "%s/events/%s/format", root, key);
	char *text = NULL;
	FILE *f = fopen(path, "r");
	if (f) {
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		char buf[4096];
		size_t r;
		if (!m)
			abort();
		while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, r, m);
		fclose(m);
		fclose(f);
	}
	if (text) { /* only those there: a fuzzer asks for endless others */
		k->fmts = vec_reserve(k->fmts, k->nfmts, &k->capfmts, sizeof(*k->fmts));
		k->fmts[k->nfmts++] = (struct kfmt){ strdup(key), text };
	}
	return text;
}

/* ------------------------------------------------- traceable functions */

/*
** The list of traceable kernel functions: available_filter_functions when
** tracefs lets us read it, else the text symbols of /proc/kallsyms (a
** superset: some are notrace). NULL when neither can be read.
*/
static FILE *open_funcs(struct kernel *k, bool *kallsyms)
{
	const char *root = kernel_tracefs(k);
	FILE *f = NULL;
	*kallsyms = false;
	if (root) {
		char path[256];
		snprintf(path, sizeof(path), "%s/available_filter_functions", root);
		f = fopen(path, "r");
	}
	if (!f) {
		f = fopen("/proc/kallsyms", "r");
		*kallsyms = true;
	}
	if (f)
		setvbuf(f, NULL, _IOFBF, 1 << 16); /* kallsyms: ~120k-200k lines */
	return f;
}

/*
** One kallsyms line "ffffffff81000000 T _text\t[mod]", cut in place:
** its address, type letter, name and module (NULL: vmlinux). No sscanf:
** this runs for every kernel symbol. false for a malformed line.
*/
static bool kallsyms_line(char *line, uint64_t *addr, char *type, char **name, char **mod)
{
	char *p;
	*addr = strtoull(line, &p, 16);
	if (p == line || p[0] != ' ' || !p[1] || p[2] != ' ')
		return false;
	*type = p[1];
	*name = p + 3;
	p = *name + strcspn(*name, " \t\n");
	char *m = p + strspn(p, " \t");
	*p = '\0';
	*mod = NULL;
	if (*m == '[') {
		m++;
		m[strcspn(m, "]")] = '\0';
		*mod = m;
	}
	return **name != 0;
}

/* the function name on one line of that list ("name [module]", or a
 * kallsyms line), cut in place; NULL for other kallsyms symbols */
static const char *func_name(char *line, bool kallsyms)
{
	char *name = line, *mod;
	if (kallsyms) {
		uint64_t addr;
		char type;
		if (!kallsyms_line(line, &addr, &type, &name, &mod) || (type != 't' && type != 'T'))
			return NULL;
		return name;
	}
	name[strcspn(name, " \t\n")] = 0;
	return *name ? name : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the whole function list, sorted and unique, read once */
static int read_funcs(struct kernel *k)
{
	if (k->funcs_read)
		return k->funcs_rc;
	k->funcs_read = true;
	bool kallsyms;
	FILE *f = open_funcs(k, &kallsyms);
	if (!f)
		return k->funcs_rc = -1;
	size_t len = 0, cap = 0;
	size_t *offs = NULL;
	int n = 0, capn = 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		const char *name = func_name(line, kallsyms);
		if (!name)
			continue;
		size_t l = strlen(name) + 1;
		if (len + l > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			k->fpool = realloc(k->fpool, cap);
			if (!k->fpool)
				abort();
		}
		memcpy(k->fpool + len, name, l);
		offs = vec_reserve(offs, n, &capn, sizeof(*offs));
		offs[n++] = len;
		len += l;
	}
	fclose(f);
	k->funcs = malloc(sizeof(char *) * (size_t)(n + 1));
	if (!k->funcs)
		abort();
	for (int i = 0; i < n; i++)
		k->funcs[i] = k->fpool + offs[i];
	free(offs);
	if (n) /* qsort(NULL, 0) is undefined */
		qsort(k->funcs, (size_t)n, sizeof(char *), cmp_str);
	int u = 0;
	for (int i = 0; i < n; i++)
		if (!u || strcmp(k->funcs[u - 1], k->funcs[i]))
			k->funcs[u++] = k->funcs[i];
	k->nfuncs = u;
	return k->funcs_rc = 0;
}

/*
** Traceable kernel functions matching pattern (NULL: all), sorted and
** unique, into *out (the array is the caller's, the names the kernel's);
** their number, or -1 when there is no list. A wildcard leaves out
** .cold/.isra/.constprop clones unless it asks for them
** (kprobe:lookup_fast.constprop.*): 'tcp_*' would otherwise attach to a
** function and to its clone; a listing (NULL) sees them all.
*/
int kernel_funcs(struct kernel *k, const char *pattern, const char ***out)
{
	*out = NULL;
	if (!k || read_funcs(k) < 0)
		return -1;
	*out = malloc(sizeof(char *) * (size_t)(k->nfuncs + 1));
	if (!*out)
		abort();
	int n = 0;
	for (int i = 0; i < k->nfuncs; i++) {
		const char *name = k->funcs[i];
		if (pattern && strchr(name, '.') && !strchr(pattern, '.'))
			continue;
		if (!pattern || !fnmatch(pattern, name, 0))
			(*out)[n++] = name;
	}
	return n;
}

/*
** Which of the plain names funcs[0..n) are traceable: the first time one
** scan of the list, ended as soon as all are found (a run asks once, for
** all of its script's names); later, or once the list was read whole, a
** bsearch each in the list read once. -1 when there is no list.
*/
int kernel_funcs_have(struct kernel *k, const char *const *funcs, int n, bool *found)
{
	if (!k)
		return -1;
	for (int i = 0; i < n; i++)
		found[i] = false;
	if (k->funcs_read || k->funcs_scanned++) {
		read_funcs(k);
		if (k->funcs_rc < 0)
			return -1;
		for (int i = 0; i < n; i++)
			found[i] = bsearch(&funcs[i], k->funcs, (size_t)k->nfuncs, sizeof(char *), cmp_str) != NULL;
		return 0;
	}
	bool kallsyms;
	FILE *f = open_funcs(k, &kallsyms);
	if (!f)
		return -1;
	int left = n;
	char line[512];
	while (left && fgets(line, sizeof(line), f)) {
		const char *name = func_name(line, kallsyms);
		for (int i = 0; name && i < n; i++)
			if (!found[i] && !strcmp(funcs[i], name)) {
				found[i] = true;
				left--;
			}
	}
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------ kallsyms */

/*
** Kernel addresses to "func+off", as bpftrace 0.17 (via bcc's KSyms)
** resolves them for kstack and ksym().
**
** /proc/kallsyms is read once, the first time a stack or ksym is printed,
** into fixed-size records {addr, name, module} sorted by address, with
** names in one string pool; a lookup is a binary search for the last
** symbol at or below the address, with no size check (so an address past
** the end of a function is still "func+off", as in bcc).  Like bcc we keep
** only text symbols (data types b B d D r R are dropped) and skip address
** 0 (kptr_restrict).  We also drop the [bpf] pseudo-module: bpftrace's
** symbol cache never shows BPF programs, so a frame in a BPF program reads
** "_einittext+N" there, and here.  Among symbols at one address the last
** that libstdc++'s std::sort leaves last wins, as in bpftrace (see
** ksym_stl_sort).
*/
struct ksym_rec {
	uint64_t addr;
	uint32_t name; /* offset in pool */
	uint32_t mod;  /* offset in pool; 0: vmlinux (pool[0] is "") */
};

struct ksyms {
	struct ksym_rec *v;
	size_t n;
	char *pool;
	size_t poollen, poolcap;
};

/* append s[0..n) and a NUL to the pool; returns its offset or -1 */
static int64_t ksym_intern(struct ksyms *k, const char *s, size_t n)
{
	size_t off = k->poollen;

	if (k->poollen + n + 1 > k->poolcap) {
		size_t cap = k->poolcap ? 2 * k->poolcap : 1 << 20;
		char *p;

		while (cap < k->poollen + n + 1)
			cap *= 2;
		p = realloc(k->pool, cap);
		if (!p)
			return -1;
		k->pool = p;
		k->poolcap = cap;
	}
	memcpy(k->pool + off, s, n);
	k->pool[off + n] = '\0';
	k->poollen += n + 1;
	return (int64_t)off;
}

/*
** bcc sorts its symbol vector with std::sort by address alone, so which
** of several symbols at one address bpftrace prints depends on how
** libstdc++'s introsort leaves them.  The functions below redo that sort
** step by step (GCC's bits/stl_algo.h and stl_heap.h: median-of-three
** pivot, unguarded partition, heap sort past 2*lg(n) levels, final
** insertion sort over runs of 16) on the same input order, so the same
** symbol ends up last.
*/
#define STL_THRESHOLD 16

typedef struct ksym_rec rec;

static void ksym_swap(rec *a, rec *b)
{
	rec t = *a;

	*a = *b;
	*b = t;
}

static void ksym_push_heap(rec *f, long hole, long top, rec v)
{
	long parent = (hole - 1) / 2;

	while (hole > top && f[parent].addr < v.addr) {
		f[hole] = f[parent];
		hole = parent;
		parent = (hole - 1) / 2;
	}
	f[hole] = v;
}

static void ksym_adjust_heap(rec *f, long hole, long len, rec v)
{
	long top = hole, child = hole;

	while (child < (len - 1) / 2) {
		child = 2 * (child + 1);
		if (f[child].addr < f[child - 1].addr)
			child--;
		f[hole] = f[child];
		hole = child;
	}
	if ((len & 1) == 0 && child == (len - 2) / 2) {
		child = 2 * (child + 1);
		f[hole] = f[child - 1];
		hole = child - 1;
	}
	ksym_push_heap(f, hole, top, v);
}

/* std::__partial_sort(first, last, last): make_heap then sort_heap */
static void ksym_heap_sort(rec *f, long len)
{
	for (long parent = (len - 2) / 2; len >= 2; parent--) {
		ksym_adjust_heap(f, parent, len, f[parent]);
		if (parent == 0)
			break;
	}
	while (len > 1) {
		rec v = f[--len];

		f[len] = f[0];
		ksym_adjust_heap(f, 0, len, v);
	}
}

static void ksym_median_to_first(rec *r, rec *a, rec *b, rec *c)
{
	if (a->addr < b->addr) {
		if (b->addr < c->addr)
			ksym_swap(r, b);
		else if (a->addr < c->addr)
			ksym_swap(r, c);
		else
			ksym_swap(r, a);
	} else if (a->addr < c->addr) {
		ksym_swap(r, a);
	} else if (b->addr < c->addr) {
		ksym_swap(r, c);
	} else {
		ksym_swap(r, b);
	}
}

static rec *ksym_partition(rec *first, rec *last)
{
	rec *mid = first + (last - first) / 2, *lo = first + 1, *hi = last;

	ksym_median_to_first(first, first + 1, mid, last - 1);
	for (;;) {
		while (lo->addr < first->addr)
			lo++;
		hi--;
		while (first->addr < hi->addr)
			hi--;
		if (!(lo < hi))
			return lo;
		ksym_swap(lo, hi);
		lo++;
	}
}

static void ksym_introsort(rec *first, rec *last, int depth)
{
	while (last - first > STL_THRESHOLD) {
		rec *cut;

		if (depth == 0) {
			ksym_heap_sort(first, last - first);
			return;
		}
		depth--;
		cut = ksym_partition(first, last);
		ksym_introsort(cut, last, depth);
		last = cut;
	}
}

static void ksym_linear_insert(rec *last)
{
	rec v = *last, *next = last - 1;

	while (v.addr < next->addr) {
		*last = *next;
		last = next--;
	}
	*last = v;
}

static void ksym_insertion_sort(rec *first, rec *last)
{
	for (rec *i = first + 1; i < last; i++) {
		if (i->addr < first->addr) {
			rec v = *i;

			memmove(first + 1, first, (size_t)(i - first) * sizeof(rec));
			*first = v;
		} else {
			ksym_linear_insert(i);
		}
	}
}

static void ksym_stl_sort(rec *v, size_t n)
{
	int lg = 0;

	if (n < 2)
		return;
	while ((n >> (lg + 1)) != 0)
		lg++;
	ksym_introsort(v, v + n, 2 * lg);
	if (n > STL_THRESHOLD) {
		ksym_insertion_sort(v, v + STL_THRESHOLD);
		for (rec *i = v + STL_THRESHOLD; i < v + n; i++)
			ksym_linear_insert(i);
	} else {
		ksym_insertion_sort(v, v + n);
	}
}


/*
** One kallsyms line into k. For the address index (by_name false): text
** symbols only, not address 0 (hidden), not the [bpf] pseudo-module. For
** the name index every line, as kaddr() looks data symbols up too.
** Returns 0 (added or skipped) or -1 on allocation failure.
*/
static int ksym_add_line(struct ksyms *k, char *line, bool by_name, size_t *cap,
			 uint32_t *lastmod)
{
	char *name, *mod, type;
	uint64_t addr;
	int64_t no, mo;

	if (!kallsyms_line(line, &addr, &type, &name, &mod))
		return 0;
	if (!by_name && (addr == 0 || addr == UINT64_MAX || strchr("bBdDrR", type) ||
			 (mod && strcmp(mod, "bpf") == 0)))
		return 0;
	if (k->n == *cap) {
		struct ksym_rec *v;

		*cap = *cap ? 2 * *cap : 1 << 17;
		v = realloc(k->v, *cap * sizeof(*v));
		if (!v)
			return -1;
		k->v = v;
	}
	mo = 0;
	if (mod) {
		if (*lastmod && strcmp(k->pool + *lastmod, mod) == 0)
			mo = *lastmod;
		else if ((mo = ksym_intern(k, mod, strlen(mod))) < 0)
			return -1;
		*lastmod = (uint32_t)mo;
	}
	if ((no = ksym_intern(k, name, strlen(name))) < 0)
		return -1;
	k->v[k->n++] = (struct ksym_rec){ addr, (uint32_t)no, (uint32_t)mo };
	return 0;
}

static void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->v);
	free(k->pool);
	free(k);
}

/*
** by name, then by line: names are interned in line order, so a lower
** pool offset is an earlier line
*/
static int ksym_name_cmp(const void *a, const void *b, void *arg)
{
	const struct ksym_rec *x = a, *y = b;
	const char *pool = arg;
	int r = strcmp(pool + x->name, pool + y->name);

	return r ? r : (x->name > y->name) - (x->name < y->name);
}

/*
** Read /proc/kallsyms into records sorted by address (by_name false) or
** by name; NULL if it cannot be read or (by address) shows no addresses
** (not root, kptr_restrict).
*/
static struct ksyms *ksyms_load(bool by_name)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[1024];
	size_t cap = 0, i, j;
	uint32_t lastmod = 0;
	struct ksym_rec *v;
	char *pool;

	if (!k || !f || ksym_intern(k, "", 0) < 0)
		goto fail;
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof(line), f))
		if (ksym_add_line(k, line, by_name, &cap, &lastmod) < 0)
			goto fail;
	fclose(f);
	f = NULL;
	if (k->n == 0)
		goto fail;
	if (by_name) {
		qsort_r(k->v, k->n, sizeof(*k->v), ksym_name_cmp, k->pool);
	} else {
		ksym_stl_sort(k->v, k->n);
		/* one record per address: the one bcc's upper_bound finds */
		for (i = 0, j = 0; i < k->n; i++) {
			if (j && k->v[j - 1].addr == k->v[i].addr)
				j--;
			k->v[j++] = k->v[i];
		}
		k->n = j;
	}
	/* give back the growth slack: about a third of the ~5 MB */
	if ((v = realloc(k->v, k->n * sizeof(*k->v))))
		k->v = v;
	if ((pool = realloc(k->pool, k->poollen)))
		k->pool = pool;
	return k;
fail:
	if (f)
		fclose(f);
	ksyms_free(k);
	return NULL;
}

bool kernel_ksyms(struct kernel *k)
{
	if (k && !k->ksyms_tried) {
		k->ksyms_tried = true;
		k->ksyms = ksyms_load(false);
	}
	return k && k->ksyms;
}

/* last symbol at or below addr; false below the first symbol */
bool kernel_ksym(struct kernel *kern, uint64_t addr, struct ksym_hit *hit)
{
	size_t lo = 0, hi;
	struct ksyms *k = kernel_ksyms(kern) ? kern->ksyms : NULL;

	if (!k || k->n == 0 || addr < k->v[0].addr)
		return false;
	hi = k->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->v[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	hit->name = k->pool + k->v[lo].name;
	hit->off = addr - k->v[lo].addr;
	hit->module = k->v[lo].mod ? k->pool + k->v[lo].mod : NULL;
	return true;
}

/*
** A symbol's address (kaddr()): the first kallsyms line naming it, data
** symbols included, which the address records leave out; so a second
** index, by name, read on the first kaddr() and searched for the lowest
** record with the name. kernel_forget_names() drops it once the program
** is compiled. false if absent or hidden (address 0).
*/
bool kernel_kaddr(struct kernel *kern, const char *name, uint64_t *addr)
{
	if (!kern)
		return false;
	if (!kern->names_tried) {
		kern->names_tried = true;
		kern->names = ksyms_load(true);
	}
	struct ksyms *k = kern->names;
	if (!k)
		return false;
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(k->pool + k->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == k->n || strcmp(k->pool + k->v[lo].name, name) != 0)
		return false;
	*addr = k->v[lo].addr;
	return *addr != 0;
}

bool kernel_func_size(struct kernel *kern, const char *name, uint64_t *size)
{
	uint64_t addr;
	struct ksyms *k;
	if (!kernel_kaddr(kern, name, &addr) || !kernel_ksyms(kern) || !(k = kern->ksyms) || !k->n)
		return false;
	size_t lo = 0, hi = k->n;
	while (lo < hi) { /* the first record above addr */
		size_t mid = lo + (hi - lo) / 2;
		if (k->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || lo == k->n || k->v[lo - 1].addr != addr)
		return false;
	*size = k->v[lo].addr - addr;
	return true;
}

/* the name index is for compiling; a tracer does not keep its ~5 MB */
void kernel_forget_names(struct kernel *k)
{
	if (!k)
		return;
	ksyms_free(k->names);
	k->names = NULL;
	k->names_tried = false;
}

/* ----------------------------------------------------------- cgroups */

/*
** cgroupid(path): the id bpf_get_current_cgroup_id() gives for the
** cgroup v2 directory path, which is the 8-byte file handle kernfs gives
** it (name_to_handle_at(2)), as bpftrace resolves it
*/
const char *kernel_cgroupid(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
		return strerror(errno);
	if (h.fh.handle_bytes != sizeof(uint64_t))
		return "not a cgroup v2 directory";
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return NULL;
}

/* the path below root of the directory whose inode is id ("/" for root
 * itself), depth first in directory order as bpftrace 0.17 walks; "" if
 * none. A cgroup's id is its kernfs inode number. */
static void cgroup_find(const char *root, size_t rootlen, const char *dir, uint64_t id,
			char *out, size_t outlen, int depth)
{
	DIR *d = depth < 64 ? opendir(dir) : NULL;
	struct dirent *e;
	while (d && !*out && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (e->d_ino == id) {
			snprintf(out, outlen, "%s", path + rootlen);
			break;
		}
		cgroup_find(root, rootlen, path, id, out, outlen, depth + 1);
	}
	if (d)
		closedir(d);
}

struct cgroup_root {
	char name[256];
	char path[4096];
};

static int cgroup_root_cmp(const void *a, const void *b)
{
	const struct cgroup_root *x = a, *y = b;
	bool ux = !strcmp(x->name, "unified"), uy = !strcmp(y->name, "unified");
	if (ux != uy)
		return ux ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
** cgroup_path(id, filter) as bpftrace 0.17 prints it: for each cgroup
** hierarchy mounted (/proc/mounts: cgroup2 is "unified", a v1 hierarchy
** the last component of its mount point) whose name matches the glob
** filter, "name:path" of the cgroup with that id in it, unified first,
** the others by name, joined by ","; hierarchies without it left out.
*/
void kernel_cgroup_path(uint64_t id, const char *filter, FILE *out)
{
	FILE *f = fopen("/proc/mounts", "re");
	struct cgroup_root *roots = NULL;
	size_t n = 0, cap = 0;
	char line[8192];
	while (f && fgets(line, sizeof(line), f)) {
		char dev[64], mnt[4096];
		if (sscanf(line, "%63s %4095s", dev, mnt) != 2 || (strcmp(dev, "cgroup") && strcmp(dev, "cgroup2")))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct cgroup_root *r = realloc(roots, cap * sizeof(*roots));
			if (!r)
				break;
			roots = r;
		}
		const char *base = strrchr(mnt, '/');
		snprintf(roots[n].name, sizeof(roots[n].name), "%.255s",
			 !strcmp(dev, "cgroup2") ? "unified" : base ? base + 1 : mnt);
		snprintf(roots[n].path, sizeof(roots[n].path), "%s", mnt);
		if (fnmatch(filter && *filter ? filter : "*", roots[n].name, 0) == 0)
			n++;
	}
	if (f)
		fclose(f);
	if (n)
		qsort(roots, n, sizeof(*roots), cgroup_root_cmp);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		char rel[4096] = "";
		struct stat st;
		if (stat(roots[i].path, &st) == 0 && st.st_ino == id)
			strcpy(rel, "/");
		else
			cgroup_find(roots[i].path, strlen(roots[i].path), roots[i].path, id, rel, sizeof(rel), 0);
		if (!*rel)
			continue;
		fprintf(out, "%s%s:%s", first ? "" : ",", roots[i].name, rel);
		first = false;
	}
	free(roots);
}

/* ---------------------------------------------------------- module BTF */

/* the BTF files of loaded modules (/sys/kernel/btf/<module>, split on
 * vmlinux), in directory order, into *paths; their number */
int kernel_module_btf(struct kernel *k, const char *const **paths)
{
	*paths = NULL;
	if (!k)
		return 0;
	if (!k->mods_read) {
		k->mods_read = true;
		const char *dir = "/sys/kernel/btf";
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.' || !strcmp(e->d_name, "vmlinux"))
				continue;
			char path[512];
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			push_str(&k->mods, &k->nmods, &k->capmods, path);
		}
		if (d)
			closedir(d);
	}
	*paths = (const char *const *)k->mods;
	return k->nmods;
}
