/*
** frontend/sema_call.c: function calls and builtins.
**
** Each function of funcs.def has its check in sema_funcs[], indexed by
** enum func_id; sema_call() finds the function, checks the number of
** arguments, types the arguments, then runs the check, which gives the
** call its type and, in the reporting pass, its event (printf, time,
** print, ...). sizeof() and kaddr() fold to constants, as getopt() does.
** Builtins (pid, comm, argN, args, retval, ...) are typed by probe kind.
*/
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "cdef.h"
#include "sema_internal.h"

/* --------------------------------------------------------------- builtins */

/* a builtin's type; the ones bound to a probe kind are checked against it */
void sema_builtin(struct sema *s, struct node *n)
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
	case B_CPID: /* uint32 as bpftrace 0.17's, known when compiling */
		n->ty = ty_int(4, false);
		if (!s->o->has_cmd)
			err(s, &n->loc, "cpid is the pid of the command minibt runs: give it with -c 'CMD'",
			    "cpid cannot be used without child command");
		else
			set_const(n, s->o->cpid);
		break;
	case B_CURTASK: {
		/* a script's own struct task_struct comes before the kernel's, as in casts */
		const struct type *ts = cdef_lookup(s->p, "struct", "task_struct");
		if (!ts && s->btf)
			ts = btfc_record(s->btf, "struct", "task_struct");
		n->ty = ts ? ty_ptr(s->a, ts) : ty_int(8, false);
		break;
	}
	case B_FUNC:
		if (!probe_kinds[pt].func)
			err(s, &n->loc, "func is the traced kernel function: use it in kprobe or kretprobe probes",
			    "The func builtin can not be used with '%s' probes", probe_type_names[pt]);
		n->ty = ty_simple(probe_kinds[pt].user ? TY_UFUNC : TY_KSYM);
		break;
	case B_PROBE:
		n->ty = ty_simple(TY_PROBE);
		s->probe->uses_probe_builtin = true;
		break;
	case B_RETVAL:
		n->ty = s->probe->retval_ty && probe_kinds[pt].retval ? s->probe->retval_ty : ty_int(8, false);
		if (n->ty->kind == TY_VOID) {
			err(s, &n->loc, "the function returns nothing", "retval of a void function (%s)", s->probe->aps[0].func);
			n->ty = ty_none();
		} else if (!probe_kinds[pt].retval) {
			err(s, &n->loc, pt == PROBE_KFUNC ? "retval is the return value: trace the function with kretfunc:FUNC" :
			    "retval is the return value: trace the function with kretprobe:FUNC",
			    "The retval builtin can only be used with 'kretprobe' probes (%s used here)", probe_type_names[pt]);
			n->ty = ty_none();
		}
		break;
	case B_ARG:
		if (!probe_kinds[pt].argn)
			err(s, &n->loc, pt == PROBE_TRACEPOINT ? "tracepoint arguments are args->NAME (see minibt -lv tracepoint:CAT:NAME)" :
			    probe_kinds[pt].expand == EXPAND_BTF_FUNCS ? "kfunc arguments are args->NAME (see minibt -lv kfunc:FUNC)" :
			    "argN are the arguments of a kprobe'd function",
			    "The arg%lld builtin can only be used with 'kprobe' probes (%s used here)",
			    (long long)n->ival, probe_type_names[pt]);
		else if (probe_kinds[pt].argslots && n->ival >= probe_kinds[pt].argslots)
			err(s, &n->loc, NULL, "arg%lld is not available: %s probes have at most %d arguments",
			    (long long)n->ival, probe_type_names[pt], probe_kinds[pt].argslots);
		else if (n->ival > 5 && !probe_kinds[pt].argslots)
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
	case B_NUMAID:
		n->ty = ty_int(8, false);
		break;
	case B_USERNAME:
		n->ty = ty_simple(TY_USERNAME);
		break;
	case B_SARG:
		n->ty = ty_int(8, false);
		if (!probe_kinds[pt].sarg) {
			err(s, &n->loc, "sargN are stack arguments at a function's entry: use them in kprobe probes",
			    "The sarg%lld builtin can only be used with 'kprobes' and 'uprobes' probes", (long long)n->ival);
			break;
		}
		for (int i = 0; i < s->probe->naps; i++)
			if (s->probe->aps[i].offset && s->report) {
				warn(s, &n->loc, "read the stack arguments in a probe on the function's entry and keep them in a map",
				     "Using an address offset with the sargX built-in can lead to unexpected behavior");
				break;
			}
		break;
	case B_CTX: {
		const char *st = probe_kinds[pt].iter ? arena_printf(s->a, "bpf_iter__%s", s->probe->aps[0].func)
						      : probe_kinds[pt].ctx;
		const struct type *rt = st && s->btf ? btfc_record(s->btf, "struct", st) : NULL;
		n->ty = ty_none();
		if (pt == PROBE_TRACEPOINT) {
			err(s, &n->loc, "a tracepoint's fields are args->NAME (minibt -lv tracepoint:CAT:NAME lists them)",
			    "Use args instead of ctx in tracepoint");
		} else if (!st) {
			err(s, &n->loc, "ctx is the context of a kprobe (struct pt_regs *) or of a perf event probe "
			    "(struct bpf_perf_event_data *)", "ctx has no meaning in a %s probe", probe_type_names[pt]);
		} else if (!rt) {
			err(s, &n->loc, "minibt reads kernel types from /sys/kernel/btf/vmlinux",
			    "Unknown struct/union: 'struct %s' (no kernel BTF)", st);
		} else {
			struct type *t = (struct type *)ty_ptr(s->a, rt);
			t->ctx = true;
			n->ty = t;
		}
		break;
	}
	case B_KSTACK:
	case B_USTACK:
		n->ty = ty_kstack(s->a, MAX_STACK_FRAMES, STACK_BPFTRACE, n->builtin == B_USTACK);
		if (s->p->need_stackmap < MAX_STACK_FRAMES)
			s->p->need_stackmap = MAX_STACK_FRAMES;
		break;
	case BUILTIN__COUNT:
		break;
	}
	/* uprobes: arguments and return values are the process's values; what
	 * is read through them is read from user memory */
	if (probe_kinds[pt].user && (n->builtin == B_ARG || n->builtin == B_SARG || n->builtin == B_RETVAL) &&
	    n->ty->kind == TY_INT)
		n->ty = ty_user(s->a, n->ty);
}

/* ------------------------------------------------------ arguments, events */

static void check_int_arg(struct sema *s, struct node *call, struct node *a)
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
		       t->kind == TY_MACADDR || t->kind == TY_TIMESTAMP || t->kind == TY_USERNAME ||
		       t->kind == TY_STRERROR || t->kind == TY_CGROUP_PATH || t->kind == TY_UFUNC || t->kind == TY_USYM ||
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

/* ------------------------- printf, the aggregations, getopt and printmap */

/*
** printf(fmt, ...), and system() and cat(), whose format makes a command
** or a path at run time (bpftrace 0.17 checks all three alike)
*/
static bool printf_check(struct sema *s, struct node *n, struct fmt *out);

static void call_printf(struct sema *s, struct node *n)
{
	struct fmt fmt;
	n->ty = ty_void();
	if (!printf_check(s, n, &fmt))
		return;
	struct event *e = new_event(s, n->func == F_SYSTEM ? EV_SYSTEM : n->func == F_CAT ? EV_CAT : EV_PRINTF,
				    &n->loc);
	if (e) {
		e->fmt = fmt;
		e->fmtstr = n->args->str;
		event_args(s, e, n->args->next);
		n->event = e->id;
	}
}

/*
** debugf(fmt, ...): bpf_trace_printk, whose text goes to the kernel's
** trace pipe (/sys/kernel/tracing/trace_pipe), not to minibt's output.
** The kernel takes at most three arguments and the conversions
** %d %u %x with l/ll, %p and %s (checked here, as bpftrace 0.17 does).
*/
static void call_debugf(struct sema *s, struct node *n)
{
	struct fmt fmt;
	n->ty = ty_void();
	if (!printf_check(s, n, &fmt))
		return;
	if (fmt.nargs > 3) {
		err(s, &n->loc, "the kernel's bpf_trace_printk takes three arguments: use printf() for more",
		    "debugf: Cannot use more than 3 conversion specifiers");
		return;
	}
	for (int i = 0; i < fmt.n; i++) {
		const struct fmt_piece *p = &fmt.p[i];
		bool lenok = !strcmp(p->length, "") || !strcmp(p->length, "l") || !strcmp(p->length, "ll");
		bool ok = p->conv == FC_LIT ||
			  ((p->conv == FC_INT || p->conv == FC_UINT || p->conv == FC_HEX) && lenok) ||
			  ((p->conv == FC_PTR || p->conv == FC_STR) && !*p->length);
		if (!ok) {
			err(s, &n->args->loc, "bpf_trace_printk takes %d %u %x (with l or ll), %p and %s",
			    "debugf: Unknown format string token: %%%s%c", p->length,
			    "?duoxXcspr"[p->conv <= FC_BUF ? p->conv : 0]);
			return;
		}
	}
}

/* the format and argument checks of printf, system, cat and debugf */
static bool printf_check(struct sema *s, struct node *n, struct fmt *out)
{
	struct node *f = n->args;
	const char *fn = n->name;
	if (!f || f->kind != N_STR) {
		err(s, f ? &f->loc : &n->loc,
		    n->func == F_SYSTEM ? "write the command as a string literal: system(\"ls /proc/%d\", pid)" :
		    n->func == F_CAT ? "write the path as a string literal: cat(\"/proc/%d/status\", pid)" :
		    "write the format as a string literal: printf(\"%d\\n\", pid)",
		    "%s() expects a string literal (%s provided)", fn, f && f->ty ? kind_word(f->ty) : "none");
		return false;
	}
	if (n->func == F_SYSTEM && !s->o->unsafe) {
		err(s, &n->loc, "run minibt with --unsafe to allow it",
		    "system() is an unsafe function being used in safe mode");
		return false;
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
		    "%s: %s", fn, ebuf);
		return false;
	}
	int nargs = n->nargs - 1;
	if (nargs < fmt.nargs) {
		err(s, &n->loc, "add an argument for each % conversion",
		    "%s: Not enough arguments for format string (%d supplied, %d expected)", fn, nargs, fmt.nargs);
		return false;
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
		    "%s: Too many arguments for format string (%d supplied, %d expected)", fn, nargs, fmt.nargs);
		return false;
	}
	bool ok = true;
	struct node *a = f->next;
	for (int i = 0; i < fmt.n && a; i++) {
		if (fmt.p[i].conv == FC_LIT)
			continue;
		if (a->ty && a->ty->kind != TY_NONE && !fmt_arg_ok(fmt.p[i].conv, a->ty)) {
			ok = false;
			err(s, &a->loc, fmt.p[i].conv == FC_STR && is_intlike(a->ty) ?
			    "print integers with %d; read a string from a kernel pointer with str(ptr)" :
			    fmt.p[i].conv != FC_STR && a->ty->kind == TY_STR ? "print strings with %s" : NULL,
			    "%s: %%%s specifier expects a value of type %s (%s supplied)", fn,
			    fmt.p[i].conv == FC_INT ? "d" : fmt.p[i].conv == FC_UINT ? "u" : fmt.p[i].conv == FC_HEX ? "x" :
			    fmt.p[i].conv == FC_HEXU ? "X" : fmt.p[i].conv == FC_OCT ? "o" : fmt.p[i].conv == FC_CHAR ? "c" :
			    fmt.p[i].conv == FC_PTR ? "p" : fmt.p[i].conv == FC_BUF ? "r" : "s",
			    conv_expect(fmt.p[i].conv), kind_word(a->ty));
		}
		a = a->next;
	}
	*out = fmt;
	return ok;
}

/* count(), sum(), ..., lhist(): the map value kind comes from sema_funcs */
static void call_agg(struct sema *s, struct node *n)
{
	enum ty_kind k = sema_funcs[n->func].agg;
	struct node *a = n->args;
	bool sign = true;
	if (a) {
		check_int_arg(s, n, a);
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
		err(s, &a->loc, "assign to the map somewhere in the script", "Undefined map: %s", sema_map_disp(s, m));
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
		err(s, &a->loc, "print it with print(@m)", "printmap() cannot print %s of type %s", sema_map_disp(s, m),
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
		    fmt.nargs == 1 ? "" : "s", sema_map_disp(s, m), nt - 1, nt == 2 ? "" : "s");
		return;
	}
	for (int i = 0, k = 0; i < fmt.n; i++) {
		if (fmt.p[i].conv == FC_LIT)
			continue;
		if (!fmt_arg_ok(fmt.p[i].conv, ts[k]))
			err(s, &f->loc, NULL, "printmap: conversion %d expects a value of type %s (%s %s is %s)", k + 1,
			    conv_expect(fmt.p[i].conv), sema_map_disp(s, m), k == nt - 1 ? "value" : "key field", tn(s, ts[k]));
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

/* ------------------------------------------------ folds: sizeof and kaddr */

static void fold_to_int(struct node *n, uint64_t v)
{
	n->kind = N_INT;
	n->ival = (int64_t)v;
	n->uns = true;
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
			t = sema_resolve_ctype(s, n->cast);
		} else {
			sema_expr(s, n->args);
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
	if (!strcmp(n->name, "offsetof")) {
		const struct type *t;
		n->ty = ty_int(8, false);
		if (n->cast) {
			t = sema_resolve_ctype(s, n->cast);
		} else {
			sema_expr(s, n->args);
			t = n->args->ty;
		}
		if (!t || t->kind == TY_NONE)
			return true;
		uint64_t off = 0;
		char *path = arena_strdup(s->a, n->str), *save = NULL;
		for (char *f = strtok_r(path, ".", &save); f; f = strtok_r(NULL, ".", &save)) {
			uint32_t o = 0;
			const struct type *m = t->kind == TY_RECORD ? btfc_member(s->btf, t, f, &o) : NULL;
			if (!m) {
				if (t->kind != TY_RECORD)
					err(s, &n->name_loc, "offsetof() takes a struct or union (not a pointer to one)",
					    "offsetof(): '%s' is not a struct or union", tn(s, t));
				else
					err(s, &n->name_loc, NULL, "Struct/union of type '%s' does not contain a field named '%s'",
					    tn(s, t), f);
				return true;
			}
			off += o;
			t = m;
		}
		fold_to_int(n, off);
		return true;
	}
	if (!strcmp(n->name, "kaddr")) {
		struct node *a = n->args;
		n->ty = ty_none();
		if (n->nargs != 1) {
			err(s, &n->loc, NULL, "kaddr() requires 1 argument (%d provided)", n->nargs);
			return true;
		}
		const char *sym = a->kind == N_STR ? a->str : NULL;
		if (a->kind == N_CALL && !strcmp(a->name, "str") && a->nargs == 1 && a->args->kind == N_POSPARAM) {
			sema_posparam(s, a->args, true); /* kaddr(str($1)): the parameter's text, known now */
			sym = a->args->str;
		}
		if (!sym) {
			sema_expr(s, a);
			err(s, &n->loc, "name the symbol: kaddr(\"avenrun\")",
			    "kaddr() expects a string literal (%s provided)", kind_word(a->ty));
			return true;
		}
		uint64_t addr;
		if (!kernel_kaddr(s->o->kernel, sym, &addr)) {
			err(s, &a->loc, "the symbol must be listed in /proc/kallsyms, with addresses visible to root",
			    "Failed to resolve kernel symbol: %s", sym);
			n->ty = ty_int(8, false);
			return true;
		}
		fold_to_int(n, addr);
		return true;
	}
	if (!strcmp(n->name, "cgroupid")) {
		struct node *a = n->args;
		n->ty = ty_none();
		if (n->nargs != 1) {
			err(s, &n->loc, NULL, "cgroupid() requires 1 argument (%d provided)", n->nargs);
			return true;
		}
		if (a->kind != N_STR) {
			sema_expr(s, a);
			err(s, &a->loc, "name the cgroup's directory: cgroupid(\"/sys/fs/cgroup/system.slice\")",
			    "cgroupid() expects a string literal (%s provided)", kind_word(a->ty));
			return true;
		}
		uint64_t id;
		const char *why = kernel_cgroupid(a->str, &id);
		if (why) {
			err(s, &n->loc, "give the path of a cgroup v2 directory (under /sys/fs/cgroup)",
			    "Failed to get `cgroupid` for path: \"%s\": %s", a->str, why);
			n->ty = ty_int(8, false);
			return true;
		}
		fold_to_int(n, id);
		return true;
	}
	return false;
}

/* ------------------------------------------------- the other functions */

static void call_time(struct sema *s, struct node *n)
{
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
}

/*
** join(argv[, delim]): the strings of a NULL-terminated array of string
** pointers (the first JOIN_ARGS, JOIN_ARGSIZE - 1 bytes each), printed
** joined by delim (" ") and a newline, as bpftrace 0.17
*/
static void call_join(struct sema *s, struct node *n)
{
	struct node *a = n->args, *d = a->next;
	if (!is_intlike(a->ty) && a->ty->kind != TY_NONE) {
		err(s, &a->loc, "pass an array of string pointers, e.g. join(args->argv)",
		    "join() only supports int or pointer arguments (%s provided)", kind_word(a->ty));
		return;
	}
	if (d && d->kind != N_STR) {
		err(s, &d->loc, "write the delimiter as a string literal: join(args->argv, \",\")",
		    "join() expects a string literal (%s provided)", kind_word(d->ty));
		return;
	}
	struct event *e = new_event(s, EV_JOIN, &n->loc);
	if (e) {
		e->fmtstr = d ? d->str : " ";
		e->size = JOIN_ARGS * JOIN_ARGSIZE;
		n->event = e->id;
	}
}

/* reg("name"): a register of the probe's pt_regs; n->ival its offset */
static void call_reg(struct sema *s, struct node *n)
{
	/* struct pt_regs on x86-64, in order, 8 bytes each */
	static const char *const regs[] = {
		"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx",
		"dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss",
	};
	struct node *a = n->args;
	enum probe_type pt = s->probe->aps[0].type;
	n->ty = ty_int(8, false);
	if (!probe_kinds[pt].regs) {
		err(s, &n->loc, "registers are there in kprobe, kretprobe, profile and interval probes",
		    "reg can not be used with \"%s\" probes", probe_type_names[pt]);
		return;
	}
	if (a->kind != N_STR) {
		err(s, &a->loc, "name the register: reg(\"ip\")", "reg() expects a string literal (%s provided)",
		    kind_word(a->ty));
		return;
	}
	for (size_t i = 0; i < sizeof(regs) / sizeof(*regs); i++)
		if (!strcmp(a->str, regs[i])) {
			n->ival = (int64_t)(8 * i);
			return;
		}
	err(s, &n->loc, "x86-64 registers: ip sp bp ax bx cx dx si di r8..r15 flags orig_ax cs ss",
	    "'%s' is not a valid register on this architecture (x86_64)", a->str);
}

/* kptr(p) / uptr(p): p, read through as kernel or user memory */
static void call_addrspace(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	if (!is_intlike(a->ty)) {
		if (a->ty->kind != TY_NONE)
			err(s, &a->loc, NULL, "%s() only supports integer or pointer arguments (%s provided)", n->name,
			    kind_word(a->ty));
		n->ty = ty_int(8, false);
		return;
	}
	bool user = n->func == F_UPTR;
	if (a->ty->user == user) {
		n->ty = a->ty;
		return;
	}
	struct type *t = arena_alloc(s->a, sizeof(*t));
	*t = *a->ty;
	t->user = user;
	n->ty = t;
}

/* signal(sig) (--unsafe): bpf_send_signal to the current task; sig a
 * name ("KILL", "SIGKILL") or a number 1..64 */
/*
** override(rc) (--unsafe, kprobes): the probed function returns rc
** without running, through bpf_override_return, which needs a kernel
** with CONFIG_BPF_KPROBE_OVERRIDE and a function on its error-injection
** list (runtime/session.c says so when the kernel refuses)
*/
static void call_override(struct sema *s, struct node *n)
{
	if (!s->o->unsafe) {
		err(s, &n->loc, "run minibt with --unsafe to allow it",
		    "override() is an unsafe function being used in safe mode");
		return;
	}
	if (s->probe->aps[0].type != PROBE_KPROBE) {
		err(s, &n->loc, "override the return value from kprobe:FUNCTION",
		    "override can only be used with kprobes.");
		return;
	}
	check_int_arg(s, n, n->args);
}

static void call_signal(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	if (!s->o->unsafe) {
		err(s, &n->loc, "run minibt with --unsafe to allow it",
		    "signal() is an unsafe function being used in safe mode");
		return;
	}
	if (probe_kinds[s->probe->aps[0].type].special) {
		err(s, &n->loc, "signal the traced task from a kprobe or tracepoint",
		    "signal can not be used with \"%s\" probes", probe_type_names[s->probe->aps[0].type]);
		return;
	}
	if (a->kind == N_STR) {
		const char *nm = strncmp(a->str, "SIG", 3) ? a->str : a->str + 3;
		for (int sig = 1; sig < 32; sig++) {
			const char *ab = sigabbrev_np(sig);
			if (ab && !strcmp(ab, nm)) {
				n->ival = sig;
				return;
			}
		}
		err(s, &n->loc, "signals: KILL TERM INT HUP USR1 STOP CONT ... (with or without SIG)",
		    "%s is not a valid signal", a->str);
		return;
	}
	if (!is_int(a->ty)) {
		err(s, &n->loc, NULL, "signal only accepts string literals or integers");
		return;
	}
	if (a->is_const && (a->cval < 1 || a->cval > 64))
		err(s, &n->loc, NULL, "%lld is not a valid signal, allowed range: [1,64]", (long long)a->cval);
	n->ival = 0; /* from the value */
}

/* macaddr(p): the 6 bytes at p (or of a u8[6] array), as XX:XX:XX:XX:XX:XX */
static void call_macaddr(struct sema *s, struct node *n)
{
	const struct type *t = n->args->ty;
	n->ty = ty_simple(TY_MACADDR);
	if (t->kind == TY_NONE || is_intlike(t))
		return;
	if (n->args->kind == N_STR)
		err(s, &n->loc, "pass a pointer to the address or a u8[6] array, e.g. macaddr(eth->h_source)",
		    "macaddr() does not support literal string arguments");
	else if (t->kind != TY_ARRAY && t->kind != TY_STR && t->kind != TY_BUF)
		err(s, &n->args->loc, "pass a pointer to the address or a u8[6] array, e.g. macaddr(eth->h_source)",
		    "macaddr() only supports array or pointer arguments (%s provided)", kind_word(t));
	else if (t->size != 6)
		err(s, &n->loc, NULL, "macaddr() argument must be 6 bytes in size");
}

/* pton("addr"): an IPv4 or IPv6 address literal as its 4 or 16 bytes
 * (int8[4] / int8[16], network order), folded here; n->str holds them */
static void call_pton(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	unsigned char b[16];
	n->ty = ty_none();
	if (a->kind != N_STR) {
		err(s, &a->loc, "write the address as a string literal: pton(\"127.0.0.1\")",
		    "pton() expects a string literal (%s provided)", kind_word(a->ty));
		return;
	}
	bool v6 = strchr(a->str, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, a->str, b) != 1) {
		err(s, &n->loc, "an IPv4 address such as 127.0.0.1 or an IPv6 address such as ::1",
		    "pton() expects a valid IPv4/IPv6 address, got %s", a->str);
		return;
	}
	n->slen = v6 ? 16 : 4;
	n->str = arena_alloc(s->a, n->slen);
	memcpy(n->str, b, n->slen);
	n->ty = ty_array(s->a, ty_int(1, true), (uint32_t)n->slen);
}

/*
** buf(p[, n]): n bytes at p (or of an array value), at most BUF_MAX as
** bpftrace 0.17 (BPFTRACE_STRLEN, 64), printed with %r; n a literal or
** a value (then BUF_MAX bytes are kept and byte 0 holds min(n, BUF_MAX))
*/
#define BUF_MAX 64
static void call_buf(struct sema *s, struct node *n)
{
	struct node *a = n->args, *l = a->next;
	const struct type *t = a->ty;
	bool arr = t->kind == TY_ARRAY || t->kind == TY_STR || t->kind == TY_BUF;
	int64_t size;
	n->ty = ty_none();
	if (t->kind == TY_NONE)
		return;
	if (!arr && !is_intlike(t)) {
		err(s, &a->loc, NULL, "buf() only supports array or pointer arguments (%s provided)", kind_word(t));
		return;
	}
	if (!l) {
		if (!(t->kind == TY_ARRAY || t->kind == TY_BUF)) {
			err(s, &n->loc, "say how many bytes: buf(p, 16)",
			    "buf() expects a length argument for non-array type %s", kind_word(t));
			return;
		}
		size = t->size;
	} else if (l->is_const) {
		if (l->cval < 0) {
			err(s, &n->loc, NULL, "buf cannot use negative length (%lld)", (long long)l->cval);
			return;
		}
		size = l->cval;
	} else if (!is_int(l->ty)) {
		if (l->ty->kind != TY_NONE)
			err(s, &l->loc, NULL, "buf() expects an integer length (%s provided)", kind_word(l->ty));
		return;
	} else {
		size = BUF_MAX;
	}
	if (size > BUF_MAX) {
		if (!l || l->is_const)
			warn(s, &n->loc, NULL, "buf() length is too long and will be shortened to %d bytes (see BPFTRACE_STRLEN)",
			     BUF_MAX);
		size = BUF_MAX;
	}
	struct type *b = arena_alloc(s->a, sizeof(*b));
	*b = (struct type){ .kind = TY_BUF, .size = (uint32_t)size + 1, .align = 1, .blen = true, .name = "buffer" };
	n->ty = b;
}

/* strftime(fmt, nsecs): a boot-time timestamp printed (%s) through
 * strftime(3), %f being the microseconds, as bpftrace 0.17 */
static void call_strftime(struct sema *s, struct node *n)
{
	struct node *f = n->args, *v = f->next;
	n->ty = ty_none();
	if (f->kind != N_STR) {
		err(s, &f->loc, "write the format as a string literal: strftime(\"%H:%M:%S\", nsecs)",
		    "strftime() expects a string literal (%s provided)", kind_word(f->ty));
		return;
	}
	if (!is_int(v->ty)) {
		if (v->ty->kind != TY_NONE)
			err(s, &v->loc, "pass a time in nanoseconds since boot: nsecs",
			    "strftime() only supports integer arguments (%s provided)", kind_word(v->ty));
		return;
	}
	struct type *t = arena_alloc(s->a, sizeof(*t));
	*t = (struct type){ .kind = TY_TIMESTAMP, .size = 8, .align = 8, .name = f->str };
	n->ty = t;
}

static void call_exit(struct sema *s, struct node *n)
{
	struct event *e = new_event(s, EV_EXIT, &n->loc);
	if (e)
		n->event = e->id;
}

static bool has_posparam(const struct node *n)
{
	if (!n)
		return false;
	if (n->kind == N_POSPARAM && n->ival >= 1)
		return true;
	return n->kind == N_BINOP && (has_posparam(n->lhs) || has_posparam(n->rhs));
}

/*
** str($N + K), str(K + $N): the parameter's text from its K-th byte on,
** 0 <= K <= its length, K an integer literal, as bpftrace 0.17 (the
** parameter is "a pointer to the given string literal"). The binop
** becomes that text, a string parameter node. False if no parameter is
** in it: an ordinary expression.
*/
static bool posparam_offset(struct sema *s, struct node *a)
{
	if (!has_posparam(a))
		return false;
	struct node *p = a->lhs->kind == N_POSPARAM && a->lhs->ival >= 1 ? a->lhs :
			 a->rhs->kind == N_POSPARAM && a->rhs->ival >= 1 ? a->rhs : NULL;
	if (!p) {
		err(s, &a->loc, "write str($N + K) with K an integer literal",
		    "str() only accepts positional parameters directly or with a single constant offset added");
		a->ty = ty_simple(TY_NONE);
		return true;
	}
	struct node *k = p == a->lhs ? a->rhs : a->lhs;
	const char *v = s->o && p->ival <= s->o->npos ? s->o->pos[p->ival - 1] : "";
	size_t len = strlen(v);
	if (a->op != OP_ADD || k->kind != N_INT || k->ival < 0 || (uint64_t)k->ival > len) {
		err(s, &a->loc, arena_printf(s->a, "K in str($%lld + K) is an integer literal from 0 to %zu",
					       (long long)p->ival, len),
		    "only addition of a single constant less or equal to the length of $%lld (which is %zu) is allowed inside str()",
		    (long long)p->ival, len);
		a->ty = ty_simple(TY_NONE);
		return true;
	}
	long long n = p->ival;
	uint32_t off = (uint32_t)k->ival;
	a->kind = N_POSPARAM; /* its loc and place in the argument list kept */
	a->lhs = a->rhs = NULL;
	a->ival = n;
	a->field_off = off;
	sema_posparam(s, a, true);
	return true;
}

static void call_str(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	if (a->ty && a->ty->kind != TY_PTR && a->ty->kind != TY_INT && a->ty->kind != TY_STR &&
	    a->ty->kind != TY_NONE)
		err(s, &a->loc, NULL, "str() expects an integer or a pointer type as first argument (%s provided)",
		    tn(s, a->ty));
	else if (a->ty && a->ty->kind == TY_STR && !(a->kind == N_FIELD || a->kind == N_POSPARAM))
		err(s, &a->loc, "it is a string already: use it directly",
		    "str() expects an integer or a pointer type as first argument (%s provided)", tn(s, a->ty));
	int64_t len = s->o->strlen ? s->o->strlen : STRLEN_DEFAULT;
	if (n->nargs == 2) {
		struct node *l = a->next;
		if (l->is_const) {
			len = l->cval + 1;
			if (l->cval < 0 || len > 200) {
				err(s, &l->loc, "str()'s length is at most 199 bytes", "str(): invalid length %lld",
				    (long long)l->cval);
				len = s->o->strlen ? s->o->strlen : STRLEN_DEFAULT;
			}
		} else {
			check_int_arg(s, n, l);
		}
	}
	if (a->ty && a->ty->kind == TY_STR && (uint32_t)len > a->ty->size)
		len = a->ty->size;
	n->ty = ty_str(s->a, (uint32_t)len);
}

static void call_ntop(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	if (n->nargs == 2) {
		check_int_arg(s, n, a);
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
}

/*
** strncmp(s1, s2, n): 0 when the first n characters match (or both
** strings end, equal, before them), else 1, as bpftrace 0.17; n is an
** integer literal
*/
static void call_strncmp(struct sema *s, struct node *n)
{
	struct node *a = n->args, *b = a->next, *l = b->next;
	n->ty = ty_int(8, false);
	for (struct node *x = a; x != l; x = x->next)
		if (x->ty->kind != TY_STR && x->ty->kind != TY_NONE) {
			err(s, &x->loc, is_intlike(x->ty) ? "read a string from a pointer with str(ptr)" : NULL,
			    "strncmp() only supports string arguments (%s provided)", kind_word(x->ty));
			return;
		}
	if ((l->kind != N_INT && l->kind != N_POSPARAM) || !l->is_const) /* 4 or $1 */
		err(s, &l->loc, "write the length as a number: strncmp(comm, \"bash\", 4)",
		    "strncmp() expects a integer literal (%s provided)", kind_word(l->ty));
	else if (l->cval < 0)
		err(s, &l->loc, NULL, "strncmp(): the length must not be negative (%lld)", (long long)l->cval);
}

static void call_bswap(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	if (!is_int(a->ty)) {
		if (a->ty->kind != TY_NONE)
			err(s, &a->loc, NULL, "bswap() only supports integer arguments (%s provided)", tn(s, a->ty));
		n->ty = ty_int(8, false);
	} else {
		n->ty = ty_int((int)a->ty->size, false);
	}
}

/* kstack([mode][, frames]): mode is a bare word, frames a constant */
static void call_kstack(struct sema *s, struct node *n)
{
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
				err(s, &a->loc, "modes: bpftrace, perf, raw", "%s(): invalid mode '%s'", n->name, a->name);
		} else if (const_arg(s, n, a, "the number of frames", &frames)) {
			if (frames < 1 || frames > MAX_STACK_FRAMES) {
				err(s, &a->loc, NULL, "%s(): number of frames must be between 1 and %d (%lld given)",
				    n->name, MAX_STACK_FRAMES, (long long)frames);
				frames = MAX_STACK_FRAMES;
			}
		}
	}
	n->ty = ty_kstack(s->a, (int)frames, m, n->func == F_USTACK);
	if (s->p->need_stackmap < MAX_STACK_FRAMES)
		s->p->need_stackmap = MAX_STACK_FRAMES;
}

/*
** path(p): the full path of a struct path (a member, path(args->file->
** f_path), or a pointer to one) through bpf_d_path, which the kernel
** allows in kfunc/kretfunc probes of some functions and in iterators
*/
static void call_path(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	n->ty = ty_str(s->a, s->o->strlen ? s->o->strlen : STRLEN_DEFAULT);
	if (a->ty->kind != TY_RECORD && a->ty->kind != TY_PTR && a->ty->kind != TY_NONE)
		err(s, &a->loc, "pass a struct path or a pointer to one, e.g. path(args->file->f_path)",
		    "path() only supports pointer or record argument (%s provided)", kind_word(a->ty));
	enum probe_type pt = s->probe->aps[0].type;
	if (probe_kinds[pt].expand != EXPAND_BTF_FUNCS && !probe_kinds[pt].iter)
		err(s, &n->loc, "bpf_d_path works on BTF-typed pointers: trace the function with kfunc:FUNC",
		    "The path function can only be used with 'kfunc', 'kretfunc', 'iter' probes");
}

/*
** skboutput("file", skb, len, offset): len bytes of a struct sk_buff's
** data (bpf_skb_output, for kfunc/kretfunc programs and their BTF skb
** pointers) into the pcap file, from byte offset on (14 skips an
** Ethernet header); its value, the helper's result
*/
static void call_skboutput(struct sema *s, struct node *n)
{
	struct node *f = n->args, *skb = f->next, *len = skb->next, *off = len->next;
	n->ty = ty_int(4, false);
	if (f->kind != N_STR)
		err(s, &f->loc, "write the file name as a string literal: skboutput(\"/tmp/out.pcap\", ...)",
		    "skboutput() expects a string literal (%s provided)", kind_word(f->ty));
	if (skb->ty->kind != TY_PTR && skb->ty->kind != TY_NONE)
		err(s, &skb->loc, "pass the sk_buff pointer, e.g. args->skb",
		    "skboutput() only supports pointer arguments (%s provided)", kind_word(skb->ty));
	check_int_arg(s, n, len);
	int64_t o = 0;
	if (!const_arg(s, n, off, "the offset", &o) || o < 0)
		return;
	enum probe_type pt = s->probe->aps[0].type;
	if (probe_kinds[pt].expand != EXPAND_BTF_FUNCS)
		err(s, &n->loc, "bpf_skb_output takes the BTF-typed sk_buff of a kfunc/kretfunc probe: kfunc:FUNC { ... args->skb ... }",
		    "skboutput() can only be used with 'kfunc' and 'kretfunc' probes");
	struct event *e = new_event(s, EV_SKBOUTPUT, &n->loc);
	if (e && f->kind == N_STR) {
		e->fmtstr = arena_strndup(s->a, f->str, f->slen);
		e->top = o;
		n->event = e->id;
	}
}

/* usym(addr): the user symbol at addr in the current process */
static void call_usym(struct sema *s, struct node *n)
{
	check_int_arg(s, n, n->args);
	n->ty = ty_simple(TY_USYM);
}

/*
** uaddr("symbol"): the address of a symbol of the probe's binary, found
** when compiling, as a pointer to an integer of the symbol's size (u8..
** u64, else u64), for reading through. A position-independent binary
** (PIE, a library) runs where ASLR puts it, so its symbols have no
** address to compile in: refused (bpftrace 0.17 compiles the file's and
** reads the wrong memory).
*/
static void call_uaddr(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	n->ty = ty_ptr(s->a, ty_int(8, false));
	enum probe_type pt = s->probe->aps[0].type;
	if (a->kind != N_STR) {
		err(s, &a->loc, "write the symbol's name: uaddr(\"ps1_prompt\")",
		    "uaddr() expects a string literal (%s provided)", kind_word(a->ty));
		return;
	}
	if (!probe_kinds[pt].user) {
		err(s, &n->loc, "uaddr() finds a symbol of the probed binary: use it in uprobe or uretprobe probes",
		    "uaddr can only be used with uprobe/uretprobe/usdt probes");
		return;
	}
	uint64_t addr = 0, size = 0;
	for (int i = 0; i < s->probe->naps; i++) {
		const struct attach_point *ap = &s->probe->aps[i];
		char *path = uelf_resolve(ap->target, 0);
		uint64_t ad, sz;
		bool pie = false;
		bool ok = path && uelf_sym_addr(path, a->str, &ad, &sz, &pie);
		free(path);
		if (!ok) {
			err(s, &n->loc, NULL, "Could not resolve symbol: %s:%s", ap->target, a->str);
			return;
		}
		if (pie) {
			err(s, &n->loc, "read the variable through a pointer the program has (an argument, a return value)",
			    "uaddr(\"%s\"): %s is position-independent (PIE or a library): its symbols have no fixed address",
			    a->str, ap->target);
			return;
		}
		if (i && (ad != addr || sz != size)) {
			err(s, &n->loc, NULL, "uaddr(\"%s\"): the probe's binaries have it at different addresses", a->str);
			return;
		}
		addr = ad;
		size = sz;
	}
	n->ty = ty_user(s->a, ty_ptr(s->a, ty_int(size == 1 || size == 2 || size == 4 ? (int)size : 8, false)));
	set_const(n, (int64_t)addr);
}

static void call_ksym(struct sema *s, struct node *n)
{
	check_int_arg(s, n, n->args);
	n->ty = ty_simple(TY_KSYM);
}

/* strerror(errno): the number, printed as strerror(3)'s text */
static void call_strerror(struct sema *s, struct node *n)
{
	check_int_arg(s, n, n->args);
	n->ty = ty_simple(TY_STRERROR);
}

/* strcontains(haystack, needle): 1 if needle occurs in haystack */
static void call_strcontains(struct sema *s, struct node *n)
{
	n->ty = ty_int(8, false);
	for (struct node *x = n->args; x; x = x->next)
		if (x->ty->kind != TY_STR && x->ty->kind != TY_NONE) {
			err(s, &x->loc, is_intlike(x->ty) ? "read a string from a pointer with str(ptr)" : NULL,
			    "strcontains() only supports string arguments (%s provided)", kind_word(x->ty));
			return;
		}
}

/* cgroup_path(id[, "filter"]): the cgroup's path in each mounted
 * hierarchy whose name matches the glob (the type's name) */
static void call_cgroup_path(struct sema *s, struct node *n)
{
	struct node *f = n->args->next;
	struct type *t = arena_alloc(s->a, sizeof(*t));
	*t = *ty_simple(TY_CGROUP_PATH);
	t->name = "*";
	n->ty = t;
	check_int_arg(s, n, n->args);
	if (!f)
		return;
	if (f->kind != N_STR)
		err(s, &f->loc, "name the hierarchies with a glob literal, e.g. cgroup_path(cgroup, \"unified\")",
		    "cgroup_path() expects a string literal (%s provided)", kind_word(f->ty));
	else
		t->name = arena_strndup(s->a, f->str, f->slen);
}

static void call_delete(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	need_map_arg(s, n, a);
	if (a->kind == N_MAP && a->map) {
		struct mapinfo *m = a->map;
		if (m->key && !a->args)
			err(s, &a->loc, "delete one element: delete(@m[key]); all of them: clear(@m)",
			    "delete() expects a map element, %s has keys", sema_map_disp(s, m));
		else
			sema_set_key_type(s, a); /* checked as for a read */
	}
}

/* clear(@m), zero(@m), print(@m[, top[, div]]): an event on the whole map */
static void map_event(struct sema *s, struct node *n, enum event_kind k)
{
	struct node *a = n->args;
	need_map_arg(s, n, a);
	if (a->kind == N_MAP && a->args)
		err(s, &a->loc, arena_printf(s->a, "pass the whole map: %s(@m)", n->name),
		    "%s() expects a map without a key", n->name);
	struct event *e = new_event(s, k, &n->loc);
	if (e && a->kind == N_MAP && a->map) {
		e->map = a->map->id;
		if (k == EV_PRINT && n->nargs > 1) {
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
		    sema_map_disp(s, a->map));
}

static void call_clear(struct sema *s, struct node *n) { map_event(s, n, EV_CLEAR); }
static void call_zero(struct sema *s, struct node *n) { map_event(s, n, EV_ZERO); }

/* print(@m, ...) prints a map, print(value) one value */
static void call_print(struct sema *s, struct node *n)
{
	struct node *a = n->args;
	if (a->kind == N_MAP) {
		map_event(s, n, EV_PRINT);
		return;
	}
	if (n->nargs > 1)
		err(s, &n->loc, NULL, "print() with a value takes one argument");
	if (a->ty && a->ty->kind == TY_PTR) {
		err(s, &a->loc, "print what it points to: print(*p), or a field: print(p->field)",
		    "%s type passed to print() is not printable", tn(s, a->ty));
		return;
	}
	struct event *e = new_event(s, EV_PRINTV, &n->loc);
	if (e) {
		event_args(s, e, a);
		if (a->ty->kind == TY_ARRAY)
			e->argty[0] = a->ty; /* [1,2,3,4], not the bytes printf's %r prints */
		n->event = e->id;
	}
}

const struct sema_func sema_funcs[FUNC__COUNT] = {
	[F_PRINTF] = { .check = call_printf },
	[F_STRNCMP] = { .check = call_strncmp },
	[F_SYSTEM] = { .check = call_printf },
	[F_CAT] = { .check = call_printf },
	[F_JOIN] = { .check = call_join },
	[F_REG] = { .check = call_reg },
	[F_KPTR] = { .check = call_addrspace },
	[F_UPTR] = { .check = call_addrspace },
	[F_SIGNAL] = { .check = call_signal },
	[F_OVERRIDE] = { .check = call_override },
	[F_MACADDR] = { .check = call_macaddr },
	[F_STRFTIME] = { .check = call_strftime },
	[F_PTON] = { .check = call_pton },
	[F_BUF] = { .check = call_buf },
	[F_TIME] = { .check = call_time },
	[F_EXIT] = { .check = call_exit },
	[F_STR] = { .check = call_str },
	[F_NTOP] = { .check = call_ntop },
	[F_BSWAP] = { .check = call_bswap },
	[F_KSTACK] = { .check = call_kstack, .mode_args = true },
	[F_KSYM] = { .check = call_ksym },
	[F_COUNT] = { .check = call_agg, .agg = TY_COUNT },
	[F_SUM] = { .check = call_agg, .agg = TY_SUM },
	[F_MIN] = { .check = call_agg, .agg = TY_MIN },
	[F_MAX] = { .check = call_agg, .agg = TY_MAX },
	[F_AVG] = { .check = call_agg, .agg = TY_AVG },
	[F_STATS] = { .check = call_agg, .agg = TY_STATS },
	[F_HIST] = { .check = call_agg, .agg = TY_HIST },
	[F_LHIST] = { .check = call_agg, .agg = TY_LHIST },
	[F_DELETE] = { .check = call_delete, .map_arg = true },
	[F_CLEAR] = { .check = call_clear, .map_arg = true },
	[F_ZERO] = { .check = call_zero, .map_arg = true },
	[F_PRINT] = { .check = call_print, .map_arg = true },
	[F_GETOPT] = { .check = call_getopt },
	[F_PRINTMAP] = { .check = call_printmap, .map_arg = true },
	[F_STRERROR] = { .check = call_strerror },
	[F_STRCONTAINS] = { .check = call_strcontains },
	[F_CGROUP_PATH] = { .check = call_cgroup_path },
	[F_DEBUGF] = { .check = call_debugf },
	[F_USTACK] = { .check = call_kstack, .mode_args = true },
	[F_USYM] = { .check = call_usym },
	[F_PATH] = { .check = call_path },
	[F_SKBOUTPUT] = { .check = call_skboutput },
	[F_UADDR] = { .check = call_uaddr },
};

/* ------------------------------------------------------------------ calls */

/* a name that is no function: bpftrace 0.17's that minibt lacks say so,
 * others get a suggestion; the arguments are typed for their own errors */
static void call_unknown(struct sema *s, struct node *n)
{
	static const char *const unsupported[] = {
		"unwatch", "len", "has_key",
	};
	n->ty = ty_none();
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
		if (!strcmp(n->name, unsupported[i])) {
			err(s, &n->loc, NULL, "not supported by minibt: %s()", n->name);
			for (struct node *a = n->args; a; a = a->next)
				sema_expr(s, a);
			return;
		}
	err(s, &n->name_loc, did_you_mean(s, n->name, func_names, FUNC__COUNT), "Unknown function: %s", n->name);
	for (struct node *a = n->args; a; a = a->next)
		if (a->kind != N_MAP)
			sema_expr(s, a);
}

/* the number of arguments (funcs.def), in bpftrace 0.17's words; when
 * wrong, the values among them are typed and false is returned */
static bool call_arity(struct sema *s, struct node *n)
{
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
	enum func_id f = n->func;
	if (n->nargs >= minargs[f] && n->nargs <= maxargs[f])
		return true;
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
			sema_expr(s, a);
	n->ty = ty_none();
	return false;
}

/*
** A call: folded to a constant (sizeof, kaddr), or looked up in
** funcs.def; its arguments are typed first (a map argument of print,
** clear, ... as the map, kstack's modes not at all), then its check in
** sema_funcs gives the call its type and event.
*/
void sema_call(struct sema *s, struct node *n, bool map_rhs)
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
		call_unknown(s, n);
		return;
	}
	if (!call_arity(s, n))
		return;
	const struct sema_func *fd = &sema_funcs[f];
	for (struct node *a = n->args; a; a = a->next) {
		if (fd->mode_args && a->kind == N_IDENT)
			continue;
		if (fd->map_arg && a == n->args && a->kind == N_MAP) {
			struct mapinfo *m = sema_map_get(s, a);
			a->map = m;
			a->ty = m->val;
			for (struct node *k = a->args; k; k = k->next)
				sema_expr(s, k);
			continue;
		}
		if (f == F_STR && a == n->args && a->kind == N_POSPARAM) {
			sema_posparam(s, a, true); /* str($1): the parameter's text */
			continue;
		}
		if (f == F_STR && a == n->args && a->kind == N_BINOP && posparam_offset(s, a))
			continue;
		sema_expr(s, a);
	}
	if (fd->agg != TY_NONE && !map_rhs)
		err(s, &n->loc, arena_printf(s->a, "write @name = %s(...)", n->name),
		    "%s() should be directly assigned to a map", n->name);
	fd->check(s, n);
}
