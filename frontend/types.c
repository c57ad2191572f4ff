/*
** frontend/types.c: minibt's types and the kernel's, read from BTF.
**
** Scalar types are interned constants; composite ones live in the
** compile arena. Kernel types keep (btf, id) and are converted on demand:
** vmlinux BTF is parsed once by libbpf when the first kernel type is
** asked for, and a record is never expanded eagerly (struct sock points to
** struct sock). Conversions are cached per BTF id.
**
** Tracepoint records come from the tracefs format file, the kernel's own
** description of the record the program's context points at; without
** tracefs (dry runs) BTF's trace_event_raw_<name> is used.
*/
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fnmatch.h>
#include <stdarg.h>
#include "ast.h"

static const struct type T_INTS[2][4] = {
	{ { .kind = TY_INT, .size = 1, .align = 1, .name = "uint8" },
	  { .kind = TY_INT, .size = 2, .align = 2, .name = "uint16" },
	  { .kind = TY_INT, .size = 4, .align = 4, .name = "uint32" },
	  { .kind = TY_INT, .size = 8, .align = 8, .name = "uint64" } },
	{ { .kind = TY_INT, .size = 1, .align = 1, .sign = true, .name = "int8" },
	  { .kind = TY_INT, .size = 2, .align = 2, .sign = true, .name = "int16" },
	  { .kind = TY_INT, .size = 4, .align = 4, .sign = true, .name = "int32" },
	  { .kind = TY_INT, .size = 8, .align = 8, .sign = true, .name = "int64" } },
};
static const struct type T_VOID = { .kind = TY_VOID, .size = 0, .align = 1, .name = "void" };
static const struct type T_NONE = { .kind = TY_NONE, .name = "none" };
static const struct type T_SIMPLE[] = {
	[TY_INET] = { .kind = TY_INET, .size = 24, .align = 8, .name = "inet" },
	[TY_KSYM] = { .kind = TY_KSYM, .size = 8, .align = 8, .name = "ksym" },
	[TY_MACADDR] = { .kind = TY_MACADDR, .size = 6, .align = 1, .name = "macaddr" },
	[TY_PROBE] = { .kind = TY_PROBE, .size = 8, .align = 8, .name = "probe" },
	[TY_USYM] = { .kind = TY_USYM, .size = 16, .align = 8, .name = "usym" },
	[TY_UFUNC] = { .kind = TY_UFUNC, .size = 8, .align = 8, .name = "usym" },
	[TY_USERNAME] = { .kind = TY_USERNAME, .size = 8, .align = 8, .name = "username" },
	[TY_STRERROR] = { .kind = TY_STRERROR, .size = 8, .align = 8, .name = "strerror" },
	[TY_CGROUP_PATH] = { .kind = TY_CGROUP_PATH, .size = 16, .align = 8, .name = "cgroup_path" },
	[TY_COUNT] = { .kind = TY_COUNT, .size = 8, .align = 8, .sign = true, .name = "count" },
};

const struct type *ty_int(int size, bool sign)
{
	int i = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
	return &T_INTS[sign ? 1 : 0][i];
}

const struct type *ty_void(void) { return &T_VOID; }
const struct type *ty_none(void) { return &T_NONE; }

const struct type *ty_simple(enum ty_kind k)
{
	return &T_SIMPLE[k];
}

/* a new type in the arena: the constructors below fill in the rest */
static struct type *new_type(struct arena *a, enum ty_kind k, uint32_t size, uint32_t align)
{
	struct type *t = arena_alloc(a, sizeof(*t));
	t->kind = k;
	t->size = size;
	t->align = align;
	return t;
}

const struct type *ty_str(struct arena *a, uint32_t size)
{
	return new_type(a, TY_STR, size, 1);
}

const struct type *ty_ptr(struct arena *a, const struct type *to)
{
	struct type *t = new_type(a, TY_PTR, 8, 8);
	t->sub = to;
	return t;
}

const struct type *ty_user(struct arena *a, const struct type *t)
{
	if (t->user || t->kind == TY_NONE)
		return t;
	struct type *u = arena_alloc(a, sizeof(*u));
	*u = *t;
	u->user = true;
	return u;
}

const struct type *ty_array(struct arena *a, const struct type *el, uint32_t n)
{
	struct type *t = new_type(a, TY_ARRAY, el->size * n, el->align ? el->align : 1);
	t->sub = el;
	t->nelem = n;
	return t;
}

const struct type *ty_kstack(struct arena *a, int nframes, enum stack_mode m, bool user)
{
	struct type *t = new_type(a, TY_KSTACK, 8, 8);
	t->nframes = nframes;
	t->stack_mode = m;
	t->ustack = user;
	return t;
}

/* tuple fields at their natural alignment, like a C struct */
const struct type *ty_tuple(struct arena *a, const struct type **f, int n)
{
	struct type *t = new_type(a, TY_TUPLE, 0, 0);
	t->nfields = n;
	t->fields = arena_alloc(a, sizeof(*t->fields) * (size_t)n);
	t->offsets = arena_alloc(a, sizeof(uint32_t) * (size_t)n);
	uint32_t off = 0, al = 1;
	for (int i = 0; i < n; i++) {
		uint32_t fa = f[i]->align ? f[i]->align : 1;
		off = (off + fa - 1) / fa * fa;
		t->fields[i] = f[i];
		t->offsets[i] = off;
		off += f[i]->size;
		if (fa > al)
			al = fa;
	}
	t->size = (off + al - 1) / al * al;
	t->align = al;
	return t;
}

const struct type *ty_agg(struct arena *a, enum ty_kind k, bool sign)
{
	struct type *t = new_type(a, k, 8, 8);
	t->sign = sign;
	return t;
}

bool ty_is_agg(const struct type *t)
{
	return t->kind >= TY_COUNT;
}

bool ty_equal(const struct type *a, const struct type *b)
{
	if (a == b)
		return true;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TY_INT: return a->size == b->size && a->sign == b->sign;
	case TY_STR: case TY_BUF: return true; /* any size: resized to the largest */
	case TY_PTR: return ty_equal(a->sub, b->sub);
	case TY_ARRAY: return a->nelem == b->nelem && ty_equal(a->sub, b->sub);
	case TY_RECORD: return a->btf == b->btf && a->btf_id == b->btf_id;
	case TY_TUPLE:
		if (a->nfields != b->nfields)
			return false;
		for (int i = 0; i < a->nfields; i++)
			if (!ty_equal(a->fields[i], b->fields[i]))
				return false;
		return true;
	case TY_KSTACK: return a->stack_mode == b->stack_mode && a->nframes == b->nframes && a->ustack == b->ustack;
	case TY_TIMESTAMP: return !strcmp(a->name, b->name);
	case TY_LHIST: return a->lh_min == b->lh_min && a->lh_max == b->lh_max && a->lh_step == b->lh_step;
	case TY_SUM: case TY_MIN: case TY_MAX: case TY_AVG: case TY_STATS:
		return true;
	default: return true;
	}
}

/* names as bpftrace prints them in messages */
const char *ty_name(struct arena *a, const struct type *t)
{
	switch (t->kind) {
	case TY_NONE: return "none";
	case TY_VOID: return "void";
	case TY_INT: return arena_printf(a, "%sint%u", t->sign ? "" : "unsigned ", t->size * 8);
	case TY_STR: return arena_printf(a, "string[%u]", t->size);
	case TY_BUF: return arena_printf(a, "buffer[%u]", t->size);
	case TY_INET: return "inet";
	case TY_KSTACK: return t->ustack ? "ustack" : "kstack";
	case TY_USYM: return "usym";
	case TY_KSYM: return "ksym";
	case TY_MACADDR: return "macaddr";
	case TY_TIMESTAMP: return "timestamp";
	case TY_USERNAME: return "username";
	case TY_UFUNC: return "usym";
	case TY_STRERROR: return "strerror";
	case TY_CGROUP_PATH: return "cgroup_path";
	case TY_PROBE: return "probe";
	case TY_PTR: return arena_printf(a, "%s *", ty_name(a, t->sub));
	case TY_RECORD: return t->name ? t->name : "struct";
	case TY_ARRAY: return arena_printf(a, "%s[%u]", ty_name(a, t->sub), t->nelem);
	case TY_TUPLE: {
		char *s = "(";
		for (int i = 0; i < t->nfields; i++)
			s = arena_printf(a, "%s%s%s", s, i ? "," : "", ty_name(a, t->fields[i]));
		return arena_printf(a, "%s)", s);
	}
	case TY_COUNT: return "count";
	case TY_SUM: return "sum";
	case TY_MIN: return "min";
	case TY_MAX: return "max";
	case TY_AVG: return "avg";
	case TY_STATS: return "stats";
	case TY_HIST: return "hist";
	case TY_LHIST: return "lhist";
	}
	return "?";
}

/* ------------------------------------------------------------------ BTF */

struct btf_ctx {
	struct arena *arena;
	char *path;
	struct kernel *kernel; /* module BTF, tracepoint formats */
	struct btf *btf;   /* loaded on first use */
	bool tried;
	char err[256];
	const struct type **cache; /* by type id */
	uint32_t ntypes;
	struct enumval *enums; /* every enumerator, sorted by name (built on first lookup) */
	size_t nenums;
	struct funcname *funcs; /* every BTF FUNC, sorted by name (kfunc) */
	size_t nfuncs;
	bool funcs_read;
	/* module BTF (/sys/kernel/btf/<module>, split on vmlinux): read only
	 * when a name is not in vmlinux, then all at once */
	struct modbtf *mods;
	int nmods;
	bool mods_tried;
};

struct modbtf {
	const char *name; /* the module's */
	struct btf *btf;
	const struct type **cache; /* by type id - first */
	uint32_t first, n;
};

struct funcname {
	const char *name;
	struct btf *btf; /* vmlinux's or a module's */
	uint32_t id;
	int mod;         /* -1 vmlinux, else the index in mods */
};

struct enumval {
	const char *name;
	int64_t val;
	uint32_t order; /* the first in BTF order wins among equal names */
};

struct btf_ctx *btfc_open(struct arena *a, const char *path, struct kernel *k)
{
	struct btf_ctx *b = arena_alloc(a, sizeof(*b));
	b->arena = a;
	b->kernel = k;
	b->path = arena_strdup(a, path ? path : VMLINUX_BTF);
	return b;
}

void btfc_close(struct btf_ctx *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nmods; i++) {
		btf__free(b->mods[i].btf);
		free(b->mods[i].cache);
	}
	free(b->mods);
	b->mods = NULL;
	b->nmods = 0;
	btf__free(b->btf);
	free(b->cache);
	free(b->enums);
	b->enums = NULL;
	free(b->funcs);
	b->funcs = NULL;
	b->nfuncs = 0;
	b->funcs_read = false;
	b->nenums = 0;
	b->btf = NULL;
	b->cache = NULL;
}

static struct btf *get_btf(struct btf_ctx *b)
{
	if (b->btf || b->tried)
		return b->btf;
	b->tried = true;
	b->btf = btf__parse_raw(b->path);
	if (!b->btf) {
		snprintf(b->err, sizeof(b->err), "%s: %s", b->path, strerror(errno));
		return NULL;
	}
	b->ntypes = btf__type_cnt(b->btf);
	b->cache = calloc(b->ntypes, sizeof(*b->cache));
	return b->btf;
}

/* the running kernel's module BTF, loaded the first time a lookup misses
 * vmlinux; none beside another vmlinux BTF (BPFTRACE_BTF): the modules
 * split on the running kernel's vmlinux only */
static int load_modules(struct btf_ctx *b)
{
	if (b->mods_tried || !get_btf(b))
		return b->nmods;
	b->mods_tried = true;
	if (strcmp(b->path, VMLINUX_BTF))
		return 0;
	const char *const *paths;
	int np = kernel_module_btf(b->kernel, &paths);
	for (int i = 0; i < np; i++) {
		struct btf *m = btf__parse_split(paths[i], b->btf);
		if (!m)
			continue;
		struct modbtf *nm = realloc(b->mods, sizeof(*nm) * (size_t)(b->nmods + 1));
		if (!nm) {
			btf__free(m);
			break;
		}
		b->mods = nm;
		uint32_t n = btf__type_cnt(m) - b->ntypes;
		const char *base = strrchr(paths[i], '/');
		b->mods[b->nmods++] = (struct modbtf){ arena_strdup(b->arena, base ? base + 1 : paths[i]), m,
						      calloc(n ? n : 1, sizeof(struct type *)), b->ntypes, n };
	}
	return b->nmods;
}

/* the type with this name and kind in vmlinux, else in a module */
static int find_type(struct btf_ctx *b, const char *name, int kind, struct btf **where)
{
	struct btf *btf = get_btf(b);
	if (!btf)
		return -1;
	int id = btf__find_by_name_kind(btf, name, (uint32_t)kind);
	*where = btf;
	if (id > 0)
		return id;
	/* a module's own types only: btf__find_by_name_kind on split BTF
	 * would scan all of vmlinux again for each module */
	int nm = load_modules(b);
	for (int i = 0; i < nm; i++) {
		struct btf *m = b->mods[i].btf;
		for (uint32_t t = b->mods[i].first; t < b->mods[i].first + b->mods[i].n; t++) {
			const struct btf_type *bt = btf__type_by_id(m, t);
			const char *tn = bt ? btf__name_by_offset(m, bt->name_off) : NULL;
			if ((int)btf_kind(bt) == kind && tn && !strcmp(tn, name)) {
				*where = m;
				return (int)t;
			}
		}
	}
	return -1;
}

static const struct btf_type *skip_mods(struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* an enum: its integer type, with the constants for printf's %s */
static const struct type *enum_type(struct btf_ctx *b, struct btf *btf, const struct btf_type *t)
{
	bool sign = btf_kflag(t);
	int size = t->size == 1 || t->size == 2 || t->size == 4 ? (int)t->size : 8;
	struct type *r = arena_alloc(b->arena, sizeof(*r));
	struct enum_consts *ec = arena_alloc(b->arena, sizeof(*ec));
	int n = btf_vlen(t);
	const char **names = arena_alloc(b->arena, sizeof(char *) * (size_t)(n ? n : 1));
	int64_t *vals = arena_alloc(b->arena, sizeof(int64_t) * (size_t)(n ? n : 1));
	for (int i = 0; i < n; i++) {
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t) + i;
			names[i] = btf__name_by_offset(btf, e->name_off);
			vals[i] = sign ? (int64_t)e->val : (int64_t)(uint32_t)e->val;
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;
			names[i] = btf__name_by_offset(btf, e->name_off);
			vals[i] = (int64_t)btf_enum64_value(e);
		}
	}
	const char *nm = btf__name_by_offset(btf, t->name_off);
	ec->name = arena_printf(b->arena, "enum %s", nm && *nm ? nm : "(anon)");
	ec->n = n;
	ec->names = names;
	ec->vals = vals;
	*r = *ty_int(size, sign);
	r->enums = ec;
	return r;
}

/* a struct or union, kept as (btf, id) and expanded on demand; ids of
 * vmlinux types name vmlinux's BTF, also when reached from a module's */
static const struct type *record(struct btf_ctx *b, struct btf *btf, uint32_t id,
				 const struct btf_type *t)
{
	struct type *rec = arena_alloc(b->arena, sizeof(*rec));
	rec->kind = TY_RECORD;
	rec->btf = id < b->ntypes ? b->btf : btf;
	rec->btf_id = id;
	rec->size = t->size;
	rec->align = 8;
	const char *nm = btf__name_by_offset(btf, t->name_off);
	rec->name = arena_printf(b->arena, "%s %s", btf_is_union(t) ? "union" : "struct", nm && *nm ? nm : "(anon)");
	return rec;
}

static const struct type *convert(struct btf_ctx *b, struct btf *btf, uint32_t id)
{
	const struct type **slot = NULL;
	if (id < b->ntypes) { /* vmlinux's, also when reached from a module */
		btf = b->btf;
		slot = &b->cache[id];
	} else {
		for (int i = 0; i < b->nmods; i++)
			if (b->mods[i].btf == btf && id - b->mods[i].first < b->mods[i].n)
				slot = &b->mods[i].cache[id - b->mods[i].first];
	}
	if (slot && *slot)
		return *slot;
	const struct btf_type *t = skip_mods(btf, &id);
	const struct type *r;
	if (!t || id == 0) {
		r = ty_void();
	} else if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);
		const char *in = btf__name_by_offset(btf, t->name_off);
		/* plain char is signed on x86-64, though BTF gives it no encoding */
		bool is_char = t->size == 1 && ((enc & BTF_INT_CHAR) || (in && !strcmp(in, "char")));
		r = ty_int(t->size ? (int)t->size : 1, (enc & BTF_INT_SIGNED) || is_char);
		if (t->size == 16)
			r = ty_int(8, false);
	} else if (btf_is_enum(t) || btf_kind(t) == BTF_KIND_ENUM64) {
		r = enum_type(b, btf, t);
	} else if (btf_is_ptr(t)) {
		uint32_t sid = t->type;
		const struct btf_type *st = skip_mods(btf, &sid);
		/* the pointee is converted lazily for records: keep (btf, id) */
		if (st && btf_is_composite(st)) {
			r = ty_ptr(b->arena, record(b, btf, sid, st));
		} else if (st && (btf_is_ptr(st) || btf_is_int(st) || btf_is_enum(st) || btf_is_array(st))) {
			r = ty_ptr(b->arena, convert(b, btf, sid));
		} else {
			r = ty_ptr(b->arena, ty_void());
		}
	} else if (btf_is_array(t)) {
		const struct btf_array *arr = btf_array(t);
		uint32_t eid = arr->type;
		const struct btf_type *et = skip_mods(btf, &eid);
		const char *en = et ? btf__name_by_offset(btf, et->name_off) : NULL;
		/* plain char[N] is a string, as bpftrace 0.17 (clang's Char_S);
		** u8/unsigned char/signed char arrays stay arrays */
		if (et && btf_is_int(et) && et->size == 1 && en && !strcmp(en, "char"))
			r = ty_str(b->arena, arr->nelems);
		else
			r = ty_array(b->arena, convert(b, btf, arr->type), arr->nelems);
	} else if (btf_is_composite(t)) {
		r = record(b, btf, id, t);
	} else {
		r = ty_int(8, false); /* func protos, floats: opaque 64-bit */
	}
	if (slot)
		*slot = r;
	return r;
}

const struct type *btfc_record(struct btf_ctx *b, const char *kw, const char *name)
{
	struct btf *btf = NULL;
	int id;
	if (kw && !strcmp(kw, "union"))
		id = find_type(b, name, BTF_KIND_UNION, &btf);
	else if (kw && !strcmp(kw, "enum")) {
		id = find_type(b, name, BTF_KIND_ENUM, &btf);
		if (id <= 0)
			id = find_type(b, name, BTF_KIND_ENUM64, &btf);
	}
	else if (kw)
		id = find_type(b, name, BTF_KIND_STRUCT, &btf);
	else
		id = find_type(b, name, BTF_KIND_TYPEDEF, &btf);
	if (id <= 0)
		return NULL;
	return convert(b, btf, (uint32_t)id);
}

/* member search, descending into anonymous struct/union members */
static bool find_member(struct btf *btf, uint32_t id, const char *field, uint32_t *bitoff,
			uint32_t *mtype, uint32_t *bitsize)
{
	const struct btf_type *t = skip_mods(btf, &id);
	if (!t || !btf_is_composite(t))
		return false;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *nm = btf__name_by_offset(btf, m->name_off);
		uint32_t boff = btf_member_bit_offset(t, (uint32_t)i);
		if (nm && *nm) {
			if (!strcmp(nm, field)) {
				*bitoff = boff;
				*mtype = m->type;
				*bitsize = btf_member_bitfield_size(t, (uint32_t)i);
				return true;
			}
		} else {
			uint32_t sub_off;
			if (find_member(btf, m->type, field, &sub_off, mtype, bitsize)) {
				*bitoff = boff + sub_off;
				return true;
			}
		}
	}
	return false;
}

const struct type *btfc_member(struct btf_ctx *b, const struct type *rec,
			       const char *field, uint32_t *off)
{
	if (rec->kind != TY_RECORD)
		return NULL;
	if (!rec->btf) { /* tracepoint record read from tracefs */
		for (int i = 0; i < rec->nfields; i++)
			if (!strcmp(rec->fnames[i], field)) {
				*off = rec->offsets[i];
				return rec->fields[i];
			}
		return NULL;
	}
	uint32_t bitoff, mtype, bitsize;
	if (!find_member((struct btf *)rec->btf, rec->btf_id, field, &bitoff, &mtype, &bitsize))
		return NULL;
	const struct type *mt = convert(b, (struct btf *)rec->btf, mtype);
	if (bitsize || bitoff % 8) {
		struct type *bf = arena_alloc(b->arena, sizeof(*bf));
		*bf = *mt;
		uint32_t unit = mt->size ? mt->size : 4;
		uint32_t base = bitoff / 8 / unit * unit;
		*off = base;
		bf->bit_off = (uint8_t)(bitoff - base * 8);
		bf->bit_size = (uint8_t)(bitsize ? bitsize : unit * 8);
		return bf;
	}
	*off = bitoff / 8;
	return mt;
}

int btfc_member_names(struct btf_ctx *b, const struct type *rec, const char **out, int max)
{
	if (rec->kind != TY_RECORD)
		return 0;
	if (!rec->btf) {
		int n = 0;
		for (int i = 0; i < rec->nfields && n < max; i++)
			out[n++] = rec->fnames[i];
		return n;
	}
	struct btf *btf = (struct btf *)rec->btf;
	uint32_t id = rec->btf_id;
	const struct btf_type *t = skip_mods(btf, &id);
	int n = 0;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t) && n < max; i++, m++) {
		const char *nm = btf__name_by_offset(btf, m->name_off);
		if (nm && *nm) {
			out[n++] = nm;
		} else {
			struct type sub = { .kind = TY_RECORD, .btf = btf, .btf_id = m->type };
			n += btfc_member_names(b, &sub, out + n, max - n);
		}
	}
	return n;
}

static int enumval_cmp(const void *x, const void *y)
{
	const struct enumval *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->order > b->order) - (a->order < b->order);
}

/*
** Enumerator by name. The first lookup indexes all of them (kernels have
** tens of thousands), so a script full of unknown identifiers does not
** walk the whole of BTF for each.
*/
bool btfc_enum_value(struct btf_ctx *b, const char *name, int64_t *val)
{
	struct btf *btf = get_btf(b);
	if (!btf)
		return false;
	if (!b->enums) {
		int n = 0, cap = 0;
		/* non-NULL from here on: indexed, even if the kernel has none */
		b->enums = vec_reserve(NULL, 0, &cap, sizeof(*b->enums));
		for (uint32_t id = 1; id < b->ntypes; id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);
			if (!btf_is_enum(t))
				continue;
			const struct btf_enum *e = btf_enum(t);
			for (int i = 0; i < btf_vlen(t); i++, e++) {
				b->enums = vec_reserve(b->enums, n, &cap, sizeof(*b->enums));
				b->enums[n] = (struct enumval){
					btf__name_by_offset(btf, e->name_off),
					btf_kflag(t) ? (int64_t)e->val : (int64_t)(uint32_t)e->val, (uint32_t)n };
				n++;
			}
		}
		qsort(b->enums, (size_t)n, sizeof(*b->enums), enumval_cmp);
		b->nenums = (size_t)n;
	}
	size_t lo = 0, hi = b->nenums;
	while (lo < hi) { /* first entry >= name */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(b->enums[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->nenums && !strcmp(b->enums[lo].name, name)) {
		*val = b->enums[lo].val;
		return true;
	}
	return false;
}

/* ------------------------------------------------------ tracepoint records */

const struct type *ty_c_int(const char *const *w, int n)
{
	bool uns = false, sig = false;
	int chars = 0, shorts = 0, longs = 0, ints = 0;
	for (int i = 0; i < n; i++) {
		if (!strcmp(w[i], "unsigned")) uns = true;
		else if (!strcmp(w[i], "signed")) sig = true;
		else if (!strcmp(w[i], "char")) chars++;
		else if (!strcmp(w[i], "short")) shorts++;
		else if (!strcmp(w[i], "long")) longs++;
		else if (!strcmp(w[i], "int")) ints++;
		else if (!strcmp(w[i], "_Bool") || !strcmp(w[i], "bool")) return n == 1 ? ty_int(1, false) : NULL;
		else return NULL;
	}
	if (chars > 1 || shorts > 1 || longs > 2 || ints > 1 || (chars && (shorts || longs || ints)) ||
	    (shorts && longs) || (uns && sig))
		return NULL;
	/* char is signed on x86-64, as clang types it for bpftrace 0.17 */
	int size = chars ? 1 : shorts ? 2 : longs ? 8 : 4;
	return ty_int(size, !uns);
}

/*
** The type of a pointer field of a tracepoint record, from its C
** declaration in the format file: "const struct __kernel_timespec *
** rqtp", "const char *const * argv", "void * skbaddr", "loff_t * pos".
** Qualifiers are dropped; the pointee is a C integer type, void, a
** struct/union/enum or a typedef looked up in kernel BTF. NULL when it
** cannot be named that way (then the field is a plain u64, which cannot
** be dereferenced without a cast: an error, never a wrong read).
*/
static const struct type *tp_pointer_type(struct btf_ctx *b, const char *decl)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", decl);
	/* the words before the first '*' name the pointee; the last
	** identifier of the declaration (after the stars) is the field */
	char *star = strchr(buf, '*');
	int depth = 0;
	for (char *p = star; *p; p++)
		if (*p == '*')
			depth++;
	*star = 0;
	const char *w[16];
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, " \t", &save); tok && n < 16; tok = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(tok, "const") || !strcmp(tok, "volatile") || !strcmp(tok, "__user") ||
		    !strcmp(tok, "restrict") || !strcmp(tok, "__restrict"))
			continue;
		w[n++] = tok;
	}
	if (n == 0)
		return NULL;
	const struct type *base = NULL;
	if (n == 1 && !strcmp(w[0], "void")) {
		base = ty_void();
	} else if (n == 2 && (!strcmp(w[0], "struct") || !strcmp(w[0], "union") || !strcmp(w[0], "enum"))) {
		base = get_btf(b) ? btfc_record(b, w[0], w[1]) : NULL;
	} else if ((base = ty_c_int(w, n)) == NULL && n == 1 && get_btf(b)) {
		base = btfc_record(b, NULL, w[0]); /* a typedef: loff_t, fd_set, ... */
	}
	if (!base)
		return NULL;
	const struct type *t = base;
	for (int i = 0; i < depth; i++)
		t = ty_ptr(b->arena, t);
	return t;
}

/* map a tracefs field declaration to a type */
static const struct type *tp_field_type(struct btf_ctx *b, const char *decl, int size, bool sign)
{
	const char *br = strchr(decl, '[');
	if (!strncmp(decl, "__data_loc", 10)) {
		/* u32: offset (low 16 bits) and length (high 16 bits) of a string */
		return ty_int(4, false);
	}
	if (br && size > 0) {
		if (strstr(decl, "char"))
			return ty_str(b->arena, (uint32_t)size);
		int n = atoi(br + 1);
		if (n > 0 && size % n == 0)
			return ty_array(b->arena, ty_int(size / n, sign), (uint32_t)n);
		return ty_str(b->arena, (uint32_t)size);
	}
	if (strchr(decl, '*')) {
		const struct type *pt = tp_pointer_type(b, decl);
		return pt ? pt : ty_int(8, false);
	}
	if (!strncmp(decl, "enum ", 5) && get_btf(b)) {
		/* "enum skb_drop_reason reason": the kernel's enum, for %s */
		char nm[128];
		const struct type *et;
		if (sscanf(decl + 5, "%127[A-Za-z0-9_]", nm) == 1 &&
		    (et = btfc_record(b, "enum", nm)) && et->kind == TY_INT && (int)et->size == size) {
			struct type *r = arena_alloc(b->arena, sizeof(*r));
			*r = *ty_int(size, sign);
			r->enums = et->enums;
			return r;
		}
	}
	if (size == 1 || size == 2 || size == 4 || size == 8)
		return ty_int(size, sign);
	return ty_str(b->arena, (uint32_t)size);
}

struct tp_field {
	char *name;
	const struct type *ty;
	uint32_t off;
};

/*
** The args record of a tracepoint: a TY_RECORD without BTF whose fields,
** offsets and names come from the format file.
*/
static const struct type *tp_from_format(struct btf_ctx *b, FILE *f)
{
	char line[1024];
	struct tp_field fl[128];
	int n = 0;
	uint32_t maxend = 0;
	while (fgets(line, sizeof(line), f) && n < 128) {
		char *p = strstr(line, "field:");
		if (!p)
			continue;
		p += 6;
		char *semi = strchr(p, ';');
		if (!semi)
			continue;
		*semi = 0;
		int off = 0, size = 0, sign = 0;
		char *o = strstr(semi + 1, "offset:");
		char *s = strstr(semi + 1, "size:");
		char *g = strstr(semi + 1, "signed:");
		if (!o || !s)
			continue;
		off = atoi(o + 7);
		size = atoi(s + 5);
		sign = g ? atoi(g + 7) : 0;
		/* the name is the last identifier, before a trailing [N]
		** ("char comm[16]"; "__data_loc char[] filename" has none) */
		char decl[512];
		snprintf(decl, sizeof(decl), "%s", p);
		char *end = decl + strlen(decl);
		while (end > decl && end[-1] == ' ')
			end--;
		if (end > decl && end[-1] == ']') {
			char *lb = strrchr(decl, '[');
			if (lb)
				end = lb;
		}
		char *q = end;
		while (q > decl && !(isalnum((unsigned char)q[-1]) || q[-1] == '_'))
			q--;
		char *ne = q;
		while (q > decl && (isalnum((unsigned char)q[-1]) || q[-1] == '_'))
			q--;
		if (ne == q)
			continue;
		fl[n].name = arena_strndup(b->arena, q, (size_t)(ne - q));
		fl[n].ty = tp_field_type(b, decl, size, sign);
		if (!strncmp(decl, "__data_loc", 10)) {
			struct type *dl = arena_alloc(b->arena, sizeof(*dl));
			*dl = *fl[n].ty;
			dl->name = "__data_loc";
			dl->data_loc = true;
			fl[n].ty = dl;
		}
		fl[n].off = (uint32_t)off;
		if ((uint32_t)(off + size) > maxend)
			maxend = (uint32_t)(off + size);
		n++;
	}
	struct type *rec = arena_alloc(b->arena, sizeof(*rec));
	rec->kind = TY_RECORD;
	rec->size = maxend;
	rec->align = 8;
	rec->nfields = n;
	rec->fields = arena_alloc(b->arena, sizeof(*rec->fields) * (size_t)(n ? n : 1));
	rec->offsets = arena_alloc(b->arena, sizeof(uint32_t) * (size_t)(n ? n : 1));
	const char **names = arena_alloc(b->arena, sizeof(char *) * (size_t)(n ? n : 1));
	for (int i = 0; i < n; i++) {
		rec->fields[i] = fl[i].ty;
		rec->offsets[i] = fl[i].off;
		names[i] = fl[i].name;
	}
	rec->fnames = names;
	return rec;
}

const struct type *btfc_tracepoint(struct btf_ctx *b, const char *cat,
				   const char *name, char *err, size_t errlen)
{
	if (kernel_tracefs(b->kernel)) {
		const char *text = kernel_tp_format(b->kernel, cat, name);
		FILE *f = text ? fmemopen((void *)text, strlen(text), "r") : NULL;
		if (f) {
			const struct type *r = tp_from_format(b, f);
			fclose(f);
			struct type *rr = (struct type *)r;
			rr->name = arena_printf(b->arena, "struct _tracepoint_%s_%s", cat, name); /* bpftrace 0.17 */
			/* a system call's arguments are the caller's: its pointers
			** point into user memory (bpftrace 0.17 gives args of
			** syscalls:* the user address space, and every field with it) */
			if (!strcmp(cat, "syscalls"))
				for (int i = 0; i < rr->nfields; i++)
					rr->fields[i] = ty_user(b->arena, rr->fields[i]);
			return r;
		}
		snprintf(err, errlen, "tracepoint not found: %s:%s", cat, name);
		return NULL;
	}
	/* no tracefs: BTF's trace_event_raw_<name> (dry runs) */
	char sname[256];
	snprintf(sname, sizeof(sname), "trace_event_raw_%s", name);
	const struct type *r = btfc_record(b, "struct", sname);
	if (r)
		return r;
	snprintf(err, errlen, "the format of tracepoint %s:%s is in tracefs, which is not mounted "
		 "(kernel BTF has no trace_event_raw_%s); mount it: mount -t tracefs nodev /sys/kernel/tracing",
		 cat, name, name);
	return NULL;
}


/* ------------------------------------------------------- kernel functions */

static int funcname_cmp(const void *x, const void *y)
{
	const struct funcname *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : a->mod - b->mod; /* vmlinux's first, then modules in order */
}

/* every FUNC of vmlinux and the loaded modules, sorted by name, read once */
static void read_funcs(struct btf_ctx *b)
{
	if (b->funcs_read || !get_btf(b))
		return;
	b->funcs_read = true;
	int nm = load_modules(b);
	size_t cap = 0;
	for (int m = -1; m < nm; m++) {
		struct btf *btf = m < 0 ? b->btf : b->mods[m].btf;
		uint32_t first = m < 0 ? 1 : b->mods[m].first;
		uint32_t end = m < 0 ? b->ntypes : b->mods[m].first + b->mods[m].n;
		for (uint32_t id = first; id < end; id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);
			if (!t || !btf_is_func(t))
				continue;
			if (b->nfuncs == cap) {
				cap = cap ? cap * 2 : 4096;
				struct funcname *nf = realloc(b->funcs, cap * sizeof(*nf));
				if (!nf)
					return;
				b->funcs = nf;
			}
			b->funcs[b->nfuncs++] = (struct funcname){ btf__name_by_offset(btf, t->name_off), btf, id, m };
		}
	}
	if (b->nfuncs)
		qsort(b->funcs, b->nfuncs, sizeof(*b->funcs), funcname_cmp);
}

static const struct funcname *find_func(struct btf_ctx *b, const char *name, const char *module)
{
	read_funcs(b);
	size_t lo = 0, hi = b->nfuncs;
	while (lo < hi) { /* the first with this name */
		size_t mid = (lo + hi) / 2;
		if (strcmp(b->funcs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->nfuncs && !strcmp(b->funcs[lo].name, name); lo++) {
		const struct funcname *f = &b->funcs[lo];
		if (!module || !fnmatch(module, f->mod < 0 ? "vmlinux" : b->mods[f->mod].name, 0))
			return f;
	}
	return NULL;
}

const char *btfc_func_module(struct btf_ctx *b, const char *name, const char *module)
{
	const struct funcname *f = find_func(b, name, module);
	return !f ? NULL : f->mod < 0 ? "vmlinux" : b->mods[f->mod].name;
}

/*
** A kernel function's arguments as fentry/fexit programs see them: the
** trampoline's context is u64 args[nargs] then, on return, the return
** value, so each parameter is a field at 8 * i of a record without BTF
** (as a tracepoint's), typed from the prototype; false with a reason in
** err when there is no such function or an argument does not fit a slot.
*/
bool btfc_func(struct btf_ctx *b, const char *name, const char *module, struct btf_func *out,
	       char *err, size_t errlen)
{
	const struct funcname *f = find_func(b, name, module);
	if (!f) {
		snprintf(err, errlen, "no BTF for kernel function '%s'%s", name,
			 get_btf(b) ? "" : " (no kernel BTF)");
		return false;
	}
	const struct btf_type *fn = btf__type_by_id(f->btf, f->id);
	const struct btf_type *proto = fn ? btf__type_by_id(f->btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto)) {
		snprintf(err, errlen, "'%s' has no prototype in BTF", name);
		return false;
	}
	int n = btf_vlen(proto);
	const struct btf_param *pa = btf_params(proto);
	if (n > 0 && !pa[n - 1].type && !pa[n - 1].name_off)
		n--; /* variadic: the named arguments */
	struct type *rec = arena_alloc(b->arena, sizeof(*rec));
	rec->kind = TY_RECORD;
	rec->align = 8;
	rec->size = 8 * (uint32_t)n;
	rec->nfields = n;
	rec->fields = arena_alloc(b->arena, sizeof(*rec->fields) * (size_t)(n ? n : 1));
	rec->offsets = arena_alloc(b->arena, sizeof(uint32_t) * (size_t)(n ? n : 1));
	rec->fnames = arena_alloc(b->arena, sizeof(char *) * (size_t)(n ? n : 1));
	rec->name = arena_printf(b->arena, "struct kfunc %s", name);
	uint32_t slot = 0; /* a struct of 9..16 bytes takes two slots */
	for (int i = 0; i < n; i++) {
		const char *pn = btf__name_by_offset(f->btf, pa[i].name_off);
		const struct type *t = convert(b, f->btf, pa[i].type);
		if (t->size > 16 || ((t->kind == TY_ARRAY || t->kind == TY_STR) && t->size > 8)) {
			snprintf(err, errlen, "argument %d of '%s' (%s) is a struct of %u bytes passed by value, "
				 "which kfunc probes cannot read", i, name, pn && *pn ? pn : "unnamed", t->size);
			return false;
		}
		rec->fields[i] = t;
		rec->offsets[i] = 8 * slot;
		rec->fnames[i] = pn && *pn ? pn : arena_printf(b->arena, "arg%d", i);
		slot += t->size > 8 ? 2 : 1;
	}
	if (slot > 6) { /* as bpftrace 0.17; the 6.1 trampoline takes six */
		snprintf(err, errlen, "%s: functions with more than 6 parameters are not supported.", name);
		return false;
	}
	rec->size = 8 * slot;
	out->args = rec;
	out->nargs = n;
	out->slots = (int)slot;
	out->ret = proto->type ? convert(b, f->btf, proto->type) : ty_void();
	out->module = f->mod < 0 ? "vmlinux" : b->mods[f->mod].name;
	return true;
}

static void decl_printf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* -lv kfunc:...: "    TYPE NAME" per argument as C declares it (btf_dump,
 * as bpftrace 0.17 prints them), then "    TYPE retval" when ret */
void btfc_func_decls(struct btf_ctx *b, const char *name, const char *module, bool ret, FILE *o)
{
	const struct funcname *f = find_func(b, name, module);
	const struct btf_type *fn = f ? btf__type_by_id(f->btf, f->id) : NULL;
	const struct btf_type *proto = fn ? btf__type_by_id(f->btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto))
		return;
	struct btf_dump *d = btf_dump__new(f->btf, decl_printf, o, NULL);
	if (!d)
		return;
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, dopts, .field_name = "");
	const struct btf_param *pa = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++) {
		fputs("    ", o);
		btf_dump__emit_type_decl(d, pa[i].type, &dopts);
		fprintf(o, " %s\n", btf__name_by_offset(f->btf, pa[i].name_off));
	}
	if (ret && proto->type) {
		fputs("    ", o);
		btf_dump__emit_type_decl(d, proto->type, &dopts);
		fputs(" retval\n", o);
	}
	btf_dump__free(d);
}

static int cstr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the kernel's BPF iterators: NAME of each struct bpf_iter__NAME in
 * vmlinux's BTF matching the glob, sorted, in a malloc'd *out (the names
 * the BTF's); their number, -1 without BTF */
int btfc_iters(struct btf_ctx *b, const char *pattern, const char ***out)
{
	*out = NULL;
	struct btf *btf = get_btf(b);
	if (!btf)
		return -1;
	const char **v = NULL;
	int n = 0;
	for (uint32_t id = 1; id < b->ntypes; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *nm = t && btf_is_struct(t) ? btf__name_by_offset(btf, t->name_off) : NULL;
		if (!nm || strncmp(nm, "bpf_iter__", 10) || fnmatch(pattern, nm + 10, 0))
			continue;
		const char **nv = realloc(v, sizeof(*v) * (size_t)(n + 1));
		if (!nv)
			break;
		v = nv;
		v[n++] = nm + 10;
	}
	if (n)
		qsort(v, (size_t)n, sizeof(*v), cstr_cmp);
	*out = v;
	return n;
}
