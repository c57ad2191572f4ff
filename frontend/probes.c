/*
** frontend/probes.c: the probe headers. Attach points are parsed
** ("kprobe:tcp_*", "interval:ms:10", "tracepoint:sock:inet_sock_set_state?"),
** checked against this kernel (tracefs, kallsyms via sema_opts), tracepoint
** probes that read args are split one per tracepoint, and probes this kernel
** lacks move to program->skipped. sema.c then types the bodies.
*/
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"

bool has_wildcard(const char *s)
{
	return s && strpbrk(s, "*?[") != NULL;
}

struct hdr {
	struct program *p;
	struct arena *a;
	struct diags *d;
	struct btf_ctx *btf;
	const struct sema_opts *o;
};

/* bpftrace providers minibt does not have, and what to use instead */
static const struct { const char *name, *hint; } UNSUPPORTED_PROVIDERS[] = {
#define KFUNC "use kprobe:%s: the arguments are arg0..argN, cast them: ((struct sock *)arg0)->..."
#define KRETFUNC "use kretprobe:%s and retval; keep arguments from a kprobe in a map keyed by tid"
#define USER "minibt traces the kernel only: BEGIN, END, kprobe, kretprobe, tracepoint, interval, profile"
	{ "kfunc", KFUNC }, { "fentry", KFUNC }, { "f", KFUNC },
	{ "kretfunc", KRETFUNC }, { "fexit", KRETFUNC }, { "fr", KRETFUNC },
	{ "rawtracepoint", "use tracepoint:CATEGORY:NAME (list them: minibt -l 'tracepoint:*')" },
	{ "software", "use profile:hz:N for CPU samples" }, { "s", "use profile:hz:N for CPU samples" },
	{ "hardware", "use profile:hz:N for CPU samples" }, { "h", "use profile:hz:N for CPU samples" },
	{ "uprobe", USER }, { "uretprobe", USER }, { "usdt", USER }, { "u", USER }, { "ur", USER },
	{ "U", USER }, { "watchpoint", USER }, { "asyncwatchpoint", USER }, { "w", USER },
	{ "iter", USER },
#undef KFUNC
#undef KRETFUNC
#undef USER
};

/* the location of one ':'-separated part of an attach point (for carets) */
static struct loc part_loc(const struct attach_point *ap, const char *raw, const char *part)
{
	struct loc l = ap->loc;
	if (l.line != l.end_line)
		return l;
	l.col += (int)(part - raw);
	l.end_col = l.col + (int)(strlen(part) ? strlen(part) : 1);
	return l;
}

static void parse_attach(struct hdr *s, struct attach_point *ap)
{
	if (ap->type != PROBE__COUNT)
		return;
	char *raw = arena_strdup(s->a, ap->raw);
	/* a trailing '?' makes the attach point optional (not a wildcard) */
	size_t rawlen = strlen(raw);
	if (rawlen > 1 && raw[rawlen - 1] == '?') {
		raw[rawlen - 1] = 0;
		ap->optional = true;
	}
	char *parts[4] = { 0 };
	int np = 0;
	for (char *p = raw; np < 4;) {
		parts[np++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	const char *prov = parts[0];
	enum probe_type type = PROBE__COUNT;
	for (int i = 0; i < PROBE__COUNT; i++) {
		static const char *const aliases[PROBE__COUNT] = {
#define PROBE(id, name, alias) [id] = alias,
#include "probes.def"
#undef PROBE
		};
		if (!strcmp(prov, probe_type_names[i]) || (aliases[i] && !strcmp(prov, aliases[i])))
			type = (enum probe_type)i;
	}
	if (type == PROBE__COUNT) {
		for (size_t i = 0; i < sizeof(UNSUPPORTED_PROVIDERS) / sizeof(*UNSUPPORTED_PROVIDERS); i++)
			if (!strcmp(prov, UNSUPPORTED_PROVIDERS[i].name)) {
				const char *rest = strchr(ap->raw, ':');
				const char *hint = UNSUPPORTED_PROVIDERS[i].hint;
				if (strstr(hint, "%s"))
					hint = arena_printf(s->a, hint, rest ? rest + 1 : "FUNC");
				diag_error(s->d, &ap->loc, hint, "not supported by minibt: %s probes", prov);
				ap->type = PROBE_BEGIN;
				ap->bad = true;
				return;
			}
		const char *sug = diag_suggest(prov, probe_type_names, PROBE__COUNT);
		char hint[128];
		if (sug)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sug);
		struct loc pl = part_loc(ap, raw, prov);
		diag_error(s->d, &pl, sug ? hint : "probe types: BEGIN, END, kprobe, kretprobe, tracepoint, interval, profile",
			   "Invalid probe type: %s", prov);
		ap->type = PROBE_BEGIN;
		ap->bad = true;
		return;
	}
	ap->type = type;
	if (ap->optional && type != PROBE_KPROBE && type != PROBE_KRETPROBE && type != PROBE_TRACEPOINT)
		diag_error(s->d, &ap->loc, "only kprobe, kretprobe and tracepoint attach points can be missing on a kernel",
			   "%s probes cannot be optional ('?')", prov);
	switch (type) {
	case PROBE_BEGIN:
	case PROBE_END:
		if (np != 1)
			diag_error(s->d, &ap->loc, arena_printf(s->a, "write just %s", prov),
				   "%s probe type requires 0 arguments", prov);
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		if (np == 3) {
			diag_error(s->d, &ap->loc, "write kprobe:FUNCTION; module BTF is looked up by function name",
				   "not supported by minibt: kprobe with a module name");
		} else if (np != 2 || !*parts[1]) {
			diag_error(s->d, &ap->loc, "write kprobe:FUNCTION, e.g. kprobe:do_nanosleep",
				   "%s probe type requires 1 argument", probe_type_names[type]);
		} else if (strchr(parts[1], '+')) {
			diag_error(s->d, &ap->loc, "attach to the function entry",
				   "not supported by minibt: kprobe offsets");
		}
		ap->func = np >= 2 ? parts[np - 1] : "";
		break;
	case PROBE_TRACEPOINT:
		if (np != 3 || !*parts[1] || !*parts[2]) {
			diag_error(s->d, &ap->loc, "write tracepoint:CATEGORY:NAME, e.g. tracepoint:sched:sched_switch",
				   "tracepoint probe type requires 2 arguments");
			ap->target = ap->func = "";
		} else {
			ap->target = parts[1];
			ap->func = parts[2];
		}
		break;
	case PROBE_INTERVAL:
	case PROBE_PROFILE: {
		const char *example = type == PROBE_INTERVAL ? "interval:s:1" : "profile:hz:99";
		char hint[96];
		snprintf(hint, sizeof(hint), "write %s:UNIT:N with UNIT one of s, ms, us, hz, e.g. %s", prov, example);
		if (np != 3) {
			diag_error(s->d, &ap->loc, hint, "%s needs a unit and a count", prov);
			ap->target = "s";
			ap->freq = 1;
			break;
		}
		ap->target = parts[1];
		uint64_t v = 0;
		const char *ihint;
		char ibuf[96];
		const char *ierr = lex_parse_int(parts[2], strlen(parts[2]), &v, &ihint, ibuf, sizeof(ibuf));
		if (strcmp(parts[1], "s") && strcmp(parts[1], "ms") && strcmp(parts[1], "us") && strcmp(parts[1], "hz"))
		{
			struct loc ul = part_loc(ap, raw, parts[1]);
			diag_error(s->d, &ul, hint, "%s is not an accepted unit of time", parts[1]);
		}
		else if (ierr || v == 0 || v > INT64_MAX)
		{
			struct loc cl = part_loc(ap, raw, parts[2]);
			diag_error(s->d, &cl, ierr && *parts[2] ? ihint : hint, "%s: invalid count '%s'", prov, parts[2]);
		}
		ap->freq = (int64_t)v;
		break;
	}
	case PROBE__COUNT:
		break;
	}
}


static bool uses_args(const struct node *n)
{
	for (; n; n = n->next) {
		if (n->kind == N_BUILTIN && n->builtin == B_ARGS)
			return true;
		if (uses_args(n->lhs) || uses_args(n->rhs) || uses_args(n->cond) || uses_args(n->then) ||
		    uses_args(n->els) || uses_args(n->args) || uses_args(n->stmts))
			return true;
	}
	return false;
}

/* the first field the probe reads from args that rec lacks, or NULL */
static const char *missing_args_field(struct hdr *s, const struct type *rec, const struct node *n)
{
	for (; n; n = n->next) {
		uint32_t off;
		if (n->kind == N_FIELD && n->lhs && n->lhs->kind == N_BUILTIN && n->lhs->builtin == B_ARGS &&
		    !btfc_member(s->btf, rec, n->name, &off))
			return n->name;
		const struct node *sub[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->stmts };
		for (size_t i = 0; i < sizeof(sub) / sizeof(*sub); i++) {
			const char *m = missing_args_field(s, rec, sub[i]);
			if (m)
				return m;
		}
	}
	return NULL;
}

/*
** Optional attach points (a trailing '?') this kernel lacks are dropped
** from the probe; true when none is left, the probe is then skipped
** whole (sema_check takes it out of the program).
*/
static bool drop_missing(struct hdr *s, struct probe *p)
{
	int k = 0;
	for (int i = 0; i < p->naps; i++) {
		struct attach_point *ap = &p->aps[i];
		if (ap->optional && ap->presence == PRESENCE_NO)
			ap->missing = ap->type == PROBE_TRACEPOINT ? "tracepoint not found"
				    : "function not found (not in this kernel, or inlined or notrace)";
	}
	for (int i = 0; i < p->naps; i++)
		if (!p->aps[i].missing)
			k++;
	if (k == 0)
		return true;
	if (k < p->naps) { /* present ones first; the rest stay for messages */
		struct attach_point tmp[64];
		int a = 0, b = k;
		for (int i = 0; i < p->naps; i++)
			tmp[p->aps[i].missing ? b++ : a++] = p->aps[i];
		memcpy(p->aps, tmp, sizeof(*tmp) * (size_t)p->naps);
		p->naps = k;
	}
	return false;
}

/* tracepoints matching cat:name (wildcards allowed) in tracefs, as
 * "cat:name" strings; -1 when there is no tracefs to look in */
static int list_tracepoints(struct hdr *s, const char *cat, const char *name, char ***out)
{
	const char *root = tracefs_root();
	if (root) {
		char *dir = arena_printf(s->a, "%s/events", root);
		glob_t g;
		int n = 0;
		if (glob(arena_printf(s->a, "%s/%s/%s/format", dir, cat, name), 0, NULL, &g) == 0) {
			*out = arena_alloc(s->a, sizeof(char *) * (g.gl_pathc + 1));
			size_t dl = strlen(dir) + 1;
			for (size_t i = 0; i < g.gl_pathc; i++) {
				char *tp = arena_strdup(s->a, g.gl_pathv[i] + dl);
				*strrchr(tp, '/') = 0; /* drop "/format" */
				*strchr(tp, '/') = ':';
				(*out)[n++] = tp;
			}
			globfree(&g);
		}
		return n;
	}
	return -1;
}

/*
** A tracepoint probe that reads args and names several tracepoints, or a
** wildcard, becomes one probe per tracepoint, as bpftrace 0.17 expands
** it: each copy of the body reads its own record layout (sys_enter_open
** and sys_enter_openat put filename at different offsets). Without
** tracefs to expand wildcards in, check_probe_header says it cannot.
*/
static void split_tracepoint_probes(struct hdr *s)
{
	struct program *p = s->p;
	struct probe **out = NULL;
	int n = 0, cap = 0;
	for (int i = 0; i < p->nprobes; i++) {
		struct probe *pr = p->probes[i];
		for (int k = 0; k < pr->naps; k++)
			parse_attach(s, &pr->aps[k]);
		bool split = pr->aps[0].type == PROBE_TRACEPOINT && (uses_args(pr->body) || uses_args(pr->pred));
		for (int k = 0; split && k < pr->naps; k++)
			split = pr->aps[k].type == PROBE_TRACEPOINT && *pr->aps[k].func;
		bool wild = false;
		for (int k = 0; k < pr->naps; k++)
			wild |= has_wildcard(pr->aps[k].target) || has_wildcard(pr->aps[k].func);
		if (!split || (pr->naps == 1 && !wild)) {
			arena_vec_push(s->a, (void ***)&out, &n, &cap, pr);
			continue;
		}
		/* the concrete attach points, in order, without duplicates */
		struct attach_point *aps = NULL;
		int naps = 0, capaps = 0;
		bool ok = true;
		for (int k = 0; k < pr->naps; k++) {
			struct attach_point *ap = &pr->aps[k];
			char **tps = NULL;
			int m = 1;
			if (has_wildcard(ap->target) || has_wildcard(ap->func)) {
				m = list_tracepoints(s, ap->target, ap->func, &tps);
				if (m < 0) {
					ok = false; /* no tracefs: check_probe_header explains */
					break;
				}
				if (m == 0 && !ap->optional) {
					diag_error(s->d, &ap->loc, "list tracepoints with: minibt -l 'tracepoint:*'",
						   "tracepoint not found: %s:%s", ap->target, ap->func);
					continue;
				}
			}
			for (int j = 0; j < m; j++) {
				struct attach_point c = *ap;
				if (tps) {
					c.target = arena_strdup(s->a, tps[j]);
					*strchr(c.target, ':') = 0;
					c.func = strchr(tps[j], ':') + 1;
					c.raw = arena_printf(s->a, "tracepoint:%s", tps[j]);
				}
				bool dup = false;
				for (int d = 0; d < naps; d++)
					dup |= !strcmp(aps[d].target, c.target) && !strcmp(aps[d].func, c.func);
				if (dup)
					continue;
				if (naps == capaps) {
					capaps = capaps ? capaps * 2 : 8;
					struct attach_point *na = arena_alloc(s->a, sizeof(*na) * (size_t)capaps);
					if (naps)
						memcpy(na, aps, sizeof(*na) * (size_t)naps);
					aps = na;
				}
				aps[naps++] = c;
			}
		}
		if (!ok) {
			arena_vec_push(s->a, (void ***)&out, &n, &cap, pr);
			continue;
		}
		for (int k = 0; k < naps; k++) {
			struct probe *c = arena_alloc(s->a, sizeof(*c));
			*c = *pr;
			c->aps = arena_alloc(s->a, sizeof(struct attach_point));
			c->aps[0] = aps[k];
			c->naps = 1;
			c->pred = k ? ast_clone(s->a, pr->pred) : pr->pred;
			c->body = k ? ast_clone(s->a, pr->body) : pr->body;
			arena_vec_push(s->a, (void ***)&out, &n, &cap, c);
		}
	}
	p->probes = out;
	p->nprobes = n;
	p->capprobes = cap;
}

/* ask sema_opts.probes_exist once about every kprobe function and every
 * optional tracepoint of the script */
static void check_presence(struct hdr *s)
{
	struct program *p = s->p;
	struct attach_point **aps = NULL;
	int n = 0, cap = 0;
	for (int i = 0; i < p->nprobes && s->o->probes_exist; i++)
		for (int k = 0; k < p->probes[i]->naps; k++) {
			struct attach_point *ap = &p->probes[i]->aps[k]; /* parsed by the split */
			if (((ap->type == PROBE_KPROBE || ap->type == PROBE_KRETPROBE) && *ap->func) ||
			    (ap->type == PROBE_TRACEPOINT && ap->optional && *ap->func))
				arena_vec_push(s->a, (void ***)&aps, &n, &cap, ap);
		}
	if (!n)
		return;
	enum presence *out = arena_alloc(s->a, sizeof(*out) * (size_t)n);
	s->o->probes_exist(aps, n, out, s->o->probes_exist_arg);
	for (int i = 0; i < n; i++)
		aps[i]->presence = out[i];
}

static void check_probe_header(struct hdr *s, struct probe *p)
{
	for (int i = 0; i < p->naps; i++)
		parse_attach(s, &p->aps[i]);
	enum probe_type t0 = p->aps[0].type;
	for (int i = 1; i < p->naps; i++) {
		enum probe_type t = p->aps[i].type;
		if (t != t0 && !((t == PROBE_KPROBE || t == PROBE_KRETPROBE) && (t0 == PROBE_KPROBE || t0 == PROBE_KRETPROBE)))
			diag_error(s->d, &p->aps[i].loc, "give each kind of probe its own body",
				   "not supported by minibt: mixing %s and %s attach points in one probe",
				   probe_type_names[t0], probe_type_names[t]);
	}
	if (drop_missing(s, p))
		return;
	/* attach points that are not there: an error for tracepoints (as
	 * bpftrace 0.17), a warning for kprobe functions (they may be
	 * inlined, or load with a module later) */
	bool gone = false;
	for (int i = 0; i < p->naps; i++) {
		struct attach_point *ap = &p->aps[i];
		if (ap->optional || ap->type != t0)
			continue;
		if (ap->type == PROBE_TRACEPOINT && *ap->func) {
			char **tps;
			if (list_tracepoints(s, ap->target, ap->func, &tps) == 0) {
				diag_error(s->d, &ap->loc, "list tracepoints with: minibt -l 'tracepoint:*'",
					   "tracepoint not found: %s:%s", ap->target, ap->func);
				gone = true;
			}
		} else if ((ap->type == PROBE_KPROBE || ap->type == PROBE_KRETPROBE) && ap->presence == PRESENCE_NO) {
			diag_warn(s->d, &ap->loc, "list kernel functions with: minibt -l 'kprobe:*'",
				  "%s is not traceable (either non-existing, inlined, or marked as \"notrace\"); "
				  "attaching to it will likely fail", ap->func);
		}
	}
	if (gone)
		return;
	if (t0 == PROBE_TRACEPOINT && uses_args(p->body) + uses_args(p->pred)) {
		bool wild = false;
		for (int i = 0; i < p->naps; i++)
			wild |= has_wildcard(p->aps[i].target) || has_wildcard(p->aps[i].func);
		if (wild || p->naps > 1) {
			diag_error(s->d, &p->aps[0].loc, "name one tracepoint when the probe reads args",
				   "not supported by minibt: args in a probe with several or wildcard tracepoints");
		} else if (*p->aps[0].func) {
			char ebuf[256] = "";
			p->args_ty = s->btf ? btfc_tracepoint(s->btf, p->aps[0].target, p->aps[0].func, ebuf, sizeof(ebuf)) : NULL;
			const char *f;
			if (p->aps[0].optional && !p->args_ty)
				p->aps[0].missing = "tracepoint not found";
			else if (p->aps[0].optional && (f = missing_args_field(s, p->args_ty, p->body) ?:
							 missing_args_field(s, p->args_ty, p->pred)))
				p->aps[0].missing = arena_printf(s->a, "its args have no field '%s'", f);
			else if (!p->args_ty)
				diag_error(s->d, &p->aps[0].loc, "list tracepoints with: minibt -l 'tracepoint:*'",
					   "%s", *ebuf ? ebuf : "tracepoint args unavailable: no tracefs and no kernel BTF");
		}
	}
}

/* probes whose every attach point is missing (set by the checks above, or
 * by sema for an always-false predicate) move to p->skipped */
void probes_skip_missing(struct program *p)
{
	int kept = 0;
	for (int i = 0; i < p->nprobes; i++) {
		struct probe *pr = p->probes[i];
		if (pr->aps[0].missing)
			arena_vec_push(p->arena, (void ***)&p->skipped, &p->nskipped, &p->capskipped, pr);
		else
			p->probes[kept++] = pr;
	}
	p->nprobes = kept;
}

int probes_check(struct program *p, const struct sema_opts *o, struct diags *d)
{
	struct hdr s = { .p = p, .a = p->arena, .d = d, .btf = o->btf, .o = o };
	split_tracepoint_probes(&s);
	check_presence(&s);
	for (int i = 0; i < p->nprobes; i++)
		check_probe_header(&s, p->probes[i]);
	probes_skip_missing(p);
	bool live = false;
	for (int i = 0; i < p->nprobes; i++)
		live |= p->probes[i]->aps[0].type != PROBE_BEGIN && p->probes[i]->aps[0].type != PROBE_END;
	if (p->nskipped && !live) {
		for (int i = 0; i < p->nskipped; i++)
			for (int k = 0; k < p->skipped[i]->naps; k++) {
				const struct attach_point *ap = &p->skipped[i]->aps[k];
				diag_error(d, &ap->loc, NULL, "%s: %s", ap->raw, ap->missing);
			}
		diag_error(d, NULL, "the script's optional ('?') probes are its alternatives for different kernels; this one has none of them",
			   "none of the optional probes exists on this kernel: nothing to trace");
		return -1;
	}
	return 0;
}
