/*
** codegen/cg_internal.h: state shared by the codegen files, and their
** functions, sectioned by owning file. Calls run one way:
** cg.c -> cg_expr.c -> cg_build.c.
**   cg.c        module, maps, one function per probe, statements, events
**   cg_expr.c   expressions: values, kernel reads, map keys, reads and
**               stores, builtins
**   cg_build.c  IR building blocks: helper calls, stack slots, memory,
**               map lookups/updates, map globals (bpftrace's irbuilderbpf)
**   cg_layout.c the BPF layout of a user map (LLVM-free; codegen.h)
**   cg_emit.c   target machine, passes, ELF emission, -d dumps
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
	H_UID_GID = 15, H_COMM = 16, H_TRACE_PRINTK = 6, H_STACKID = 27, H_CUR_TASK = 35,
	H_NUMA_ID = 42, H_D_PATH = 147, H_SKB_OUTPUT = 111, H_KTIME_BOOT_NS = 125,
	H_PROBE_READ_STR = 45, H_SEND_SIGNAL = 109, H_OVERRIDE_RETURN = 58, H_CGROUP_ID = 80, H_PROBE_READ_KERNEL = 113,
	H_PROBE_READ_USER = 112, H_PROBE_READ_USER_STR = 114, H_PROBE_READ_KERNEL_STR = 115,
	H_RINGBUF_OUTPUT = 130, H_RINGBUF_RESERVE = 131,
	H_RINGBUF_SUBMIT = 132, H_FUNC_IP = 173,
	H_ATTACH_COOKIE = 174,
};

/* libbpf's struct __bpf_usdt_spec (bpf/usdt.bpf.h) */
#define USDT_SPEC_SIZE 208
#define USDT_SPEC_COOKIE 192
#define USDT_SPEC_ARGCNT 200

/* an address to read from: kernel or user memory (i64) or the probe
 * context (ptr, always at a constant offset from the ctx argument) */
struct addr {
	LLVMValueRef v;
	bool ctx;
	bool user; /* not ctx: read with bpf_probe_read_user */
};

struct cg {
	const struct program *p;
	const struct cg_opts *o;
	struct diags *d;
	struct image *img;
	LLVMContextRef C;
	LLVMModuleRef M;
	LLVMBuilderRef B;
	LLVMBasicBlockRef loop_cond, loop_end; /* the innermost while: continue, break */
	LLVMDIBuilderRef D;
	LLVMMetadataRef difile, dicu, di_int, di_ctx;
	LLVMTypeRef i1, i8, i16, i32, i64, ptr, voidt;
	LLVMValueRef *mapg;  /* user map globals, by mapinfo id */
	LLVMValueRef ringbuf, lostmap, elapsedmap;
	LLVMValueRef *stackmaps; /* parallel to img->stackmap_names */
	LLVMValueRef usdt_specs; /* libbpf's USDT argument specs (cg_usdt_specs) */
	LLVMValueRef skbmap;     /* skboutput()'s perf event array, made on first use */
	/* iter: the context's object pointers, checked not NULL and kept in
	 * stack slots the accesses read back (iter_null_checks) */
	LLVMValueRef iter_slot[8];
	uint32_t iter_off[8];
	int niter;
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
	int fatal_done; /* cg_opts.fatal_line emitted */
	const struct loc *cur_loc; /* the statement being built */
	bool emitting;             /* past IR building: in LLVM's passes */
};

/* cg_build.c */
LLVMValueRef cg_helper(struct cg *g, int id, LLVMTypeRef ret, LLVMValueRef *args, int n);
LLVMValueRef cg_alloca(struct cg *g, uint32_t size, const char *name); /* a statement's temporary */
void cg_end_temps(struct cg *g, int mark); /* temporaries from mark on die here */
void cg_zero(struct cg *g, LLVMValueRef p, uint32_t size);
void cg_copy(struct cg *g, LLVMValueRef dst, LLVMValueRef src, uint32_t size);
unsigned cg_ptr_align(LLVMValueRef p);
LLVMValueRef cg_gep(struct cg *g, LLVMValueRef p, uint32_t off);
void cg_set_loc(struct cg *g, const struct loc *l);
LLVMValueRef cg_var_slot(struct cg *g, const struct varinfo *v);
LLVMValueRef cg_lookup(struct cg *g, LLVMValueRef map, LLVMValueRef key);
void cg_map_update(struct cg *g, LLVMValueRef map, LLVMValueRef key, LLVMValueRef val);
bool cg_terminated(struct cg *g); /* the current block has its terminator */
LLVMValueRef cg_define_map(struct cg *g, const char *name, uint32_t type, uint32_t max,
			   uint32_t ksize, uint32_t vsize);
LLVMValueRef cg_stackmap(struct cg *g, int nframes);
LLVMValueRef cg_usdt_specs(struct cg *g);

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
LLVMValueRef cg_map_key(struct cg *g, const struct mapinfo *m, const struct node *mapnode, LLVMValueRef extra);
void cg_map_store(struct cg *g, const struct node *lhs, const struct node *rhs, LLVMValueRef v,
		  const struct type *vt);

/* cg_emit.c */
int cg_emit(struct cg *g);

#endif
