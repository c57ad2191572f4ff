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
#include "sema_internal.h"
#include "cdef.h"

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

/* the key type of a map access @m[k1, ...]: one widened value or a tuple */
void sema_set_key_type(struct sema *s, struct node *m)
{
	if (!m->args)
		return;
	if (m->nargs == 1) {
		m->key_ty = widen(m->args->ty);
		return;
	}
	const struct type **fs = arena_alloc(s->a, sizeof(*fs) * (size_t)m->nargs);
	int i = 0;
	for (struct node *k = m->args; k && i < m->nargs; k = k->next)
		fs[i++] = widen(k->ty);
	m->key_ty = ty_tuple(s->a, fs, i);
}

/*
** The type both a and b fit in, for a variable, map key or map value
** given both: strings (also inside tuples) of the larger size, integers
** of the larger width keeping a's sign; NULL when they differ otherwise.
** bpftrace 0.17 sizes tuple fields this way: @m["a", 1] then
** @m["abcdef", 2] keeps both strings whole.
*/
static const struct type *ty_fit(struct sema *s, const struct type *a, const struct type *b)
{
	if (a->kind == TY_STR && b->kind == TY_STR)
		return a->size >= b->size ? a : ty_str(s->a, b->size);
	if (a->kind == TY_INT && b->kind == TY_INT)
		return a->size >= b->size ? a : ty_int((int)b->size, a->sign);
	if (a->kind == TY_TUPLE && b->kind == TY_TUPLE && a->nfields == b->nfields) {
		const struct type **fs = arena_alloc(s->a, sizeof(*fs) * (size_t)a->nfields);
		bool grew = false;
		for (int i = 0; i < a->nfields; i++) {
			if (!(fs[i] = ty_fit(s, a->fields[i], b->fields[i])))
				return NULL;
			grew |= fs[i] != a->fields[i];
		}
		return grew ? ty_tuple(s->a, fs, a->nfields) : a;
	}
	return ty_equal(a, b) ? a : NULL;
}

/* ------------------------------------------------------------- variables */

static struct varinfo *var_find(struct sema *s, const char *name)
{
	for (int i = 0; i < s->vars.n; i++)
		if (!strcmp(s->vars.v[i]->name, name))
			return s->vars.v[i];
	return NULL;
}

struct mapinfo *sema_map_get(struct sema *s, struct node *n)
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

const char *sema_map_disp(struct sema *s, const struct mapinfo *m)
{
	return arena_printf(s->a, "@%s", m->name);
}

/* ----------------------------------------------------------- expressions */

static void stmt(struct sema *s, struct node *n);
static void incdec(struct sema *s, struct node *n);
static void map_key(struct sema *s, struct node *mn, struct mapinfo *m);

const struct type *sema_resolve_ctype(struct sema *s, struct ctype *c)
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
	} else if ((t = cdef_lookup(s->p, c->kw, c->name))) {
		/* defined by the script: before the kernel's */
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

static void ident(struct sema *s, struct node *n)
{
	/* builtins of later bpftrace releases minibt lacks */
	static const struct { const char *name, *hint; } unsupported[] = {
		{ "jiffies", "use nsecs" },
	};
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
		if (!strcmp(n->name, unsupported[i].name)) {
			err(s, &n->loc, unsupported[i].hint, "not supported by minibt: the %s builtin", n->name);
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
	if (cdef_enum_value(s->p, n->name, &v) || (s->btf && btfc_enum_value(s->btf, n->name, &v))) {
		n->ty = ty_int(8, true);
		set_const(n, v);
		return;
	}
	const char *hint = did_you_mean(s, n->name, builtin_names, BUILTIN__COUNT);
	err(s, &n->loc, hint ? hint : "variables start with $ ($x), maps with @ (@x); enum constants come from kernel BTF",
	    "Unknown identifier: '%s'", n->name);
	n->ty = ty_none();
}

/* type of a binary operation on integers, as bpftrace 0.17 */
static void binop(struct sema *s, struct node *n)
{
	sema_expr(s, n->lhs);
	sema_expr(s, n->rhs);
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
	if (l->kind == TY_BUF && r->kind == TY_BUF) {
		/* buf() values: their length byte and bytes, as strncmp (bpftrace 0.17) */
		if (n->op != OP_EQ && n->op != OP_NE)
			err(s, &n->loc, "buffers compare with == and != only",
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
			n->ty = r->user ? ty_user(s->a, l) : l; /* pointer arithmetic in elements, as C */
			return;
		}
		sign = false;
	}
	if (l->kind == TY_COUNT || r->kind == TY_COUNT)
		sign = false;
	n->ty = ty_int(8, sign);
	if (l->user || r->user) /* *(args->addr + 8): still a user address */
		n->ty = ty_user(s->a, n->ty);
	if (n->lhs->is_const && n->rhs->is_const) {
		int64_t a = n->lhs->cval, b = n->rhs->cval, v = 0;
		bool ok = true;
		switch (n->op) {
		case OP_ADD: v = (int64_t)((uint64_t)a + (uint64_t)b); break;
		case OP_SUB: v = (int64_t)((uint64_t)a - (uint64_t)b); break;
		case OP_MUL: v = (int64_t)((uint64_t)a * (uint64_t)b); break;
		/* as C (bpftrace 0.17 divides signed values as unsigned ones);
		 * INT64_MIN / -1 wraps, as codegen's sdivrem */
		case OP_DIV:
			ok = b != 0;
			v = !ok ? 0 : !sign ? (int64_t)((uint64_t)a / (uint64_t)b)
				: (b == -1) ? (int64_t)(0 - (uint64_t)a) : a / b;
			break;
		case OP_MOD:
			ok = b != 0;
			v = !ok ? 0 : !sign ? (int64_t)((uint64_t)a % (uint64_t)b) : (b == -1) ? 0 : a % b;
			break;
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
	sema_expr(s, n->lhs);
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
		err(s, &n->name_loc, did_you_mean(s, n->name, names, k),
		    "Struct/union of type '%s' does not contain a field named '%s'",
		    rec->fnames ? (rec->name ? rec->name : "args") : tn(s, rec), n->name);
		n->ty = ty_none();
		return;
	}
	n->field_off = off;
	/* read through a user pointer, or from a struct in user memory: a
	** user value (a pointer in it points into user memory too). A field
	** of args is a value, read from the context: its type does not say
	** "context" (args->rqtp->tv_sec reads through the pointer the field
	** holds); codegen follows places in the context from args itself */
	n->ty = t->user ? ty_user(s->a, mt) : mt;
	if (t->ctx && rec->fnames && off < 8 && s->probe && probe_kinds[s->probe->aps[0].type].expand == EXPAND_TRACEPOINTS)
		/* the kernel puts a pt_regs pointer over them before the program runs */
		err(s, &n->loc, "use pid, tid or comm instead", "BPF does not support accessing common tracepoint fields");
}

/* a call as a value: it must return one */
static void call_value(struct sema *s, struct node *n)
{
	sema_call(s, n, false);
	if (n->kind != N_CALL) /* folded (getopt) */
		return;
	if (n->ty->kind == TY_VOID && n->func != FUNC__COUNT)
		err(s, &n->loc, "use it as a statement", "%s() does not return a value", n->name);
}

static void var_ref(struct sema *s, struct node *n)
{
	struct varinfo *v = var_find(s, n->name);
	if (!v) {
		err(s, &n->loc, "assign it first in this probe: $x = ...; scratch variables live for one probe",
		    "Undefined or undeclared variable: $%s", n->name);
		n->ty = ty_int(8, true);
	} else {
		n->var = v;
		n->ty = v->ty;
	}
}

/* @m or @m[k...] read in an expression */
static void map_ref(struct sema *s, struct node *n)
{
	struct mapinfo *m = sema_map_get(s, n);
	n->map = m;
	for (struct node *k = n->args; k; k = k->next)
		sema_expr(s, k);
	n->ty = m->val;
	if (m->val->kind == TY_NONE)
		n->ty = ty_none();
	sema_set_key_type(s, n);
	map_key(s, n, m);
	if (m->val->kind == TY_HIST || m->val->kind == TY_LHIST || m->val->kind == TY_STATS)
		err(s, &n->loc, "print it with print(@m)", "%s of type %s can not be read in a probe",
		    sema_map_disp(s, m), tn(s, m->val));
}

/* $N: a constant integer if it reads as one (or is not given), else a
 * string; $#: their number */
/*
** $N is a number, as bpftrace: its text parsed as an integer (0 when not
** given); only inside str() is it the text itself ("" when not given). A
** text that is not a number used as one is an error with bpftrace's words.
** $# is the number of parameters.
*/
void sema_posparam(struct sema *s, struct node *n, bool in_str)
{
	if (n->ival < 0) {
		n->ty = ty_int(8, true);
		set_const(n, s->o ? s->o->npos : 0);
		return;
	}
	const char *v = s->o && n->ival >= 1 && n->ival <= s->o->npos ? s->o->pos[n->ival - 1] : NULL;
	if (in_str) { /* from byte field_off on: str($N + K) */
		v = v ? v : "";
		v += strlen(v) < n->field_off ? strlen(v) : n->field_off;
		n->ty = ty_str(s->a, (uint32_t)strlen(v) + 1);
		n->str = (char *)v;
		n->slen = strlen(n->str);
		n->is_const = false;
		return;
	}
	char *e = NULL;
	long long iv = v ? strtoll(v, &e, 0) : 0;
	if (v && (!e || *e || e == v))
		err(s, &n->loc, arena_printf(s->a, "use str($%lld) for its text", (long long)n->ival),
		    "$%lld used numerically but given \"%s\". Try using str($%lld).", (long long)n->ival, v,
		    (long long)n->ival);
	n->ty = ty_int(8, true);
	set_const(n, v && e && !*e && e != v ? iv : 0);
}

static void unop(struct sema *s, struct node *n)
{
	sema_expr(s, n->lhs);
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
		if (t->user) /* read from user memory */
			n->ty = ty_user(s->a, n->ty);
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
}

static void ternary(struct sema *s, struct node *n)
{
	sema_expr(s, n->cond);
	sema_expr(s, n->lhs);
	sema_expr(s, n->rhs);
	for (struct node *b = n->lhs; b; b = b == n->lhs ? n->rhs : NULL)
		if (b->ty->kind == TY_VOID && b->kind == N_CALL) {
			err(s, &b->loc, "a ternary with such branches is a statement of its own: c ? printf(\"a\") : exit()",
			    "%s() does not return a value", b->name);
			n->ty = ty_none();
			return;
		}
	if (n->lhs->ty->kind == TY_STR && n->rhs->ty->kind == TY_STR) {
		uint32_t sz = n->lhs->ty->size > n->rhs->ty->size ? n->lhs->ty->size : n->rhs->ty->size;
		n->ty = ty_str(s->a, sz);
	} else if (is_intlike(n->lhs->ty) && is_intlike(n->rhs->ty)) {
		bool sign = (n->lhs->ty->kind != TY_INT || n->lhs->ty->sign) &&
			    (n->rhs->ty->kind != TY_INT || n->rhs->ty->sign);
		n->ty = ty_int(8, sign);
		if (n->lhs->ty->user || n->rhs->ty->user) /* an address: where it points */
			n->ty = ty_user(s->a, n->ty);
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
}

/* is n a place in the probe's context (args->f, args->f.g, args->a[1])? */
static bool in_ctx(const struct node *n)
{
	if (n->kind == N_FIELD)
		return n->op == OP_ARROW ? n->lhs->ty && n->lhs->ty->ctx : in_ctx(n->lhs);
	if (n->kind == N_INDEX)
		return n->lhs->ty && n->lhs->ty->kind == TY_ARRAY && in_ctx(n->lhs);
	return false;
}

/*
** a[i]: arrays in kernel or user memory by any index (one out of bounds
** reads as 0, never the memory after the array), in the context and
** strings by a constant one (bpftrace 0.17 takes only constants), pointers
** by any
*/
static void index_expr(struct sema *s, struct node *n)
{
	sema_expr(s, n->lhs);
	sema_expr(s, n->rhs);
	const struct type *t = n->lhs->ty;
	if (!is_int(n->rhs->ty) && n->rhs->ty->kind != TY_NONE)
		err(s, &n->rhs->loc, NULL, "The array index operator [] expects an integer index");
	if (t->kind == TY_ARRAY) {
		if (n->rhs->is_const && (n->rhs->cval < 0 || n->rhs->cval >= t->nelem))
			err(s, &n->rhs->loc, NULL, "the index %lld is out of bounds for array of size %u",
			    (long long)n->rhs->cval, t->nelem);
		else if (!n->rhs->is_const && in_ctx(n->lhs))
			err(s, &n->rhs->loc, "copy the element you want with a constant index: args->a[0]",
			    "The array index operator [] only accepts literal integer indices in a tracepoint's args");
		n->ty = t->sub;
	} else if (t->kind == TY_PTR) {
		n->ty = t->sub->kind == TY_VOID ? ty_int(1, false) : t->sub;
	} else if (t->kind == TY_STR) {
		n->ty = ty_int(1, true);
		if (!n->rhs->is_const)
			err(s, &n->rhs->loc, "index a string with an integer literal: $s[0]",
			    "The array index operator [] only accepts literal integer indices on a string");
	} else {
		if (t->kind != TY_NONE)
			err(s, &n->loc, NULL, "The array index operator [] can only be used on arrays and pointers, found %s",
			    tn(s, t));
		n->ty = ty_int(8, true);
	}
	if (t->user) /* an element in user memory */
		n->ty = ty_user(s->a, n->ty);
}

/* (type)e: to an integer (a constant is folded) or a pointer */
static void cast(struct sema *s, struct node *n)
{
	sema_expr(s, n->lhs);
	const struct type *t = sema_resolve_ctype(s, n->cast);
	if (!t) {
		n->ty = ty_none(); /* error given */
		return;
	}
	const struct type *from = n->lhs->ty;
	if (t->kind == TY_RECORD) {
		err(s, &n->loc, arena_printf(s->a, "cast to a pointer: (%s *)", tn(s, t)),
		    "Cannot cast to struct type \"%s\"", tn(s, t));
		n->ty = ty_int(8, false);
		return;
	}
	if (from->kind != TY_NONE && !is_intlike(from) && !(from->kind == TY_ARRAY && t->kind == TY_INT)) {
		err(s, &n->loc, NULL, "Cannot cast from \"%s\" to \"%s\"", tn(s, from), tn(s, t));
	}
	/* a cast keeps the address space: (struct foo *)args->ptr of a
	** syscall reads user memory, as bpftrace 0.17 */
	n->ty = from->user ? ty_user(s->a, t) : t;
	/* (struct x *)ctx reads the context as the program sees it, with
	 * loads the kernel rewrites (perf events: bpf_perf_event_data's
	 * regs), as bpftrace 0.17; not the kernel's own struct behind it */
	if (n->lhs->kind == N_BUILTIN && n->lhs->builtin == B_CTX && from->ctx && t->kind == TY_PTR) {
		struct type *c = arena_alloc(s->a, sizeof(*c));
		*c = *t;
		c->ctx = true;
		n->ty = c;
	}
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
}

static void tuple(struct sema *s, struct node *n)
{
	const struct type **fs = arena_alloc(s->a, sizeof(*fs) * (size_t)(n->nargs ? n->nargs : 1));
	int i = 0;
	for (struct node *a = n->args; a; a = a->next) {
		sema_expr(s, a);
		if (i < n->nargs)
			fs[i++] = a->ty->kind == TY_INT ? widen(a->ty) : a->ty;
	}
	n->ty = ty_tuple(s->a, fs, i);
}

/* type n (and fold it when constant), by its kind */
void sema_expr(struct sema *s, struct node *n)
{
	n->is_const = false;
	switch (n->kind) {
	case N_INT:
		n->ty = ty_int(8, !n->uns);
		set_const(n, n->ival);
		break;
	case N_STR:
		n->ty = ty_str(s->a, (uint32_t)n->slen + 1);
		break;
	case N_BUILTIN: sema_builtin(s, n); break;
	case N_CALL: call_value(s, n); break;
	case N_VAR: var_ref(s, n); break;
	case N_MAP: map_ref(s, n); break;
	case N_POSPARAM: sema_posparam(s, n, false); break;
	case N_IDENT: ident(s, n); break;
	case N_INCDEC: incdec(s, n); break;
	case N_BINOP: binop(s, n); break;
	case N_UNOP: unop(s, n); break;
	case N_TERNARY: ternary(s, n); break;
	case N_FIELD: field(s, n); break;
	case N_INDEX: index_expr(s, n); break;
	case N_CAST: cast(s, n); break;
	case N_TUPLE: tuple(s, n); break;
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
			bool user = v->ty->user;
			v->ty = ty_int((int)t->size, v->ty->sign);
			if (user) /* still the address space of its first value */
				v->ty = ty_user(s->a, v->ty);
			s->changed = true;
		}
	} else if (v->ty->kind == TY_STR && t->kind == TY_STR) {
		if (t->size > v->ty->size) {
			v->ty = ty_str(s->a, t->size);
			s->changed = true;
		}
	} else if (v->ty->kind == TY_TUPLE && t->kind == TY_TUPLE && ty_fit(s, v->ty, t)) {
		const struct type *f = ty_fit(s, v->ty, t);
		if (f != v->ty) {
			v->ty = f;
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
					      sema_map_disp(s, m)),
		    "%s used as a map with an explicit key (non-scalar map), previously used without an explicit key (scalar map)",
		    sema_map_disp(s, m));
	else if (!mn->args && loc_before(&m->key_use, &m->nokey_use))
		err(s, &mn->loc, arena_printf(s->a, "%s was used with a key before: write %s[key]", sema_map_disp(s, m),
					      sema_map_disp(s, m)),
		    "%s used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)",
		    sema_map_disp(s, m));
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
			err(s, &k->loc, NULL, "%s: '%s' can not be a map key", sema_map_disp(s, m), tn(s, k->ty));
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
		    sema_map_disp(s, m), tn(s, kt), tn(s, m->key));
	} else {
		const struct type *f = ty_fit(s, m->key, kt);
		if (f && f != m->key) {
			m->key = f;
			s->changed = true;
		}
	}
}

static void assign_map(struct sema *s, struct node *n, struct node *lhs, const struct type *t)
{
	struct mapinfo *m = sema_map_get(s, lhs);
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
	if (vt->kind == TY_RECORD && !vt->size) {
		err(s, &n->rhs->loc, "store one of its fields", "a struct of unknown size cannot be a map value");
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
	} else if (m->val->kind == TY_TUPLE && vt->kind == TY_TUPLE && ty_fit(s, m->val, vt)) {
		const struct type *f = ty_fit(s, m->val, vt);
		if (f != m->val) {
			m->val = f;
			s->changed = true;
		}
	} else if (m->val->kind == TY_INT && vt->kind == TY_INT) {
		/* either sign: stored as 64 bits */
	} else if (!ty_equal(m->val, vt)) {
		err(s, &n->rhs->loc, arena_printf(s->a, "a map holds one type of value: store this one in another map"),
		    "Type mismatch for %s: trying to assign value of type '%s' when map already contains a value of type '%s'",
		    sema_map_disp(s, m), tn(s, vt), tn(s, m->val));
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
		sema_expr(s, lhs);
		if (lhs->ty->kind != TY_INT && lhs->ty->kind != TY_PTR)
			err(s, &n->loc, NULL, "The %s operator can not be used on type %s", op_names[n->op], tn(s, lhs->ty));
		else
			n->ty = lhs->ty->kind == TY_PTR ? lhs->ty : ty_int(8, lhs->ty->sign);
	} else {
		for (struct node *k = lhs->args; k; k = k->next)
			sema_expr(s, k);
		sema_set_key_type(s, lhs);
		struct mapinfo *m = sema_map_get(s, lhs);
		const struct type *cur = m->val->kind == TY_NONE ? ty_int(8, true) : m->val;
		if (cur->kind != TY_INT && cur->kind != TY_PTR)
			err(s, &n->loc, NULL, "The %s operator can not be used on map values of type %s", op_names[n->op], tn(s, cur));
		assign_map(s, n, lhs, cur);
		if (cur->kind == TY_INT)
			n->ty = ty_int(8, cur->sign);
		else if (cur->kind == TY_PTR) /* moves by one element (codegen) */
			n->ty = cur;
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
			sema_call(s, n->lhs, false);
		} else {
			sema_expr(s, n->lhs);
			/* a bare map read is allowed and does nothing */
		}
		break;
	case N_ASSIGN: {
		struct node *lhs = n->lhs;
		bool agg_call = n->rhs->kind == N_CALL && lhs->kind == N_MAP && n->op == OP_ASSIGN;
		if (lhs->kind == N_MAP)
			for (struct node *k = lhs->args; k; k = k->next)
				sema_expr(s, k);
		if (n->rhs->kind == N_CALL)
			sema_call(s, n->rhs, agg_call);
		else
			sema_expr(s, n->rhs);
		const struct type *t = n->rhs->ty;
		if (n->op != OP_ASSIGN) {
			/* x op= e: x must already be an integer */
			sema_expr(s, lhs);
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
			sema_set_key_type(s, lhs);
			assign_map(s, n, lhs, t);
		}
		break;
	}
	case N_INCDEC:
		incdec(s, n);
		break;
	case N_IF:
		sema_expr(s, n->cond);
		if (n->cond->ty->kind != TY_NONE && !is_intlike(n->cond->ty))
			err(s, &n->cond->loc, "compare it: if ($s == \"x\")", "Invalid condition in if(): %s", tn(s, n->cond->ty));
		block(s, n->then);
		if (n->els)
			block(s, n->els);
		break;
	case N_UNROLL:
		sema_expr(s, n->cond);
		if (!n->cond->is_const)
			err(s, &n->cond->loc, "write a number: unroll(5)", "unroll() expects a constant integer");
		else if (n->cond->cval < 1 || n->cond->cval > 100)
			err(s, &n->cond->loc, "unroll runs its block 1 to 100 times",
			    n->cond->cval < 1 ? "unroll minimum value is 1" : "unroll maximum value is 100");
		block(s, n->then);
		break;
	case N_WHILE:
		sema_expr(s, n->cond);
		if (n->cond->ty->kind != TY_NONE && !is_intlike(n->cond->ty))
			err(s, &n->cond->loc, "compare it: while ($s != \"x\")", "Invalid condition in while(): %s",
			    tn(s, n->cond->ty));
		s->loops++;
		block(s, n->then);
		s->loops--;
		break;
	case N_BREAK:
	case N_CONTINUE:
		if (!s->loops)
			err(s, &n->loc, "leave a while loop with it; an unroll block is no loop",
			    "%s used outside of a loop", n->kind == N_BREAK ? "break" : "continue");
		break;
	case N_RETURN:
		break;
	case N_BLOCK:
		block(s, n);
		break;
	default:
		sema_expr(s, n);
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
	if (probe_kinds[p->aps[0].type].iter && s->btf) { /* the context, whose pointers codegen checks */
		p->args_ty = btfc_record(s->btf, "struct", arena_printf(s->a, "bpf_iter__%s", p->aps[0].func));
		if (p->naps > 1)
			err(s, &p->aps[1].loc, "write one probe per iterator", "Only single iter attach point is allowed.");
		for (int i = 0; i < s->p->nprobes && *p->aps[0].func; i++) {
			const struct probe *o = s->p->probes[i];
			if (o != p && !probe_kinds[o->aps[0].type].special) {
				err(s, &p->aps[0].loc, arena_printf(s->a, "an iterator runs once and ends the run: trace %s in another run",
								    o->aps[0].raw),
				    "an iter probe can only be used with BEGIN and END probes");
				break;
			}
		}
	}
	if (probe_kinds[p->aps[0].type].expand == EXPAND_TRACEPOINTS && !p->args_ty && s->btf) {
		struct attach_point *ap = &p->aps[0];
		if (!has_wildcard(ap->target) && !has_wildcard(ap->func) && *ap->func) {
			char ebuf[256];
			p->args_ty = btfc_tracepoint(s->btf, ap->target, ap->func, ebuf, sizeof(ebuf));
		}
	}
	if (p->pred) {
		sema_expr(s, p->pred);
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
	cdef_resolve(p, o->btf, d);
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
