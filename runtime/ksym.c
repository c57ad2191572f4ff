/*
** runtime/ksym.c: kernel addresses to "func+off", as bpftrace 0.17 (via
** bcc's KSyms) resolves them for kstack and ksym().
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

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
** Parse one kallsyms line "ffffffff81000000 T _text\t[mod]" into k.
** Returns 0 (added or skipped) or -1 on allocation failure.
*/
static int ksym_add_line(struct ksyms *k, char *line, size_t *cap,
			 uint32_t *lastmod)
{
	char *p, *name, *mod;
	uint64_t addr = strtoull(line, &p, 16);
	int64_t no, mo;

	if (addr == 0 || addr == UINT64_MAX || p[0] != ' ' || !p[1] || p[2] != ' ')
		return 0;
	if (strchr("bBdDrR", p[1]))
		return 0;
	name = p + 3;
	p = name + strcspn(name, " \t\n");
	mod = p + strspn(p, " \t");
	*p = '\0';
	if (*mod == '[') {
		mod++;
		mod[strcspn(mod, "]")] = '\0';
		if (strcmp(mod, "bpf") == 0)
			return 0;
	} else {
		mod = NULL;
	}
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
	if ((no = ksym_intern(k, name, (size_t)(p - name))) < 0)
		return -1;
	k->v[k->n++] = (struct ksym_rec){ addr, (uint32_t)no, (uint32_t)mo };
	return 0;
}

/*
** Read /proc/kallsyms into sorted records; NULL if it cannot be read or
** shows no addresses (not root, kptr_restrict).
*/
struct ksyms *ksym_load(void)
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
	while (fgets(line, sizeof(line), f))
		if (ksym_add_line(k, line, &cap, &lastmod) < 0)
			goto fail;
	fclose(f);
	f = NULL;
	if (k->n == 0)
		goto fail;
	ksym_stl_sort(k->v, k->n);
	/* one record per address: the one bcc's upper_bound finds */
	for (i = 0, j = 0; i < k->n; i++) {
		if (j && k->v[j - 1].addr == k->v[i].addr)
			j--;
		k->v[j++] = k->v[i];
	}
	k->n = j;
	/* give back the growth slack: about a third of the ~5 MB */
	if ((v = realloc(k->v, k->n * sizeof(*k->v))))
		k->v = v;
	if ((pool = realloc(k->pool, k->poollen)))
		k->pool = pool;
	return k;
fail:
	if (f)
		fclose(f);
	ksym_free(k);
	return NULL;
}

void ksym_free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->v);
	free(k->pool);
	free(k);
}

/* last symbol at or below addr; false below the first symbol */
bool ksym_resolve(struct ksyms *k, uint64_t addr, struct ksym_hit *hit)
{
	size_t lo = 0, hi;

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
