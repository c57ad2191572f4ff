/*
** codegen/cg.c: the LLVM module for a program: maps, one BPF function
** per probe, statements and the events BPF sends to user space.
**
** Maps are BTF-defined globals in ".maps" (libbpf reads their shape from
** the DWARF->BTF LLVM emits): `int (*type)[T]; int (*max_entries)[N];
** int (*key_size)[K]; int (*value_size)[V];` (cg_build.c); a user map's
** sizes come from cg_map_layout (cg_layout.c) and are kept in
** image.maps. Events are one ring buffer record each: u64 id, then the
** arguments at the offsets sema laid out. Every stack buffer handed to a
** helper is zeroed first: the verifier rejects uninitialized stack
** reads, and map keys must not carry garbage after a string's NUL.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "cg_internal.h"

#define RINGBUF_SIZE (256 * 1024)


/* ------------------------------------------------------------- events */

static void count_lost(struct cg *g)
{
	LLVMValueRef k = cg_alloca(g, 4, "lk");
	LLVMBuildStore(g->B, LLVMConstInt(g->i32, 0, 0), k);
	LLVMValueRef p = cg_lookup(g, g->lostmap, k);
	LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->C, g->fn, "lost");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "lost.done");
	LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, p, ""), yes, done);
	LLVMPositionBuilderAtEnd(g->B, yes);
	LLVMValueRef old = LLVMBuildLoad2(g->B, g->i64, p, "");
	LLVMBuildStore(g->B, LLVMBuildAdd(g->B, old, LLVMConstInt(g->i64, 1, 0), ""), p);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
}

/*
** An event record {u64 id; payload}: reserve it in the ring buffer
** and store the id; the caller fills the payload at rec + 8, then
** event_end submits it. No reservation (buffer full): count the loss
** and skip the payload. `done` is where both paths meet.
*/
struct ev_rec {
	LLVMValueRef rec;
	LLVMBasicBlockRef done;
};

static struct ev_rec event_begin(struct cg *g, const struct event *e)
{
	LLVMValueRef rargs[] = { g->ringbuf, LLVMConstInt(g->i64, 8 + e->size, 0), LLVMConstInt(g->i64, 0, 0) };
	struct ev_rec r = { cg_helper(g, H_RINGBUF_RESERVE, g->ptr, rargs, 3), NULL };
	LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(g->C, g->fn, "ev.lost");
	LLVMBasicBlockRef fill = LLVMAppendBasicBlockInContext(g->C, g->fn, "ev.fill");
	r.done = LLVMAppendBasicBlockInContext(g->C, g->fn, "ev.done");
	LLVMBuildCondBr(g->B, LLVMBuildIsNull(g->B, r.rec, ""), bad, fill);
	LLVMPositionBuilderAtEnd(g->B, bad);
	count_lost(g);
	LLVMBuildBr(g->B, r.done);
	LLVMPositionBuilderAtEnd(g->B, fill);
	LLVMBuildStore(g->B, LLVMConstInt(g->i64, (unsigned long long)e->id, 0), r.rec);
	return r;
}

static void event_end(struct cg *g, struct ev_rec r)
{
	LLVMValueRef sargs[] = { r.rec, LLVMConstInt(g->i64, 0, 0) };
	cg_helper(g, H_RINGBUF_SUBMIT, g->voidt, sargs, 2);
	LLVMBuildBr(g->B, r.done);
	LLVMPositionBuilderAtEnd(g->B, r.done);
}

/*
** Send the record {u64 id; args}: the arguments are evaluated straight
** into the reserved record. Nothing is staged on the BPF stack (512
** bytes would hold few strings) or copied.
*/
static void send_event(struct cg *g, const struct event *e, const struct node *args)
{
	struct ev_rec r = event_begin(g, e);
	int i = 0;
	for (const struct node *a = args; a && i < e->nargs; a = a->next, i++)
		cg_expr_into(g, a, cg_gep(g, r.rec, 8 + e->argoff[i]), e->argty[i]);
	event_end(g, r);
}

/*
** join(argv[, delim]): JOIN_ARGS pointers read from argv, each string
** read into its JOIN_ARGSIZE slot of the record (a NULL or unreadable
** pointer leaves an empty slot: the helpers zero what they cannot read),
** as bpftrace 0.17; user space joins the slots up to the first empty one
*/
static void send_join(struct cg *g, const struct event *e, const struct node *argv)
{
	struct ev_rec r = event_begin(g, e);
	LLVMValueRef base = cg_to_i64(g, cg_expr(g, argv), argv->ty);
	LLVMValueRef slot = cg_alloca(g, 8, "join.ptr");
	bool user = argv->ty->user;
	for (int i = 0; i < JOIN_ARGS; i++) {
		LLVMValueRef at = LLVMBuildAdd(g->B, base, LLVMConstInt(g->i64, 8 * (unsigned)i, 0), "");
		LLVMValueRef pargs[] = { slot, LLVMConstInt(g->i32, 8, 0), LLVMBuildIntToPtr(g->B, at, g->ptr, "") };
		cg_helper(g, user ? H_PROBE_READ_USER : H_PROBE_READ, g->i64, pargs, 3);
		LLVMValueRef p = LLVMBuildLoad2(g->B, g->ptr, slot, "");
		LLVMValueRef sargs[] = { cg_gep(g, r.rec, 8 + (uint32_t)i * JOIN_ARGSIZE),
					 LLVMConstInt(g->i32, JOIN_ARGSIZE, 0), p };
		cg_helper(g, user ? H_PROBE_READ_USER_STR : H_PROBE_READ_STR, g->i64, sargs, 3);
	}
	event_end(g, r);
}

/* ----------------------------------------------------- map assignments */

/* hist bucket: v < 0 -> 0; v == 0 -> 1; else 2 + floor(log2(v)), capped at
** 33 as bpftrace 0.17 (its log2 shifts by 16, 8, 4, 2, 1 only) */
static LLVMValueRef hist_index(struct cg *g, LLVMValueRef v)
{
	LLVMValueRef zero = LLVMConstInt(g->i64, 0, 0);
	LLVMValueRef x = v, r = zero;
	for (int s = 16; s >= 1; s /= 2) {
		LLVMValueRef ge = LLVMBuildICmp(g->B, LLVMIntUGE, x, LLVMConstInt(g->i64, 1ULL << s, 0), "");
		LLVMValueRef sh = LLVMBuildSelect(g->B, ge, LLVMConstInt(g->i64, (unsigned)s, 0), zero, "");
		x = LLVMBuildLShr(g->B, x, sh, "");
		r = LLVMBuildOr(g->B, r, sh, "");
	}
	LLVMValueRef pos = LLVMBuildAdd(g->B, r, LLVMConstInt(g->i64, 2, 0), "");
	LLVMValueRef isz = LLVMBuildICmp(g->B, LLVMIntEQ, v, zero, "");
	LLVMValueRef isneg = LLVMBuildICmp(g->B, LLVMIntSLT, v, zero, "");
	LLVMValueRef idx = LLVMBuildSelect(g->B, isz, LLVMConstInt(g->i64, 1, 0), pos, "");
	return LLVMBuildSelect(g->B, isneg, zero, idx, "");
}

/* lhist bucket: v < min -> 0; v >= max -> (max-min)/step + 1; else (v-min)/step + 1 */
static LLVMValueRef lhist_index(struct cg *g, LLVMValueRef v, const struct type *t)
{
	LLVMValueRef mn = LLVMConstInt(g->i64, (unsigned long long)t->lh_min, 1);
	LLVMValueRef mx = LLVMConstInt(g->i64, (unsigned long long)t->lh_max, 1);
	LLVMValueRef st = LLVMConstInt(g->i64, (unsigned long long)t->lh_step, 1);
	LLVMValueRef top = LLVMConstInt(g->i64, (unsigned long long)((t->lh_max - t->lh_min) / t->lh_step + 1), 0);
	LLVMValueRef below = LLVMBuildICmp(g->B, LLVMIntSLT, v, mn, "");
	LLVMValueRef above = LLVMBuildICmp(g->B, LLVMIntSGE, v, mx, "");
	LLVMValueRef mid = LLVMBuildAdd(g->B, LLVMBuildUDiv(g->B, LLVMBuildSub(g->B, v, mn, ""), st, ""),
					LLVMConstInt(g->i64, 1, 0), "");
	LLVMValueRef r = LLVMBuildSelect(g->B, above, top, mid, "");
	return LLVMBuildSelect(g->B, below, LLVMConstInt(g->i64, 0, 0), r, "");
}

/*
** Aggregations update the current CPU's slot of a per-CPU map in place
** (no atomics needed), or insert the first value. Slots: count/sum/hist:
** {s64}; min/max: {s64 v; u64 set}; avg/stats: {s64 total; u64 count}.
*/
static void agg_update(struct cg *g, const struct node *lhs, const struct node *call)
{
	const struct mapinfo *m = lhs->map;
	enum ty_kind k = m->val->kind;
	LLVMValueRef x = call->args ? cg_to_i64(g, cg_expr(g, call->args), call->args->ty)
				    : LLVMConstInt(g->i64, 1, 0);
	LLVMValueRef extra = NULL;
	if (k == TY_HIST)
		extra = hist_index(g, x);
	else if (k == TY_LHIST)
		extra = lhist_index(g, x, call->ty);
	LLVMValueRef key = cg_map_key(g, m, lhs, extra);
	LLVMValueRef map = g->mapg[m->id];
	LLVMValueRef p = cg_lookup(g, map, key); /* this CPU's slot, or NULL */
	LLVMBasicBlockRef have = LLVMAppendBasicBlockInContext(g->C, g->fn, "agg.have");
	LLVMBasicBlockRef none = LLVMAppendBasicBlockInContext(g->C, g->fn, "agg.new");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "agg.done");
	LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, p, ""), have, none);

	/*
	** First use of the key on this CPU: store the first value (BPF_ANY).
	** No race to guard against: if another CPU inserted the key since our
	** lookup, the kernel updates a per-CPU element in place, this CPU's
	** slot only (kernel/bpf/hashtab.c, __htab_percpu_map_update_elem),
	** and a new element starts with the other CPUs' slots zeroed.
	*/
	LLVMPositionBuilderAtEnd(g->B, none);
	uint32_t vs = g->img->maps[m->id].value_size;
	LLVMValueRef nv = cg_alloca(g, vs, "aggv");
	cg_zero(g, nv, vs);
	LLVMValueRef first = (k == TY_COUNT || k == TY_HIST || k == TY_LHIST) ? LLVMConstInt(g->i64, 1, 0) : x;
	LLVMBuildStore(g->B, first, nv);
	if (vs >= 16)
		LLVMBuildStore(g->B, LLVMConstInt(g->i64, 1, 0), cg_gep(g, nv, 8));
	LLVMValueRef uargs[] = { map, key, nv, LLVMConstInt(g->i64, 0 /* BPF_ANY */, 0) };
	cg_helper(g, H_MAP_UPDATE, g->i64, uargs, 4);
	LLVMBuildBr(g->B, done);

	LLVMPositionBuilderAtEnd(g->B, have);
	LLVMValueRef v0 = LLVMBuildLoad2(g->B, g->i64, p, "");
	LLVMValueRef p1 = cg_gep(g, p, 8);
	bool sign = m->val->sign;
	switch (k) {
	case TY_COUNT:
	case TY_HIST:
	case TY_LHIST:
		LLVMBuildStore(g->B, LLVMBuildAdd(g->B, v0, LLVMConstInt(g->i64, 1, 0), ""), p);
		break;
	case TY_SUM:
		LLVMBuildStore(g->B, LLVMBuildAdd(g->B, v0, x, ""), p);
		break;
	case TY_MIN:
	case TY_MAX: {
		LLVMValueRef set = LLVMBuildLoad2(g->B, g->i64, p1, "");
		LLVMIntPredicate pr = k == TY_MIN ? (sign ? LLVMIntSLT : LLVMIntULT) : (sign ? LLVMIntSGT : LLVMIntUGT);
		LLVMValueRef better = LLVMBuildICmp(g->B, pr, x, v0, "");
		LLVMValueRef unset = LLVMBuildICmp(g->B, LLVMIntEQ, set, LLVMConstInt(g->i64, 0, 0), "");
		LLVMValueRef take = LLVMBuildOr(g->B, better, unset, "");
		LLVMBuildStore(g->B, LLVMBuildSelect(g->B, take, x, v0, ""), p);
		LLVMBuildStore(g->B, LLVMConstInt(g->i64, 1, 0), p1);
		break;
	}
	case TY_AVG:
	case TY_STATS: {
		LLVMBuildStore(g->B, LLVMBuildAdd(g->B, v0, x, ""), p);
		LLVMValueRef c = LLVMBuildLoad2(g->B, g->i64, p1, "");
		LLVMBuildStore(g->B, LLVMBuildAdd(g->B, c, LLVMConstInt(g->i64, 1, 0), ""), p1);
		break;
	}
	default:
		break;
	}
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
}

/* ------------------------------------------------------------ statements */

static void stmts(struct cg *g, const struct node *n);

static void call_stmt(struct cg *g, const struct node *n)
{
	switch (n->func) {
	case F_PRINTF:
	case F_SYSTEM:
	case F_CAT:
		send_event(g, g->p->events[n->event], n->args->next);
		break;
	case F_JOIN:
		send_join(g, g->p->events[n->event], n->args);
		break;
	case F_OVERRIDE: { /* bpf_override_return(ctx, rc) */
		LLVMValueRef args[] = { g->ctx, cg_to_i64(g, cg_expr(g, n->args), n->args->ty) };
		cg_helper(g, H_OVERRIDE_RETURN, g->i64, args, 2);
		break;
	}
	case F_SIGNAL: { /* bpf_send_signal(sig): the current task */
		LLVMValueRef sig = n->ival ? LLVMConstInt(g->i32, (unsigned long long)n->ival, 0)
			: LLVMBuildTrunc(g->B, cg_to_i64(g, cg_expr(g, n->args), n->args->ty), g->i32, "");
		cg_helper(g, H_SEND_SIGNAL, g->i64, &sig, 1);
		break;
	}
	case F_TIME:
	case F_EXIT:
	case F_CLEAR:
	case F_ZERO:
	case F_PRINTMAP:
		send_event(g, g->p->events[n->event], NULL);
		if (n->func == F_EXIT) {
			LLVMBuildRet(g->B, LLVMConstInt(g->i64, 0, 0));
			LLVMPositionBuilderAtEnd(g->B, LLVMAppendBasicBlockInContext(g->C, g->fn, "after.exit"));
		}
		break;
	case F_PRINT:
		if (n->args->kind == N_MAP)
			send_event(g, g->p->events[n->event], NULL);
		else
			send_event(g, g->p->events[n->event], n->args);
		break;
	case F_DELETE: {
		const struct node *a = n->args;
		LLVMValueRef key = cg_map_key(g, a->map, a, NULL);
		LLVMValueRef args[] = { g->mapg[a->map->id], key };
		cg_helper(g, H_MAP_DELETE, g->i64, args, 2);
		break;
	}
	default:
		cg_expr(g, n);
	}
}

static void stmt1(struct cg *g, const struct node *n);

static void stmt(struct cg *g, const struct node *n)
{
	if (cg_terminated(g))
		LLVMPositionBuilderAtEnd(g->B, LLVMAppendBasicBlockInContext(g->C, g->fn, "dead"));
	cg_set_loc(g, &n->loc);
	int mark = g->ntemps;
	int was = g->in_stmt;
	g->in_stmt = 1;
	if (g->o->bad_line && n->loc.line == g->o->bad_line && !g->bad_done) {
		/* a volatile load from nsecs as an address: "invalid mem access 'scalar'" */
		g->bad_done = 1;
		LLVMValueRef t = cg_helper(g, H_KTIME_NS, g->i64, NULL, 0);
		LLVMValueRef ld = LLVMBuildLoad2(g->B, g->i64, LLVMBuildIntToPtr(g->B, t, g->ptr, ""), "");
		LLVMSetVolatile(ld, 1);
	}
	if (g->o->fatal_line && n->loc.line == g->o->fatal_line && !g->fatal_done) {
		g->fatal_done = 1;
		LLVMValueRef t = cg_helper(g, H_KTIME_NS, g->i64, NULL, 0);
		LLVMValueRef slot = cg_alloca(g, 8, "fatal");
		LLVMSetVolatile(LLVMBuildAtomicRMW(g->B, LLVMAtomicRMWBinOpNand, slot, t,
						   LLVMAtomicOrderingSequentiallyConsistent, 0), 1);
	}
	g->cur_loc = &n->loc;
	stmt1(g, n);
	g->in_stmt = was;
	cg_end_temps(g, mark);
}

/* does expression n read scratch variable v? */
static bool reads_var(const struct node *n, const struct varinfo *v)
{
	for (; n; n = n->next) {
		if (n->kind == N_VAR && n->var == v)
			return true;
		if (reads_var(n->lhs, v) || reads_var(n->rhs, v) || reads_var(n->cond, v) || reads_var(n->args, v))
			return true;
	}
	return false;
}

static void stmt1(struct cg *g, const struct node *n)
{
	switch (n->kind) {
	case N_EXPRSTMT:
		if (n->lhs->kind == N_CALL)
			call_stmt(g, n->lhs);
		else
			cg_expr(g, n->lhs);
		break;
	case N_ASSIGN: {
		const struct node *lhs = n->lhs;
		if (lhs->kind == N_MAP && n->rhs->kind == N_CALL && ty_is_agg(lhs->map->val)) {
			agg_update(g, lhs, n->rhs);
			break;
		}
		if (n->op == OP_ASSIGN && lhs->kind == N_VAR && cg_in_memory(lhs->var->ty) &&
		    !reads_var(n->rhs, lhs->var)) {
			/* built in the variable's slot: zeroed, as it may become a map key */
			LLVMValueRef slot = cg_var_slot(g, lhs->var);
			cg_zero(g, slot, (lhs->var->ty->size + 7) & ~7u);
			cg_expr_into(g, n->rhs, slot, lhs->var->ty);
			break;
		}
		if (n->op == OP_ASSIGN && lhs->kind == N_MAP) {
			cg_map_store(g, lhs, n->rhs, NULL, NULL);
			break;
		}
		LLVMValueRef v;
		const struct type *vt = n->rhs->ty;
		if (n->op != OP_ASSIGN) {
			LLVMValueRef cur = cg_to_i64(g, cg_expr(g, lhs), lhs->ty);
			LLVMValueRef r = cg_to_i64(g, cg_expr(g, n->rhs), n->rhs->ty);
			bool sign = lhs->ty->kind == TY_INT ? lhs->ty->sign : true;
			if (lhs->ty->kind == TY_PTR && (n->op == OP_ADD || n->op == OP_SUB) && lhs->ty->sub &&
			    lhs->ty->sub->size) /* p += n moves by n elements, as p + n */
				r = LLVMBuildMul(g->B, r, LLVMConstInt(g->i64, lhs->ty->sub->size, 0), "");
			v = cg_arith(g, n->op, cur, r, sign);
			vt = ty_int(8, sign);
		} else {
			v = cg_expr(g, n->rhs);
		}
		if (lhs->kind == N_VAR)
			cg_store_as(g, cg_var_slot(g, lhs->var), lhs->var->ty, v, vt);
		else
			cg_map_store(g, lhs, NULL, v, vt);
		break;
	}
	case N_INCDEC:
		cg_incdec(g, n);
		break;
	case N_IF: {
		LLVMValueRef c = cg_cond(g, n->cond);
		LLVMBasicBlockRef th = LLVMAppendBasicBlockInContext(g->C, g->fn, "if.then");
		LLVMBasicBlockRef el = LLVMAppendBasicBlockInContext(g->C, g->fn, "if.else");
		LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "if.done");
		LLVMBuildCondBr(g->B, c, th, el);
		LLVMPositionBuilderAtEnd(g->B, th);
		stmts(g, n->then->stmts);
		if (!cg_terminated(g))
			LLVMBuildBr(g->B, done);
		LLVMPositionBuilderAtEnd(g->B, el);
		if (n->els)
			stmts(g, n->els->stmts);
		if (!cg_terminated(g))
			LLVMBuildBr(g->B, done);
		LLVMPositionBuilderAtEnd(g->B, done);
		break;
	}
	case N_UNROLL:
		for (int64_t i = 0; i < n->cond->cval; i++)
			stmts(g, n->then->stmts);
		break;
	case N_WHILE: { /* a bounded loop for the verifier (Linux 5.3+) */
		LLVMBasicBlockRef cond = LLVMAppendBasicBlockInContext(g->C, g->fn, "while.cond");
		LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(g->C, g->fn, "while.body");
		LLVMBasicBlockRef end = LLVMAppendBasicBlockInContext(g->C, g->fn, "while.end");
		LLVMBasicBlockRef oc = g->loop_cond, oe = g->loop_end;
		LLVMBuildBr(g->B, cond);
		LLVMPositionBuilderAtEnd(g->B, cond);
		LLVMBuildCondBr(g->B, cg_cond(g, n->cond), body, end);
		LLVMPositionBuilderAtEnd(g->B, body);
		g->loop_cond = cond, g->loop_end = end;
		stmts(g, n->then->stmts);
		g->loop_cond = oc, g->loop_end = oe;
		if (!cg_terminated(g))
			LLVMBuildBr(g->B, cond);
		LLVMPositionBuilderAtEnd(g->B, end);
		break;
	}
	case N_BREAK:
	case N_CONTINUE:
		LLVMBuildBr(g->B, n->kind == N_BREAK ? g->loop_end : g->loop_cond);
		LLVMPositionBuilderAtEnd(g->B, LLVMAppendBasicBlockInContext(g->C, g->fn, "after.jump"));
		break;
	case N_RETURN:
		LLVMBuildRet(g->B, LLVMConstInt(g->i64, 0, 0));
		break;
	case N_BLOCK:
		stmts(g, n->stmts);
		break;
	default:
		cg_expr(g, n);
	}
}

static void stmts(struct cg *g, const struct node *n)
{
	for (; n; n = n->next)
		stmt(g, n);
}

/* ---------------------------------------------------------------- maps */

static void define_maps(struct cg *g)
{
	const struct program *p = g->p;
	struct image *img = g->img;
	img->nmaps = p->nmaps;
	img->maps = calloc((size_t)p->nmaps + 1, sizeof(*img->maps));
	g->mapg = calloc((size_t)p->nmaps + 1, sizeof(LLVMValueRef));
	if (!img->maps || !g->mapg)
		abort();
	for (int i = 0; i < p->nmaps; i++) {
		struct image_map *l = &img->maps[i];
		cg_map_layout(p->maps[i], g->o->map_keys_max, l);
		g->mapg[i] = cg_define_map(g, l->bpf_name, l->type, l->max_entries, l->key_size, l->value_size);
	}
	g->ringbuf = cg_define_map(g, "events", MT_RINGBUF, RINGBUF_SIZE, 0, 0);
	img->ringbuf_name = "events";
	g->lostmap = cg_define_map(g, "lost", MT_PERCPU_ARRAY, 1, 4, 8);
	img->lost_name = "lost";
	g->elapsedmap = cg_define_map(g, "elapsed", MT_ARRAY, 1, 4, 8);
	img->elapsed_name = "elapsed";
}

/* ------------------------------------------------------------- probes */

/*
** An iterator's program also runs once after the last object, with its
** pointers NULL (the verifier types them "or NULL"): the body runs only
** when every pointer of the context but meta is set, as bpftrace does.
*/
static void iter_null_checks(struct cg *g, const struct probe *pr)
{
	const struct type *rec = pr->args_ty;
	g->niter = 0;
	const struct btf_type *t = rec && rec->btf ? btf__type_by_id(rec->btf, rec->btf_id) : NULL;
	if (!t || !btf_is_composite(t))
		return;
	const struct btf_member *m = btf_members(t);
	for (int i = 1; i < btf_vlen(t); i++) { /* [0] is meta */
		const struct btf_type *mt = btf__type_by_id(rec->btf, m[i].type);
		while (mt && (btf_is_typedef(mt) || btf_is_mod(mt)))
			mt = btf__type_by_id(rec->btf, mt->type);
		/* __bpf_md_ptr(type, name): a union of the pointer and a u64 */
		if (mt && btf_is_union(mt) && btf_vlen(mt))
			mt = btf__type_by_id(rec->btf, btf_members(mt)[0].type);
		while (mt && (btf_is_typedef(mt) || btf_is_mod(mt)))
			mt = btf__type_by_id(rec->btf, mt->type);
		if (!mt || !btf_is_ptr(mt))
			continue;
		LLVMValueRef v = LLVMBuildLoad2(g->B, g->i64, cg_gep(g, g->ctx, btf_member_bit_offset(t, i) / 8), "");
		LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(g->C, g->fn, "iter.obj");
		LLVMBasicBlockRef end = LLVMAppendBasicBlockInContext(g->C, g->fn, "iter.end");
		LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, v, LLVMConstInt(g->i64, 0, 0), ""), end, ok);
		LLVMPositionBuilderAtEnd(g->B, end);
		LLVMBuildRet(g->B, LLVMConstInt(g->i64, 0, 0));
		LLVMPositionBuilderAtEnd(g->B, ok);
		/* the checked register, spilled: a load of the context again
		 * would be "or NULL" to the verifier, and LLVM would hoist the
		 * arithmetic on this one above the check; volatile keeps both
		 * the spill here and each fill where it is used */
		if (g->niter < 8) {
			LLVMValueRef slot = cg_alloca(g, 8, "iterobj");
			LLVMSetVolatile(LLVMBuildStore(g->B, v, slot), 1);
			g->iter_slot[g->niter] = slot;
			g->iter_off[g->niter++] = btf_member_bit_offset(t, i) / 8;
		}
	}
}

static void define_probe(struct cg *g, const struct probe *pr, int idx)
{
	char name[32];
	snprintf(name, sizeof(name), "probe%d", idx);
	LLVMTypeRef ft = LLVMFunctionType(g->i64, &g->ptr, 1, 0);
	LLVMValueRef fn = LLVMAddFunction(g->M, name, ft);
	LLVMSetLinkage(fn, LLVMExternalLinkage);
	if (probe_kinds[pr->aps[0].type].expand == EXPAND_BTF_FUNCS || probe_kinds[pr->aps[0].type].iter) {
		/* fentry/FUNC, iter/TARGET: libbpf finds the BTF id */
		char sec[512];
		snprintf(sec, sizeof(sec), "%s/%s", probe_kinds[pr->aps[0].type].section, pr->aps[0].func);
		LLVMSetSection(fn, sec);
	} else {
		LLVMSetSection(fn, probe_kinds[pr->aps[0].type].section);
	}
	unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
	LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, nounwind, 0));
	g->fn = fn;
	g->ctx = LLVMGetParam(fn, 0);
	if (probe_kinds[pr->aps[0].type].usdt) /* libbpf attaches usdt probes only beside its maps */
		cg_usdt_specs(g);
	g->probe = pr;
	g->entry = LLVMAppendBasicBlockInContext(g->C, fn, "entry");
	LLVMPositionBuilderAtEnd(g->B, g->entry);

	/* debug info: subprogram with a named ctx parameter (see notes) */
	LLVMMetadataRef ptys[2] = { g->di_int, g->di_ctx };
	LLVMMetadataRef sty = LLVMDIBuilderCreateSubroutineType(g->D, g->difile, ptys, 2, 0);
	g->disp = LLVMDIBuilderCreateFunction(g->D, g->difile, name, strlen(name), name, strlen(name),
					      g->difile, (unsigned)pr->loc.line, sty, 0, 1,
					      (unsigned)pr->loc.line, 0, 1);
	LLVMSetSubprogram(fn, g->disp);
	LLVMDIBuilderCreateParameterVariable(g->D, g->disp, "ctx", 3, 1, g->difile,
					     (unsigned)pr->loc.line, g->di_ctx, 1, 0);
	cg_set_loc(g, &pr->loc);

	g->nvars = pr->nvars;
	g->vars = calloc((size_t)pr->nvars + 1, sizeof(LLVMValueRef));
	g->probe_index = idx;

	/* the body starts in its own block so allocas stay in entry */
	LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(g->C, fn, "body");
	LLVMBuildBr(g->B, body);
	LLVMPositionBuilderAtEnd(g->B, body);
	g->niter = 0;
	if (probe_kinds[pr->aps[0].type].iter)
		iter_null_checks(g, pr);
	if (pr->pred) {
		cg_set_loc(g, &pr->pred->loc);
		LLVMValueRef c = cg_cond(g, pr->pred);
		LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->C, fn, "pred.true");
		LLVMBasicBlockRef no = LLVMAppendBasicBlockInContext(g->C, fn, "pred.false");
		LLVMBuildCondBr(g->B, c, yes, no);
		LLVMPositionBuilderAtEnd(g->B, no);
		LLVMBuildRet(g->B, LLVMConstInt(g->i64, 0, 0));
		LLVMPositionBuilderAtEnd(g->B, yes);
	}
	stmts(g, pr->body->stmts);
	if (!cg_terminated(g))
		LLVMBuildRet(g->B, LLVMConstInt(g->i64, 0, 0));
	free(g->vars);
	g->vars = NULL;
	LLVMSetCurrentDebugLocation2(g->B, NULL);

	struct image_prog *ip = &g->img->progs[g->img->nprogs++];
	ip->name = strdup(name);
	ip->type = pr->aps[0].type;
	ip->aps = pr->aps;
	ip->naps = pr->naps;
	ip->loc = pr->loc;
}

/*
** LLVM's errors ("Looks like the BPF stack limit is exceeded", "unsupported
** ...") arrive here rather than on stderr, as diagnostics at the script
** location LLVM names ("FILE:LINE:COL: in function probeN i64 (ptr): MSG").
*/
static void llvm_diag(LLVMDiagnosticInfoRef di, void *arg)
{
	struct cg *g = arg;
	if (LLVMGetDiagInfoSeverity(di) != LLVMDSError)
		return;
	char *desc = LLVMGetDiagInfoDescription(di);
	const char *msg = desc;
	struct loc l = { 0 };
	const char *f = strstr(desc, "/proc/self/fd/");
	if (f || !strncmp(desc, g->p->src->name, strlen(g->p->src->name))) {
		const char *q = strchr(f ? f : desc, ':');
		if (q && sscanf(q, ":%d:%d:", &l.line, &l.col) == 2) {
			l.end_line = l.line;
			l.end_col = l.col + 1;
		}
	}
	const char *in = strstr(desc, " i64 (ptr): ");
	if (in)
		msg = in + 12;
	const char *hint = "this is a minibt bug: please report it with the script";
	if (strstr(msg, "stack limit")) {
		if (g->stack_reported++) { /* once: LLVM repeats it per frame object */
			LLVMDisposeMessage(desc);
			return;
		}
		msg = "this probe needs more than the 512 bytes of BPF stack";
		hint = "scratch variables and a statement's temporaries live there: use fewer or shorter strings "
		       "(str(x, N)), or split the probe";
	}
	int len = (int)strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	diag_error(g->d, l.line > 0 ? &l : NULL, hint, "%.*s", len, msg);
	g->llvm_errors++;
	LLVMDisposeMessage(desc);
}

/*
** LLVM's fatal errors (report_fatal_error: "Cannot select", a broken
** invariant) end the process: LLVM calls exit(1) once this returns. It
** says so as a diagnostic, at the statement being built when there is
** one, rather than an abort and LLVM's "PLEASE submit a bug report".
*/
static struct cg *fatal_cg;

static void llvm_fatal(const char *reason)
{
	struct cg *g = fatal_cg;
	fflush(NULL);
	if (!g) {
		fprintf(stderr, "ERROR: LLVM: %s\n", reason);
		_exit(1);
	}
	/* the first line says what; the line info of the node it quotes
	 * ("/proc/self/fd/3:2:3", the script's memfd) says where */
	struct loc l = { 0 };
	const struct loc *at = g->emitting ? NULL : g->cur_loc;
	const char *f = strstr(reason, "/proc/self/fd/");
	if (f && (f = strchr(f + 14, ':')) && sscanf(f, ":%d:%d", &l.line, &l.col) == 2 && l.line > 0) {
		l.end_line = l.line;
		l.end_col = l.col + 1;
		at = &l;
	}
	int n = (int)strcspn(reason, "\n");
	diag_error(g->d, at, "this is a minibt bug: please report it with the script",
		   "LLVM could not compile this program to BPF: %.*s", n, reason);
	diag_print(g->d, stderr);
	fflush(NULL);
	_exit(1); /* LLVM would abort() after a handler that returns */
}

int cg_compile(const struct program *p, const struct cg_opts *o, struct image *img, struct diags *d)
{
	memset(img, 0, sizeof(*img));
	img->events = (const struct event *const *)p->events;
	img->nevents = p->nevents;
	struct cg g = { 0 };
	g.p = p;
	g.o = o;
	g.d = d;
	g.img = img;
	fatal_cg = &g;
	LLVMInstallFatalErrorHandler(llvm_fatal);
	g.C = LLVMContextCreate();
	LLVMContextSetDiagnosticHandler(g.C, llvm_diag, &g);
	g.M = LLVMModuleCreateWithNameInContext("minibt", g.C);
	/* the BPF layout before any IR is built: under LLVM's default one
	** an i64 is 4-aligned, and 8-byte loads become two 4-byte ones */
	LLVMSetTarget(g.M, "bpfel");
	LLVMSetDataLayout(g.M, "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128");
	g.B = LLVMCreateBuilderInContext(g.C);
	g.D = LLVMCreateDIBuilder(g.M);
	g.i1 = LLVMInt1TypeInContext(g.C);
	g.i8 = LLVMInt8TypeInContext(g.C);
	g.i16 = LLVMInt16TypeInContext(g.C);
	g.i32 = LLVMInt32TypeInContext(g.C);
	g.i64 = LLVMInt64TypeInContext(g.C);
	g.ptr = LLVMPointerTypeInContext(g.C, 0);
	g.voidt = LLVMVoidTypeInContext(g.C);

	const char *path = o->src_path ? o->src_path : p->src->name;
	g.difile = LLVMDIBuilderCreateFile(g.D, path, strlen(path), "", 0);
	g.dicu = LLVMDIBuilderCreateCompileUnit(g.D, LLVMDWARFSourceLanguageC, g.difile, "minibt", 6,
						1, "", 0, 0, "", 0, LLVMDWARFEmissionFull, 0, 0, 0,
						"", 0, "", 0);
	g.di_int = LLVMDIBuilderCreateBasicType(g.D, "int", 3, 32, 5 /* DW_ATE_signed */, 0);
	LLVMMetadataRef regs = LLVMDIBuilderCreateStructType(g.D, g.dicu, "pt_regs", 7, g.difile, 0,
							     168 * 8, 64, 0, NULL, NULL, 0, 0, NULL, NULL, 0);
	g.di_ctx = LLVMDIBuilderCreatePointerType(g.D, regs, 64, 64, 0, NULL, 0);

	define_maps(&g);
	img->progs = calloc((size_t)p->nprobes + 1, sizeof(*img->progs));
	for (int i = 0; i < p->nprobes; i++)
		define_probe(&g, p->probes[i], i);
	LLVMDIBuilderFinalize(g.D);

	/* license */
	LLVMValueRef lic = LLVMAddGlobal(g.M, LLVMArrayType2(g.i8, 4), "_license");
	LLVMSetInitializer(lic, LLVMConstStringInContext(g.C, "GPL", 3, 0));
	LLVMSetSection(lic, "license");

	g.emitting = true;
	int rc = cg_emit(&g);
	LLVMDisposeDIBuilder(g.D);
	LLVMDisposeBuilder(g.B);
	LLVMDisposeModule(g.M);
	LLVMContextDispose(g.C);
	free(g.mapg);
	free(g.stackmaps);
	free(g.temps);
	LLVMResetFatalErrorHandler();
	fatal_cg = NULL;
	return rc;
}

void cg_image_free(struct image *img)
{
	free(img->elf);
	for (int i = 0; i < img->nprogs; i++) {
		free(img->progs[i].name);
		free(img->progs[i].lines);
	}
	free(img->progs);
	free(img->maps);
	free(img->ir);
	free(img->asm_);
	for (int i = 0; i < img->nstackmaps; i++)
		free(img->stackmap_names[i]);
	free(img->stackmap_names);
	free(img->stackmap_frames);
	memset(img, 0, sizeof(*img));
}
