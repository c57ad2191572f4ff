/*
** codegen/cg_internal.h: state shared by the codegen files.
**   cg.c       module, maps, one function per probe, statements, events
**   cg_expr.c  expressions: values, kernel reads, maps reads, builtins
**   cg_emit.c  target machine, passes, ELF emission, -d dumps
** BPF helper calls are built here (cg_helper) apart from the AST walk.
*/
#ifndef MINIBT_CG_INTERNAL_H
#define MINIBT_CG_INTERNAL_H

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include "codegen.h"

/* BPF helper ids (include/uapi/linux/bpf.h) */
enum {
	H_MAP_LOOKUP = 1, H_MAP_UPDATE = 2, H_MAP_DELETE = 3, H_PROBE_READ = 4,
	H_KTIME_NS = 5, H_PRANDOM = 7, H_SMP_ID = 8, H_PID_TGID = 14,
	H_UID_GID = 15, H_COMM = 16, H_STACKID = 27, H_CUR_TASK = 35,
	H_PROBE_READ_STR = 45, H_CGROUP_ID = 80, H_PROBE_READ_KERNEL = 113,
	H_PROBE_READ_KERNEL_STR = 115, H_RINGBUF_OUTPUT = 130, H_RINGBUF_RESERVE = 131,
	H_RINGBUF_SUBMIT = 132, H_FUNC_IP = 173,
	H_ATTACH_COOKIE = 174,
};

/* BPF map types (uapi) */
enum {
	MT_HASH = 1, MT_ARRAY = 2, MT_PERCPU_HASH = 5, MT_PERCPU_ARRAY = 6,
	MT_STACK_TRACE = 7, MT_RINGBUF = 27,
};

/* an address to read from: kernel memory (i64) or the probe context (ptr) */
struct addr {
	LLVMValueRef v;
	bool ctx;
};

struct cg {
	const struct program *p;
	const struct cg_opts *o;
	struct diags *d;
	struct image *img;
	LLVMContextRef C;
	LLVMModuleRef M;
	LLVMBuilderRef B;
	LLVMDIBuilderRef D;
	LLVMMetadataRef difile, dicu, di_int, di_ctx;
	LLVMTypeRef i1, i8, i16, i32, i64, ptr, voidt;
	LLVMValueRef *mapg;  /* user map globals, by mapinfo id */
	LLVMValueRef ringbuf, lostmap, elapsedmap;
	LLVMValueRef *stackmaps; /* parallel to img->stackmap_names */
	/* current function */
	LLVMValueRef fn, ctx;
	LLVMBasicBlockRef entry;
	LLVMMetadataRef disp;
	const struct probe *probe;
	LLVMValueRef *vars; /* allocas by varinfo slot */
	int nvars;
	int probe_index; /* static probe-name index, -1: use attach cookie */
	/* temporaries of the statement being compiled (lifetime markers) */
	int in_stmt;
	LLVMValueRef *temps;
	int ntemps, captemps;
	int llvm_errors; /* reported by LLVM while emitting */
	int stack_reported;
	int bad_done; /* cg_opts.bad_line emitted */
};

/* cg.c */
LLVMValueRef cg_helper(struct cg *g, int id, LLVMTypeRef ret, LLVMValueRef *args, int n);
LLVMValueRef cg_alloca(struct cg *g, uint32_t size, const char *name);
void cg_zero(struct cg *g, LLVMValueRef p, uint32_t size);
void cg_copy(struct cg *g, LLVMValueRef dst, LLVMValueRef src, uint32_t size);
unsigned cg_ptr_align(LLVMValueRef p);
LLVMValueRef cg_gep(struct cg *g, LLVMValueRef p, uint32_t off);
void cg_set_loc(struct cg *g, const struct loc *l);
LLVMValueRef cg_map_key(struct cg *g, const struct mapinfo *m, const struct node *mapnode, LLVMValueRef extra);
LLVMValueRef cg_lookup(struct cg *g, LLVMValueRef map, LLVMValueRef key);
LLVMValueRef cg_var_slot(struct cg *g, const struct varinfo *v);
LLVMValueRef cg_stackmap(struct cg *g, int nframes);

/* cg_expr.c */
LLVMTypeRef cg_llvm_type(struct cg *g, const struct type *t);
bool cg_in_memory(const struct type *t);
LLVMValueRef cg_expr(struct cg *g, const struct node *n);
LLVMValueRef cg_to_i64(struct cg *g, LLVMValueRef v, const struct type *t);
LLVMValueRef cg_incdec(struct cg *g, const struct node *n);
LLVMValueRef cg_arith(struct cg *g, enum op op, LLVMValueRef a, LLVMValueRef b, bool sign);
LLVMValueRef cg_cond(struct cg *g, const struct node *n); /* i1 */
void cg_store_as(struct cg *g, LLVMValueRef dst, const struct type *dt, LLVMValueRef v,
		 const struct type *vt);
void cg_expr_into(struct cg *g, const struct node *n, LLVMValueRef dst, const struct type *dt);

/* cg_emit.c */
int cg_emit(struct cg *g);

#endif
