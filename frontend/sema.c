/*
** frontend/sema.c: types for every expression, and every check a
** bpftrace user would expect before anything touches the kernel.
**
** Passes: map value types can be fixed by a probe that comes later in
** the script (bpftrace resolves these by iterating too), so the whole
** program is walked quietly until no type changes, then once more with
** diagnostics on. Only the final pass creates events (printf, time, ...),
** so their argument layouts use final types.
**
** Integer rules follow bpftrace 0.17: literals are int64; binary
** arithmetic and comparisons give a 64-bit result, unsigned if either
** side is unsigned; `!` gives uint64; map keys and values widen integers
** to 64 bits keeping the sign; scratch variables keep the first type and
** widen to a larger integer or string assigned later.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ast.h"

#define STRLEN_DEFAULT 64
#define MAX_STACK_FRAMES 127

struct scope {
	struct varinfo **v;
	int n, cap;
};

struct sema {
	struct program *p;
	struct arena *a;
	struct diags *d;
	struct btf_ctx *btf;
	const struct sema_opts *o;
	bool report;  /* final pass: diagnostics and events on */
	bool changed; /* a type was learned this pass */
	struct probe *probe;
	struct scope vars;
	int loop_depth;
};

/* constants BTF lacks (macros in C headers) */
static const struct { const char *name; int64_t val; } MACRO_CONSTS[] = {
	{ "AF_UNSPEC", 0 }, { "AF_UNIX", 1 }, { "AF_LOCAL", 1 }, { "AF_INET", 2 },
	{ "AF_INET6", 10 }, { "AF_NETLINK", 16 }, { "AF_PACKET", 17 },
	{ "IPPROTO_TCP", 6 }, { "IPPROTO_UDP", 17 }, { "IPPROTO_ICMP", 1 },
	{ "IPPROTO_ICMPV6", 58 }, { "ETH_P_IP", 0x0800 }, { "ETH_P_IPV6", 0x86DD },
	{ "O_RDONLY", 0 }, { "O_WRONLY", 1 }, { "O_RDWR", 2 }, { "O_CREAT", 0100 },
	{ "EPERM", 1 }, { "ENOENT", 2 }, { "EAGAIN", 11 }, { "ENOMEM", 12 },
	{ "EINVAL", 22 }, { "TASK_RUNNING", 0 }, { "TASK_INTERRUPTIBLE", 1 },
	{ "TASK_UNINTERRUPTIBLE", 2 }, { "PAGE_SIZE", 4096 },
};

static void err(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void err(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
{
	if (!s->report)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_verror(s->d, DIAG_ERROR, l, hint, fmt, ap);
	va_end(ap);
}

static void warn(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void warn(struct sema *s, const struct loc *l, const char *hint, const char *fmt, ...)
{
	if (!s->report)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_verror(s->d, DIAG_WARNING, l, hint, fmt, ap);
	va_end(ap);
}

static const char *tn(struct sema *s, const struct type *t)
{
	return ty_name(s->a, t);
}

static bool is_int(const struct type *t) { return t && t->kind == TY_INT; }
static bool is_intlike(const struct type *t)
{
	return t && (t->kind == TY_INT || t->kind == TY_PTR || t->kind == TY_COUNT ||
		     t->kind == TY_SUM || t->kind == TY_MIN || t->kind == TY_MAX ||
		     t->kind == TY_AVG);
}

/* widen integers to 64 bits for map storage, keeping the sign */
static const struct type *widen(const struct type *t)
{
	if (t->kind == TY_INT)
		return ty_int(8, t->sign);
	return t;
}

/* the key type of a map access @m[k1, ...]: one widened value or a tuple */
static void set_key_type(struct sema *s, struct node *m)
{
	if (!m->args)
		return;
	if (m->nargs == 1) {
		m->key_ty = widen(m->args->ty);
		return;
	}
	const struct type *fs[16];
	int i = 0;
	for (struct node *k = m->args; k && i < 16; k = k->next)
		fs[i++] = widen(k->ty);
	m->key_ty = ty_tuple(s->a, fs, i);
}

/* ------------------------------------------------------------- variables */

static struct varinfo *var_find(struct sema *s, const char *name)
{
	for (int i = 0; i < s->vars.n; i++)
		if (!strcmp(s->vars.v[i]->name, name))
			return s->vars.v[i];
	return NULL;
}

static struct mapinfo *map_get(struct sema *s, struct node *n)
{
	for (int i = 0; i < s->p->nmaps; i++)
		if (!strcmp(s->p->maps[i]->name, n->name))
			return s->p->maps[i];
	struct mapinfo *m = arena_alloc(s->a, sizeof(*m));
	m->name = n->name;
	m->id = s->p->nmaps;
	m->first = n->loc;
	m->val = ty_none();
	arena_vec_push(s->a, (void ***)&s->p->maps, &s->p->nmaps, &s->p->capmaps, m);
	return m;
}

static const char *map_disp(struct sema *s, const struct mapinfo *m)
{
	return arena_printf(s->a, "@%s", m->name);
}

/* ----------------------------------------------------------- expressions */

static void expr(struct sema *s, struct node *n);
static void stmt(struct sema *s, struct node *n);
static void incdec(struct sema *s, struct node *n);
static void map_key(struct sema *s, struct node *mn, struct mapinfo *m);

static void set_const(struct node *n, int64_t v)
{
	n->is_const = true;
	n->cval = v;
}

static const struct type *resolve_ctype(struct sema *s, struct ctype *c)
{
	const struct type *t = NULL;
	if (!c->kw) {
		const char *nm = c->name;
		if (!strcmp(nm, "void"))
			t = ty_void();
		else if (!strcmp(nm, "bool"))
			t = ty_int(1, false);
		else if (!strncmp(nm, "uint", 4))
			t = ty_int(atoi(nm + 4) / 8, false);
		else if (!strncmp(nm, "int", 3))
			t = ty_int(atoi(nm + 3) / 8, true);
		else if (!(t = s->btf ? btfc_record(s->btf, NULL, nm) : NULL)) {
			/* (name *): a kernel typedef, as (struct name *) in bpftrace 0.17's words */
			const struct type *st = s->btf ? btfc_record(s->btf, "struct", nm) : NULL;
			err(s, &c->loc, st ? arena_printf(s->a, "write (struct %s *)", nm) :
			    "cast to an integer type (int8..uint64), a struct pointer or a kernel typedef",
			    "Unknown struct/union: '%s'", nm);
			return NULL;
		}
	} else {
		if (!s->btf) {
			err(s, &c->loc, "minibt reads kernel types from /sys/kernel/btf/vmlinux: a kernel built with CONFIG_DEBUG_INFO_BTF=y, or BPFTRACE_BTF=FILE",
			    "Unknown struct/union: '%s %s' (no kernel BTF)", c->kw, c->name);
			return NULL;
		}
		t = btfc_record(s->btf, c->kw, c->name);
		if (!t) {
			err(s, &c->loc, "the kernel's BTF has no such type; check the spelling or the kernel version",
			    "Unknown struct/union: '%s %s'", c->kw, c->name);
			return NULL;
		}
		if (!strcmp(c->kw, "enum") && !(t->kind == TY_INT && t->enums))
			t = ty_int(t->size ? (int)t->size : 4, false);
	}
	for (int i = 0; i < c->nptr; i++)
		t = ty_ptr(s->a, t);
	return t;
}

static void builtin(struct sema *s, struct node *n)
{
	enum probe_type pt = s->probe->aps[0].type;
	switch (n->builtin) {
	case B_PID: case B_TID: case B_UID: case B_GID: case B_NSECS:
	case B_ELAPSED: case B_CPU: case B_RAND: case B_CGROUP:
		n->ty = ty_int(8, false);
		break;
	case B_COMM:
		n->ty = ty_str(s->a, 16);
		break;
	case B_CURTASK: {
		const struct type *ts = s->btf ? btfc_record(s->btf, "struct", "task_struct") : NULL;
		n->ty = ts ? ty_ptr(s->a, ts) : ty_int(8, false);
		break;
	}
	case B_FUNC:
		if (!probe_kinds[pt].func)
			err(s, &n->loc, "func is the traced kernel function: use it in kprobe or kretprobe probes",
			    "The func builtin can not be used with '%s' probes", probe_type_names[pt]);
		n->ty = ty_simple(TY_KSYM);
		break;
	case B_PROBE:
		n->ty = ty_simple(TY_PROBE);
		s->probe->uses_probe_builtin = true;
		break;
	case B_RETVAL:
		n->ty = ty_int(8, false);
		if (!probe_kinds[pt].retval) {
			err(s, &n->loc, "retval is the return value: trace the function with kretprobe:FUNC",
			    "The retval builtin can only be used with 'kretprobe' probes (%s used here)", probe_type_names[pt]);
			n->ty = ty_none();
		}
		break;
	case B_ARG:
		if (!probe_kinds[pt].argn)
			err(s, &n->loc, pt == PROBE_TRACEPOINT ? "tracepoint arguments are args->NAME (see minibt -lv tracepoint:CAT:NAME)" :
			    "argN are the arguments of a kprobe'd function",
			    "The arg%lld builtin can only be used with 'kprobe' probes (%s used here)",
			    (long long)n->ival, probe_type_names[pt]);
		else if (n->ival > 5)
			err(s, &n->loc, "x86-64 passes six arguments in registers: arg0..arg5",
			    "arg%lld is not available: only arg0..arg5 are in registers", (long long)n->ival);
		n->ty = ty_int(8, false);
		break;
	case B_ARGS:
		if (!probe_kinds[pt].args) {
			err(s, &n->loc, pt == PROBE_KPROBE ? "kprobe arguments are arg0..arg5; cast them, e.g. ((struct sock *)arg0)->sk_rcvbuf" : NULL,
			    "The args builtin can only be used with tracepoint probes (%s used here)", probe_type_names[pt]);
			n->ty = ty_none();
		} else if (!s->probe->args_ty) {
			n->ty = ty_none(); /* error already given at the probe */
		} else {
			n->ty = ty_ptr(s->a, s->probe->args_ty);
			struct type *t = (struct type *)n->ty;
			t->ctx = true;
		}
		break;
	case B_KSTACK:
		n->ty = ty_kstack(s->a, MAX_STACK_FRAMES, STACK_BPFTRACE);
		if (s->p->need_stackmap < MAX_STACK_FRAMES)
			s->p->need_stackmap = MAX_STACK_FRAMES;
		break;
	case BUILTIN__COUNT:
		break;
	}
}

static void ident(struct sema *s, struct node *n)
{
	/* bpftrace 0.17 builtins minibt lacks */
	static const struct { const char *name, *hint; } unsupported[] = {
		{ "ustack", "minibt reads kernel stacks only: kstack" },
		{ "cpid", "minibt has no -c child pid builtin; compare pid with a positional parameter" },
		{ "username", "print uid and map it to a name afterwards" },
		{ "numaid", NULL },
		{ "ctx", "read probe arguments with arg0..arg5 or args->NAME" },
		{ "jiffies", "use nsecs" },
		{ "break", "there are no while loops in minibt; leave an unroll block with if/else" },
		{ "continue", "there are no while loops in minibt; skip the rest of an unroll iteration with if/else" },
	};
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
		if (!strcmp(n->name, unsupported[i].name) ||
		    (!strncmp(n->name, "sarg", 4) && isdigit((unsigned char)n->name[4]) && i == 0)) {
			const char *nm = strncmp(n->name, "sarg", 4) ? unsupported[i].name : n->name;
			err(s, &n->loc, strncmp(n->name, "sarg", 4) ? unsupported[i].hint : "minibt has no stack arguments",
			    !strcmp(nm, "break") || !strcmp(nm, "continue") ? "not supported by minibt: %s" :
			    "not supported by minibt: the %s builtin", nm);
			n->ty = ty_none();
			return;
		}
	int64_t v;
	for (size_t i = 0; i < sizeof(MACRO_CONSTS) / sizeof(*MACRO_CONSTS); i++)
		if (!strcmp(n->name, MACRO_CONSTS[i].name)) {
			n->ty = ty_int(8, true);
			set_const(n, MACRO_CONSTS[i].val);
			return;
		}
	if (s->btf && btfc_enum_value(s->btf, n->name, &v)) {
		n->ty = ty_int(8, true);
		set_const(n, v);
		return;
	}
	const char *sug = diag_suggest(n->name, builtin_names, BUILTIN__COUNT);
	char hint[128];
	if (sug)
		snprintf(hint, sizeof(hint), "did you mean '%s'?", sug);
	err(s, &n->loc, sug ? hint : "variables start with $ ($x), maps with @ (@x); enum constants come from kernel BTF",
	    "Unknown identifier: '%s'", n->name);
	n->ty = ty_none();
}

static void check_int_arg(struct sema *s, struct node *call, struct node *a, const char *what)
{
	if (a->ty && !is_intlike(a->ty) && a->ty->kind != TY_NONE)
		err(s, &a->loc, NULL, "%s() only supports integer arguments (%s provided)", call->name, tn(s, a->ty));
}

static bool const_arg(struct sema *s, struct node *call, struct node *a, const char *what, int64_t *out)
{
	if (!a->is_const) {
		err(s, &a->loc, "write a number here", "%s(): %s must be a constant integer", call->name, what);
		return false;
	}
	*out = a->cval;
	return true;
}

static struct node *nth(struct node *n, int i)
{
	while (n && i--)
		n = n->next;
	return n;
}

static struct event *new_event(struct sema *s, enum event_kind k, const struct loc *l)
{
	if (!s->report)
		return NULL;
	struct event *e = arena_alloc(s->a, sizeof(*e));
	e->kind = k;
	e->id = s->p->nevents;
	e->loc = *l;
	e->map = -1;
	arena_vec_push(s->a, (void ***)&s->p->events, &s->p->nevents, &s->p->capevents, e);
	return e;
}

/* lay out argument values after the 8-byte event id, each 8-aligned */
static void event_args(struct sema *s, struct event *e, struct node *args)
{
	int n = 0;
	for (struct node *a = args; a; a = a->next)
		n++;
	e->nargs = n;
	e->argty = arena_alloc(s->a, sizeof(*e->argty) * (size_t)(n ? n : 1));
	e->argoff = arena_alloc(s->a, sizeof(uint32_t) * (size_t)(n ? n : 1));
	uint32_t off = 0;
	int i = 0;
	for (struct node *a = args; a; a = a->next, i++) {
		const struct type *t = a->ty;
		if (t->kind == TY_ARRAY && t->sub && t->sub->kind == TY_INT && t->sub->size == 1) {
			struct type *b = arena_alloc(s->a, sizeof(*b));
			b->kind = TY_BUF;
			b->size = t->size;
			b->align = 1;
			t = b;
		}
		if (ty_is_agg(t))
			t = ty_int(8, t->sign);
		e->argty[i] = t;
		e->argoff[i] = off;
		off += (t->size + 7) & ~7u;
	}
	e->size = off;
}

static bool fmt_arg_ok(enum fmt_conv c, const struct type *t)
{
	switch (c) {
	case FC_INT: case FC_UINT: case FC_OCT: case FC_HEX: case FC_HEXU: case FC_CHAR:
		return is_intlike(t);
	case FC_PTR:
		return is_intlike(t);
	case FC_STR:
		return t->kind == TY_STR || t->kind == TY_INET || t->kind == TY_KSYM ||
		       (t->kind == TY_INT && t->enums) || /* the constant's name */
		       t->kind == TY_KSTACK || t->kind == TY_PROBE || t->kind == TY_BUF ||
		       t->kind == TY_TUPLE || (t->kind == TY_ARRAY && t->sub->size == 1);
	case FC_BUF:
		return t->kind == TY_BUF || t->kind == TY_STR || t->kind == TY_ARRAY;
	case FC_LIT:
		return true;
	}
	return false;
}

static const char *conv_expect(enum fmt_conv c)
{
	return c == FC_STR ? "string" : c == FC_BUF ? "buffer" : "integer";
}

static const char *kind_word(const struct type *t)
{
	switch (t->kind) {
	case TY_INT: case TY_PTR: return "integer";
	case TY_STR: return "string";
	case TY_RECORD: return "record";
	case TY_TUPLE: return "tuple";
	default: return "value";
	}
}

static void call_printf(struct sema *s, struct node *n)
{
	struct node *f = n->args;
	if (!f || f->kind != N_STR) {
		err(s, f ? &f->loc : &n->loc, "write the format as a string literal: printf(\"%d\\n\", pid)",
		    "printf() expects a string literal (%s provided)", f && f->ty ? kind_word(f->ty) : "none");
		return;
	}
	struct fmt fmt;
	char ebuf[256];
	int at = 0;
	if (fmt_parse(s->a, f->str, f->slen, &fmt, ebuf, sizeof(ebuf), &at) < 0) {
		struct loc l = f->loc;
		if (f->loc.line == f->loc.end_line) {
			l.col = f->loc.col + 1 + at;
			l.end_col = l.col + 2;
		}
		err(s, &l, "conversions: %d %i %u %x %X %o %c %s %p %%, with optional flags, width and precision",
		    "printf: %s", ebuf);
		return;
	}
	int nargs = n->nargs - 1;
	if (nargs < fmt.nargs) {
		err(s, &n->loc, "add an argument for each % conversion",
		    "printf: Not enough arguments for format string (%d supplied, %d expected)", nargs, fmt.nargs);
		return;
	}
	if (nargs > fmt.nargs) {
		/* bpftrace 0.17 prints an unknown %y as text: say so, it is
		 * the likely reason for the surplus */
		const char *hint = "remove the extra arguments or add % conversions for them";
		for (size_t i = 0; i + 1 < f->slen; i++) {
			if (f->str[i] != '%')
				continue;
			size_t j = i + 1;
			while (j < f->slen && strchr("-+ #0123456789.hljzt", f->str[j]))
				j++;
			if (j < f->slen && f->str[j] == '%') {
				i = j;
			} else if (j < f->slen && !strchr("diuoxXcsprl", f->str[j])) {
				hint = arena_printf(s->a, "'%%%.*s' is not a conversion and prints as text; "
						   "conversions: %%d %%u %%x %%X %%o %%c %%s %%p %%r",
						   (int)(j - i), f->str + i + 1);
				break;
			}
		}
		err(s, &n->loc, hint,
		    "printf: Too many arguments for format string (%d supplied, %d expected)", nargs, fmt.nargs);
		return;
	}
	int k = 0;
	struct node *a = f->next;
	for (int i = 0; i < fmt.n && a; i++) {
		if (fmt.p[i].conv == FC_LIT)
			continue;
		if (a->ty && a->ty->kind != TY_NONE && !fmt_arg_ok(fmt.p[i].conv, a->ty))
			err(s, &a->loc, fmt.p[i].conv == FC_STR && is_intlike(a->ty) ?
			    "print integers with %d; read a string from a kernel pointer with str(ptr)" :
			    fmt.p[i].conv != FC_STR && a->ty->kind == TY_STR ? "print strings with %s" : NULL,
			    "printf: %%%s specifier expects a value of type %s (%s supplied)",
			    fmt.p[i].conv == FC_INT ? "d" : fmt.p[i].conv == FC_UINT ? "u" : fmt.p[i].conv == FC_HEX ? "x" :
			    fmt.p[i].conv == FC_HEXU ? "X" : fmt.p[i].conv == FC_OCT ? "o" : fmt.p[i].conv == FC_CHAR ? "c" :
			    fmt.p[i].conv == FC_PTR ? "p" : fmt.p[i].conv == FC_BUF ? "r" : "s",
			    conv_expect(fmt.p[i].conv), kind_word(a->ty));
		a = a->next;
		k++;
	}
	struct event *e = new_event(s, EV_PRINTF, &n->loc);
	if (e) {
		e->fmt = fmt;
		e->fmtstr = f->str;
		event_args(s, e, f->next);
		n->event = e->id;
	}
	n->ty = ty_void();
}

static void call_agg(struct sema *s, struct node *n, enum ty_kind k)
{
	struct node *a = n->args;
	bool sign = true;
	if (a) {
		check_int_arg(s, n, a, "argument");
		sign = a->ty && a->ty->kind == TY_INT ? a->ty->sign : true;
	}
	struct type *t = (struct type *)ty_agg(s->a, k, sign);
	if (k == TY_LHIST) {
		int64_t mn = 0, mx = 0, st = 0;
		bool ok = const_arg(s, n, nth(a, 1), "min", &mn) & const_arg(s, n, nth(a, 2), "max", &mx) &
			  const_arg(s, n, nth(a, 3), "step", &st);
		if (ok) {
			if (mn < 0)
				err(s, &nth(a, 1)->loc, NULL, "lhist() min must be non-negative (provided min %lld)", (long long)mn);
			else if (mx <= mn)
				err(s, &n->loc, NULL, "lhist() min must be less than max (provided min %lld and max %lld)",
				    (long long)mn, (long long)mx);
			else if (st <= 0)
				err(s, &nth(a, 3)->loc, NULL, "lhist() step must be >= 1 (%lld provided)", (long long)st);
			else if ((mx - mn) / st > 1000)
				err(s, &n->loc, "use a larger step", "lhist() too many buckets, must be <= 1000 (would need %lld)",
				    (long long)((mx - mn) / st));
		}
		t->lh_min = mn;
		t->lh_max = mx;
		t->lh_step = st > 0 ? st : 1;
	}
	n->ty = t;
}

/*
** getopt("name"[, default]): a named parameter given after the script as
** --name[=value] or -n[=value], folded to a constant at compile time.
** No default: 1 if given, else 0. An integer default: the value as an
** integer. A string default: the value as a string.
*/
static void call_getopt(struct sema *s, struct node *n)
{
	struct node *a = n->args, *def = a->next;
	n->ty = ty_int(8, true);
	if (a->kind != N_STR) {
		err(s, &a->loc, "write the option name as a string: getopt(\"count\")", "getopt() expects a string literal name");
		return;
	}
	if (def && def->kind != N_STR && !def->is_const) {
		err(s, &def->loc, "write a number or a string literal", "getopt(): the default must be a constant");
		return;
	}
	bool seen = false;
	for (int i = 0; i < s->p->ngetopt; i++)
		seen |= !strcmp(s->p->getopt_names[i], a->str);
	if (!seen)
		arena_vec_push(s->a, (void ***)&s->p->getopt_names, &s->p->ngetopt, &s->p->capgetopt, a->str);
	const char *val = NULL;
	bool given = false;
	size_t nl = strlen(a->str);
	for (int i = 0; s->o && i < s->o->nnamed; i++) {
		const char *x = s->o->named[i];
		if (!strncmp(x, a->str, nl) && (x[nl] == 0 || x[nl] == '=')) {
			given = true;
			val = x[nl] == '=' ? x + nl + 1 : NULL;
		}
	}
	if (def && def->kind == N_STR) {
		const char *v = given && val ? val : def->str;
		n->kind = N_STR;
		n->str = arena_strdup(s->a, v);
		n->slen = strlen(v);
		n->ty = ty_str(s->a, (uint32_t)n->slen + 1);
		return;
	}
	int64_t v = def ? def->cval : 0;
	if (given && val) {
		char *e;
		long long x = strtoll(val, &e, 0);
		if (*e || e == val) {
			err(s, &n->loc, NULL, "getopt(): option '%s' expects an integer, got '%s'", a->str, val);
			x = 0;
		}
		v = x;
	} else if (given) {
		v = 1;
	}
	n->kind = N_INT;
	n->ival = v;
	set_const(n, v);
}

static void need_map_arg(struct sema *s, struct node *n, struct node *a)
{
	if (!a || a->kind != N_MAP)
		err(s, a ? &a->loc : &n->loc, arena_printf(s->a, "pass a map, e.g. %s(@x)", n->name),
		    "%s() expects a map to be provided", n->name);
}

/*
** printmap(@m, "fmt"[, top]) (minibt): at run time, one printf of fmt
** per element of @m, largest value first (bcc's reports), the first top
** only when top > 0. The conversions take the key's fields, then the
** value (count/sum/min/max/avg as an int64).
*/
static void call_printmap(struct sema *s, struct node *n)
{
	struct node *a = n->args, *f = a->next, *top = f->next;
	need_map_arg(s, n, a);
	if (f->kind != N_STR) {
		err(s, &f->loc, "write the format as a string literal: printmap(@m, \"%s %d\\n\")",
		    "printmap() expects a string literal as its second argument");
		return;
	}
	int64_t ntop = 0;
	if (top && !const_arg(s, n, top, "top", &ntop))
		return;
	if (a->kind != N_MAP || !a->map || !s->report)
		return;
	struct mapinfo *m = a->map;
	if (a->args) {
		err(s, &a->loc, "pass the whole map: printmap(@m, ...)", "printmap() expects a map without a key");
		return;
	}
	if (m->val->kind == TY_NONE) {
		err(s, &a->loc, "assign to the map somewhere in the script", "Undefined map: %s", map_disp(s, m));
		return;
	}
	const struct type *ts[17];
	int nt = 0;
	if (m->key && m->key->kind == TY_TUPLE)
		for (int i = 0; i < m->key->nfields && nt < 16; i++)
			ts[nt++] = m->key->fields[i];
	else if (m->key)
		ts[nt++] = m->key;
	switch (m->val->kind) {
	case TY_COUNT: case TY_SUM: case TY_MIN: case TY_MAX: case TY_AVG:
		ts[nt++] = ty_int(8, m->val->kind != TY_COUNT && m->val->sign);
		break;
	case TY_STATS: case TY_HIST: case TY_LHIST:
		err(s, &a->loc, "print it with print(@m)", "printmap() cannot print %s of type %s", map_disp(s, m),
		    tn(s, m->val));
		return;
	default:
		ts[nt++] = m->val;
	}
	struct fmt fmt;
	char ebuf[256];
	int at = 0;
	if (fmt_parse(s->a, f->str, f->slen, &fmt, ebuf, sizeof(ebuf), &at) < 0) {
		err(s, &f->loc, NULL, "printmap: %s", ebuf);
		return;
	}
	if (fmt.nargs != nt) {
		err(s, &f->loc, arena_printf(s->a, "one conversion for each of the %d key field%s, then one for the value",
					     nt - 1, nt == 2 ? "" : "s"),
		    "printmap: the format has %d conversion%s, %s has %d key field%s and a value", fmt.nargs,
		    fmt.nargs == 1 ? "" : "s", map_disp(s, m), nt - 1, nt == 2 ? "" : "s");
		return;
	}
	for (int i = 0, k = 0; i < fmt.n; i++) {
		if (fmt.p[i].conv == FC_LIT)
			continue;
		if (!fmt_arg_ok(fmt.p[i].conv, ts[k]))
			err(s, &f->loc, NULL, "printmap: conversion %d expects a value of type %s (%s %s is %s)", k + 1,
			    conv_expect(fmt.p[i].conv), map_disp(s, m), k == nt - 1 ? "value" : "key field", tn(s, ts[k]));
		k++;
	}
	struct event *e = new_event(s, EV_PRINTMAP, &n->loc);
	e->map = m->id;
	e->top = ntop;
	e->fmt = fmt;
	e->fmtstr = f->str;
	e->nargs = nt;
	e->argty = arena_alloc(s->a, sizeof(*e->argty) * (size_t)nt);
	e->argoff = arena_alloc(s->a, sizeof(uint32_t) * (size_t)nt);
	uint32_t off = 0;
	for (int i = 0; i < nt; i++) {
		e->argty[i] = ts[i];
		e->argoff[i] = off;
		off += (ts[i]->size + 7) & ~7u;
	}
	e->size = 0; /* BPF sends only the id; user space lays the args out */
	n->event = e->id;
}

static void fold_to_int(struct node *n, uint64_t v)
{
	n->kind = N_INT;
	n->ival = (int64_t)v;
	n->ty = ty_int(8, false);
	set_const(n, (int64_t)v);
}

/*
** Calls whose value is known at compile time become an N_INT, as getopt()
** does: sizeof(type or expression), from type sizes and BTF, and
** kaddr("symbol"), from /proc/kallsyms (bpftrace 0.17 resolves it while
** compiling too). Returns false for any other call.
*/
static bool fold_call(struct sema *s, struct node *n)
{
	if (!strcmp(n->name, "sizeof")) {
		const struct type *t;
		n->ty = ty_int(8, false);
		if (n->cast) {
			t = resolve_ctype(s, n->cast);
		} else {
			expr(s, n->args);
			t = n->args->ty;
		}
		if (!t || t->kind == TY_NONE)
			return true; /* error given, or typed by a later pass */
		if (t->kind == TY_VOID || ty_is_agg(t) || (t->kind == TY_RECORD && !t->size)) {
			err(s, &n->loc, NULL, "sizeof(): '%s' has no size", tn(s, t));
			return true;
		}
		fold_to_int(n, t->size);
		return true;
	}
	if (!strcmp(n->name, "kaddr")) {
		struct node *a = n->args;
		n->ty = ty_none();
		if (n->nargs != 1) {
			err(s, &n->loc, NULL, "kaddr() requires 1 argument (%d provided)", n->nargs);
			return true;
		}
		if (a->kind != N_STR) {
			expr(s, a);
			err(s, &n->loc, "name the symbol: kaddr(\"avenrun\")",
			    "kaddr() expects a string literal (%s provided)", kind_word(a->ty));
			return true;
		}
		uint64_t addr;
		if (!kernel_kaddr(s->o->kernel, a->str, &addr)) {
			err(s, &a->loc, "the symbol must be listed in /proc/kallsyms, with addresses visible to root",
			    "Failed to resolve kernel symbol: %s", a->str);
			n->ty = ty_int(8, false);
			return true;
		}
		fold_to_int(n, addr);
		return true;
	}
	return false;
}

static void call(struct sema *s, struct node *n, bool is_stmt, bool map_rhs)
{
	if (fold_call(s, n))
		return;
	enum func_id f = FUNC__COUNT;
	for (int i = 0; i < FUNC__COUNT; i++)
		if (!strcmp(n->name, func_names[i]))
			f = (enum func_id)i;
	n->func = f;
	n->ty = ty_void();
	if (f == FUNC__COUNT) {
		static const char *const unsupported[] = {
			"ustack", "usym", "uaddr", "uptr", "kptr", "system", "cat", "join",
			"reg", "sizeof", "signal", "override", "buf", "macaddr", "cgroupid", "path",
			"strncmp", "strcontains", "skboutput", "pton", "unwatch", "len", "has_key",
			"offsetof", "printf_", "debugf", "strftime", "cgroup_path",
		};
		n->ty = ty_none();
		for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
			if (!strcmp(n->name, unsupported[i])) {
				err(s, &n->loc, NULL, "not supported by minibt: %s()", n->name);
				for (struct node *a = n->args; a; a = a->next)
					expr(s, a);
				return;
			}
		const char *sug = diag_suggest(n->name, func_names, FUNC__COUNT);
		char hint[128];
		if (sug)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sug);
		err(s, &n->name_loc, sug ? hint : NULL, "Unknown function: %s", n->name);
		for (struct node *a = n->args; a; a = a->next)
			if (a->kind != N_MAP)
				expr(s, a);
		return;
	}
	static const int minargs[] = {
#define FUNC(id, name, mn, mx) [id] = mn,
#include "funcs.def"
#undef FUNC
	};
	static const int maxargs[] = {
#define FUNC(id, name, mn, mx) [id] = mx,
#include "funcs.def"
#undef FUNC
	};
	if (n->nargs < minargs[f] || n->nargs > maxargs[f]) {
		/* bpftrace 0.17's words */
		if (maxargs[f] == 0)
			err(s, &n->loc, NULL, "%s() requires no arguments (%d provided)", n->name, n->nargs);
		else if (minargs[f] == maxargs[f])
			err(s, &n->loc, NULL, "%s() requires %d argument%s (%d provided)", n->name, minargs[f],
			    minargs[f] == 1 ? "" : "s", n->nargs);
		else if (n->nargs < minargs[f])
			err(s, &n->loc, NULL, "%s() requires at least %d argument%s (%d provided)", n->name,
			    minargs[f], minargs[f] == 1 ? "" : "s", n->nargs);
		else
			err(s, &n->loc, NULL, "%s() can take at most %d argument%s (%d provided)", n->name,
			    maxargs[f], maxargs[f] == 1 ? "" : "s", n->nargs);
		for (struct node *a = n->args; a; a = a->next)
			if (a->kind != N_MAP && a->kind != N_IDENT)
				expr(s, a);
		n->ty = ty_none();
		return;
	}
	/* arguments first (kstack's mode and print's map are not values) */
	for (struct node *a = n->args; a; a = a->next) {
		if (f == F_KSTACK && a->kind == N_IDENT)
			continue;
		if ((f == F_PRINT || f == F_CLEAR || f == F_ZERO || f == F_DELETE || f == F_PRINTMAP) &&
		    a == n->args && a->kind == N_MAP) {
			struct mapinfo *m = map_get(s, a);
			a->map = m;
			a->ty = m->val;
			for (struct node *k = a->args; k; k = k->next)
				expr(s, k);
			continue;
		}
		expr(s, a);
	}
	bool is_agg = f == F_COUNT || f == F_SUM || f == F_MIN || f == F_MAX || f == F_AVG ||
		      f == F_STATS || f == F_HIST || f == F_LHIST;
	if (is_agg && !map_rhs)
		err(s, &n->loc, arena_printf(s->a, "write @name = %s(...)", n->name),
		    "%s() should be directly assigned to a map", n->name);
	switch (f) {
	case F_PRINTF:
		call_printf(s, n);
		break;
	case F_TIME: {
		const char *tf = "%H:%M:%S\n";
		if (n->args) {
			if (n->args->kind != N_STR)
				err(s, &n->args->loc, "write the format as a string literal, e.g. time(\"%H:%M:%S \")",
				    "time() expects a string literal (%s provided)", kind_word(n->args->ty));
			else
				tf = n->args->str;
		}
		struct event *e = new_event(s, EV_TIME, &n->loc);
		if (e) {
			e->fmtstr = (char *)tf;
			n->event = e->id;
		}
		break;
	}
	case F_EXIT: {
		struct event *e = new_event(s, EV_EXIT, &n->loc);
		if (e)
			n->event = e->id;
		break;
	}
	case F_STR: {
		struct node *a = n->args;
		if (a->ty && a->ty->kind != TY_PTR && a->ty->kind != TY_INT && a->ty->kind != TY_STR &&
		    a->ty->kind != TY_NONE)
			err(s, &a->loc, NULL, "str() expects an integer or a pointer type as first argument (%s provided)",
			    tn(s, a->ty));
		else if (a->ty && a->ty->kind == TY_STR && !(a->kind == N_FIELD || a->kind == N_POSPARAM))
			err(s, &a->loc, "it is a string already: use it directly",
			    "str() expects an integer or a pointer type as first argument (%s provided)", tn(s, a->ty));
		int64_t len = STRLEN_DEFAULT;
		if (n->nargs == 2) {
			struct node *l = a->next;
			if (l->is_const) {
				len = l->cval + 1;
				if (l->cval < 0 || len > 200) {
					err(s, &l->loc, "str()'s length is at most 199 bytes", "str(): invalid length %lld",
					    (long long)l->cval);
					len = STRLEN_DEFAULT;
				}
			} else {
				check_int_arg(s, n, l, "length");
			}
		}
		if (a->ty && a->ty->kind == TY_STR && (uint32_t)len > a->ty->size)
			len = a->ty->size;
		n->ty = ty_str(s->a, (uint32_t)len);
		break;
	}
	case F_NTOP: {
		struct node *a = n->args;
		if (n->nargs == 2) {
			check_int_arg(s, n, a, "address family");
			a = a->next;
		}
		const struct type *t = a->ty;
		bool ok = t && (t->kind == TY_INT || t->kind == TY_NONE ||
				(t->kind == TY_ARRAY && t->sub->kind == TY_INT && t->sub->size == 1 &&
				 (t->nelem == 4 || t->nelem == 16)) ||
				(t->kind == TY_STR && (t->size == 4 || t->size == 16)));
		if (!ok)
			err(s, &a->loc, "pass a 32-bit IPv4 address or a u8[4] / u8[16] array",
			    "ntop() expects an integer or array argument, got %s", tn(s, t));
		else if (t->kind == TY_INT && t->size > 4 && !a->is_const && n->nargs == 1)
			warn(s, &a->loc, NULL, "ntop(): a %u-byte integer is read as an IPv4 address (its low 4 bytes)", t->size);
		n->ty = ty_simple(TY_INET);
		break;
	}
	case F_BSWAP: {
		struct node *a = n->args;
		if (!is_int(a->ty)) {
			if (a->ty->kind != TY_NONE)
				err(s, &a->loc, NULL, "bswap() only supports integer arguments (%s provided)", tn(s, a->ty));
			n->ty = ty_int(8, false);
		} else {
			n->ty = ty_int((int)a->ty->size, false);
		}
		break;
	}
	case F_KSTACK: {
		enum stack_mode m = STACK_BPFTRACE;
		int64_t frames = MAX_STACK_FRAMES;
		for (struct node *a = n->args; a; a = a->next) {
			if (a->kind == N_IDENT) {
				if (!strcmp(a->name, "perf"))
					m = STACK_PERF;
				else if (!strcmp(a->name, "bpftrace"))
					m = STACK_BPFTRACE;
				else if (!strcmp(a->name, "raw"))
					m = STACK_RAW;
				else
					err(s, &a->loc, "modes: bpftrace, perf, raw", "kstack(): invalid mode '%s'", a->name);
			} else if (const_arg(s, n, a, "the number of frames", &frames)) {
				if (frames < 1 || frames > MAX_STACK_FRAMES) {
					err(s, &a->loc, NULL, "kstack(): number of frames must be between 1 and %d (%lld given)",
					    MAX_STACK_FRAMES, (long long)frames);
					frames = MAX_STACK_FRAMES;
				}
			}
		}
		n->ty = ty_kstack(s->a, (int)frames, m);
		if (s->p->need_stackmap < MAX_STACK_FRAMES)
			s->p->need_stackmap = MAX_STACK_FRAMES;
		break;
	}
	case F_KSYM:
		check_int_arg(s, n, n->args, "address");
		n->ty = ty_simple(TY_KSYM);
		break;
	case F_COUNT: call_agg(s, n, TY_COUNT); break;
	case F_SUM: call_agg(s, n, TY_SUM); break;
	case F_MIN: call_agg(s, n, TY_MIN); break;
	case F_MAX: call_agg(s, n, TY_MAX); break;
	case F_AVG: call_agg(s, n, TY_AVG); break;
	case F_STATS: call_agg(s, n, TY_STATS); break;
	case F_HIST: call_agg(s, n, TY_HIST); break;
	case F_LHIST: call_agg(s, n, TY_LHIST); break;
	case F_DELETE: {
		struct node *a = n->args;
		need_map_arg(s, n, a);
		if (a->kind == N_MAP && a->map) {
			struct mapinfo *m = a->map;
			if (m->key && !a->args)
				err(s, &a->loc, "delete one element: delete(@m[key]); all of them: clear(@m)",
				    "delete() expects a map element, %s has keys", map_disp(s, m));
			else
				set_key_type(s, a); /* checked as for a read */
		}
		break;
	}
	case F_CLEAR:
	case F_ZERO:
	case F_PRINT: {
		struct node *a = n->args;
		if (f != F_PRINT || a->kind == N_MAP) {
			need_map_arg(s, n, a);
			if (a->kind == N_MAP && a->args)
				err(s, &a->loc, arena_printf(s->a, "pass the whole map: %s(@m)", n->name),
				    "%s() expects a map without a key", n->name);
			struct event *e = new_event(s, f == F_CLEAR ? EV_CLEAR : f == F_ZERO ? EV_ZERO : EV_PRINT, &n->loc);
			if (e && a->kind == N_MAP && a->map) {
				e->map = a->map->id;
				if (f == F_PRINT && n->nargs > 1) {
					int64_t v;
					if (const_arg(s, n, a->next, "top", &v))
						e->top = v;
					if (n->nargs > 2 && const_arg(s, n, a->next->next, "div", &v))
						e->div = v;
				}
				n->event = e->id;
			}
			if (a->kind == N_MAP && a->map && a->map->val->kind == TY_NONE)
				err(s, &a->loc, "assign to the map somewhere in the script", "Undefined map: %s",
				    map_disp(s, a->map));
		} else {
			if (n->nargs > 1)
				err(s, &n->loc, NULL, "print() with a value takes one argument");
			struct event *e = new_event(s, EV_PRINTV, &n->loc);
			if (e) {
				event_args(s, e, a);
				n->event = e->id;
			}
		}
		break;
	}
	case F_GETOPT:
		call_getopt(s, n);
		break;
	case F_PRINTMAP:
		call_printmap(s, n);
		break;
	case FUNC__COUNT:
		break;
	}
	(void)is_stmt;
}

/* type of a binary operation on integers, as bpftrace 0.17 */
static void binop(struct sema *s, struct node *n)
{
	expr(s, n->lhs);
	expr(s, n->rhs);
	const struct type *l = n->lhs->ty, *r = n->rhs->ty;
	if (l->kind == TY_NONE || r->kind == TY_NONE) {
		n->ty = ty_int(8, true);
		return;
	}
	if (l->kind == TY_STR && r->kind == TY_STR) {
		if (n->op != OP_EQ && n->op != OP_NE)
			err(s, &n->loc, "strings compare with == and != only",
			    "The %s operator can not be used on expressions of types %s, %s", op_names[n->op],
			    tn(s, l), tn(s, r));
		n->ty = ty_int(8, true);
		return;
	}
	if (!is_intlike(l) || !is_intlike(r)) {
		const struct node *bad = is_intlike(l) ? n->rhs : n->lhs;
		if (l->kind != r->kind && (l->kind == TY_STR || r->kind == TY_STR))
			err(s, &n->loc, "compare strings with strings and integers with integers",
			    "Type mismatch for '%s': comparing '%s' with '%s'", op_names[n->op], tn(s, l), tn(s, r));
		else
			err(s, &bad->loc, bad->ty->kind == TY_RECORD ? "read one of its fields with . or ->" : NULL,
			    "The '%s' operator can not be used on type %s", op_names[n->op], tn(s, bad->ty));
		n->ty = ty_int(8, true);
		return;
	}
	bool sign = (l->kind != TY_INT || l->sign) && (r->kind != TY_INT || r->sign);
	if (l->kind == TY_PTR || r->kind == TY_PTR) {
		if ((n->op == OP_ADD || n->op == OP_SUB) && l->kind == TY_PTR && r->kind == TY_INT) {
			n->ty = l; /* pointer arithmetic in elements, as C */
			return;
		}
		sign = false;
	}
	if (l->kind == TY_COUNT || r->kind == TY_COUNT)
		sign = false;
	n->ty = ty_int(8, sign);
	if (n->lhs->is_const && n->rhs->is_const) {
		int64_t a = n->lhs->cval, b = n->rhs->cval, v = 0;
		bool ok = true;
		switch (n->op) {
		case OP_ADD: v = (int64_t)((uint64_t)a + (uint64_t)b); break;
		case OP_SUB: v = (int64_t)((uint64_t)a - (uint64_t)b); break;
		case OP_MUL: v = (int64_t)((uint64_t)a * (uint64_t)b); break;
		/* unsigned whatever the sign, as bpftrace 0.17's udiv/urem */
		case OP_DIV: ok = b != 0; v = ok ? (int64_t)((uint64_t)a / (uint64_t)b) : 0; break;
		case OP_MOD: ok = b != 0; v = ok ? (int64_t)((uint64_t)a % (uint64_t)b) : 0; break;
		case OP_BAND: v = a & b; break;
		case OP_BOR: v = a | b; break;
		case OP_BXOR: v = a ^ b; break;
		case OP_SHL: v = (int64_t)((uint64_t)a << (b & 63)); break;
		case OP_SHR: v = sign ? a >> (b & 63) : (int64_t)((uint64_t)a >> (b & 63)); break;
		case OP_LAND: v = a && b; break;
		case OP_LOR: v = a || b; break;
		case OP_EQ: v = a == b; break;
		case OP_NE: v = a != b; break;
		case OP_LT: v = sign ? a < b : (uint64_t)a < (uint64_t)b; break;
		case OP_LE: v = sign ? a <= b : (uint64_t)a <= (uint64_t)b; break;
		case OP_GT: v = sign ? a > b : (uint64_t)a > (uint64_t)b; break;
		case OP_GE: v = sign ? a >= b : (uint64_t)a >= (uint64_t)b; break;
		default: ok = false;
		}
		if (ok)
			set_const(n, v);
		else if (n->op == OP_DIV || n->op == OP_MOD)
			err(s, &n->rhs->loc, NULL, "division by zero");
	}
}

static void field(struct sema *s, struct node *n)
{
	expr(s, n->lhs);
	const struct type *t = n->lhs->ty;
	n->ty = ty_int(8, true);
	if (t->kind == TY_NONE) { /* an error given already: no cascade */
		n->ty = ty_none();
		return;
	}
	if (t->kind == TY_TUPLE && n->op == OP_DOT && n->ival > 0) {
		int i = (int)n->ival - 1;
		if (i >= t->nfields) {
			err(s, &n->loc, NULL, "Invalid tuple index: %d. Found %d elements in tuple.", i, t->nfields);
			return;
		}
		n->ty = t->fields[i];
		n->field_off = t->offsets[i];
		return;
	}
	const struct type *rec = t;
	if (n->op == OP_ARROW) {
		if (t->kind != TY_PTR || t->sub->kind != TY_RECORD) {
			if (t->kind == TY_RECORD)
				err(s, &n->loc, "it is a struct, not a pointer: use '.'",
				    "Can not dereference struct/union of type '%s'. It is not a pointer.", tn(s, t));
			else
				err(s, &n->loc, is_int(t) ? "cast it to a struct pointer first, e.g. ((struct sock *)arg0)->sk_state" : NULL,
				    "Can not access field '%s' on expression of type '%s'", n->name, tn(s, t));
			n->ty = ty_none();
			return;
		}
		rec = t->sub;
	} else if (t->kind != TY_RECORD) {
		if (t->kind == TY_PTR && t->sub->kind == TY_RECORD)
			err(s, &n->loc, "it is a pointer: use '->'", "Can not access field '%s' on type '%s'. Try dereferencing it first, or using '->'",
			    n->name, tn(s, t));
		else
			err(s, &n->loc, NULL, "Can not access field '%s' on expression of type '%s'", n->name, tn(s, t));
		n->ty = ty_none();
		return;
	}
	uint32_t off = 0;
	const struct type *mt = btfc_member(s->btf, rec, n->name, &off);
	if (!mt) {
		const char *names[512];
		int k = btfc_member_names(s->btf, rec, names, 512);
		const char *sug = diag_suggest(n->name, names, k);
		char hint[160];
		if (sug)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sug);
		struct loc l = n->name_loc;
		if (rec->fnames)
			err(s, &l, sug ? hint : NULL, "Struct/union of type '%s' does not contain a field named '%s'",
			    rec->name ? rec->name : "args", n->name);
		else
			err(s, &l, sug ? hint : NULL, "Struct/union of type '%s' does not contain a field named '%s'",
			    tn(s, rec), n->name);
		n->ty = ty_none();
		return;
	}
	n->field_off = off;
	n->ty = mt;
	if (t->ctx && rec->fnames && off < 8)
		/* the kernel puts a pt_regs pointer over them before the program runs */
		err(s, &n->loc, "use pid, tid or comm instead", "BPF does not support accessing common tracepoint fields");
	if (t->ctx) { /* fields of args stay context reads */
		struct type *c = arena_alloc(s->a, sizeof(*c));
		*c = *mt;
		c->ctx = true;
		n->ty = c;
	}
}

static void expr(struct sema *s, struct node *n)
{
	n->is_const = false;
	switch (n->kind) {
	case N_INT:
		n->ty = ty_int(8, true);
		set_const(n, n->ival);
		break;
	case N_STR:
		n->ty = ty_str(s->a, (uint32_t)n->slen + 1);
		break;
	case N_BUILTIN:
		builtin(s, n);
		break;
	case N_CALL:
		call(s, n, false, false);
		if (n->kind != N_CALL) /* folded (getopt) */
			break;
		if (n->ty->kind == TY_VOID && n->func != FUNC__COUNT)
			err(s, &n->loc, "use it as a statement", "%s() does not return a value", n->name);
		break;
	case N_VAR: {
		struct varinfo *v = var_find(s, n->name);
		if (!v) {
			err(s, &n->loc, "assign it first in this probe: $x = ...; scratch variables live for one probe",
			    "Undefined or undeclared variable: $%s", n->name);
			n->ty = ty_int(8, true);
		} else {
			n->var = v;
			n->ty = v->ty;
		}
		break;
	}
	case N_MAP: {
		struct mapinfo *m = map_get(s, n);
		n->map = m;
		for (struct node *k = n->args; k; k = k->next)
			expr(s, k);
		n->ty = m->val;
		if (m->val->kind == TY_NONE)
			n->ty = ty_none();
		set_key_type(s, n);
		map_key(s, n, m);
		if (m->val->kind == TY_HIST || m->val->kind == TY_LHIST || m->val->kind == TY_STATS)
			err(s, &n->loc, "print it with print(@m)", "%s of type %s can not be read in a probe",
			    map_disp(s, m), tn(s, m->val));
		break;
	}
	case N_POSPARAM: {
		if (n->ival < 0) {
			n->ty = ty_int(8, true);
			set_const(n, s->o ? s->o->npos : 0);
			break;
		}
		const char *v = s->o && n->ival >= 1 && n->ival <= s->o->npos ? s->o->pos[n->ival - 1] : NULL;
		char *e = NULL;
		long long iv = v ? strtoll(v, &e, 0) : 0;
		if (!v || (e && *e == 0 && e != v)) {
			n->ty = ty_int(8, true);
			set_const(n, iv);
		} else {
			n->ty = ty_str(s->a, (uint32_t)strlen(v) + 1);
			n->str = (char *)v;
			n->slen = strlen(v);
		}
		break;
	}
	case N_IDENT:
		ident(s, n);
		break;
	case N_INCDEC:
		incdec(s, n);
		break;
	case N_BINOP:
		binop(s, n);
		break;
	case N_UNOP:
		expr(s, n->lhs);
		switch (n->op) {
		case OP_NOT:
			n->ty = ty_int(8, false);
			if (n->lhs->is_const)
				set_const(n, !n->lhs->cval);
			break;
		case OP_BNOT:
		case OP_NEG:
			if (!is_intlike(n->lhs->ty) && n->lhs->ty->kind != TY_NONE)
				err(s, &n->loc, NULL, "The '%s' operator can not be used on type %s", op_names[n->op],
				    tn(s, n->lhs->ty));
			n->ty = ty_int(8, n->lhs->ty->kind == TY_INT ? n->lhs->ty->sign : true);
			if (n->lhs->is_const)
				set_const(n, n->op == OP_NEG ? (int64_t)(0 - (uint64_t)n->lhs->cval) : ~n->lhs->cval);
			break;
		case OP_DEREF: {
			const struct type *t = n->lhs->ty;
			if (t->kind == TY_PTR) {
				n->ty = t->sub->kind == TY_VOID ? ty_int(8, false) : t->sub;
			} else if (is_int(t)) {
				n->ty = ty_int(8, false);
			} else {
				if (t->kind != TY_NONE)
					err(s, &n->loc, NULL, "The dereference operator can not be used on expressions of type '%s'", tn(s, t));
				n->ty = ty_int(8, false);
			}
			break;
		}
		case OP_ADDR:
			err(s, &n->loc, "read the value instead, or cast an address to a pointer type",
			    "not supported by minibt: the address-of operator");
			n->ty = ty_int(8, false);
			break;
		default:
			n->ty = ty_int(8, true);
		}
		break;
	case N_TERNARY:
		expr(s, n->cond);
		expr(s, n->lhs);
		expr(s, n->rhs);
		if (n->lhs->ty->kind == TY_STR && n->rhs->ty->kind == TY_STR) {
			uint32_t sz = n->lhs->ty->size > n->rhs->ty->size ? n->lhs->ty->size : n->rhs->ty->size;
			n->ty = ty_str(s->a, sz);
		} else if (is_intlike(n->lhs->ty) && is_intlike(n->rhs->ty)) {
			bool sign = (n->lhs->ty->kind != TY_INT || n->lhs->ty->sign) &&
				    (n->rhs->ty->kind != TY_INT || n->rhs->ty->sign);
			n->ty = ty_int(8, sign);
		} else if (ty_equal(n->lhs->ty, n->rhs->ty)) {
			n->ty = n->lhs->ty;
		} else {
			if (n->lhs->ty->kind != TY_NONE && n->rhs->ty->kind != TY_NONE)
				err(s, &n->loc, "give both branches the same type",
				    "Ternary operator must return the same type: have '%s' and '%s'",
				    kind_word(n->lhs->ty), kind_word(n->rhs->ty));
			n->ty = n->lhs->ty;
		}
		if (n->cond->ty->kind != TY_NONE && !is_intlike(n->cond->ty))
			err(s, &n->cond->loc, NULL, "Invalid condition in ternary: %s", tn(s, n->cond->ty));
		break;
	case N_FIELD:
		field(s, n);
		break;
	case N_INDEX: {
		expr(s, n->lhs);
		expr(s, n->rhs);
		const struct type *t = n->lhs->ty;
		if (!is_int(n->rhs->ty) && n->rhs->ty->kind != TY_NONE)
			err(s, &n->rhs->loc, NULL, "The array index operator [] expects an integer index");
		if (t->kind == TY_ARRAY) {
			if (n->rhs->is_const && (n->rhs->cval < 0 || n->rhs->cval >= t->nelem))
				err(s, &n->rhs->loc, NULL, "the index %lld is out of bounds for array of size %u",
				    (long long)n->rhs->cval, t->nelem);
			else if (!n->rhs->is_const)
				err(s, &n->rhs->loc, "index arrays with constants", "not supported by minibt: non-constant array index");
			n->ty = t->sub;
		} else if (t->kind == TY_PTR) {
			n->ty = t->sub->kind == TY_VOID ? ty_int(1, false) : t->sub;
		} else if (t->kind == TY_STR) {
			n->ty = ty_int(1, true);
			if (!n->rhs->is_const)
				err(s, &n->rhs->loc, "index strings with constants", "not supported by minibt: non-constant string index");
		} else {
			if (t->kind != TY_NONE)
				err(s, &n->loc, NULL, "The array index operator [] can only be used on arrays and pointers, found %s",
				    tn(s, t));
			n->ty = ty_int(8, true);
		}
		break;
	}
	case N_CAST: {
		expr(s, n->lhs);
		const struct type *t = resolve_ctype(s, n->cast);
		if (!t) {
			n->ty = ty_none(); /* error given */
			break;
		}
		const struct type *from = n->lhs->ty;
		if (t->kind == TY_RECORD) {
			err(s, &n->loc, arena_printf(s->a, "cast to a pointer: (%s *)", tn(s, t)),
			    "Cannot cast to struct type \"%s\"", tn(s, t));
			n->ty = ty_int(8, false);
			break;
		}
		if (from->kind != TY_NONE && !is_intlike(from) && !(from->kind == TY_ARRAY && t->kind == TY_INT)) {
			err(s, &n->loc, NULL, "Cannot cast from \"%s\" to \"%s\"", tn(s, from), tn(s, t));
		}
		n->ty = t;
		if (n->lhs->is_const && t->kind == TY_INT) {
			int64_t v = n->lhs->cval;
			/* widening extends by the destination's sign (bpftrace 0.17) */
			int fbits = from->kind == TY_INT ? (int)from->size * 8 : 64;
			if (fbits < 64) {
				uint64_t fm = (1ULL << fbits) - 1, u = (uint64_t)v & fm;
				if (t->sign && (u >> (fbits - 1)))
					u |= ~fm;
				v = (int64_t)u;
			}
			int bits = (int)t->size * 8;
			if (bits < 64) {
				uint64_t mask = (1ULL << bits) - 1;
				uint64_t u = (uint64_t)v & mask;
				if (t->sign && (u >> (bits - 1)))
					u |= ~mask;
				v = (int64_t)u;
			}
			set_const(n, v);
		}
		break;
	}
	case N_TUPLE: {
		const struct type *fs[16];
		int i = 0;
		for (struct node *a = n->args; a; a = a->next) {
			expr(s, a);
			if (i < 16)
				fs[i++] = a->ty->kind == TY_INT ? widen(a->ty) : a->ty;
		}
		if (n->nargs > 16)
			err(s, &n->loc, NULL, "tuples have at most 16 elements");
		n->ty = ty_tuple(s->a, fs, i);
		break;
	}
	default:
		n->ty = ty_void();
	}
}

/* ------------------------------------------------------------ statements */

static void assign_var(struct sema *s, struct node *n, struct node *lhs, const struct type *t)
{
	struct varinfo *v = var_find(s, lhs->name);
	if (t->kind == TY_VOID) {
		err(s, &n->rhs->loc, NULL, "Value '%s' cannot be assigned to a scratch variable.", n->rhs->name ? n->rhs->name : "void");
		t = ty_none();
	}
	if (t->kind == TY_NONE && v) {
		lhs->var = v;
		lhs->ty = v->ty;
		return;
	}
	/* an unknown type (an error already given, or a map typed by a later
	 * pass) still declares the variable, so its uses raise nothing more */
	if (ty_is_agg(t)) {
		/* error given at the call */
		return;
	}
	if (!v) {
		v = arena_alloc(s->a, sizeof(*v));
		v->name = lhs->name;
		v->ty = t;
		v->first = lhs->loc;
		v->slot = s->vars.n;
		arena_vec_push(s->a, (void ***)&s->vars.v, &s->vars.n, &s->vars.cap, v);
		s->changed = true;
	} else if (v->ty->kind == TY_INT && t->kind == TY_INT) {
		if (t->size > v->ty->size) {
			v->ty = ty_int((int)t->size, v->ty->sign);
			s->changed = true;
		}
	} else if (v->ty->kind == TY_STR && t->kind == TY_STR) {
		if (t->size > v->ty->size) {
			v->ty = ty_str(s->a, t->size);
			s->changed = true;
		}
	} else if (v->ty->kind == TY_NONE) {
		v->ty = t;
		s->changed = true;
	} else if (!ty_equal(v->ty, t) && !(v->ty->kind == TY_PTR && t->kind == TY_INT)) {
		err(s, &n->rhs->loc, "use a new variable for a value of another type",
		    "Type mismatch for $%s: trying to assign value of type '%s' when variable already contains a value of type '%s'",
		    lhs->name, tn(s, t), tn(s, v->ty));
	}
	lhs->var = v;
	lhs->ty = v->ty;
}

static bool loc_before(const struct loc *a, const struct loc *b)
{
	return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/*
** A map is used with a key everywhere or nowhere. Every pass records the
** first use of each kind in the source; the report pass blames the first
** use of the kind that came second, once.
*/
static void map_use(struct sema *s, struct node *mn, struct mapinfo *m)
{
	struct loc *first = mn->args ? &m->key_use : &m->nokey_use;
	if (!first->line || loc_before(&mn->loc, first))
		*first = mn->loc;
	*(mn->args ? &m->has_key_use : &m->has_nokey_use) = true;
	if (!m->key_use.line || !m->nokey_use.line || memcmp(first, &mn->loc, sizeof(*first)))
		return;
	if (mn->args && loc_before(&m->nokey_use, &m->key_use))
		err(s, &mn->loc, arena_printf(s->a, "use %s without a key everywhere, or with one everywhere",
					      map_disp(s, m)),
		    "%s used as a map with an explicit key (non-scalar map), previously used without an explicit key (scalar map)",
		    map_disp(s, m));
	else if (!mn->args && loc_before(&m->key_use, &m->nokey_use))
		err(s, &mn->loc, arena_printf(s->a, "%s was used with a key before: write %s[key]", map_disp(s, m),
					      map_disp(s, m)),
		    "%s used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)",
		    map_disp(s, m));
}

/* keys match if equal but for integer signs (all are stored as 64 bits) */
static bool key_compatible(const struct type *a, const struct type *b)
{
	if (a->kind == TY_INT && b->kind == TY_INT)
		return a->size == b->size;
	if (a->kind == TY_TUPLE && b->kind == TY_TUPLE && a->nfields == b->nfields) {
		for (int i = 0; i < a->nfields; i++)
			if (!key_compatible(a->fields[i], b->fields[i]))
				return false;
		return true;
	}
	return ty_equal(a, b);
}

static void map_key(struct sema *s, struct node *mn, struct mapinfo *m)
{
	map_use(s, mn, m);
	if (!mn->args)
		return;
	for (struct node *k = mn->args; k; k = k->next)
		if (k->ty->kind == TY_VOID || k->ty->kind == TY_RECORD || ty_is_agg(k->ty))
			err(s, &k->loc, NULL, "%s: '%s' can not be a map key", map_disp(s, m), tn(s, k->ty));
	const struct type *kt = mn->key_ty;
	for (struct node *k = mn->args; k; k = k->next)
		if (k->ty->kind == TY_NONE)
			return;
	if (!m->key) {
		m->key = kt;
		s->changed = true;
	} else if (!key_compatible(m->key, kt)) {
		/* strings of another size fit: keys are resized to the largest */
		err(s, &mn->loc, "use the same key types everywhere the map is used",
		    "Argument mismatch for %s: trying to access with arguments: [%s] when map expects arguments: [%s]",
		    map_disp(s, m), tn(s, kt), tn(s, m->key));
	} else if (kt->size > m->key->size) {
		m->key = kt;
		s->changed = true;
	}
}

static void assign_map(struct sema *s, struct node *n, struct node *lhs, const struct type *t)
{
	struct mapinfo *m = map_get(s, lhs);
	lhs->map = m;
	map_key(s, lhs, m);
	m->assigned = true;
	if (t->kind == TY_VOID) {
		err(s, &n->rhs->loc, NULL, "Value '%s' cannot be assigned to a map.", n->rhs->name ? n->rhs->name : "void");
		return;
	}
	if (t->kind == TY_NONE)
		return;
	const struct type *vt = widen(t);
	if (vt->kind == TY_RECORD) {
		err(s, &n->rhs->loc, "store one of its fields", "not supported by minibt: a struct as a map value");
		return;
	}
	if (m->val->kind == TY_NONE) {
		m->val = vt;
		s->changed = true;
	} else if (m->val->kind == TY_STR && vt->kind == TY_STR) {
		if (vt->size > m->val->size) {
			m->val = ty_str(s->a, vt->size);
			s->changed = true;
		}
	} else if (m->val->kind == TY_INT && vt->kind == TY_INT) {
		/* either sign: stored as 64 bits */
	} else if (!ty_equal(m->val, vt)) {
		err(s, &n->rhs->loc, arena_printf(s->a, "a map holds one type of value: store this one in another map"),
		    "Type mismatch for %s: trying to assign value of type '%s' when map already contains a value of type '%s'",
		    map_disp(s, m), tn(s, vt), tn(s, m->val));
	}
	m->percpu = ty_is_agg(m->val);
	lhs->ty = m->val;
}

static void block(struct sema *s, struct node *b)
{
	for (struct node *st = b ? b->stmts : NULL; st; st = st->next)
		stmt(s, st);
}

/* $x++, ++@m[k], ... as a statement or inside an expression: the value
 * is the old one (post) or the new one (pre), a 64-bit integer */
static void incdec(struct sema *s, struct node *n)
{
	struct node *lhs = n->lhs;
	n->ty = ty_int(8, true);
	if (lhs->kind == N_VAR) {
		expr(s, lhs);
		if (lhs->ty->kind != TY_INT && lhs->ty->kind != TY_PTR)
			err(s, &n->loc, NULL, "The %s operator can not be used on type %s", op_names[n->op], tn(s, lhs->ty));
		else
			n->ty = lhs->ty->kind == TY_PTR ? lhs->ty : ty_int(8, lhs->ty->sign);
	} else {
		for (struct node *k = lhs->args; k; k = k->next)
			expr(s, k);
		set_key_type(s, lhs);
		struct mapinfo *m = map_get(s, lhs);
		const struct type *cur = m->val->kind == TY_NONE ? ty_int(8, true) : m->val;
		if (cur->kind != TY_INT)
			err(s, &n->loc, NULL, "The %s operator can not be used on map values of type %s", op_names[n->op], tn(s, cur));
		assign_map(s, n, lhs, cur);
		if (cur->kind == TY_INT)
			n->ty = ty_int(8, cur->sign);
	}
}

static void stmt(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_EXPRSTMT:
		if (n->ival == 2) { /* see N_ASSIGN */
			struct varinfo *v = var_find(s, n->name);
			const char *vt = v ? (v->ty->name ? v->ty->name : tn(s, v->ty)) : "?";
			warn(s, &n->loc, arena_printf(s->a, "cast the value to keep it: $%s = (%s)(...)", n->name, vt),
			     "this assignment stores nothing, as in bpftrace 0.17: the value is wider than $%s (%s, "
			     "the type of its first assignment)", n->name, vt);
		}
		if (n->lhs->kind == N_CALL) {
			call(s, n->lhs, true, false);
		} else {
			expr(s, n->lhs);
			/* a bare map read is allowed and does nothing */
		}
		break;
	case N_ASSIGN: {
		struct node *lhs = n->lhs;
		bool agg_call = n->rhs->kind == N_CALL && lhs->kind == N_MAP && n->op == OP_ASSIGN;
		if (lhs->kind == N_MAP)
			for (struct node *k = lhs->args; k; k = k->next)
				expr(s, k);
		if (n->rhs->kind == N_CALL)
			call(s, n->rhs, false, agg_call);
		else
			expr(s, n->rhs);
		const struct type *t = n->rhs->ty;
		if (n->op != OP_ASSIGN) {
			/* x op= e: x must already be an integer */
			expr(s, lhs);
			if (lhs->ty->kind != TY_NONE && !is_intlike(lhs->ty))
				err(s, &n->loc, NULL, "The '%s=' operator can not be used on type %s", op_names[n->op], tn(s, lhs->ty));
			if (!is_intlike(t) && t->kind != TY_NONE)
				err(s, &n->rhs->loc, NULL, "The '%s=' operator expects an integer (%s provided)", op_names[n->op], tn(s, t));
			if (lhs->kind == N_MAP && lhs->ty->kind == TY_NONE)
				t = ty_int(8, true);
			else
				t = lhs->ty->kind == TY_INT ? ty_int(8, lhs->ty->sign) : lhs->ty;
		}
		/*
		** bpftrace 0.17 stores nothing when an integer wider than a
		** scratch variable (typed by its first assignment) is assigned
		** to it, plainly or with op=: `$p = skc_dport (uint16); $p = ($p
		** >> 8) | ...` leaves $p as it was. The 2018 tcpretrans.bt and
		** tcpdrop.bt print their ports that way; minibt does the same,
		** with a warning. The value is still evaluated.
		*/
		struct varinfo *ov = lhs->kind == N_VAR ? var_find(s, lhs->name) : NULL;
		if (ov && ov->ty->kind == TY_INT && t->kind == TY_INT && t->size > ov->ty->size) {
			n->kind = N_EXPRSTMT;
			n->name = lhs->name;
			n->lhs = n->rhs;
			n->rhs = NULL;
			n->ival = 2; /* a dropped store: warned about in the final pass */
			stmt(s, n);
			break;
		}
		if (lhs->kind == N_VAR) {
			if (n->op != OP_ASSIGN && !var_find(s, lhs->name))
				break; /* error given by expr() */
			assign_var(s, n, lhs, n->op == OP_ASSIGN ? t : lhs->ty);
		} else {
			set_key_type(s, lhs);
			assign_map(s, n, lhs, t);
		}
		break;
	}
	case N_INCDEC:
		incdec(s, n);
		break;
	case N_IF:
		expr(s, n->cond);
		if (n->cond->ty->kind != TY_NONE && !is_intlike(n->cond->ty))
			err(s, &n->cond->loc, "compare it: if ($s == \"x\")", "Invalid condition in if(): %s", tn(s, n->cond->ty));
		block(s, n->then);
		if (n->els)
			block(s, n->els);
		break;
	case N_UNROLL:
		expr(s, n->cond);
		if (!n->cond->is_const)
			err(s, &n->cond->loc, "write a number: unroll(5)", "unroll() expects a constant integer");
		else if (n->cond->cval < 1 || n->cond->cval > 100)
			err(s, &n->cond->loc, "unroll runs its block 1 to 100 times",
			    n->cond->cval < 1 ? "unroll minimum value is 1" : "unroll maximum value is 100");
		block(s, n->then);
		break;
	case N_RETURN:
		break;
	case N_BLOCK:
		block(s, n);
		break;
	default:
		expr(s, n);
	}
}

/* ------------------------------------------------------------- probes */

static void probe_body(struct sema *s, struct probe *p);

/* a probe whose provider is unknown is typed (its maps get types) but
 * says nothing more: its header error says it all */
static void probe(struct sema *s, struct probe *p)
{
	bool report = s->report;
	for (int i = 0; i < p->naps; i++)
		if (p->aps[i].bad)
			s->report = false;
	probe_body(s, p);
	s->report = report;
}

static void probe_body(struct sema *s, struct probe *p)
{
	s->probe = p;
	s->vars.n = 0;
	s->vars.v = NULL;
	s->vars.cap = 0;
	if (probe_kinds[p->aps[0].type].args && !p->args_ty && s->btf) {
		struct attach_point *ap = &p->aps[0];
		if (!has_wildcard(ap->target) && !has_wildcard(ap->func) && *ap->func) {
			char ebuf[256];
			p->args_ty = btfc_tracepoint(s->btf, ap->target, ap->func, ebuf, sizeof(ebuf));
		}
	}
	if (p->pred) {
		expr(s, p->pred);
		if (p->pred->ty->kind != TY_NONE && !is_intlike(p->pred->ty))
			err(s, &p->pred->loc, "compare it, e.g. /comm == \"sshd\"/", "Invalid type for predicate: %s",
			    tn(s, p->pred->ty));
	}
	block(s, p->body);
	p->nvars = s->vars.n;
}

int sema_check(struct program *p, const struct sema_opts *o, struct diags *d)
{
	struct sema s = { 0 };
	s.p = p;
	s.a = p->arena;
	s.d = d;
	s.btf = o->btf;
	s.o = o;
	p->btf = o->btf;
	int errs0 = d->nerrors;
	/* bodies are checked even after a bad header: all errors in one run */
	if (probes_check(p, o, d) < 0)
		return -1;
	/* quiet passes until types settle, then the reporting pass */
	for (int pass = 0; pass < 8; pass++) {
		s.changed = false;
		for (int i = 0; i < p->nprobes; i++)
			probe(&s, p->probes[i]);
		if (!s.changed)
			break;
	}
	s.report = true;
	for (int i = 0; i < p->nprobes; i++)
		probe(&s, p->probes[i]);
	for (int i = 0; i < p->nmaps; i++) {
		struct mapinfo *m = p->maps[i];
		if (m->val->kind == TY_NONE && !m->assigned)
			diag_error(d, &m->first, "assign a value to it somewhere in the script: @x = ...",
				   "Undefined map: @%s", m->name);
	}
	/* a probe whose predicate is always false (getopt, $1, a #define)
	 * is not attached: a kprobe that can never do anything still costs
	 * every call of its function a trap */
	for (int i = 0; i < p->nprobes; i++) {
		struct probe *pr = p->probes[i];
		if (pr->pred && pr->pred->is_const && !pr->pred->cval)
			for (int k = 0; k < pr->naps; k++)
				pr->aps[k].missing = "its predicate is always false";
	}
	probes_skip_missing(p);
	p->need_ringbuf = true;
	return d->nerrors > errs0 ? -1 : 0;
}

uint32_t map_key_size(const struct mapinfo *m)
{
	uint32_t k = m->key ? m->key->size : 8;
	if (m->val->kind == TY_HIST || m->val->kind == TY_LHIST)
		k = (m->key ? (k + 7) / 8 * 8 : 0) + 8;
	return k;
}

uint32_t map_value_size(const struct mapinfo *m)
{
	switch (m->val->kind) {
	case TY_COUNT: case TY_SUM: case TY_HIST: case TY_LHIST:
		return 8;
	case TY_MIN: case TY_MAX: case TY_AVG: case TY_STATS:
		return 16;
	default:
		return m->val->size ? m->val->size : 8;
	}
}
