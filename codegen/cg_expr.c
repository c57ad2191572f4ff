/*
** codegen/cg_expr.c: expressions.
**
** A value is either a scalar (integers as iN of their size; pointers,
** stack ids, ksym and probe values as i64) or, for strings, inet, tuples
** and byte arrays, a pointer to a stack buffer of the type's size.
** Kernel memory is read with bpf_probe_read_kernel from an address, user
** memory (what syscall tracepoint arguments point to) with
** bpf_probe_read_user. Scalars in the probe context (args-> of
** tracepoints, pt_regs of kprobes) are direct loads, which the verifier
** allows at a constant offset from the unmodified ctx register and which
** cost one instruction instead of a helper call; anything larger (char
** arrays, integer arrays) is copied out with bpf_probe_read_kernel, never
** with loads: LLVM expands a copy into loads through one ctx + offset
** register, and the verifier refuses every one of them ("dereference of
** modified ctx ptr").
*/
#include "cg_internal.h"

/* pt_regs offsets on x86-64: di si dx cx r8 r9, ax */
static const uint32_t ARG_OFF[6] = { 112, 104, 96, 88, 72, 64 };
#define REG_AX 80
#define REG_SP 152

bool cg_in_memory(const struct type *t)
{
	switch (t->kind) {
	case TY_STR: case TY_INET: case TY_TUPLE: case TY_BUF: case TY_ARRAY: case TY_MACADDR: case TY_USYM:
		return true;
	default:
		return false;
	}
}

LLVMTypeRef cg_llvm_type(struct cg *g, const struct type *t)
{
	if (t->kind == TY_INT)
		return LLVMIntTypeInContext(g->C, t->size * 8);
	return g->i64;
}

static LLVMValueRef c64(struct cg *g, int64_t v)
{
	return LLVMConstInt(g->i64, (unsigned long long)v, 1);
}

LLVMValueRef cg_to_i64(struct cg *g, LLVMValueRef v, const struct type *t)
{
	LLVMTypeRef vt = LLVMTypeOf(v);
	if (LLVMGetTypeKind(vt) == LLVMPointerTypeKind)
		return LLVMBuildPtrToInt(g->B, v, g->i64, "");
	unsigned w = LLVMGetIntTypeWidth(vt);
	if (w == 64)
		return v;
	bool sign = t && t->kind == TY_INT ? t->sign : false;
	if (w == 1)
		sign = false;
	return sign ? LLVMBuildSExt(g->B, v, g->i64, "") : LLVMBuildZExt(g->B, v, g->i64, "");
}

static LLVMValueRef int_as(struct cg *g, LLVMValueRef v, const struct type *from, LLVMTypeRef to)
{
	LLVMValueRef x = cg_to_i64(g, v, from);
	if (LLVMGetIntTypeWidth(to) == 64)
		return x;
	return LLVMBuildTrunc(g->B, x, to, "");
}

/*
** Store value v (of type vt) into memory as type dt. Strings are
** truncated with a NUL or padded with zeros, so equal strings are equal
** bytes (they are map keys).
*/
void cg_store_as(struct cg *g, LLVMValueRef dst, const struct type *dt, LLVMValueRef v,
		 const struct type *vt)
{
	switch (dt->kind) {
	case TY_STR:
	case TY_BUF: {
		uint32_t vs = vt->size;
		if (vt->kind != TY_STR && vt->kind != TY_BUF && vt->kind != TY_ARRAY) {
			cg_zero(g, dst, dt->size);
			return;
		}
		if (vs > dt->size && dt->kind == TY_STR) { /* truncated: NUL-terminated */
			cg_copy(g, dst, v, dt->size - 1);
			LLVMBuildStore(g->B, LLVMConstInt(g->i8, 0, 0), cg_gep(g, dst, dt->size - 1));
		} else if (vs >= dt->size) {
			cg_copy(g, dst, v, dt->size);
		} else {
			cg_copy(g, dst, v, vs);
			cg_zero(g, cg_gep(g, dst, vs), dt->size - vs);
		}
		return;
	}
	case TY_TUPLE:
		if (vt->kind == TY_TUPLE && vt->nfields == dt->nfields) {
			for (int i = 0; i < dt->nfields; i++) {
				LLVMValueRef fv = cg_in_memory(vt->fields[i])
					? cg_gep(g, v, vt->offsets[i])
					: LLVMBuildLoad2(g->B, cg_llvm_type(g, vt->fields[i]), cg_gep(g, v, vt->offsets[i]), "");
				cg_store_as(g, cg_gep(g, dst, dt->offsets[i]), dt->fields[i], fv, vt->fields[i]);
			}
			return;
		}
		cg_copy(g, dst, v, dt->size);
		return;
	case TY_INET:
	case TY_ARRAY:
	case TY_MACADDR:
	case TY_USYM:
		cg_copy(g, dst, v, dt->size < vt->size ? dt->size : vt->size);
		return;
	case TY_INT:
		LLVMBuildStore(g->B, int_as(g, v, vt, cg_llvm_type(g, dt)), dst);
		return;
	default:
		LLVMBuildStore(g->B, cg_to_i64(g, v, vt), dst);
		return;
	}
}

/* ------------------------------------------------------ kernel memory */

static LLVMValueRef as_ptr(struct cg *g, LLVMValueRef v)
{
	if (LLVMGetTypeKind(LLVMTypeOf(v)) == LLVMPointerTypeKind)
		return v;
	return LLVMBuildIntToPtr(g->B, v, g->ptr, "");
}

/* size bytes at a into dst: a user address with bpf_probe_read_user (x86
** refuses user addresses to bpf_probe_read_kernel: it reads zeros), else
** bpf_probe_read_kernel, which also takes a pointer into the context */
static void read_mem(struct cg *g, LLVMValueRef dst, uint32_t size, struct addr a)
{
	LLVMValueRef args[] = { dst, LLVMConstInt(g->i32, size, 0), as_ptr(g, a.v) };
	cg_helper(g, a.user && !a.ctx ? H_PROBE_READ_USER : H_PROBE_READ_KERNEL, g->i64, args, 3);
}

static struct addr addr_add(struct cg *g, struct addr a, LLVMValueRef off)
{
	if (a.ctx) {
		a.v = LLVMBuildGEP2(g->B, g->i8, a.v, &off, 1, "");
	} else {
		a.v = LLVMBuildAdd(g->B, cg_to_i64(g, a.v, NULL), off, "");
	}
	return a;
}

static struct addr cg_addr(struct cg *g, const struct node *n);

/* scalar of type t at address a (bitfields extracted) */
static LLVMValueRef load_scalar(struct cg *g, struct addr a, const struct type *t)
{
	LLVMTypeRef lt = cg_llvm_type(g, t);
	uint32_t size = t->kind == TY_INT ? t->size : 8;
	LLVMValueRef v = NULL;
	if (a.ctx && g->niter && LLVMIsAGetElementPtrInst(a.v) && LLVMGetOperand(a.v, 0) == g->ctx &&
	    LLVMGetNumOperands(a.v) == 2 && LLVMIsAConstantInt(LLVMGetOperand(a.v, 1))) {
		/* an iterator's object pointer: the checked copy (iter_null_checks) */
		uint64_t off = LLVMConstIntGetZExtValue(LLVMGetOperand(a.v, 1));
		for (int i = 0; i < g->niter && !v; i++)
			if (g->iter_off[i] == off) {
				v = LLVMBuildLoad2(g->B, g->i64, g->iter_slot[i], "");
				LLVMSetVolatile(v, 1);
			}
	}
	if (v) {
		/* the slot's */
	} else if (a.ctx) {
		v = LLVMBuildLoad2(g->B, lt, a.v, "");
	} else {
		/* no zeroing: the helper zeroes dst when the read faults */
		LLVMValueRef tmp = cg_alloca(g, 8, "rd");
		read_mem(g, tmp, size, a);
		v = LLVMBuildLoad2(g->B, lt, tmp, "");
	}
	if (t->bit_size && t->kind == TY_INT) {
		LLVMValueRef x = LLVMBuildLShr(g->B, v, LLVMConstInt(lt, t->bit_off, 0), "");
		if (t->bit_size < t->size * 8)
			x = LLVMBuildAnd(g->B, x, LLVMConstInt(lt, (1ULL << t->bit_size) - 1, 0), "");
		v = x;
	}
	return v;
}

/* a value of type t stored at address a: scalars loaded, buffers copied */
static LLVMValueRef load_at(struct cg *g, struct addr a, const struct type *t)
{
	if (t->kind == TY_RECORD)
		return a.ctx ? LLVMBuildPtrToInt(g->B, a.v, g->i64, "") : a.v;
	if (cg_in_memory(t)) {
		LLVMValueRef buf = cg_alloca(g, (t->size + 7) & ~7u, "kbuf");
		if (t->size % 8)
			cg_zero(g, cg_gep(g, buf, t->size & ~7u), 8);
		read_mem(g, buf, t->size, a);
		return buf;
	}
	return load_scalar(g, a, t);
}

static struct addr cg_addr(struct cg *g, const struct node *n)
{
	struct addr a = { 0 };
	switch (n->kind) {
	case N_BUILTIN:
		if (n->builtin == B_ARGS || n->builtin == B_CTX) {
			a.v = g->ctx;
			a.ctx = true;
			return a;
		}
		break;
	case N_FIELD:
		if (n->op == OP_ARROW) {
			if (n->lhs->ty->ctx) { /* args->f: a place in the context */
				a = cg_addr(g, n->lhs);
			} else { /* p->f: through the pointer's value */
				a.v = cg_to_i64(g, cg_expr(g, n->lhs), n->lhs->ty);
				a.user = n->lhs->ty->user;
			}
		} else {
			a = cg_addr(g, n->lhs);
		}
		return addr_add(g, a, c64(g, n->field_off));
	case N_INDEX: {
		const struct type *t = n->lhs->ty;
		LLVMValueRef idx = cg_to_i64(g, cg_expr(g, n->rhs), n->rhs->ty);
		uint32_t es = n->ty->size ? n->ty->size : 1;
		LLVMValueRef off = LLVMBuildMul(g->B, idx, c64(g, es), "");
		if (t->kind == TY_ARRAY) {
			a = cg_addr(g, n->lhs);
			if (!n->rhs->is_const && !a.ctx) {
				/* out of bounds: address 0, whose read fails and gives 0 */
				LLVMValueRef ok = LLVMBuildICmp(g->B, LLVMIntULT, idx, c64(g, t->nelem), "");
				LLVMValueRef at = LLVMBuildAdd(g->B, cg_to_i64(g, a.v, NULL), off, "");
				a.v = LLVMBuildSelect(g->B, ok, at, c64(g, 0), "");
				return a;
			}
		} else {
			a.v = cg_to_i64(g, cg_expr(g, n->lhs), t);
			a.user = t->user;
		}
		return addr_add(g, a, off);
	}
	case N_UNOP:
		if (n->op == OP_DEREF) {
			a.v = cg_to_i64(g, cg_expr(g, n->lhs), n->lhs->ty);
			a.user = n->lhs->ty->user;
			return a;
		}
		break;
	case N_CAST:
		if (n->ty->ctx) /* (struct x *)ctx: still the context */
			return cg_addr(g, n->lhs);
		a.v = cg_to_i64(g, cg_expr(g, n), n->ty);
		a.user = n->ty->user;
		return a;
	case N_MAP: {
		/* a struct kept in a map: its value's address, 0 when the key
		** has none (the read of 0 fails and zeroes: a zero struct) */
		const struct mapinfo *m = n->map;
		LLVMValueRef p = cg_lookup(g, g->mapg[m->id], cg_map_key(g, m, n, NULL));
		LLVMBasicBlockRef from = LLVMGetInsertBlock(g->B);
		LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->C, g->fn, "mrec.have");
		LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "mrec.done");
		LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, p, ""), yes, done);
		LLVMPositionBuilderAtEnd(g->B, yes);
		/* the checked pointer passes through an empty asm: LLVM can then
		** neither fold the phi into the unchecked pointer (0 when NULL)
		** nor move the field offset's add above the null check, where
		** the verifier refuses arithmetic on map_value_or_null */
		LLVMValueRef pi = LLVMBuildPtrToInt(g->B, p, g->i64, "");
		LLVMTypeRef ft = LLVMFunctionType(g->i64, &g->i64, 1, 0);
		LLVMValueRef asmv = LLVMGetInlineAsm(ft, "", 0, "=r,0", 4, 1, 0, LLVMInlineAsmDialectATT, 0);
		LLVMValueRef pv = LLVMBuildCall2(g->B, ft, asmv, &pi, 1, "");
		LLVMBuildBr(g->B, done);
		LLVMPositionBuilderAtEnd(g->B, done);
		LLVMValueRef phi = LLVMBuildPhi(g->B, g->i64, "mrec");
		LLVMValueRef vals[] = { pv, c64(g, 0) };
		LLVMBasicBlockRef bbs[] = { yes, from };
		LLVMAddIncoming(phi, vals, bbs, 2);
		a.v = phi;
		return a;
	}
	default:
		break;
	}
	/* any other expression of record type evaluates to its address */
	a.v = cg_to_i64(g, cg_expr(g, n), n->ty);
	a.user = n->ty->user;
	return a;
}

/* ------------------------------------------------------------ builtins */

/*
** Helpers whose result cannot change during one run of a probe (pid,
** uid, cpu, current task) are marked memory(none): LLVM then calls each
** once per probe however often the script names it.
*/
static LLVMValueRef pure_helper(struct cg *g, int id, LLVMTypeRef ret)
{
	LLVMValueRef c = cg_helper(g, id, ret, NULL, 0);
	unsigned mem = LLVMGetEnumAttributeKindForName("memory", 6);
	unsigned wr = LLVMGetEnumAttributeKindForName("willreturn", 10);
	LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, mem, 0));
	LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->C, wr, 0));
	return c;
}

static LLVMValueRef pid_tgid(struct cg *g)
{
	return pure_helper(g, H_PID_TGID, g->i64);
}

static LLVMValueRef ctx_u64(struct cg *g, uint32_t off)
{
	LLVMValueRef p = cg_gep(g, g->ctx, off);
	return LLVMBuildLoad2(g->B, g->i64, p, "");
}

/* kstack: the stack id; ustack: (pid << 32) | u32 stack id (bpftrace's
 * packing: the pid says whose memory the addresses are in) */
static LLVMValueRef stackid(struct cg *g, const struct type *t)
{
	LLVMValueRef args[] = { g->ctx, cg_stackmap(g, t->nframes),
				LLVMConstInt(g->i64, t->ustack ? 1u << 8 /* BPF_F_USER_STACK */ : 0, 0) };
	LLVMValueRef id = cg_helper(g, H_STACKID, g->i64, args, 3);
	if (!t->ustack)
		return id;
	LLVMValueRef pid = LLVMBuildAnd(g->B, pure_helper(g, H_PID_TGID, g->i64), c64(g, (int64_t)0xffffffff00000000ULL), "");
	return LLVMBuildOr(g->B, pid, LLVMBuildAnd(g->B, id, c64(g, 0xffffffff), ""), "");
}

/* this usdt probe's spec (libbpf's, by the attach cookie), or NULL */
static LLVMValueRef usdt_spec(struct cg *g)
{
	LLVMValueRef args[] = { g->ctx };
	LLVMValueRef id = LLVMBuildTrunc(g->B, cg_helper(g, H_ATTACH_COOKIE, g->i64, args, 1), g->i32, "");
	LLVMValueRef key = cg_alloca(g, 4, "specid");
	LLVMBuildStore(g->B, id, key);
	return cg_lookup(g, cg_usdt_specs(g), key);
}

/*
** argN of a usdt probe, as bpf/usdt.bpf.h's bpf_usdt_arg(): the spec
** says where the argument is (a constant, a register of pt_regs, memory
** at a register plus an offset) and how wide and signed it is; 0 when
** the probe has fewer arguments or a read fails
*/
static LLVMValueRef usdt_arg(struct cg *g, int argn)
{
	LLVMValueRef res = cg_alloca(g, 8, "usdtarg");
	LLVMBuildStore(g->B, c64(g, 0), res);
	LLVMValueRef sp = usdt_spec(g);
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.done");
	LLVMBasicBlockRef have = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.have");
	LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, sp, ""), have, done);
	LLVMPositionBuilderAtEnd(g->B, have);
	LLVMValueRef cnt = LLVMBuildSExt(g->B, LLVMBuildLoad2(g->B, g->i16, cg_gep(g, sp, USDT_SPEC_ARGCNT), ""), g->i64, "");
	LLVMBasicBlockRef in = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.in");
	LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntSGT, cnt, c64(g, argn), ""), in, done);
	LLVMPositionBuilderAtEnd(g->B, in);
	LLVMValueRef as = cg_gep(g, sp, 16 * (uint32_t)argn); /* struct __bpf_usdt_arg_spec */
	LLVMValueRef val_off = LLVMBuildLoad2(g->B, g->i64, as, "");
	LLVMValueRef type = LLVMBuildLoad2(g->B, g->i32, cg_gep(g, as, 8), "");
	LLVMValueRef reg_off = LLVMBuildSExt(g->B, LLVMBuildLoad2(g->B, g->i16, cg_gep(g, as, 12), ""), g->i64, "");
	LLVMValueRef sign = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, as, 14), "");
	LLVMValueRef shift = LLVMBuildZExt(g->B, LLVMBuildLoad2(g->B, g->i8, cg_gep(g, as, 15), ""), g->i64, "");
	LLVMValueRef val = cg_alloca(g, 8, "usdtval");
	LLVMBuildStore(g->B, val_off, val); /* BPF_USDT_ARG_CONST */
	LLVMBasicBlockRef reg = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.reg");
	LLVMBasicBlockRef deref = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.deref");
	LLVMBasicBlockRef cast = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.cast");
	LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, type, LLVMConstInt(g->i32, 0, 0), ""), cast, reg);
	LLVMPositionBuilderAtEnd(g->B, reg); /* the register, from pt_regs */
	LLVMValueRef rargs[] = { val, LLVMConstInt(g->i32, 8, 0),
				 LLVMBuildGEP2(g->B, g->i8, g->ctx, &reg_off, 1, "") };
	LLVMValueRef err = cg_helper(g, H_PROBE_READ_KERNEL, g->i64, rargs, 3);
	LLVMBasicBlockRef isreg = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.isreg");
	LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, err, c64(g, 0), ""), done, isreg);
	LLVMPositionBuilderAtEnd(g->B, isreg);
	LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, type, LLVMConstInt(g->i32, 1, 0), ""), cast, deref);
	LLVMPositionBuilderAtEnd(g->B, deref); /* memory at the register plus val_off */
	LLVMValueRef addr = LLVMBuildAdd(g->B, LLVMBuildLoad2(g->B, g->i64, val, ""), val_off, "");
	LLVMValueRef dargs[] = { val, LLVMConstInt(g->i32, 8, 0), LLVMBuildIntToPtr(g->B, addr, g->ptr, "") };
	err = cg_helper(g, H_PROBE_READ_USER, g->i64, dargs, 3);
	LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, err, c64(g, 0), ""), done, cast);
	LLVMPositionBuilderAtEnd(g->B, cast); /* width and sign: shift up, then back */
	LLVMValueRef v = LLVMBuildShl(g->B, LLVMBuildLoad2(g->B, g->i64, val, ""), shift, "");
	LLVMValueRef sv = LLVMBuildSelect(g->B, LLVMBuildICmp(g->B, LLVMIntNE, sign, LLVMConstInt(g->i8, 0, 0), ""),
					  LLVMBuildAShr(g->B, v, shift, ""), LLVMBuildLShr(g->B, v, shift, ""), "");
	LLVMBuildStore(g->B, sv, res);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
	return LLVMBuildLoad2(g->B, g->i64, res, "");
}

static LLVMValueRef builtin(struct cg *g, const struct node *n)
{
	switch (n->builtin) {
	case B_PID: return LLVMBuildLShr(g->B, pid_tgid(g), c64(g, 32), "");
	case B_TID: return LLVMBuildAnd(g->B, pid_tgid(g), c64(g, 0xffffffff), "");
	case B_UID: case B_USERNAME: return LLVMBuildAnd(g->B, pure_helper(g, H_UID_GID, g->i64), c64(g, 0xffffffff), "");
	case B_GID: return LLVMBuildLShr(g->B, pure_helper(g, H_UID_GID, g->i64), c64(g, 32), "");
	case B_NSECS: return cg_helper(g, H_KTIME_NS, g->i64, NULL, 0);
	case B_ELAPSED: {
		LLVMValueRef now = cg_helper(g, H_KTIME_NS, g->i64, NULL, 0);
		LLVMValueRef k = cg_alloca(g, 4, "ek");
		LLVMBuildStore(g->B, LLVMConstInt(g->i32, 0, 0), k);
		LLVMValueRef p = cg_lookup(g, g->elapsedmap, k);
		LLVMValueRef res = cg_alloca(g, 8, "el");
		LLVMBuildStore(g->B, c64(g, 0), res);
		LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->C, g->fn, "el.have");
		LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "el.done");
		LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, p, ""), yes, done);
		LLVMPositionBuilderAtEnd(g->B, yes);
		LLVMBuildStore(g->B, LLVMBuildLoad2(g->B, g->i64, p, ""), res);
		LLVMBuildBr(g->B, done);
		LLVMPositionBuilderAtEnd(g->B, done);
		return LLVMBuildSub(g->B, now, LLVMBuildLoad2(g->B, g->i64, res, ""), "");
	}
	case B_CPU: return LLVMBuildZExt(g->B, pure_helper(g, H_SMP_ID, g->i32), g->i64, "");
	case B_RAND: return LLVMBuildZExt(g->B, cg_helper(g, H_PRANDOM, g->i32, NULL, 0), g->i64, "");
	case B_CGROUP: return cg_helper(g, H_CGROUP_ID, g->i64, NULL, 0);
	case B_CURTASK: return pure_helper(g, H_CUR_TASK, g->i64);
	case B_COMM: {
		/* zeroed: before 6.3 the helper stops at the NUL (strscpy) */
		LLVMValueRef buf = cg_alloca(g, 16, "comm");
		cg_zero(g, buf, 16);
		LLVMValueRef args[] = { buf, LLVMConstInt(g->i32, 16, 0) };
		cg_helper(g, H_COMM, g->i64, args, 2);
		return buf;
	}
	case B_FUNC: {
		LLVMValueRef args[] = { g->ctx };
		if (n->ty->kind == TY_UFUNC) /* uprobes: the probe, by its cookie */
			return cg_helper(g, H_ATTACH_COOKIE, g->i64, args, 1);
		return cg_helper(g, H_FUNC_IP, g->i64, args, 1);
	}
	case B_PROBE: {
		if (probe_kinds[g->probe->aps[0].type].usdt) { /* libbpf keeps ours in the spec */
			LLVMValueRef sp = usdt_spec(g), res = cg_alloca(g, 8, "uprobe");
			LLVMBuildStore(g->B, c64(g, 0), res);
			LLVMBasicBlockRef have = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.have");
			LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "usdt.done");
			LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, sp, ""), have, done);
			LLVMPositionBuilderAtEnd(g->B, have);
			LLVMBuildStore(g->B, LLVMBuildLoad2(g->B, g->i64, cg_gep(g, sp, USDT_SPEC_COOKIE), ""), res);
			LLVMBuildBr(g->B, done);
			LLVMPositionBuilderAtEnd(g->B, done);
			return LLVMBuildLoad2(g->B, g->i64, res, "");
		}
		if (probe_kinds[g->probe->aps[0].type].cookie) {
			LLVMValueRef args[] = { g->ctx };
			return cg_helper(g, H_ATTACH_COOKIE, g->i64, args, 1);
		}
		return c64(g, g->probe_index);
	}
	case B_RETVAL:
		if (probe_kinds[g->probe->aps[0].type].expand == EXPAND_BTF_FUNCS) { /* fexit: after the arguments */
			struct addr a = { .v = g->ctx, .ctx = true };
			return load_scalar(g, addr_add(g, a, c64(g, g->probe->retval_off)), n->ty);
		}
		return ctx_u64(g, REG_AX);
	case B_ARG:
		if (probe_kinds[g->probe->aps[0].type].usdt)
			return usdt_arg(g, (int)n->ival);
		if (probe_kinds[g->probe->aps[0].type].argslots) /* u64 args[] */
			return ctx_u64(g, 8 * (uint32_t)n->ival);
		return ctx_u64(g, ARG_OFF[n->ival < 6 ? n->ival : 0]);
	case B_ARGS: case B_CTX: return LLVMBuildPtrToInt(g->B, g->ctx, g->i64, "");
	case B_NUMAID: return LLVMBuildZExt(g->B, pure_helper(g, H_NUMA_ID, g->i32), g->i64, "");
	case B_SARG: {
		/* sargN: the Nth 8-byte slot above the return address at sp */
		LLVMValueRef buf = cg_alloca(g, 8, "sarg");
		struct addr a = { .v = LLVMBuildAdd(g->B, ctx_u64(g, REG_SP), c64(g, 8 * (n->ival + 1)), ""),
				  .user = probe_kinds[g->probe->aps[0].type].user };
		read_mem(g, buf, 8, a);
		return LLVMBuildLoad2(g->B, g->i64, buf, "");
	}
	case B_KSTACK: case B_USTACK: return stackid(g, n->ty);
	case B_CPID: return LLVMConstInt(g->i32, (unsigned long long)n->cval, 0); /* folded by sema */
	case BUILTIN__COUNT: break;
	}
	return c64(g, 0);
}

/* ---------------------------------------------------------------- calls */

/*
** Store the first size bytes of s (zero past n) at dst, in the widest
** stores dst's alignment allows.
*/
static void store_bytes(struct cg *g, LLVMValueRef dst, const char *s, size_t n, uint32_t size)
{
	unsigned al = cg_ptr_align(dst);
	for (uint32_t off = 0; off < size;) {
		uint32_t w = 8;
		while (w > 1 && (w > al || off + w > size))
			w /= 2;
		uint64_t v = 0;
		for (uint32_t i = 0; i < w; i++)
			if (off + i < n)
				v |= (uint64_t)(unsigned char)s[off + i] << (8 * i);
		LLVMTypeRef t = LLVMIntTypeInContext(g->C, w * 8);
		LLVMValueRef st = LLVMBuildStore(g->B, LLVMConstInt(t, v, 0), cg_gep(g, dst, off));
		LLVMSetAlignment(st, w);
		off += w;
	}
}

static LLVMValueRef str_literal(struct cg *g, const char *s, size_t n, uint32_t size)
{
	uint32_t sz = (size + 7) & ~7u;
	LLVMValueRef buf = cg_alloca(g, sz, "str");
	store_bytes(g, buf, s, n, sz);
	return buf;
}

/* str(p[, n]) read straight into dst (n->ty->size bytes): the helper
** stops at the NUL and zeroes dst on a fault */
static void str_into(struct cg *g, const struct node *n, LLVMValueRef buf)
{
	const struct node *a = n->args;
	uint32_t size = n->ty->size;
	LLVMValueRef src;
	if (a->kind == N_FIELD && a->ty->data_loc) {
		/* low 16 bits: offset of the string in the record */
		LLVMValueRef dl = cg_to_i64(g, cg_expr(g, a), a->ty);
		LLVMValueRef off = LLVMBuildAnd(g->B, dl, c64(g, 0xffff), "");
		src = LLVMBuildGEP2(g->B, g->i8, g->ctx, &off, 1, "");
	} else {
		src = as_ptr(g, cg_to_i64(g, cg_expr(g, a), a->ty));
	}
	LLVMValueRef len = LLVMConstInt(g->i32, size, 0);
	if (a->next && !a->next->is_const) {
		LLVMValueRef l = cg_to_i64(g, cg_expr(g, a->next), a->next->ty);
		l = LLVMBuildAdd(g->B, l, c64(g, 1), "");
		LLVMValueRef big = LLVMBuildICmp(g->B, LLVMIntUGT, l, c64(g, size), "");
		l = LLVMBuildSelect(g->B, big, c64(g, size), l, "");
		len = LLVMBuildTrunc(g->B, l, g->i32, "");
	}
	/* bpf_probe_read_str reads user or kernel strings (x86's split address
	** space); a known user string with the user helper, as bpftrace 0.17 */
	LLVMValueRef args[] = { buf, len, src };
	bool user = a->ty->user && !a->ty->data_loc;
	cg_helper(g, user ? H_PROBE_READ_USER_STR : H_PROBE_READ_STR, g->i64, args, 3);
}

static LLVMValueRef call_str(struct cg *g, const struct node *n)
{
	const struct node *a = n->args;
	uint32_t size = n->ty->size;
	LLVMValueRef buf = cg_alloca(g, (size + 7) & ~7u, "strbuf");
	cg_zero(g, buf, (size + 7) & ~7u);
	if (a->ty->kind == TY_STR)
		cg_store_as(g, buf, n->ty, cg_expr(g, a), a->ty);
	else
		str_into(g, n, buf);
	return buf;
}

/* is n an lvalue in kernel or context memory (a struct member, an
** element, a dereference) rather than a computed value? */
static bool is_place(const struct node *n)
{
	switch (n->kind) {
	case N_FIELD:
		return n->lhs->ty->kind != TY_TUPLE;
	case N_INDEX:
		return n->lhs->ty->kind != TY_STR;
	case N_UNOP:
		return n->op == OP_DEREF;
	default:
		return false;
	}
}

/* an in-memory value (char[N], u8[N], ...) read from where it lives
** straight into dst, size bytes; false if n is not such a place. From the
** context too it is a helper call, not a copy (see the top of the file) */
static bool mem_into(struct cg *g, const struct node *n, LLVMValueRef dst, uint32_t size)
{
	if (!is_place(n) || !cg_in_memory(n->ty) || n->ty->size < size)
		return false;
	read_mem(g, dst, size, cg_addr(g, n));
	return true;
}

/* ntop: {s64 af; u8 addr[16]} built at buf; an IPv4 address fills 4 bytes */
static void ntop_into(struct cg *g, const struct node *n, LLVMValueRef buf)
{
	const struct node *a = n->args;
	LLVMValueRef af = NULL;
	if (n->nargs == 2) {
		af = cg_to_i64(g, cg_expr(g, a), a->ty);
		a = a->next;
	}
	const struct type *t = a->ty;
	if (t->kind == TY_INT && t->size == 4 && !t->bit_size && is_place(a)) {
		/* a 32-bit address in memory: read into place; in the context
		** a load (a constant offset from ctx) */
		struct addr ad = cg_addr(g, a);
		if (ad.ctx)
			LLVMBuildStore(g->B, load_scalar(g, ad, t), cg_gep(g, buf, 8));
		else
			read_mem(g, cg_gep(g, buf, 8), 4, ad);
		if (!af)
			af = c64(g, 2);
	} else if (t->kind == TY_INT) {
		LLVMValueRef v = cg_expr(g, a);
		LLVMBuildStore(g->B, int_as(g, v, t, g->i32), cg_gep(g, buf, 8));
		if (!af)
			af = c64(g, 2);
	} else {
		uint32_t sz = t->size > 16 ? 16 : t->size;
		if (!mem_into(g, a, cg_gep(g, buf, 8), sz))
			cg_copy(g, cg_gep(g, buf, 8), cg_expr(g, a), sz);
		if (!af)
			af = c64(g, sz == 16 ? 10 : 2);
	}
	LLVMBuildStore(g->B, af, buf);
}

static LLVMValueRef call_ntop(struct cg *g, const struct node *n)
{
	LLVMValueRef buf = cg_alloca(g, 24, "inet");
	cg_zero(g, buf, 24);
	ntop_into(g, n, buf);
	return buf;
}

static LLVMValueRef call_bswap(struct cg *g, const struct node *n)
{
	const struct node *a = n->args;
	LLVMValueRef v = cg_expr(g, a);
	if (a->ty->kind != TY_INT || a->ty->size == 1)
		return v;
	LLVMTypeRef t = LLVMTypeOf(v);
	unsigned id = LLVMLookupIntrinsicID("llvm.bswap", 10);
	LLVMValueRef f = LLVMGetIntrinsicDeclaration(g->M, id, &t, 1);
	return LLVMBuildCall2(g->B, LLVMFunctionType(t, &t, 1, 0), f, &v, 1, "");
}

static LLVMValueRef str_eq(struct cg *g, LLVMValueRef a, uint32_t as, LLVMValueRef b, uint32_t bs,
			   uint32_t lim);

/*
** buf(p[, n]): {u8 len; u8 data[max]}: len is n (or max for a literal
** or no n), capped at max; data read from where p points or where the
** array lives (a variable length with a bounded helper size), or copied
** from an array value
*/
static LLVMValueRef call_buf(struct cg *g, const struct node *n)
{
	const struct node *a = n->args, *l = a->next;
	uint32_t max = n->ty->size - 1, sz = (n->ty->size + 7) & ~7u;
	bool dyn = l && !l->is_const;
	LLVMValueRef buf = cg_alloca(g, sz, "buf"), dst = cg_gep(g, buf, 1), len = c64(g, max);
	cg_zero(g, buf, sz);
	if (dyn) {
		LLVMValueRef v = cg_to_i64(g, cg_expr(g, l), l->ty);
		len = LLVMBuildSelect(g->B, LLVMBuildICmp(g->B, LLVMIntUGT, v, c64(g, max), ""), c64(g, max), v, "");
	}
	LLVMBuildStore(g->B, LLVMBuildTrunc(g->B, len, g->i8, ""), buf);
	struct addr from;
	if (cg_in_memory(a->ty) && !is_place(a)) {
		cg_copy(g, dst, cg_expr(g, a), max < a->ty->size ? max : a->ty->size);
		return buf;
	}
	if (cg_in_memory(a->ty))
		from = cg_addr(g, a);
	else
		from = (struct addr){ .v = cg_to_i64(g, cg_expr(g, a), a->ty), .user = a->ty->user };
	if (!dyn) {
		read_mem(g, dst, max, from);
	} else {
		LLVMValueRef args[] = { dst, LLVMBuildTrunc(g->B, len, g->i32, ""), as_ptr(g, from.v) };
		cg_helper(g, from.user && !from.ctx ? H_PROBE_READ_USER : H_PROBE_READ_KERNEL, g->i64, args, 3);
	}
	return buf;
}

static LLVMValueRef str_contains(struct cg *g, LLVMValueRef h, uint32_t hs, LLVMValueRef nd, uint32_t ns);

static LLVMValueRef call(struct cg *g, const struct node *n)
{
	switch (n->func) {
	case F_STR: return call_str(g, n);
	case F_NTOP: return call_ntop(g, n);
	case F_BSWAP: return call_bswap(g, n);
	case F_REG: return ctx_u64(g, (uint32_t)n->ival);
	case F_BUF: return call_buf(g, n);
	case F_PTON: return str_literal(g, n->str, n->slen, (uint32_t)n->slen); /* sema's bytes */
	case F_STRFTIME: return cg_to_i64(g, cg_expr(g, n->args->next), n->args->next->ty);
	case F_MACADDR: { /* 6 bytes of an array value, or read at an address */
		const struct node *a = n->args;
		LLVMValueRef buf = cg_alloca(g, 8, "mac");
		if (cg_in_memory(a->ty)) {
			cg_copy(g, buf, cg_expr(g, a), 6);
		} else {
			struct addr ad = { .v = cg_to_i64(g, cg_expr(g, a), a->ty), .user = a->ty->user };
			read_mem(g, buf, 6, ad);
		}
		return buf;
	}
	case F_KPTR:
	case F_UPTR: return cg_expr(g, n->args);
	case F_STRNCMP: {
		const struct node *a = n->args, *b = a->next;
		LLVMValueRef eq = str_eq(g, cg_expr(g, a), a->ty->size, cg_expr(g, b), b->ty->size,
					 (uint32_t)(b->next->cval > UINT32_MAX ? UINT32_MAX : b->next->cval));
		return LLVMBuildXor(g->B, eq, c64(g, 1), "");
	}
	case F_KSTACK: case F_USTACK: return stackid(g, n->ty);
	case F_USYM: { /* { addr, pid } */
		LLVMValueRef buf = cg_alloca(g, 16, "usym");
		LLVMBuildStore(g->B, cg_to_i64(g, cg_expr(g, n->args), n->args->ty), buf);
		LLVMValueRef pid = LLVMBuildLShr(g->B, pure_helper(g, H_PID_TGID, g->i64), c64(g, 32), "");
		LLVMBuildStore(g->B, pid, cg_gep(g, buf, 8));
		return buf;
	}
	case F_KSYM:
	case F_STRERROR:
	case F_CGROUP_PATH: return cg_to_i64(g, cg_expr(g, n->args), n->args->ty);
	case F_PATH: { /* bpf_d_path(&path, buf, size): the path's BTF pointer, kept as the verifier typed it */
		const struct node *a = n->args;
		LLVMValueRef buf = cg_alloca(g, n->ty->size, "path");
		cg_zero(g, buf, n->ty->size);
		LLVMValueRef p = a->ty->kind == TY_PTR ? cg_to_i64(g, cg_expr(g, a), a->ty) : cg_addr(g, a).v;
		LLVMValueRef args[] = { as_ptr(g, p), buf, LLVMConstInt(g->i32, n->ty->size, 0) };
		cg_helper(g, H_D_PATH, g->i64, args, 3);
		return buf;
	}
	case F_SKBOUTPUT: { /* bpf_skb_output(skb, map, len << 32 | CURRENT_CPU, hdr, 24) */
		const struct node *skb = n->args->next, *len = skb->next;
		if (!g->skbmap) {
			g->skbmap = cg_define_map(g, "skb_events", MT_PERF_EVENT_ARRAY, 0, 4, 4);
			g->img->skb_name = "skb_events";
		}
		LLVMValueRef hdr = cg_alloca(g, 24, "skbhdr"); /* { event id, len, boot ns }, then the bytes */
		LLVMValueRef l = LLVMBuildAnd(g->B, cg_to_i64(g, cg_expr(g, len), len->ty), c64(g, 0xffffffff), "");
		LLVMBuildStore(g->B, c64(g, n->event), hdr);
		LLVMBuildStore(g->B, l, cg_gep(g, hdr, 8));
		LLVMBuildStore(g->B, cg_helper(g, H_KTIME_BOOT_NS, g->i64, NULL, 0), cg_gep(g, hdr, 16));
		LLVMValueRef flags = LLVMBuildOr(g->B, LLVMBuildShl(g->B, l, c64(g, 32), ""), c64(g, 0xffffffff), "");
		LLVMValueRef args[] = { as_ptr(g, cg_to_i64(g, cg_expr(g, skb), skb->ty)), g->skbmap, flags, hdr, c64(g, 24) };
		return LLVMBuildTrunc(g->B, cg_helper(g, H_SKB_OUTPUT, g->i64, args, 5), g->i32, "");
	}
	case F_DEBUGF: { /* bpf_trace_printk(fmt, size, up to 3 values); strings by address */
		const struct node *f = n->args;
		LLVMValueRef args[5] = { str_literal(g, f->str, f->slen, (uint32_t)f->slen + 1),
					 LLVMConstInt(g->i32, f->slen + 1, 0) };
		int na = 2;
		for (const struct node *a = f->next; a && na < 5; a = a->next) {
			LLVMValueRef v = cg_expr(g, a);
			args[na++] = cg_in_memory(a->ty) ? LLVMBuildPtrToInt(g->B, v, g->i64, "") : cg_to_i64(g, v, a->ty);
		}
		cg_helper(g, H_TRACE_PRINTK, g->i64, args, na);
		return c64(g, 0);
	}
	case F_STRCONTAINS: {
		const struct node *a = n->args, *b = a->next;
		return str_contains(g, cg_expr(g, a), a->ty->size, cg_expr(g, b), b->ty->size);
	}
	default: return c64(g, 0);
	}
}

/* ----------------------------------------------------------------- maps */

/*
** Key buffer of a map: each key expression stored as the map's key type
** (integers widened, strings padded with zeros), plus an optional u64
** (hist bucket) at the end. Maps without a key use a u64 0.
*/
LLVMValueRef cg_map_key(struct cg *g, const struct mapinfo *m, const struct node *mn, LLVMValueRef extra)
{
	uint32_t ks = g->img->maps[m->id].key_size;
	LLVMValueRef key = cg_alloca(g, (ks + 7) & ~7u, "key");
	/* keys compare as bytes: zero them, unless one integer fills the key
	** (not comm: before 6.3 bpf_get_current_comm does not pad) */
	const struct node *k1 = mn ? mn->args : NULL;
	bool bucket = m->val->kind == TY_HIST || m->val->kind == TY_LHIST;
	bool full = (extra != NULL) == bucket &&
		    (!m->key ? extra != NULL : k1 && !k1->next && m->key->kind == TY_INT && m->key->size == 8);
	if (!full)
		cg_zero(g, key, (ks + 7) & ~7u);
	if (m->key && mn && mn->args) {
		const struct type *kt = m->key;
		int i = 0;
		for (const struct node *k = mn->args; k; k = k->next, i++) {
			if (mn->nargs > 1) /* @m[a, b]: the key is the tuple of them */
				cg_expr_into(g, k, cg_gep(g, key, kt->offsets[i]), kt->fields[i]);
			else
				cg_expr_into(g, k, key, kt);
		}
	}
	if (extra) {
		uint32_t off = m->key ? (m->key->size + 7) & ~7u : 0;
		LLVMBuildStore(g->B, extra, cg_gep(g, key, off));
	}
	return key;
}

/* @m[k] = rhs, or the computed value v of type vt when rhs is NULL */
void cg_map_store(struct cg *g, const struct node *lhs, const struct node *rhs, LLVMValueRef v,
		  const struct type *vt)
{
	const struct mapinfo *m = lhs->map;
	LLVMValueRef key = cg_map_key(g, m, lhs, NULL);
	uint32_t vs = g->img->maps[m->id].value_size;
	LLVMValueRef buf = cg_alloca(g, (vs + 7) & ~7u, "val");
	if (cg_in_memory(m->val))
		cg_zero(g, buf, (vs + 7) & ~7u);
	if (rhs)
		cg_expr_into(g, rhs, buf, m->val);
	else
		cg_store_as(g, buf, m->val, v, vt);
	cg_map_update(g, g->mapg[m->id], key, buf);
}

/* $x++ / ++@m[k]: stores the new value; yields the old one (post) or
 * the new one (pre, ival 1) */
LLVMValueRef cg_incdec(struct cg *g, const struct node *n)
{
	const struct node *lhs = n->lhs;
	LLVMValueRef cur = cg_to_i64(g, cg_expr(g, lhs), lhs->ty);
	uint64_t step = 1;
	if (lhs->ty->kind == TY_PTR && lhs->ty->sub && lhs->ty->sub->size)
		step = lhs->ty->sub->size;
	LLVMValueRef one = LLVMConstInt(g->i64, step, 0);
	LLVMValueRef v = n->op == OP_INC ? LLVMBuildAdd(g->B, cur, one, "") : LLVMBuildSub(g->B, cur, one, "");
	if (lhs->kind == N_VAR)
		cg_store_as(g, cg_var_slot(g, lhs->var), lhs->var->ty, v, ty_int(8, true));
	else
		cg_map_store(g, lhs, NULL, v, ty_int(8, true));
	return n->ival ? v : cur;
}

static LLVMValueRef map_read(struct cg *g, const struct node *n)
{
	const struct mapinfo *m = n->map;
	LLVMValueRef key = cg_map_key(g, m, n, NULL);
	LLVMValueRef p = cg_lookup(g, g->mapg[m->id], key);
	uint32_t vs = g->img->maps[m->id].value_size;
	LLVMValueRef res = cg_alloca(g, (vs + 7) & ~7u, "mval");
	cg_zero(g, res, (vs + 7) & ~7u);
	LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->C, g->fn, "map.have");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "map.done");
	LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, p, ""), yes, done);
	LLVMPositionBuilderAtEnd(g->B, yes);
	cg_copy(g, res, p, vs);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
	if (cg_in_memory(m->val))
		return res;
	LLVMValueRef v = LLVMBuildLoad2(g->B, g->i64, res, "");
	if (m->val->kind == TY_AVG) {
		LLVMValueRef c = LLVMBuildLoad2(g->B, g->i64, cg_gep(g, res, 8), "");
		LLVMValueRef nz = LLVMBuildICmp(g->B, LLVMIntNE, c, c64(g, 0), "");
		LLVMValueRef d = LLVMBuildSelect(g->B, nz, c, c64(g, 1), "");
		v = LLVMBuildUDiv(g->B, v, d, ""); /* no sdiv in BPF v3 */
	}
	if (n->ty->kind == TY_INT && n->ty->size < 8)
		v = LLVMBuildTrunc(g->B, v, cg_llvm_type(g, n->ty), "");
	return v;
}

/* ----------------------------------------------------------- operators */

/*
** 1 if two NUL-terminated buffers hold the same string, looking at the
** first lim bytes at most (strncmp; UINT32_MAX: all), else 0
*/
static LLVMValueRef str_eq(struct cg *g, LLVMValueRef a, uint32_t as, LLVMValueRef b, uint32_t bs,
			   uint32_t lim)
{
	uint32_t n = as < bs ? as : bs;
	bool all = lim >= n; /* else lim bytes matched: equal */
	if (!all)
		n = lim;
	LLVMValueRef res = cg_alloca(g, 8, "streq");
	LLVMBuildStore(g->B, c64(g, 0), res);
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "streq.done");
	LLVMBasicBlockRef eq = LLVMAppendBasicBlockInContext(g->C, g->fn, "streq.eq");
	for (uint32_t i = 0; i < n; i++) {
		LLVMValueRef ca = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, a, i), "");
		LLVMValueRef cb = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, b, i), "");
		LLVMBasicBlockRef same = LLVMAppendBasicBlockInContext(g->C, g->fn, "streq.same");
		LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, ca, cb, ""), done, same);
		LLVMPositionBuilderAtEnd(g->B, same);
		LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(g->C, g->fn, "streq.next");
		LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, ca, LLVMConstInt(g->i8, 0, 0), ""), eq, next);
		LLVMPositionBuilderAtEnd(g->B, next);
	}
	/* all n bytes equal without a NUL: equal only if both end here */
	LLVMValueRef end_ok;
	if (!all || as == bs) {
		end_ok = LLVMConstInt(g->i1, 1, 0);
	} else {
		LLVMValueRef longer = as > bs ? a : b;
		LLVMValueRef c = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, longer, n), "");
		end_ok = LLVMBuildICmp(g->B, LLVMIntEQ, c, LLVMConstInt(g->i8, 0, 0), "");
	}
	LLVMBuildCondBr(g->B, end_ok, eq, done);
	LLVMPositionBuilderAtEnd(g->B, eq);
	LLVMBuildStore(g->B, c64(g, 1), res);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
	return LLVMBuildLoad2(g->B, g->i64, res, "");
}

/*
** strcontains(): 1 if the NUL-terminated string in nd (ns bytes) occurs
** in the one in h (hs bytes), as C's strstr; the empty string occurs
** everywhere. Unrolled (no loop the verifier must bound, no variable
** stack offsets): for each start j, the needle's bytes against h[j..].
** bpftrace 0.17 answers 0 whenever the needle's buffer is larger than
** the haystack's, whatever they hold; minibt compares what they hold.
*/
static LLVMValueRef str_contains(struct cg *g, LLVMValueRef h, uint32_t hs, LLVMValueRef nd, uint32_t ns)
{
	LLVMValueRef res = cg_alloca(g, 8, "strcontains");
	LLVMValueRef nul = LLVMConstInt(g->i8, 0, 0);
	LLVMBuildStore(g->B, c64(g, 0), res);
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "strc.done");
	LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->C, g->fn, "strc.yes");
	for (uint32_t j = 0; j < hs; j++) {
		LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(g->C, g->fn, "strc.next");
		uint32_t room = hs - j; /* haystack bytes from j */
		uint32_t i;
		for (i = 0; i < ns && i < room; i++) {
			LLVMValueRef c = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, nd, i), "");
			LLVMSetVolatile(c, 1);
			LLVMBasicBlockRef cmp = LLVMAppendBasicBlockInContext(g->C, g->fn, "strc.cmp");
			LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, c, nul, ""), yes, cmp);
			LLVMPositionBuilderAtEnd(g->B, cmp);
			LLVMValueRef hc = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, h, j + i), "");
			LLVMSetVolatile(hc, 1); /* loaded again each time: kept, they would spill past the stack */
			LLVMBasicBlockRef same = LLVMAppendBasicBlockInContext(g->C, g->fn, "strc.same");
			LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntNE, hc, c, ""), next, same);
			LLVMPositionBuilderAtEnd(g->B, same);
		}
		if (i == ns) { /* the needle's whole buffer matched */
			LLVMBuildBr(g->B, yes);
		} else { /* the haystack ended: a match only if the needle does too */
			LLVMValueRef c = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, nd, i), "");
			LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, c, nul, ""), yes, next);
		}
		LLVMPositionBuilderAtEnd(g->B, next);
		/* the haystack's NUL at j: no later start can match */
		LLVMValueRef hj = LLVMBuildLoad2(g->B, g->i8, cg_gep(g, h, j), "");
		LLVMSetVolatile(hj, 1);
		LLVMBasicBlockRef more = LLVMAppendBasicBlockInContext(g->C, g->fn, "strc.more");
		LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, hj, nul, ""), done, more);
		LLVMPositionBuilderAtEnd(g->B, more);
	}
	/* past the haystack's last byte: only the empty needle matches */
	LLVMValueRef c0 = LLVMBuildLoad2(g->B, g->i8, nd, "");
	LLVMBuildCondBr(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, c0, nul, ""), yes, done);
	LLVMPositionBuilderAtEnd(g->B, yes);
	LLVMBuildStore(g->B, c64(g, 1), res);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
	return LLVMBuildLoad2(g->B, g->i64, res, "");
}

static LLVMValueRef logical(struct cg *g, const struct node *n)
{
	LLVMValueRef res = cg_alloca(g, 8, "logic");
	bool is_and = n->op == OP_LAND;
	LLVMBuildStore(g->B, c64(g, is_and ? 0 : 1), res);
	LLVMBasicBlockRef rhs = LLVMAppendBasicBlockInContext(g->C, g->fn, "logic.rhs");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "logic.done");
	LLVMValueRef l = cg_cond(g, n->lhs);
	if (is_and)
		LLVMBuildCondBr(g->B, l, rhs, done);
	else
		LLVMBuildCondBr(g->B, l, done, rhs);
	LLVMPositionBuilderAtEnd(g->B, rhs);
	LLVMValueRef r = cg_cond(g, n->rhs);
	LLVMBuildStore(g->B, LLVMBuildZExt(g->B, r, g->i64, ""), res);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
	return LLVMBuildLoad2(g->B, g->i64, res, "");
}

/*
** Signed / and % as C defines them (-7 / 2 == -3, -7 % 2 == -1) with the
** unsigned instructions of BPF before cpu v4 (which minibt targets: no
** sdiv/smod before Linux 6.6): divide the magnitudes, then the quotient
** is negative when the signs differ and the remainder has the dividend's
** sign. bpftrace 0.17 divides signed values as unsigned ones.
*/
static LLVMValueRef sdivrem(struct cg *g, LLVMValueRef a, LLVMValueRef b, bool rem)
{
	LLVMValueRef zero = LLVMConstInt(g->i64, 0, 0);
	LLVMValueRef an = LLVMBuildICmp(g->B, LLVMIntSLT, a, zero, "");
	LLVMValueRef bn = LLVMBuildICmp(g->B, LLVMIntSLT, b, zero, "");
	LLVMValueRef ua = LLVMBuildSelect(g->B, an, LLVMBuildNeg(g->B, a, ""), a, "");
	LLVMValueRef ub = LLVMBuildSelect(g->B, bn, LLVMBuildNeg(g->B, b, ""), b, "");
	LLVMValueRef r = rem ? LLVMBuildURem(g->B, ua, ub, "") : LLVMBuildUDiv(g->B, ua, ub, "");
	LLVMValueRef neg = rem ? an : LLVMBuildXor(g->B, an, bn, "");
	return LLVMBuildSelect(g->B, neg, LLVMBuildNeg(g->B, r, ""), r, "");
}

/* the integer operators on two i64 values (also for compound assignments) */
LLVMValueRef cg_arith(struct cg *g, enum op op, LLVMValueRef a, LLVMValueRef b, bool sign)
{
	switch (op) {
	case OP_ADD: return LLVMBuildAdd(g->B, a, b, "");
	case OP_SUB: return LLVMBuildSub(g->B, a, b, "");
	case OP_MUL: return LLVMBuildMul(g->B, a, b, "");
	case OP_DIV: return sign ? sdivrem(g, a, b, false) : LLVMBuildUDiv(g->B, a, b, "");
	case OP_MOD: return sign ? sdivrem(g, a, b, true) : LLVMBuildURem(g->B, a, b, "");
	case OP_BAND: return LLVMBuildAnd(g->B, a, b, "");
	case OP_BOR: return LLVMBuildOr(g->B, a, b, "");
	case OP_BXOR: return LLVMBuildXor(g->B, a, b, "");
	case OP_SHL: return LLVMBuildShl(g->B, a, b, "");
	case OP_SHR: return sign ? LLVMBuildAShr(g->B, a, b, "") : LLVMBuildLShr(g->B, a, b, "");
	default: return a;
	}
}

static LLVMValueRef binop(struct cg *g, const struct node *n)
{
	if (n->op == OP_LAND || n->op == OP_LOR)
		return logical(g, n);
	const struct type *lt = n->lhs->ty, *rt = n->rhs->ty;
	if (lt->kind == TY_STR && rt->kind == TY_STR) {
		LLVMValueRef a = cg_expr(g, n->lhs), b = cg_expr(g, n->rhs);
		LLVMValueRef eq = str_eq(g, a, lt->size, b, rt->size, UINT32_MAX);
		return n->op == OP_EQ ? eq : LLVMBuildXor(g->B, eq, c64(g, 1), "");
	}
	if (lt->kind == TY_BUF && rt->kind == TY_BUF) { /* length byte and bytes, as strncmp */
		LLVMValueRef a = cg_expr(g, n->lhs), b = cg_expr(g, n->rhs);
		LLVMValueRef eq = str_eq(g, a, lt->size, b, rt->size, lt->size < rt->size ? lt->size : rt->size);
		return n->op == OP_EQ ? eq : LLVMBuildXor(g->B, eq, c64(g, 1), "");
	}
	LLVMValueRef a = cg_to_i64(g, cg_expr(g, n->lhs), lt);
	LLVMValueRef b = cg_to_i64(g, cg_expr(g, n->rhs), rt);
	bool sign = n->ty->kind == TY_INT ? n->ty->sign : false;
	if (lt->kind == TY_PTR && (n->op == OP_ADD || n->op == OP_SUB) && rt->kind == TY_INT) {
		uint32_t es = lt->sub && lt->sub->size ? lt->sub->size : 1;
		b = LLVMBuildMul(g->B, b, c64(g, es), "");
	}
	LLVMIntPredicate pr;
	switch (n->op) {
	case OP_EQ: pr = LLVMIntEQ; break;
	case OP_NE: pr = LLVMIntNE; break;
	case OP_LT: pr = sign ? LLVMIntSLT : LLVMIntULT; break;
	case OP_LE: pr = sign ? LLVMIntSLE : LLVMIntULE; break;
	case OP_GT: pr = sign ? LLVMIntSGT : LLVMIntUGT; break;
	case OP_GE: pr = sign ? LLVMIntSGE : LLVMIntUGE; break;
	default: return cg_arith(g, n->op, a, b, sign);
	}
	return LLVMBuildZExt(g->B, LLVMBuildICmp(g->B, pr, a, b, ""), g->i64, "");
}

LLVMValueRef cg_cond(struct cg *g, const struct node *n)
{
	if (n->is_const)
		return LLVMConstInt(g->i1, n->cval != 0, 0);
	LLVMValueRef v = cg_to_i64(g, cg_expr(g, n), n->ty);
	return LLVMBuildICmp(g->B, LLVMIntNE, v, c64(g, 0), "");
}

static LLVMValueRef ternary(struct cg *g, const struct node *n)
{
	bool mem = cg_in_memory(n->ty);
	uint32_t sz = mem ? (n->ty->size + 7) & ~7u : 8;
	LLVMValueRef res = cg_alloca(g, sz, "tern");
	LLVMBasicBlockRef a = LLVMAppendBasicBlockInContext(g->C, g->fn, "tern.a");
	LLVMBasicBlockRef b = LLVMAppendBasicBlockInContext(g->C, g->fn, "tern.b");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "tern.done");
	LLVMValueRef c = cg_cond(g, n->cond);
	const struct type *st = mem ? n->ty : ty_int(8, n->ty->sign);
	if (mem)
		cg_zero(g, res, sz);
	LLVMBuildCondBr(g->B, c, a, b);
	LLVMPositionBuilderAtEnd(g->B, a);
	cg_expr_into(g, n->lhs, res, st);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, b);
	cg_expr_into(g, n->rhs, res, st);
	LLVMBuildBr(g->B, done);
	LLVMPositionBuilderAtEnd(g->B, done);
	return mem ? res : LLVMBuildLoad2(g->B, g->i64, res, "");
}

LLVMValueRef cg_expr(struct cg *g, const struct node *n)
{
	/* folded by sema: integers, and addresses (uaddr(), a cast constant) */
	if (n->is_const && (n->ty->kind == TY_INT || n->ty->kind == TY_PTR))
		return LLVMConstInt(cg_llvm_type(g, n->ty), (unsigned long long)n->cval, 1);
	switch (n->kind) {
	case N_INT:
		return c64(g, n->ival);
	case N_STR:
		return str_literal(g, n->str, n->slen, n->ty->size);
	case N_POSPARAM:
		if (n->ty->kind == TY_STR)
			return str_literal(g, n->str, n->slen, n->ty->size);
		return c64(g, n->cval);
	case N_IDENT:
		return c64(g, n->cval);
	case N_BUILTIN:
		return builtin(g, n);
	case N_CALL:
		return call(g, n);
	case N_VAR: {
		LLVMValueRef slot = cg_var_slot(g, n->var);
		if (cg_in_memory(n->var->ty))
			return slot;
		return LLVMBuildLoad2(g->B, cg_llvm_type(g, n->var->ty), slot, "");
	}
	case N_MAP:
		if (n->ty->kind == TY_RECORD) /* a struct: its address, as any record expression */
			return cg_addr(g, n).v;
		return map_read(g, n);
	case N_BINOP:
		return binop(g, n);
	case N_INCDEC:
		return cg_incdec(g, n);
	case N_UNOP: {
		if (n->op == OP_DEREF) {
			struct addr a = cg_addr(g, n);
			return load_at(g, a, n->ty);
		}
		LLVMValueRef v = cg_to_i64(g, cg_expr(g, n->lhs), n->lhs->ty);
		switch (n->op) {
		case OP_NOT:
			return LLVMBuildZExt(g->B, LLVMBuildICmp(g->B, LLVMIntEQ, v, c64(g, 0), ""), g->i64, "");
		case OP_BNOT:
			return LLVMBuildNot(g->B, v, "");
		case OP_NEG:
			return LLVMBuildNeg(g->B, v, "");
		default:
			return v;
		}
	}
	case N_TERNARY:
		return ternary(g, n);
	case N_FIELD:
		if (n->lhs->ty->kind == TY_TUPLE) {
			LLVMValueRef t = cg_expr(g, n->lhs);
			LLVMValueRef p = cg_gep(g, t, n->field_off);
			if (cg_in_memory(n->ty))
				return p;
			return LLVMBuildLoad2(g->B, cg_llvm_type(g, n->ty), p, "");
		}
		return load_at(g, cg_addr(g, n), n->ty);
	case N_INDEX:
		if (n->lhs->ty->kind == TY_STR) {
			LLVMValueRef s = cg_expr(g, n->lhs);
			return LLVMBuildLoad2(g->B, g->i8, cg_gep(g, s, (uint32_t)n->rhs->cval), "");
		}
		return load_at(g, cg_addr(g, n), n->ty);
	case N_CAST: {
		LLVMValueRef v = cg_expr(g, n->lhs);
		if (n->ty->kind == TY_INT) {
			LLVMTypeRef to = cg_llvm_type(g, n->ty);
			if (cg_in_memory(n->lhs->ty))
				return LLVMBuildLoad2(g->B, to, v, "");
			if (LLVMGetTypeKind(LLVMTypeOf(v)) == LLVMPointerTypeKind)
				v = LLVMBuildPtrToInt(g->B, v, g->i64, "");
			/* widening extends by the destination's sign, as bpftrace
			** 0.17's CreateIntCast: (int16)(uint8)255 == -1 */
			return LLVMBuildIntCast2(g->B, v, to, n->ty->sign, "");
		}
		return cg_to_i64(g, v, n->lhs->ty);
	}
	case N_TUPLE: {
		uint32_t sz = (n->ty->size + 7) & ~7u;
		LLVMValueRef buf = cg_alloca(g, sz, "tuple");
		cg_zero(g, buf, sz);
		cg_expr_into(g, n, buf, n->ty);
		return buf;
	}
	default:
		return c64(g, 0);
	}
}

/*
** Evaluate n straight into dst as type dt: strings read by str() land in
** place, literals are stored as immediates, tuples field by field, with
** no temporary buffer and no copy. Bytes after a string's NUL and padding
** are left as they were: callers that compare bytes (map keys, scratch
** variables) zero dst first; ring buffer records need not.
*/
void cg_expr_into(struct cg *g, const struct node *n, LLVMValueRef dst, const struct type *dt)
{
	const struct type *t = n->ty;
	if (dt->kind == TY_STR && t->kind == TY_STR && t->size <= dt->size) {
		if (n->kind == N_STR || (n->kind == N_POSPARAM && n->str)) {
			size_t len = n->slen + 1 < t->size ? n->slen + 1 : t->size;
			store_bytes(g, dst, n->str, n->slen, (uint32_t)len);
			return;
		}
		if (n->kind == N_CALL && n->func == F_STR && n->args->ty->kind != TY_STR) {
			str_into(g, n, dst);
			return;
		}
		if (n->kind == N_BUILTIN && n->builtin == B_COMM) {
			LLVMValueRef args[] = { dst, LLVMConstInt(g->i32, 16, 0) };
			cg_helper(g, H_COMM, g->i64, args, 2);
			return;
		}
	}
	if ((dt->kind == TY_STR || dt->kind == TY_BUF || dt->kind == TY_ARRAY) && t->size <= dt->size &&
	    t->kind == (dt->kind == TY_BUF ? TY_ARRAY : dt->kind) && mem_into(g, n, dst, t->size))
		return;
	if (n->kind == N_MAP && cg_in_memory(t) && t->kind == dt->kind && g->img->maps[n->map->id].value_size <= dt->size &&
	    (t->kind == TY_STR || t->size == dt->size)) {
		/* the map's value copied once, from the map to dst */
		const struct mapinfo *m = n->map;
		LLVMValueRef p = cg_lookup(g, g->mapg[m->id], cg_map_key(g, m, n, NULL));
		LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->C, g->fn, "map.have");
		LLVMBasicBlockRef no = LLVMAppendBasicBlockInContext(g->C, g->fn, "map.none");
		LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->C, g->fn, "map.done");
		LLVMBuildCondBr(g->B, LLVMBuildIsNotNull(g->B, p, ""), yes, no);
		LLVMPositionBuilderAtEnd(g->B, yes);
		cg_copy(g, dst, p, g->img->maps[m->id].value_size);
		LLVMBuildBr(g->B, done);
		LLVMPositionBuilderAtEnd(g->B, no);
		cg_zero(g, dst, g->img->maps[m->id].value_size);
		LLVMBuildBr(g->B, done);
		LLVMPositionBuilderAtEnd(g->B, done);
		return;
	}
	if (dt->kind == TY_RECORD && t->kind == TY_RECORD && t->size <= dt->size) {
		/* a struct's bytes, read from where it is (kernel, user or the context) */
		struct addr a = cg_addr(g, n);
		read_mem(g, dst, t->size, a);
		return;
	}
	if (dt->kind == TY_INET && n->kind == N_CALL && n->func == F_NTOP) {
		ntop_into(g, n, dst);
		return;
	}
	if (dt->kind == TY_TUPLE && n->kind == N_TUPLE && n->nargs == dt->nfields) {
		int i = 0;
		for (const struct node *a = n->args; a; a = a->next, i++)
			cg_expr_into(g, a, cg_gep(g, dst, dt->offsets[i]), dt->fields[i]);
		return;
	}
	if (dt->kind == TY_TUPLE && t->kind == TY_TUPLE && dt->nfields == t->nfields && dt->size != t->size) {
		/* a tuple into a wider one (sema's ty_fit): field by field */
		LLVMValueRef src = cg_expr(g, n);
		for (int i = 0; i < dt->nfields; i++) {
			const struct type *df = dt->fields[i], *sf = t->fields[i];
			LLVMValueRef d = cg_gep(g, dst, dt->offsets[i]), p = cg_gep(g, src, t->offsets[i]);
			if (df->kind == TY_INT && sf->kind == TY_INT) {
				LLVMTypeRef it = LLVMIntTypeInContext(g->C, 8 * sf->size);
				cg_store_as(g, d, df, LLVMBuildLoad2(g->B, it, p, ""), sf);
			} else {
				cg_zero(g, d, df->size);
				cg_copy(g, d, p, sf->size < df->size ? sf->size : df->size);
			}
		}
		return;
	}
	cg_store_as(g, dst, dt, cg_expr(g, n), t);
}
