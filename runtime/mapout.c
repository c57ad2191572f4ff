/*
** runtime/mapout.c: maps, printed at exit and by print(@m, top, div) the
** way bpftrace 0.17 prints them.
**
** A map is read whole by fd (bpf_map_get_next_key/lookup), per-CPU values
** merged, then sorted as bpftrace sorts:
**   count, sum, min, max, plain integers: by value, ascending;
**   hist, lhist: one histogram per user key, by the sum of its buckets;
**   avg, stats: by the average;
**   anything else (strings, tuples, stacks...): by key, fields left to
**   right, integers as unsigned, strings with strncmp.
** Ties are in hash order in bpftrace; we break them by the key order above
** (hist/avg/stats: by the key's bytes, as bpftrace's std::map does), so
** output is deterministic.  top keeps the last (largest) top entries; it
** is ignored for stats maps.  div divides counts, sums, min/max, plain
** integers, averages and hist counts (not lhist counts, not stats).
**
** Text layout: "@name[k1, k2]: value" lines; a hist/lhist entry is
** "@name[k]: \n" and its histogram, entries split by a blank line; each
** map ends with "\n", avg/stats maps with "\n\n".  After a value that
** already ends a line (kstack) or after inet/ksym values bpftrace puts no
** newline between entries ("@c[1]: 127.0.0.1@c[2]: 127.0.0.2").
** JSON: {"type": "map"|"hist"|"stats", "data": {"@name": {"k1,k2": v}}},
** or {"@name": v} without keys; an empty map prints nothing.
*/
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

#define HIST_BUCKETS 65   /* bpftrace: indexes 0..64 */
#define BAR_WIDTH 52

/* one map as read from the kernel: rows of key bytes + merged value */
struct mview {
	const struct image_map *m;
	enum ty_kind vk;   /* value kind */
	uint32_t ksz;      /* BPF key bytes */
	uint32_t usz;      /* user key bytes (without a hist bucket) */
	uint32_t vsz;      /* BPF value bytes (one CPU) */
	uint32_t csz;      /* merged value bytes */
	size_t stride;     /* ksz + csz, 8-aligned */
	size_t n;
	uint8_t *rows;
};

/* a histogram: one user key and its buckets */
struct hgroup {
	const uint8_t *key;
	uint64_t *b;
	int nb;
	uint64_t total;
};

static bool mapout_is_hist(enum ty_kind k)
{
	return k == TY_HIST || k == TY_LHIST;
}

static int mapout_ncpus(const struct out_ctx *c)
{
	int n = c ? c->ncpus : 0;

	return n > 0 ? n : libbpf_num_possible_cpus();
}

/*
** Merge ncpu per-CPU copies (each 8-aligned) of an aggregation into one:
** sums add, min/max pick among the CPUs that have a value.
*/
static void mapout_merge(enum ty_kind k, const uint8_t *raw, int ncpu,
			 uint32_t vsz, uint8_t *outv)
{
	size_t st = (vsz + 7) & ~7u;
	int64_t a = 0, b = 0, x, y;
	bool any = false;

	switch (k) {
	case TY_COUNT:
	case TY_SUM:
	case TY_HIST:
	case TY_LHIST:
	case TY_AVG:
	case TY_STATS:
		for (int i = 0; i < ncpu; i++) {
			memcpy(&x, raw + i * st, 8);
			a += x;
			if (vsz >= 16) {
				memcpy(&y, raw + i * st + 8, 8);
				b += y;
			}
		}
		break;
	case TY_MIN:
	case TY_MAX:
		for (int i = 0; i < ncpu; i++) {
			memcpy(&x, raw + i * st, 8);
			memcpy(&y, raw + i * st + 8, 8);
			if (!y)
				continue;
			if (!any || (k == TY_MIN ? x < a : x > a))
				a = x;
			any = true;
		}
		b = any;
		break;
	default:
		memcpy(outv, raw, vsz);
		return;
	}
	memcpy(outv, &a, 8);
	if (vsz >= 16)
		memcpy(outv + 8, &b, 8);
}

/*
** A snapshot of a map: its keys and raw (per-CPU) values, read in one
** bounded pass. The probes may be writing the map while we read it, and
** our own syscalls may fire them (a sys_enter probe counts every lookup
** we make), so a walk must not follow the map as it grows: at most
** max_entries keys are taken, read by BPF_MAP_LOOKUP_BATCH where the
** kernel has it (5.6+: one syscall per few thousand keys), else by
** get_next_key, which restarts from the first key when the key it was
** given has been deleted meanwhile: duplicates are dropped afterwards.
** A signal (c->sigfd) ends the walk early: what was read is kept.
*/
struct snap {
	uint32_t ksz, rsz;  /* key bytes, raw value bytes (all CPUs) */
	size_t n, cap;
	uint8_t *keys, *vals;
};

static int snap_grow(struct snap *sn, size_t want)
{
	if (want <= sn->cap)
		return 0;
	size_t cap = sn->cap ? sn->cap : 64;
	while (cap < want)
		cap *= 2;
	uint8_t *k = realloc(sn->keys, cap * sn->ksz);
	if (!k)
		return -1;
	sn->keys = k;
	uint8_t *v = realloc(sn->vals, cap * sn->rsz);
	if (!v)
		return -1;
	sn->vals = v;
	sn->cap = cap;
	return 0;
}

static int snap_idx_cmp(const void *a, const void *b, void *arg)
{
	const struct snap *sn = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = memcmp(sn->keys + x * sn->ksz, sn->keys + y * sn->ksz, sn->ksz);

	return r ? r : (x > y) - (x < y);
}

/* drop repeated keys (get_next_key restarts), keeping the first read */
static void snap_dedup(struct snap *sn)
{
	size_t *ix = malloc(sn->n * sizeof(*ix)), w = 0;
	uint8_t *k, *v;

	if (sn->n < 2 || !ix) {
		free(ix);
		return;
	}
	for (size_t i = 0; i < sn->n; i++)
		ix[i] = i;
	qsort_r(ix, sn->n, sizeof(*ix), snap_idx_cmp, sn);
	k = malloc(sn->n * sn->ksz);
	v = malloc(sn->n * sn->rsz);
	if (!k || !v) {
		free(k), free(v), free(ix);
		return;
	}
	for (size_t i = 0; i < sn->n; i++) {
		if (i && !memcmp(sn->keys + ix[i] * sn->ksz, sn->keys + ix[i - 1] * sn->ksz, sn->ksz))
			continue;
		memcpy(k + w * sn->ksz, sn->keys + ix[i] * sn->ksz, sn->ksz);
		memcpy(v + w * sn->rsz, sn->vals + ix[i] * sn->rsz, sn->rsz);
		w++;
	}
	free(sn->keys), free(sn->vals), free(ix);
	sn->keys = k, sn->vals = v, sn->n = w, sn->cap = sn->n;
}

/* BPF_MAP_LOOKUP_BATCH; 1 when the kernel (or map type) has no batch ops */
static int snap_batch(struct out_ctx *c, int fd, uint32_t max, struct snap *sn)
{
	uint8_t in[64], out[64]; /* the batch token: a bucket index, at most a key */
	uint32_t chunk = max < 4096 ? (max ? max : 1) : 4096;
	bool first = true;

	for (;;) {
		uint32_t cnt = chunk;
		if (sn->n + cnt > max)
			cnt = max - sn->n;
		if (!cnt || snap_grow(sn, sn->n + cnt) < 0)
			return 0;
		int r = bpf_map_lookup_batch(fd, first ? NULL : in, out, sn->keys + sn->n * sn->ksz,
					     sn->vals + sn->n * sn->rsz, &cnt, NULL);
		int e = r < 0 ? errno : 0;
		if (r < 0 && e != ENOENT) {
			if (e == ENOSPC && cnt == 0 && chunk < max) {
				chunk *= 2; /* a bucket larger than the chunk */
				continue;
			}
			return first && !sn->n ? 1 : 0;
		}
		sn->n += cnt;
		if (e == ENOENT || out_stopped(c))
			return 0;
		memcpy(in, out, sizeof(in));
		first = false;
	}
}

static int snap_read(struct out_ctx *c, const struct image_map *m, int fd, struct snap *sn)
{
	int ncpu = m->percpu ? mapout_ncpus(c) : 1;
	uint32_t max = m->max_entries;
	uint8_t *prev;

	memset(sn, 0, sizeof(*sn));
	sn->ksz = m->key_size;
	sn->rsz = m->percpu ? ncpu * ((m->value_size + 7) & ~7u) : m->value_size;
	if (!sn->ksz || !sn->rsz)
		return -1;
	if (!max) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		max = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.max_entries : 0;
	}
	if (m->key_size <= 64 && snap_batch(c, fd, max, sn) == 0)
		return 0;
	sn->n = 0;
	if (!(prev = calloc(1, sn->ksz)))
		return -1;
	for (uint32_t i = 0; i < max; i++) {
		if (snap_grow(sn, sn->n + 1) < 0)
			break;
		uint8_t *k = sn->keys + sn->n * sn->ksz;
		if (bpf_map_get_next_key(fd, sn->n ? prev : NULL, k) != 0)
			break;
		memcpy(prev, k, sn->ksz);
		if (bpf_map_lookup_elem(fd, k, sn->vals + sn->n * sn->rsz) == 0)
			sn->n++;
		if ((i & 255) == 255 && out_stopped(c))
			break;
	}
	free(prev);
	snap_dedup(sn);
	return 0;
}

static void snap_free(struct snap *sn)
{
	free(sn->keys);
	free(sn->vals);
}

/* read every entry of the map into v; -1 on allocation failure */
static int mapout_read(struct out_ctx *c, const struct image_map *m, int fd,
		       struct mview *v)
{
	struct snap sn;
	int err;

	memset(v, 0, sizeof(*v));
	v->m = m;
	v->vk = m->kind;
	v->ksz = m->key_size;
	v->usz = m->key ? m->key->size : 0;
	v->vsz = m->value_size;
	v->csz = m->value_size;
	v->stride = (v->ksz + v->vsz + 7) & ~(size_t)7;
	err = snap_read(c, m, fd, &sn);
	if (!err && sn.n && !(v->rows = calloc(sn.n, v->stride)))
		err = -1;
	for (size_t i = 0; !err && i < sn.n; i++) {
		uint8_t *row = v->rows + i * v->stride;

		memcpy(row, sn.keys + i * sn.ksz, sn.ksz);
		if (m->percpu)
			mapout_merge(v->vk, sn.vals + i * sn.rsz, mapout_ncpus(c), v->vsz, row + v->ksz);
		else
			memcpy(row + v->ksz, sn.vals + i * sn.rsz, v->vsz);
		v->n++;
	}
	snap_free(&sn);
	return err;
}

/* one key field, as bpftrace's sort_by_key compares it */
static int mapout_field_cmp(const struct type *t, const uint8_t *a, const uint8_t *b)
{
	if (t->kind == TY_INT) {
		uint64_t x = 0, y = 0;

		memcpy(&x, a, t->size < 8 ? t->size : 8);
		memcpy(&y, b, t->size < 8 ? t->size : 8);
		return x < y ? -1 : x > y;
	}
	if (t->kind == TY_STR)
		return strncmp((const char *)a, (const char *)b, t->size);
	return 0;
}

/* keys: fields left to right, then the raw bytes */
static int mapout_key_cmp(const struct mview *v, const uint8_t *a, const uint8_t *b)
{
	const struct type *k = v->m->key;
	int r = 0;

	if (k && k->kind == TY_TUPLE) {
		for (int i = 0; i < k->nfields && !r; i++)
			r = mapout_field_cmp(k->fields[i], a + k->offsets[i],
					     b + k->offsets[i]);
	} else if (k) {
		r = mapout_field_cmp(k, a, b);
	}
	return r ? r : memcmp(a, b, v->usz ? v->usz : v->ksz);
}

/* the integer a plain/count/sum/min/max value sorts and prints by */
static uint64_t mapout_ival(const struct mview *v, const uint8_t *val)
{
	const struct type *t = v->m->val;
	uint64_t x = 0;

	if (t->kind == TY_INT) {
		memcpy(&x, val, t->size < 8 ? t->size : 8);
		if (t->sign && t->size < 8 && (x >> (8 * t->size - 1)) & 1)
			x |= ~0ULL << (8 * t->size);
		return x;
	}
	memcpy(&x, val, 8);
	return x;
}

/* the number printmap sorts and prints by: mapout_ival, avg's quotient */
static int64_t mapout_num(const struct mview *v, const uint8_t *val)
{
	int64_t total, count;

	if (v->vk != TY_AVG)
		return (int64_t)mapout_ival(v, val);
	memcpy(&total, val, 8);
	memcpy(&count, val + 8, 8);
	return count ? total / count : 0;
}

static bool mapout_ival_signed(const struct mview *v)
{
	return v->m->val->sign && v->vk != TY_COUNT;
}

static bool mapout_by_value(enum ty_kind k)
{
	return k == TY_COUNT || k == TY_SUM || k == TY_MIN || k == TY_MAX ||
	       k == TY_INT;
}

/* plain maps: by value for integer-like values, else by key */
static int mapout_row_cmp(const void *pa, const void *pb, void *arg)
{
	const struct mview *v = arg;
	const uint8_t *a = pa, *b = pb;

	if (mapout_by_value(v->vk)) {
		uint64_t x = mapout_ival(v, a + v->ksz), y = mapout_ival(v, b + v->ksz);

		if (x != y) {
			if (mapout_ival_signed(v))
				return (int64_t)x < (int64_t)y ? -1 : 1;
			return x < y ? -1 : 1;
		}
	}
	return mapout_key_cmp(v, a, b);
}

/* avg/stats rows: by average, then by key bytes */
static int mapout_avg_cmp(const void *pa, const void *pb, void *arg)
{
	const struct mview *v = arg;
	const uint8_t *a = pa, *b = pb;
	int64_t ta, ca, tb, cb, x, y;

	memcpy(&ta, a + v->ksz, 8);
	memcpy(&ca, a + v->ksz + 8, 8);
	memcpy(&tb, b + v->ksz, 8);
	memcpy(&cb, b + v->ksz + 8, 8);
	x = ca ? ta / ca : 0;
	y = cb ? tb / cb : 0;
	if (x != y)
		return x < y ? -1 : 1;
	return memcmp(a, b, v->ksz);
}

/* hist rows: by user key bytes, then bucket */
static int mapout_bucket_cmp(const void *pa, const void *pb, void *arg)
{
	const struct mview *v = arg;
	const uint8_t *a = pa, *b = pb;
	uint64_t x, y;
	int r = memcmp(a, b, v->ksz - 8);

	if (r)
		return r;
	memcpy(&x, a + v->ksz - 8, 8);
	memcpy(&y, b + v->ksz - 8, 8);
	return x < y ? -1 : x > y;
}

/* histograms: by total count, then user key bytes */
static int mapout_group_cmp(const void *pa, const void *pb, void *arg)
{
	const struct hgroup *a = pa, *b = pb;
	const struct mview *v = arg;

	if (a->total != b->total)
		return a->total < b->total ? -1 : 1;
	return memcmp(a->key, b->key, v->ksz - 8);
}

/* "@name" and, with a key, "[k1, k2]"; in JSON mode "\"k1,k2\"" */
static void mapout_key(struct out_ctx *c, FILE *out, const struct mview *v,
		       const uint8_t *key, bool json)
{
	const struct type *k = v->m->key;
	char *s = NULL;
	size_t n = 0;
	FILE *o = out;

	if (json) {
		if (!k || !(o = open_memstream(&s, &n)))
			return;
	} else {
		fprintf(out, "@%s", v->m->name);
		if (!k)
			return;
		fputc('[', out);
	}
	if (k->kind == TY_TUPLE) {
		for (int i = 0; i < k->nfields; i++) {
			if (i)
				fputs(json ? "," : ", ", o);
			fmt_key(c, o, k->fields[i], key + k->offsets[i]);
		}
	} else {
		fmt_key(c, o, k, key);
	}
	if (!json) {
		fputc(']', out);
		return;
	}
	fclose(o);
	fputc('"', out);
	fmt_json_escape(out, s, n);
	fputs("\": ", out);
	free(s);
}

/* signed or unsigned quotient, as bpftrace divides each value type */
static void mapout_div(FILE *out, uint64_t x, bool sign, int64_t d)
{
	if (d == 0)
		d = 1;
	if (sign)
		fprintf(out, "%lld", d == -1 ? -(long long)x : (long long)((int64_t)x / d));
	else
		fprintf(out, "%llu", (unsigned long long)(x / (uint64_t)d));
}

/* a row's value, divided by div where bpftrace divides (not stats) */
static void mapout_value(struct out_ctx *c, FILE *out, const struct mview *v,
			 const uint8_t *val, uint32_t div)
{
	const struct type *t = v->m->val;
	int64_t d = div;

	if (t->kind == TY_INT && t->sign) /* bpftrace: v / (intN_t)div */
		d = (int64_t)(t->size == 1 ? (int8_t)div : t->size == 2 ? (int16_t)div
			      : t->size == 4 ? (int32_t)div : (int64_t)div);
	if (mapout_by_value(v->vk)) {
		mapout_div(out, mapout_ival(v, val), mapout_ival_signed(v), d);
	} else if (t->kind == TY_AVG) {
		int64_t total, count;

		memcpy(&total, val, 8);
		memcpy(&count, val + 8, 8);
		mapout_div(out, (uint64_t)(count ? total / count : 0), true, d);
	}
	else if (t->kind == TY_PTR)
		mapout_div(out, mapout_ival(v, val), true, d);
	else
		fmt_value(c, out, t, val);
}

/* bpftrace's hist_index_label: 1, 2, ..., 512, 1K, ... 1M, 1G, 1T */
static void mapout_hist_label(char *b, size_t n, int power)
{
	static const char sfx[] = { 0, 'K', 'M', 'G', 'T' };
	int s = power >= 40 ? 4 : power / 10;

	snprintf(b, n, "%lld%.*s", 1LL << (power - 10 * s), sfx[s] ? 1 : 0, &sfx[s]);
}

/* bpftrace's lhist_index_label: 0, or n/1M "M", n/1K "K", n */
static void mapout_lhist_label(char *b, size_t n, long long x)
{
	if (x != 0 && x % 1048576 == 0)
		snprintf(b, n, "%lldM", x / 1048576);
	else if (x != 0 && x % 1024 == 0)
		snprintf(b, n, "%lldK", x / 1024);
	else
		snprintf(b, n, "%lld", x);
}

/* one histogram line: label, count, bar */
static void mapout_bar(FILE *out, const char *label, uint64_t shown, uint64_t v,
		       uint64_t max)
{
	int w = max ? (int)((float)v / (float)max * BAR_WIDTH) : 0;

	fprintf(out, "%-16s%8llu |%.*s%*s|\n", label, (unsigned long long)shown,
		w, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@", BAR_WIDTH - w, "");
}

/*
** One histogram, text or JSON. hist: buckets from the first to the last
** non-zero one; lhist: the same over 0..buckets+1, both as bpftrace's
** hist_prepare/lhist_prepare. Nothing ("" / "[]") when all are zero.
*/
static void mapout_hist(FILE *out, const struct type *t, const struct hgroup *g,
			uint32_t div, bool json)
{
	bool lin = t->kind == TY_LHIST;
	int64_t step = t->lh_step > 0 ? t->lh_step : 1, lmin = t->lh_min;
	int nb = lin ? (int)((t->lh_max - lmin) / step) : 0;
	int lo = -1, hi = -1;
	uint64_t max = 0;
	char a[40], b[40], label[96];

	for (int i = 0; i < g->nb; i++) {
		if (g->b[i] > 0) {
			if (lo < 0)
				lo = i;
			hi = i;
		}
		if (g->b[i] > max)
			max = g->b[i];
	}
	if (json)
		fputc('[', out);
	for (int i = lo; hi >= 0 && i <= hi; i++) {
		uint64_t shown = lin ? g->b[i] : g->b[i] / (div ? div : 1);

		if (json) {
			fprintf(out, "%s{", i > lo ? ", " : "");
			if (!lin && i == 0)
				fputs("\"max\": -1, ", out);
			else if (!lin && i <= 2)
				fprintf(out, "\"min\": %d, \"max\": %d, ", i - 1, i - 1);
			else if (!lin) /* 0.17 computes these in int with x86 shifts */
				fprintf(out, "\"min\": %d, \"max\": %d, ",
					(int32_t)(1U << ((i - 2) & 31)),
					(int32_t)((1U << ((i - 1) & 31)) - 1));
			else if (i == 0)
				fprintf(out, "\"max\": %lld, ", (long long)lmin - 1);
			else if (i == nb + 1)
				fprintf(out, "\"min\": %lld, ", (long long)t->lh_max);
			else
				fprintf(out, "\"min\": %lld, \"max\": %lld, ",
					(long long)((i - 1) * step + lmin),
					(long long)(i * step + lmin - 1));
			fprintf(out, "\"count\": %llu}", (unsigned long long)shown);
			continue;
		}
		if (!lin && i <= 2) {
			snprintf(label, sizeof(label), "%s",
				 i == 0 ? "(..., 0)" : i == 1 ? "[0]" : "[1]");
		} else if (!lin) {
			mapout_hist_label(a, sizeof(a), i - 2);
			mapout_hist_label(b, sizeof(b), i - 1);
			snprintf(label, sizeof(label), "[%s, %s)", a, b);
		} else if (i == 0) {
			mapout_lhist_label(a, sizeof(a), lmin);
			snprintf(label, sizeof(label), "(..., %s)", a);
		} else if (i == nb + 1) {
			mapout_lhist_label(a, sizeof(a), t->lh_max);
			snprintf(label, sizeof(label), "[%s, ...)", a);
		} else {
			mapout_lhist_label(a, sizeof(a), (i - 1) * step + lmin);
			mapout_lhist_label(b, sizeof(b), i * step + lmin);
			snprintf(label, sizeof(label), "[%s, %s)", a, b);
		}
		mapout_bar(out, label, shown, g->b[i], max);
	}
	if (json)
		fputc(']', out);
}

/* group hist rows by user key into g (buckets in one allocation) */
static struct hgroup *mapout_groups(struct mview *v, size_t *ng, uint64_t **buckets)
{
	const struct type *t = v->m->val;
	int nb = HIST_BUCKETS;
	struct hgroup *g;
	size_t n = 0;

	if (t->kind == TY_LHIST && t->lh_step > 0)
		nb = (int)((t->lh_max - t->lh_min) / t->lh_step) + 2;
	if (v->n)
		qsort_r(v->rows, v->n, v->stride, mapout_bucket_cmp, v);
	g = calloc(v->n ? v->n : 1, sizeof(*g));
	*buckets = calloc((v->n ? v->n : 1) * (size_t)nb, sizeof(uint64_t));
	if (!g || !*buckets) {
		free(g);
		free(*buckets);
		*buckets = NULL;
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++) {
		const uint8_t *row = v->rows + i * v->stride;
		uint64_t idx, cnt;

		if (!n || memcmp(g[n - 1].key, row, v->ksz - 8)) {
			g[n].key = row;
			g[n].b = *buckets + n * nb;
			g[n].nb = nb;
			n++;
		}
		memcpy(&idx, row + v->ksz - 8, 8);
		memcpy(&cnt, row + v->ksz, 8);
		if (idx < (uint64_t)nb) {
			g[n - 1].b[idx] = cnt;
			g[n - 1].total += cnt;
		}
	}
	if (n)
		qsort_r(g, n, sizeof(*g), mapout_group_cmp, v);
	*ng = n;
	return g;
}

/* the JSON line head: {"type": "map", "data": {"@name": {  */
static void mapout_json_head(FILE *out, const struct mview *v, const char *type)
{
	fprintf(out, "{\"type\": \"%s\", \"data\": {\"@", type);
	fmt_json_escape(out, v->m->name, strlen(v->m->name));
	fputs("\": ", out);
	if (v->m->key)
		fputc('{', out);
}

static void mapout_json_tail(FILE *out, const struct mview *v)
{
	fputs(v->m->key ? "}}}\n" : "}}\n", out);
}

/* hist and lhist maps */
static void mapout_print_hist(struct out_ctx *c, struct mview *v, uint64_t top,
			      uint32_t div)
{
	bool json = c->format == OUT_JSON;
	uint64_t *buckets = NULL;
	size_t ng = 0, first = 0;
	struct hgroup *g = mapout_groups(v, &ng, &buckets);

	if (!g)
		return;
	if (top && ng > top)
		first = ng - top;
	if (json && ng)
		mapout_json_head(c->out, v, "hist");
	for (size_t i = first; i < ng; i++) {
		if (((i - first) & 63) == 63 && out_stopped(c))
			break; /* a signal: whole entries only */
		if (i > first)
			fputs(json ? ", " : "\n", c->out);
		mapout_key(c, c->out, v, g[i].key, json);
		if (!json)
			fputs(": \n", c->out);
		mapout_hist(c->out, v->m->val, &g[i], div, json);
	}
	if (json && ng)
		mapout_json_tail(c->out, v);
	else if (!json)
		fputc('\n', c->out);
	free(g);
	free(buckets);
}

/*
** Every map but hist/lhist: sorted rows, "@name[key]: value" each. avg
** and stats maps are "stats" in JSON and end with a blank line; top does
** not apply to stats maps.
*/
static void mapout_print_rows(struct out_ctx *c, struct mview *v, uint64_t top,
			      uint32_t div)
{
	bool json = c->format == OUT_JSON;
	enum ty_kind k = v->vk;
	bool stats = k == TY_AVG || k == TY_STATS;
	const char *delim = json ? ", " :
		(k == TY_KSTACK || k == TY_KSYM || k == TY_INET) ? "" : "\n";
	size_t first = 0;

	if (v->n)
		qsort_r(v->rows, v->n, v->stride, stats ? mapout_avg_cmp : mapout_row_cmp, v);
	if (top && v->n > top && k != TY_STATS)
		first = v->n - top;
	if (json && v->n)
		mapout_json_head(c->out, v, stats ? "stats" : "map");
	for (size_t i = first; i < v->n; i++) {
		const uint8_t *row = v->rows + i * v->stride;

		if (((i - first) & 1023) == 1023 && out_stopped(c))
			break; /* a signal: whole entries only */
		if (i > first)
			fputs(delim, c->out);
		mapout_key(c, c->out, v, row, json);
		if (!json)
			fputs(": ", c->out);
		mapout_value(c, c->out, v, row + v->ksz, div);
	}
	if (json && v->n)
		mapout_json_tail(c->out, v);
	else if (!json)
		fputs(stats ? "\n\n" : "\n", c->out);
}

/*
** print(@m, top, div) and the maps at exit: read, sort and print one map
** (see the top of the file for the rules).
*/
void mapout_print(struct out_ctx *c, const struct image_map *m, int fd,
		  int64_t top, int64_t div)
{
	struct mview v;
	uint64_t t = top > 0 ? (uint64_t)(uint32_t)top : 0;
	uint32_t d = div > 0 ? (uint32_t)div : 1;

	if (mapout_read(c, m, fd, &v) < 0) {
		free(v.rows);
		return;
	}
	if (v.ksz < 8 && mapout_is_hist(v.vk))
		v.n = 0; /* malformed: no room for a bucket */
	/* a keyless count() never incremented is "@a: 0" in bpftrace 0.17
	 * (other empty maps print nothing) */
	if (!v.n && v.vk == TY_COUNT && !m->key && (v.rows = calloc(1, v.stride)))
		v.n = 1;
	if (mapout_is_hist(v.vk))
		mapout_print_hist(c, &v, t, d);
	else
		mapout_print_rows(c, &v, t, d);
	free(v.rows);
}

static int mapout_name_cmp(const void *a, const void *b)
{
	const struct image_map *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

void mapout_print_all(struct out_ctx *c, const struct image_map *maps, int nmaps,
		      const int *fds)
{
	fputs("\n\n", c->out);
	mapout_print_maps(c, maps, nmaps, fds);
}

void mapout_print_maps(struct out_ctx *c, const struct image_map *maps, int nmaps,
		       const int *fds)
{
	const struct image_map **v = calloc(nmaps ? nmaps : 1, sizeof(*v));

	if (!v)
		return;
	for (int i = 0; i < nmaps; i++)
		v[i] = &maps[i];
	qsort(v, nmaps, sizeof(*v), mapout_name_cmp);
	for (int i = 0; i < nmaps && !out_stopped(c); i++)
		if (fds[v[i]->id] >= 0)
			mapout_print(c, v[i], fds[v[i]->id], 0, 0);
	free(v);
}

static int mapout_row_rcmp(const void *pa, const void *pb, void *arg)
{
	const struct mview *v = arg;

	if (mapout_by_value(v->vk) || v->vk == TY_AVG) {
		const uint8_t *a = pa, *b = pb;
		int64_t x = mapout_num(v, a + v->ksz), y = mapout_num(v, b + v->ksz);

		if (x != y) {
			if (mapout_ival_signed(v) || v->vk == TY_AVG)
				return x > y ? -1 : 1;
			return (uint64_t)x > (uint64_t)y ? -1 : 1;
		}
	}
	return mapout_key_cmp(v, pa, pb);
}

void mapout_printmap(struct out_ctx *c, const struct image_map *m, int fd,
		     const struct event *ev)
{
	struct mview v;
	const struct type *k = m->key;
	size_t bsz = 8;
	uint8_t *buf;

	for (int i = 0; i < ev->nargs; i++)
		bsz = ev->argoff[i] + ((ev->argty[i]->size + 7) & ~7u) + 8;
	if (mapout_read(c, m, fd, &v) < 0 || !(buf = calloc(1, bsz))) {
		free(v.rows);
		return;
	}
	if (v.n)
		qsort_r(v.rows, v.n, v.stride, mapout_row_rcmp, &v);
	for (size_t i = 0; i < v.n && (ev->top <= 0 || i < (size_t)ev->top); i++) {
		const uint8_t *row = v.rows + i * v.stride;
		int nk = ev->nargs - 1;

		memset(buf, 0, bsz);
		for (int f = 0; f < nk; f++) {
			const struct type *ft = k->kind == TY_TUPLE ? k->fields[f] : k;
			uint32_t off = k->kind == TY_TUPLE ? k->offsets[f] : 0;

			memcpy(buf + ev->argoff[f], row + off, ft->size);
		}
		if (mapout_by_value(v.vk) || v.vk == TY_AVG) {
			int64_t x = mapout_num(&v, row + v.ksz);

			memcpy(buf + ev->argoff[nk], &x, 8);
		} else {
			memcpy(buf + ev->argoff[nk], row + v.ksz, ev->argty[nk]->size);
		}
		fmt_printf(c, ev, buf);
	}
	free(buf);
	free(v.rows);
}

/* clear(): delete the keys of one snapshot (keys the probes add meanwhile
** stay: a clear() is one pass, not a race with them) */
void mapout_clear(struct out_ctx *c, const struct image_map *m, int fd)
{
	struct snap sn;

	if (snap_read(c, m, fd, &sn) == 0 && sn.n) {
		uint32_t cnt = (uint32_t)sn.n;
		/* a key the probes deleted meanwhile ends the batch (ENOENT) */
		if (bpf_map_delete_batch(fd, sn.keys, &cnt, NULL) < 0)
			for (size_t i = cnt; i < sn.n; i++)
				bpf_map_delete_elem(fd, sn.keys + i * sn.ksz);
	}
	snap_free(&sn);
}

/* zero(): every key of one snapshot stays, all-zero on every CPU */
void mapout_zero(struct out_ctx *c, const struct image_map *m, int fd)
{
	struct snap sn;

	if (snap_read(c, m, fd, &sn) == 0 && sn.n) {
		memset(sn.vals, 0, sn.n * sn.rsz);
		for (size_t i = 0; i < sn.n; i++)
			bpf_map_update_elem(fd, sn.keys + i * sn.ksz, sn.vals + i * sn.rsz, BPF_EXIST);
	}
	snap_free(&sn);
}
