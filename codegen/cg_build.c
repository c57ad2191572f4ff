/*
** codegen/cg_build.c: building blocks of BPF programs in LLVM IR, apart
** from the AST walks (as bpftrace's irbuilderbpf): helper calls, stack
** slots and their lifetimes, memset/memcpy/GEP, map lookups and updates,
** BTF-defined map globals, the stack maps. Nothing here reads an
** expression or a statement.
*/
#include <stdlib.h>
#include <string.h>
#include "cg_internal.h"

#define STACKMAP_ENTRIES 4096

LLVMValueRef cg_helper(struct cg *g, int id, LLVMTypeRef ret, LLVMValueRef *args, int n)
{
	LLVMTypeRef at[8];
	for (int i = 0; i < n; i++)
		at[i] = LLVMTypeOf(args[i]);
	LLVMTypeRef ft = LLVMFunctionType(ret, at, (unsigned)n, 0);
	LLVMValueRef fp = LLVMConstIntToPtr(LLVMConstInt(g->i64, (unsigned long long)id, 0), g->ptr);
	return LLVMBuildCall2(g->B, ft, fp, args, (unsigned)n, "");
}

/* allocas live in the entry block so they are fixed stack slots */
static LLVMValueRef entry_alloca(struct cg *g, uint32_t size, const char *name)
{
	LLVMBuilderRef b = LLVMCreateBuilderInContext(g->C);
	LLVMValueRef first = LLVMGetFirstInstruction(g->entry);
	if (first)
		LLVMPositionBuilderBefore(b, first);
	else
		LLVMPositionBuilderAtEnd(b, g->entry);
	LLVMTypeRef t = LLVMArrayType2(g->i8, size ? size : 1);
	LLVMValueRef a = LLVMBuildAlloca(b, t, name);
	LLVMSetAlignment(a, 8);
	LLVMDisposeBuilder(b);
	return a;
}

static void lifetime(struct cg *g, const char *which, LLVMValueRef a)
{
	unsigned id = LLVMLookupIntrinsicID(which, strlen(which));
	LLVMTypeRef pt = g->ptr;
	LLVMValueRef f = LLVMGetIntrinsicDeclaration(g->M, id, &pt, 1);
	LLVMTypeRef at[] = { g->i64, g->ptr };
	LLVMTypeRef ft = LLVMFunctionType(g->voidt, at, 2, 0);
	LLVMTypeRef arr = LLVMGetAllocatedType(a);
	LLVMValueRef args[] = { LLVMConstInt(g->i64, LLVMGetArrayLength2(arr), 0), a };
	LLVMBuildCall2(g->B, ft, f, args, 2, "");
}

/*
** A temporary: a stack slot live from here to the end of the statement.
** The lifetime markers let LLVM give statements' temporaries the same
** stack bytes; without them every buffer of the probe adds up toward
** BPF's 512-byte stack.
*/
LLVMValueRef cg_alloca(struct cg *g, uint32_t size, const char *name)
{
	LLVMValueRef a = entry_alloca(g, size, name);
	if (g->in_stmt) {
		lifetime(g, "llvm.lifetime.start", a);
		g->temps = vec_reserve(g->temps, g->ntemps, &g->captemps, sizeof(*g->temps));
		g->temps[g->ntemps++] = a;
	}
	return a;
}

/* the statement's temporaries die here */
void cg_end_temps(struct cg *g, int mark)
{
	LLVMBasicBlockRef bb = LLVMGetInsertBlock(g->B);
	if (!LLVMGetBasicBlockTerminator(bb))
		for (int i = mark; i < g->ntemps; i++)
			lifetime(g, "llvm.lifetime.end", g->temps[i]);
	g->ntemps = mark;
}

void cg_zero(struct cg *g, LLVMValueRef p, uint32_t size)
{
	LLVMBuildMemSet(g->B, p, LLVMConstInt(g->i8, 0, 0), LLVMConstInt(g->i64, size, 0), cg_ptr_align(p));
}

/*
** Known alignment of a pointer: allocas are 8-aligned, so are map values
** and ring buffer records (helper results); constant offsets keep what
** they keep. memcpy/memset of unknown alignment become byte loops.
*/
unsigned cg_ptr_align(LLVMValueRef p)
{
	if (LLVMIsAAllocaInst(p))
		return LLVMGetAlignment(p);
	if (LLVMIsACallInst(p))
		return 8;
	if (LLVMIsAGetElementPtrInst(p) && LLVMGetNumOperands(p) == 2 &&
	    LLVMIsAConstantInt(LLVMGetOperand(p, 1))) {
		unsigned a = cg_ptr_align(LLVMGetOperand(p, 0));
		long long off = LLVMConstIntGetSExtValue(LLVMGetOperand(p, 1));
		while (a > 1 && off % a)
			a /= 2;
		return a;
	}
	return 1;
}

void cg_copy(struct cg *g, LLVMValueRef dst, LLVMValueRef src, uint32_t size)
{
	if (size)
		LLVMBuildMemCpy(g->B, dst, cg_ptr_align(dst), src, cg_ptr_align(src),
				LLVMConstInt(g->i64, size, 0));
}

LLVMValueRef cg_gep(struct cg *g, LLVMValueRef p, uint32_t off)
{
	if (!off)
		return p;
	LLVMValueRef idx = LLVMConstInt(g->i64, off, 0);
	return LLVMBuildGEP2(g->B, g->i8, p, &idx, 1, "");
}

void cg_set_loc(struct cg *g, const struct loc *l)
{
	if (!g->disp || !l || l->line <= 0)
		return;
	LLVMMetadataRef dl = LLVMDIBuilderCreateDebugLocation(g->C, (unsigned)l->line,
							      (unsigned)l->col, g->disp, NULL);
	LLVMSetCurrentDebugLocation2(g->B, dl);
}

LLVMValueRef cg_var_slot(struct cg *g, const struct varinfo *v)
{
	if (!g->vars[v->slot]) {
		uint32_t sz = v->ty->size ? v->ty->size : 8;
		g->vars[v->slot] = entry_alloca(g, (sz + 7) & ~7u, v->name);
		/* zero at entry: a variable set only on one branch reads as 0 */
		LLVMBuilderRef b = LLVMCreateBuilderInContext(g->C);
		LLVMValueRef term = LLVMGetLastInstruction(g->entry);
		LLVMValueRef after = LLVMGetNextInstruction(g->vars[v->slot]);
		LLVMPositionBuilderBefore(b, after ? after : term);
		LLVMBuildMemSet(b, g->vars[v->slot], LLVMConstInt(g->i8, 0, 0),
				LLVMConstInt(g->i64, (sz + 7) & ~7u, 0), 8);
		LLVMDisposeBuilder(b);
	}
	return g->vars[v->slot];
}

LLVMValueRef cg_lookup(struct cg *g, LLVMValueRef map, LLVMValueRef key)
{
	LLVMValueRef args[] = { map, key };
	return cg_helper(g, H_MAP_LOOKUP, g->ptr, args, 2);
}

void cg_map_update(struct cg *g, LLVMValueRef map, LLVMValueRef key, LLVMValueRef val)
{
	LLVMValueRef args[] = { map, key, val, LLVMConstInt(g->i64, 0, 0) };
	cg_helper(g, H_MAP_UPDATE, g->i64, args, 4);
}

bool cg_terminated(struct cg *g)
{
	LLVMBasicBlockRef bb = LLVMGetInsertBlock(g->B);
	return LLVMGetBasicBlockTerminator(bb) != NULL;
}

/* ---------------------------------------------------------------- maps */

static LLVMMetadataRef di_uint_field(struct cg *g, LLVMMetadataRef scope, const char *name,
				     uint64_t val, uint64_t off)
{
	LLVMMetadataRef sub = LLVMDIBuilderGetOrCreateSubrange(g->D, 0, (int64_t)val);
	LLVMMetadataRef arr = LLVMDIBuilderCreateArrayType(g->D, val * 32, 32, g->di_int, &sub, 1);
	LLVMMetadataRef pt = LLVMDIBuilderCreatePointerType(g->D, arr, 64, 64, 0, NULL, 0);
	return LLVMDIBuilderCreateMemberType(g->D, scope, name, strlen(name), g->difile, 0, 64, 64,
					     off * 64, 0, pt);
}

/* a BTF-defined map: struct of pointers-to-arrays whose lengths are the attributes */
LLVMValueRef cg_define_map(struct cg *g, const char *name, uint32_t type, uint32_t max,
			       uint32_t ksize, uint32_t vsize)
{
	const char *fields[] = { "type", "max_entries", "key_size", "value_size" };
	uint64_t vals[] = { type, max, ksize, vsize };
	int nf = type == MT_RINGBUF ? 2 : 4;
	LLVMMetadataRef mem[4];
	for (int i = 0; i < nf; i++)
		mem[i] = di_uint_field(g, g->dicu, fields[i], vals[i], (uint64_t)i);
	LLVMMetadataRef st = LLVMDIBuilderCreateStructType(g->D, g->dicu, "", 0, g->difile, 0,
							   (uint64_t)nf * 64, 64, 0, NULL, mem,
							   (unsigned)nf, 0, NULL, NULL, 0);
	LLVMTypeRef ptrs[4] = { g->ptr, g->ptr, g->ptr, g->ptr };
	LLVMTypeRef lt = LLVMStructTypeInContext(g->C, ptrs, (unsigned)nf, 0);
	LLVMValueRef gv = LLVMAddGlobal(g->M, lt, name);
	LLVMSetInitializer(gv, LLVMConstNull(lt));
	LLVMSetSection(gv, ".maps");
	LLVMSetLinkage(gv, LLVMExternalLinkage);
	LLVMSetAlignment(gv, 8);
	LLVMMetadataRef expr = LLVMDIBuilderCreateExpression(g->D, NULL, 0);
	LLVMMetadataRef gve = LLVMDIBuilderCreateGlobalVariableExpression(
		g->D, g->dicu, name, strlen(name), name, strlen(name), g->difile, 0, st, 0, expr, NULL, 64);
	LLVMGlobalSetMetadata(gv, LLVMGetMDKindIDInContext(g->C, "dbg", 3), gve);
	return gv;
}

/* the stack map keeping nframes frames, defined on first use */
LLVMValueRef cg_stackmap(struct cg *g, int nframes)
{
	struct image *img = g->img;
	for (int i = 0; i < img->nstackmaps; i++)
		if (img->stackmap_frames[i] == nframes)
			return g->stackmaps[i];
	int i = img->nstackmaps++;
	img->stackmap_names = realloc(img->stackmap_names, sizeof(char *) * (size_t)img->nstackmaps);
	img->stackmap_frames = realloc(img->stackmap_frames, sizeof(int) * (size_t)img->nstackmaps);
	g->stackmaps = realloc(g->stackmaps, sizeof(LLVMValueRef) * (size_t)img->nstackmaps);
	if (!img->stackmap_names || !img->stackmap_frames || !g->stackmaps)
		abort();
	char nm[32];
	snprintf(nm, sizeof(nm), "stacks_%d", nframes);
	img->stackmap_names[i] = strdup(nm);
	img->stackmap_frames[i] = nframes;
	g->stackmaps[i] = cg_define_map(g, nm, MT_STACK_TRACE, STACKMAP_ENTRIES, 4, (uint32_t)nframes * 8);
	return g->stackmaps[i];
}

/*
** The two maps libbpf's USDT support fills when it attaches a usdt probe
** (bpf/usdt.bpf.h, by name): __bpf_usdt_specs, an array of struct
** __bpf_usdt_spec (12 argument specs of 16 bytes, the u64 usdt_cookie at
** 192, the short arg_cnt at 200: 208 bytes), and the ip-to-spec map it
** uses on kernels without bpf_cookie (minibt needs the cookie: 5.15+).
*/
LLVMValueRef cg_usdt_specs(struct cg *g)
{
	if (!g->usdt_specs) {
		g->usdt_specs = cg_define_map(g, "__bpf_usdt_specs", MT_ARRAY, 256, 4, USDT_SPEC_SIZE);
		cg_define_map(g, "__bpf_usdt_ip_to_spec_id", MT_HASH, 1024, 8, 4);
	}
	return g->usdt_specs;
}
